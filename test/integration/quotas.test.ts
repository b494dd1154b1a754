import { SplitStack } from '../helpers/split-stack';
import { sleep } from '../helpers/wait';

const windowInSeconds = 10;
const limit = 5;

/** Per-caller quotas across two functions hosts sharing one Azurite and one ACS emulator. */
describe('per-caller quotas across instances', () => {
  let stack: SplitStack;
  const quotas = {
    QUOTA_TOKENS_PER_USER: `${limit}/${windowInSeconds}`,
    QUOTA_IDENTITIES_PER_USER: '2/3600',
    QUOTA_IDENTITIES_PER_CLIENT_IP: '1000/3600',
  };

  beforeAll(async () => {
    stack = await SplitStack.start();
    await stack.startHost(quotas);
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('a caller sending 10x the per-user limit through two instances gets no more ACS tokens than the limit; others are unaffected', async () => {
    const second = await stack.startAnotherHost(quotas);
    const first = { url: stack.hostUrl() } as typeof second;
    const abuser = await stack.token('quota-abuser');
    const neighbour = await stack.token('quota-neighbour');
    // Identities first (they count as token issues too), then wait for a fresh window so the run fits in one.
    expect((await stack.apiAt(first, '/api/identities', { method: 'POST', token: abuser })).status).toBe(201);
    expect((await stack.apiAt(first, '/api/identities', { method: 'POST', token: neighbour })).status).toBe(201);
    const windowMs = windowInSeconds * 1000;
    await sleep(windowMs - (Date.now() % windowMs) + 50);
    const windowEnd = Math.floor(Date.now() / windowMs) * windowMs + windowMs;

    const before = await stack.acsControl<Record<string, number>>('stats');
    const statuses: number[] = [];
    const retryAfter: string[] = [];
    const neighbourStatuses: number[] = [];
    const sent = limit * 10;
    const requests = Array.from({ length: sent }, async (_, i) => {
      await sleep(i * 60); // spread over about 3 s, well inside the window
      const response = await stack.apiAt(i % 2 === 0 ? first : second, '/api/tokens/refresh', {
        method: 'POST',
        token: abuser,
      });
      statuses.push(response.status);
      if (response.status === 429) {
        retryAfter.push(response.headers.get('retry-after') ?? '');
        expect(response.headers.get('ratelimit-policy')).toBe(`"tokens";q=${limit};w=${windowInSeconds}`);
        expect(response.headers.get('ratelimit')).toMatch(/^"tokens";r=0;t=\d+$/);
        expect(response.headers.get('content-type')).toBe('application/problem+json');
        expect(((await response.json()) as { code: string }).code).toBe('quota_exceeded');
      }
      if (i % 10 === 0)
        neighbourStatuses.push(
          (
            await stack.apiAt(i % 20 === 0 ? second : first, '/api/tokens/refresh', {
              method: 'POST',
              token: neighbour,
            })
          ).status,
        );
    });
    await Promise.all(requests);
    expect(Date.now()).toBeLessThan(windowEnd); // the whole run fell in one window

    const after = await stack.acsControl<Record<string, number>>('stats');
    expect(statuses.filter((status) => status === 200)).toHaveLength(limit);
    expect(statuses.filter((status) => status === 429)).toHaveLength(sent - limit);
    expect(retryAfter.every((value) => Number(value) >= 1 && Number(value) <= windowInSeconds)).toBe(true);
    expect(neighbourStatuses.every((status) => status === 200)).toBe(true);
    // ACS saw the abuser's allowed tokens and the neighbour's, nothing more.
    expect(after['getToken'] - before['getToken']).toBe(limit + neighbourStatuses.length);
  }, 60_000);

  it('limits identity creations per user (a delete does not reset the count), admin paths are not limited', async () => {
    const bearer = await stack.token('quota-recreate');
    expect((await stack.api('/api/tokens', { method: 'POST', token: bearer })).status).toBe(201);
    expect((await stack.api('/api/identities/me', { method: 'DELETE', token: bearer })).status).toBe(204);
    expect((await stack.api('/api/identities', { method: 'POST', token: bearer })).status).toBe(201);
    expect((await stack.api('/api/identities/me', { method: 'DELETE', token: bearer })).status).toBe(204);
    const third = await stack.api('/api/tokens', { method: 'POST', token: bearer });
    expect(third.status).toBe(429);
    expect(third.headers.get('ratelimit-policy')).toBe('"identities";q=2;w=3600');
    const admin = await stack.token('quota-ops', { admin: true });
    for (let i = 0; i < 10; i += 1)
      expect((await stack.api('/api/users/quota-recreate/audit', { token: admin })).status).toBe(200);
  }, 30_000);

  it('charges the identity quota for identities created, not attempts: 5 concurrent first requests under a quota of 3 all succeed', async () => {
    const host = await stack.startAnotherHost({
      ...quotas,
      QUOTA_TOKENS_PER_USER: 'off',
      QUOTA_IDENTITIES_PER_USER: '3/3600',
    });
    const bearer = await stack.token('quota-burst');
    const first = await Promise.all(
      Array.from({ length: 5 }, () => stack.apiAt(host, '/api/tokens', { method: 'POST', token: bearer })),
    );
    expect(first.map((response) => response.status).sort()).toEqual([200, 200, 200, 200, 201]);
    const statuses: number[] = [];
    let refusal: Response | undefined;
    for (let i = 0; i < 3; i += 1) {
      expect((await stack.apiAt(host, '/api/identities/me', { method: 'DELETE', token: bearer })).status).toBe(204);
      const response = await stack.apiAt(host, '/api/tokens', { method: 'POST', token: bearer });
      statuses.push(response.status);
      if (response.status === 429) refusal = response;
    }
    expect(statuses).toEqual([201, 201, 429]);
    expect(refusal?.headers.get('ratelimit-policy')).toBe('"identities";q=3;w=3600');
  }, 30_000);
});
