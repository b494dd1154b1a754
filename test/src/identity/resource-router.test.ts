import { ResourceRouter } from '../../../src/identity/resource-router';
import type { IdentityGateway } from '../../../src/domain/ports';

const gateway = (resource: string) => ({ resource }) as IdentityGateway;
const primary = gateway('https://primary.communication.azure.com');
const eu = gateway('https://eu.communication.azure.com');
const spare = gateway('https://spare.communication.azure.com');
const user = (userId: string, attributes: Record<string, string> = {}, issuer = 'https://issuer.example.com') => ({
  issuer,
  userId,
  attributes,
});

describe('ResourceRouter', () => {
  it('places a user by the first matching issuer or claim rule, else on the primary', () => {
    const router = new ResourceRouter(primary, [
      { name: 'eu', gateway: eu, claim: { name: 'ctry', values: ['DE', 'FR'] } },
      { name: 'spare', gateway: spare, issuers: ['https://partner.example.com'] },
    ]);
    expect(router.forUser(user('a', { ctry: 'DE' }))).toBe(eu);
    expect(router.forUser(user('b', {}, 'https://partner.example.com'))).toBe(spare);
    expect(router.forUser(user('c', { ctry: 'US' }))).toBe(primary);
  });

  it('spreads unplaced users by a stable hash over the primary and the spreading resources', () => {
    const router = new ResourceRouter(primary, [{ name: 'spare', gateway: spare, spread: true }]);
    const placed = Array.from({ length: 1000 }, (_, i) => router.forUser(user(`u${i}`)));
    const onSpare = placed.filter((g) => g === spare).length;
    expect(onSpare).toBeGreaterThan(400);
    expect(onSpare).toBeLessThan(600);
    expect(router.forUser(user('u7'))).toBe(placed[7]); // stable
  });

  it('finds the gateway of a recorded resource; an unknown one is undefined, an unrecorded one the primary', () => {
    const router = new ResourceRouter(primary, [{ name: 'eu', gateway: eu, claim: { name: 'ctry', values: ['DE'] } }]);
    expect(router.forResource(eu.resource)).toBe(eu);
    expect(router.forResource(undefined)).toBe(primary);
    expect(router.forResource('https://gone.communication.azure.com')).toBeUndefined();
  });
});
