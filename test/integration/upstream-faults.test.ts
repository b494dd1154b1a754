import { startTestStack, type TestStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';

/** Upstream faults become 502/503 with Retry-After, and lose nothing: no orphan identity, no dangling mapping. */
describe('upstream faults', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack(
      { UPSTREAM_TIMEOUT_MS: '4000', RECONCILE_AFTER_SECONDS: '5' },
      { persistStorage: true },
    );
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const tokenFor = async (userId: string) => stack.token(userId);
  const problemOf = async (response: Response) => {
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    return (await response.json()) as { code: string; detail: string };
  };

  it('rides out short ACS throttling with the SDK retry policy (429 with Retry-After 1 s)', async () => {
    const token = await tokenFor('faults-short-429');
    await stack.acsFault({ operation: 'createUserAndToken', status: 429, count: 2, retryAfterSeconds: 1 });
    const before = await stack.acsStats();
    const response = await stack.api('/api/tokens', { method: 'POST', token });
    expect(response.status).toBe(201);
    const after = await stack.acsStats();
    expect(after['createUserAndToken'] - before['createUserAndToken']).toBe(3);
  });

  it('answers 503 with the upstream Retry-After when ACS throttles for longer than it is worth waiting', async () => {
    const token = await tokenFor('faults-long-429');
    await stack.acsFault({ operation: 'createUserAndToken', status: 429, count: 1, retryAfterSeconds: 30 });
    const started = Date.now();
    const response = await stack.api('/api/tokens', { method: 'POST', token });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('30');
    expect((await problemOf(response)).code).toBe('acs_throttled');
    // Nothing was created, so nothing is left behind.
    expect((await stack.api('/api/identities/me', { token })).status).toBe(404);
  });

  it('answers 502 when ACS keeps failing with 500, without leaking the upstream message', async () => {
    const token = await tokenFor('faults-500');
    expect((await stack.api('/api/tokens', { method: 'POST', token })).status).toBe(201);
    await stack.acsFault({ operation: 'getToken', status: 500, count: 10 });
    const response = await stack.api('/api/tokens/refresh', { method: 'POST', token });
    expect(response.status).toBe(502);
    const body = await problemOf(response);
    expect(body.code).toBe('acs_failed');
    await fetch(`${stack.acsUrl}_emulator/faults`, { method: 'DELETE' }).catch(() => undefined);
  });

  it('answers 503 when ACS does not answer in time (bounded, never hangs); the reconciler deletes what ACS created later', async () => {
    const token = await tokenFor('faults-slow');
    const identitiesBefore = new Set(await stack.acsIdentities());
    await stack.acsFault({ operation: 'createUserAndToken', status: 0, count: 1, delayMs: 6000 });
    const started = Date.now();
    const response = await stack.api('/api/tokens', { method: 'POST', token });
    expect(Date.now() - started).toBeLessThan(5500);
    expect(response.status).toBe(503);
    expect((await problemOf(response)).code).toBe('acs_timeout');
    expect(response.headers.get('retry-after')).toMatch(/^\d+$/);

    // ACS finishes the create after the service gave up: an identity nobody was told about. Its create intent stays
    // (the create carried a customId), so the reconciler finds it again and deletes it.
    const created = await waitFor(
      'ACS to finish the slow create',
      async () => {
        const added = (await stack.acsIdentities()).filter((id) => !identitiesBefore.has(id));
        return added.length > 0 ? added : undefined;
      },
      10_000,
    );
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + 5200 - Date.now())));
    const reconciled = await fetch(`${stack.functionsUrl}/admin/functions/reconcileIdentities`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(reconciled.status).toBe(202);
    const live = await stack.acsIdentities();
    expect(created.filter((id) => live.includes(id))).toEqual([]);
  }, 30_000);

  it('answers 503 with Retry-After while storage is down, and recovers when it is back', async () => {
    const token = await tokenFor('faults-storage');
    const identitiesBefore = new Set(await stack.acsIdentities());
    await stack.control('storage:stop');
    try {
      const response = await stack.api('/api/tokens', { method: 'POST', token });
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
      expect((await problemOf(response)).code).toMatch(/^storage_/);
    } finally {
      await stack.control('storage:start');
    }
    // No ACS identity was created for a request that could not be recorded.
    expect((await stack.acsIdentities()).filter((id) => !identitiesBefore.has(id))).toEqual([]);
    const recovered = await stack.api('/api/tokens', { method: 'POST', token });
    expect(recovered.status).toBe(201);
  });

  it('deletes the new ACS identity again when its mapping cannot be written (no orphan)', async () => {
    const token = await tokenFor('faults-orphan');
    const identitiesBefore = new Set(await stack.acsIdentities());
    const before = await stack.acsStats();
    // ACS takes 2 s to create the identity; storage goes down meanwhile, so the mapping write fails.
    await stack.acsFault({ operation: 'createUserAndToken', status: 0, count: 1, delayMs: 2000 });
    const pending = stack.api('/api/tokens', { method: 'POST', token });
    await new Promise((resolve) => setTimeout(resolve, 700));
    await stack.control('storage:stop');
    let response: Response;
    try {
      response = await pending;
    } finally {
      await stack.control('storage:start');
    }
    expect(response.status).toBe(503);
    const after = await stack.acsStats();
    expect(after['createUserAndToken'] - before['createUserAndToken']).toBe(1);
    expect(after['deleteUser'] - before['deleteUser']).toBe(1);
    const left = (await stack.acsIdentities()).filter((id) => !identitiesBefore.has(id));
    if (left.length > 0)
      throw new Error(`orphan ${left.join(', ')}; stack output:\n${stack.output().split('\n').slice(-40).join('\n')}`);
  });

  it('never destroys a mapping on an ambiguous ACS 401 during delete, and a retry completes it', async () => {
    const token = await tokenFor('faults-401');
    const created = (await (await stack.api('/api/tokens', { method: 'POST', token })).json()) as {
      communicationUserId: string;
    };
    // ACS answers 401 to the delete and to the credential probe: the service cannot tell, so the mapping stays.
    // A third 401 hits the retry's first delete attempt: the probe then works and the repeated delete succeeds.
    await stack.acsFault({ status: 401, count: 3 });
    const response = await stack.api('/api/identities/me', { method: 'DELETE', token });
    expect(response.status).toBe(502);
    expect((await problemOf(response)).code).toBe('acs_rejected');
    expect(await stack.acsIdentities()).toContain(created.communicationUserId);

    // While the delete is unfinished, tokens are refused with a clear conflict rather than minted.
    const meanwhile = await stack.api('/api/tokens/refresh', { method: 'POST', token });
    expect(meanwhile.status).toBe(409);
    expect((await problemOf(meanwhile)).code).toBe('deletion_in_progress');

    expect((await stack.api('/api/identities/me', { method: 'DELETE', token })).status).toBe(204);
    expect(await stack.acsIdentities()).not.toContain(created.communicationUserId);
    expect((await stack.api('/api/identities/me', { token })).status).toBe(404);
  });

  it('finishes a delete whose ACS part already happened (interrupted earlier)', async () => {
    const token = await tokenFor('faults-interrupted');
    const created = (await (await stack.api('/api/tokens', { method: 'POST', token })).json()) as {
      communicationUserId: string;
    };
    // Simulate an earlier attempt that deleted the ACS identity but died before removing the mapping.
    await stack.acsClient().deleteUser({ communicationUserId: created.communicationUserId });
    const response = await stack.api('/api/identities/me', { method: 'DELETE', token });
    expect(response.status).toBe(204);
    expect((await stack.api('/api/identities/me', { token })).status).toBe(404);
  });
});
