import { Quotas } from '../../../src/identity/quotas';
import { InMemoryQuotaStore } from '../../support/services';

const user = { issuer: 'https://issuer.example.com', userId: 'u1' };
const log = { info: jest.fn(), warn: jest.fn(), error: jest.fn() };

describe('Quotas', () => {
  it('refuses past the limit with 429 quota_exceeded and the policy, and counts per user', async () => {
    const quotas = new Quotas(new InMemoryQuotaStore(), { tokensPerUser: { count: 2, windowInSeconds: 60 } });
    await quotas.token(user, log);
    await quotas.token(user, log);
    await expect(quotas.token(user, log)).rejects.toMatchObject({
      kind: 'too_many_requests',
      code: 'quota_exceeded',
    });
    await expect(quotas.token({ ...user, userId: 'u2' }, log)).resolves.toBeDefined();
  });

  it('gives a unit back through its receipt, and both units of an identity (per user and per IP)', async () => {
    const store = new InMemoryQuotaStore();
    const quotas = new Quotas(store, {
      identitiesPerUser: { count: 1, windowInSeconds: 60 },
      identitiesPerClientIp: { count: 1, windowInSeconds: 60 },
    });
    const receipt = await quotas.identity({ ...user, clientIp: '10.0.0.1' }, log);
    await expect(quotas.identity({ ...user, clientIp: '10.0.0.1' }, log)).rejects.toMatchObject({
      code: 'quota_exceeded',
    });
    await receipt.refund(log);
    expect([...store.counts.values()].map((count) => count.used)).toEqual([0, 0]);
    await expect(quotas.identity({ ...user, clientIp: '10.0.0.1' }, log)).resolves.toBeDefined();
  });

  it('gives the per-user unit back when the per-IP quota refuses', async () => {
    const store = new InMemoryQuotaStore();
    const quotas = new Quotas(store, {
      identitiesPerUser: { count: 5, windowInSeconds: 60 },
      identitiesPerClientIp: { count: 1, windowInSeconds: 60 },
    });
    await quotas.identity({ ...user, userId: 'a', clientIp: '10.0.0.2' }, log);
    await expect(quotas.identity({ ...user, userId: 'b', clientIp: '10.0.0.2' }, log)).rejects.toMatchObject({
      code: 'quota_exceeded',
    });
    expect(store.counts.get(`i\u0000${user.issuer}\u0000b`)?.used).toBe(0);
  });

  it('lets the request through (logged) when the quota store cannot be reached', async () => {
    const store = new InMemoryQuotaStore();
    jest.spyOn(store, 'consume').mockRejectedValue(new Error('storage down'));
    const quotas = new Quotas(store, { tokensPerUser: { count: 1, windowInSeconds: 60 } });
    await expect(quotas.token(user, log)).resolves.toBeDefined();
    expect(log.warn).toHaveBeenCalledWith(expect.stringContaining('could not be counted'));
  });
});
