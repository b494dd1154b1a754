import { type AcsEmulator, startAcsEmulator } from '../../dev/acs-emulator';
import { SplitStack } from '../helpers/split-stack';

const euResourceId = '00000000-0000-4000-8000-0000000000e0';

/** Several ACS resources: users are routed by a claim, later calls follow the mapping, and throttling stays local. */
describe('several ACS resources', () => {
  let stack: SplitStack;
  let eu: AcsEmulator;

  beforeAll(async () => {
    stack = await SplitStack.start();
    eu = await startAcsEmulator({ port: 0, resourceId: euResourceId });
    const resources = [
      { name: 'eu', connectionString: eu.connectionString, claim: { name: 'ctry', values: ['DE', 'FR'] } },
    ];
    await stack.startHost({ ACS_RESOURCES: JSON.stringify(resources) });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    await eu?.stop();
  });

  const euStats = async () => (await (await fetch(`${eu.url}_emulator/stats`)).json()) as Record<string, number>;
  const euIdentities = async () => {
    const body = (await (await fetch(`${eu.url}_emulator/identities`)).json()) as
      { identities: Array<string | { id: string }> } | Array<string | { id: string }>;
    return (Array.isArray(body) ? body : body.identities).map((item) => (typeof item === 'string' ? item : item.id));
  };

  it('creates a user with a matching claim in that resource, and every later call goes there', async () => {
    const german = await stack.token('user-de', { claims: { ctry: 'DE' } });
    const other = await stack.token('user-us', { claims: { ctry: 'US' } });
    const de = (await (await stack.api('/api/tokens', { method: 'POST', token: german })).json()) as {
      communicationUserId: string;
      token: string;
    };
    const us = (await (await stack.api('/api/tokens', { method: 'POST', token: other })).json()) as {
      communicationUserId: string;
    };
    expect(de.communicationUserId).toContain(euResourceId);
    expect(us.communicationUserId).not.toContain(euResourceId);
    expect(await euIdentities()).toEqual([de.communicationUserId]);
    expect(await stack.liveIdentities()).toContain(us.communicationUserId);

    const before = await euStats();
    expect((await stack.api('/api/tokens/refresh', { method: 'POST', token: german })).status).toBe(200);
    expect((await stack.api('/api/identities/me/revoke', { method: 'POST', token: german })).status).toBe(204);
    const after = await euStats();
    expect([after['getToken'] - before['getToken'], after['revokeTokens'] - before['revokeTokens']]).toEqual([1, 1]);
    expect((await stack.api('/api/identities/me', { method: 'DELETE', token: german })).status).toBe(204);
    expect(await euIdentities()).toEqual([]);
  });

  it('one resource throttled leaves the users of the other at 200', async () => {
    const german = await stack.token('user-de-2', { claims: { ctry: 'FR' } });
    const other = await stack.token('user-us-2');
    expect((await stack.api('/api/tokens', { method: 'POST', token: german })).status).toBe(201);
    expect((await stack.api('/api/tokens', { method: 'POST', token: other })).status).toBe(201);
    await stack.acsControl('faults', { operation: 'getToken', status: 429, retryAfterSeconds: 30, count: 20 });
    const throttled = await stack.api('/api/tokens/refresh', { method: 'POST', token: other });
    expect(throttled.status).toBe(503);
    expect(throttled.headers.get('retry-after')).toBe('30');
    for (let i = 0; i < 5; i += 1)
      expect((await stack.api('/api/tokens/refresh', { method: 'POST', token: german })).status).toBe(200);
  });
});
