import { startTestStack, type TestStack } from '../helpers/stack';

/** The whole lifecycle through the local functions host, the real SDK against the ACS emulator, and Azurite. */
describe('identity lifecycle API', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const problem = async (response: Response) => {
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    return (await response.json()) as { status: number; code: string; title: string; detail?: string };
  };

  it('serves GET /api/health anonymously', async () => {
    const response = await stack.api('/api/health');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok' });
  });

  it('when a new user asks for a token, then the identity is created in the same ACS call and the token verifies', async () => {
    const token = await stack.token('lifecycle-alice');
    const before = await stack.acsStats();
    const response = await stack.api('/api/tokens', { method: 'POST', token });
    expect(response.status).toBe(201);
    expect(response.headers.get('cache-control')).toContain('no-store');
    const body = (await response.json()) as {
      communicationUserId: string;
      token: string;
      expiresOn: string;
      scopes: string[];
    };
    expect(body.communicationUserId).toMatch(/^8:acs:[0-9a-f-]+_[0-9a-f-]+$/);
    expect(body.scopes).toEqual(['chat', 'voip']);
    expect(new Date(body.expiresOn).getTime()).toBeGreaterThan(Date.now() + 23 * 3600_000);
    const verdict = await stack.verifyAcsToken(body.token);
    expect(verdict).toMatchObject({ valid: true, communicationUserId: body.communicationUserId });
    expect(verdict.scopes?.sort()).toEqual(['chat', 'voip']);
    const after = await stack.acsStats();
    expect(after['createUserAndToken'] - before['createUserAndToken']).toBe(1);
    expect(after['createUser']).toBe(before['createUser']);
    expect(after['getToken']).toBe(before['getToken']);
  });

  it('walks create -> get -> token -> refresh -> revoke -> delete, and each step has its effect', async () => {
    const token = await stack.token('lifecycle-bob');

    const created = await stack.api('/api/identities', { method: 'POST', token });
    expect(created.status).toBe(201);
    const { communicationUserId } = (await created.json()) as { communicationUserId: string };

    const again = await stack.api('/api/identities', { method: 'POST', token });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { communicationUserId: string }).communicationUserId).toBe(communicationUserId);

    const me = await stack.api('/api/identities/me', { token });
    expect(me.status).toBe(200);
    const meBody = (await me.json()) as { communicationUserId: string; createdOn: string };
    expect(meBody.communicationUserId).toBe(communicationUserId);
    expect(Date.parse(meBody.createdOn)).toBeGreaterThan(Date.now() - 60_000);

    const issued = await stack.api('/api/tokens', {
      method: 'POST',
      token,
      json: { scopes: ['chat.join'], expiresInMinutes: 60 },
    });
    expect(issued.status).toBe(200);
    const first = (await issued.json()) as {
      communicationUserId: string;
      token: string;
      expiresOn: string;
      scopes: string[];
    };
    expect(first).toMatchObject({ communicationUserId, scopes: ['chat.join'] });
    const lifetime = Date.parse(first.expiresOn) - Date.now();
    expect(lifetime).toBeGreaterThan(58 * 60_000);
    expect(lifetime).toBeLessThan(61 * 60_000);

    const refreshed = await stack.api('/api/tokens/refresh', { method: 'POST', token, json: {} });
    expect(refreshed.status).toBe(200);
    const second = (await refreshed.json()) as { token: string; communicationUserId: string };
    expect(second.communicationUserId).toBe(communicationUserId);
    expect((await stack.verifyAcsToken(second.token)).valid).toBe(true);

    const revoked = await stack.api('/api/identities/me/revoke', { method: 'POST', token });
    expect(revoked.status).toBe(204);
    expect(await stack.verifyAcsToken(first.token)).toMatchObject({ valid: false });
    expect(await stack.verifyAcsToken(second.token)).toMatchObject({ valid: false });

    const afterRevoke = (await (await stack.api('/api/tokens/refresh', { method: 'POST', token })).json()) as {
      token: string;
    };
    expect((await stack.verifyAcsToken(afterRevoke.token)).valid).toBe(true);

    const deleted = await stack.api('/api/identities/me', { method: 'DELETE', token });
    expect(deleted.status).toBe(204);
    expect((await stack.verifyAcsToken(afterRevoke.token)).valid).toBe(false);
    expect(await stack.acsIdentities()).not.toContain(communicationUserId);
    const gone = await stack.api('/api/identities/me', { token });
    expect(gone.status).toBe(404);
    expect((await problem(gone)).code).toBe('identity_not_found');

    const mappings = [];
    for await (const entity of stack
      .table('IdentityMappings')
      .listEntities<{ communicationUserId?: string; rowKey?: string; state?: string }>()) {
      if (entity.communicationUserId === communicationUserId && entity.rowKey === 'identity')
        mappings.push(entity.state);
    }
    // The row stays as a tombstone, so that every later write to it can carry an ETag condition.
    expect(mappings).toEqual(['deleted']);

    expect((await stack.api('/api/identities/me', { method: 'DELETE', token })).status).toBe(204);
  });

  it('refresh never creates an identity: 404 for a user without one', async () => {
    const token = await stack.token('lifecycle-nobody');
    const before = await stack.acsStats();
    const response = await stack.api('/api/tokens/refresh', { method: 'POST', token });
    expect(response.status).toBe(404);
    expect((await problem(response)).code).toBe('identity_not_found');
    expect((await stack.api('/api/identities/me/revoke', { method: 'POST', token })).status).toBe(404);
    expect((await stack.api('/api/identities/me', { method: 'DELETE', token })).status).toBe(204);
    const after = await stack.acsStats();
    expect(after['createUser']).toBe(before['createUser']);
    expect(after['createUserAndToken']).toBe(before['createUserAndToken']);
  });

  it('a token for an existing identity costs exactly one ACS call', async () => {
    const token = await stack.token('lifecycle-cost');
    expect((await stack.api('/api/tokens', { method: 'POST', token })).status).toBe(201);
    const before = await stack.acsStats();
    expect((await stack.api('/api/tokens', { method: 'POST', token })).status).toBe(200);
    expect((await stack.api('/api/tokens/refresh', { method: 'POST', token })).status).toBe(200);
    const after = await stack.acsStats();
    const calls = (stats: Record<string, number>) =>
      Object.entries(stats)
        .filter(([name]) => name !== 'identities')
        .reduce((sum, [, count]) => sum + count, 0);
    expect(calls(after) - calls(before)).toBe(2);
    expect(after['getToken'] - before['getToken']).toBe(2);
  });

  it('keys work for any issuer user id: reserved characters, control characters and 1 KB ids', async () => {
    for (const userId of ['a/b\\c#d?e', 'tab\there\u0001ctl', 'x'.repeat(1024), 'ünïcødé 用户']) {
      const token = await stack.token(userId);
      const created = await stack.api('/api/tokens', { method: 'POST', token });
      expect(created.status).toBe(201);
      const { communicationUserId } = (await created.json()) as { communicationUserId: string };
      const me = await stack.api('/api/identities/me', { token });
      expect(((await me.json()) as { communicationUserId: string }).communicationUserId).toBe(communicationUserId);
      expect((await stack.api('/api/identities/me', { method: 'DELETE', token })).status).toBe(204);
    }
  });

  it('20 simultaneous first requests for one user end with one identity and one mapping', async () => {
    const token = await stack.token('lifecycle-race');
    const before = await stack.acsStats();
    const identitiesBefore = new Set(await stack.acsIdentities());
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => stack.api('/api/tokens', { method: 'POST', token })),
    );
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as Array<{
      communicationUserId: string;
      token: string;
    }>;
    expect(responses.map((r) => r.status).sort()).toEqual([...Array(19).fill(200), 201]);
    const ids = new Set(bodies.map((b) => b.communicationUserId));
    expect(ids.size).toBe(1);
    const [winner] = [...ids];
    for (const body of bodies) expect((await stack.verifyAcsToken(body.token)).valid).toBe(true);

    const newIdentities = (await stack.acsIdentities()).filter((id) => !identitiesBefore.has(id));
    expect(newIdentities).toEqual([winner]);
    const after = await stack.acsStats();
    const created = after['createUserAndToken'] - before['createUserAndToken'];
    expect(after['deleteUser'] - before['deleteUser']).toBe(created - 1);

    const mappingRows = [];
    const intents = [];
    for await (const entity of stack
      .table('IdentityMappings')
      .listEntities<{ userId?: string; rowKey?: string; communicationUserId?: string }>()) {
      if (entity.userId === 'lifecycle-race' && entity.rowKey === 'identity') mappingRows.push(entity);
      if (entity.userId === 'lifecycle-race' && entity.partitionKey === 'intents') intents.push(entity);
    }
    // One mapping, pointing at the winner; every create intent finished (the losers' identities were deleted).
    expect(mappingRows.map((row) => row.communicationUserId)).toEqual([winner]);
    expect(intents).toEqual([]);
  });

  it('never logs tokens, JWTs or keys', () => {
    const output = stack.output();
    expect(output).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
    expect(output).not.toMatch(/accesskey=|AccountKey=/i);
    expect(output).toContain('Executed'); // the host's own log lines are captured
  });
});
