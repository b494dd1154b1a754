import { adminUserPath as userPath, startTestStack, type TestStack } from '../helpers/stack';

/** Operators with the admin role look up, revoke and delete any user of their issuer; every change is audited. */
describe('admin operations and audit trail', () => {
  let stack: TestStack;
  let admin: string;
  beforeAll(async () => {
    stack = await startTestStack();
    admin = await stack.token('operator-1', { admin: true });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('refuses callers without the admin role with 403, and anonymous callers with 401', async () => {
    const user = await stack.token('plain-user');
    for (const [method, suffix] of [
      ['GET', ''],
      ['POST', '/revoke'],
      ['DELETE', ''],
      ['GET', '/audit'],
    ] as const) {
      const response = await stack.api(userPath('someone', suffix), { method, token: user });
      expect(response.status).toBe(403);
      expect(((await response.json()) as { code: string }).code).toBe('admin_role_required');
      expect((await stack.api(userPath('someone', suffix), { method })).status).toBe(401);
    }
  });

  it('looks up, revokes and deletes a user, and the audit trail tells who did what', async () => {
    const userId = 'support/case#42';
    const bearer = await stack.token(userId);
    const issued = (await (await stack.api('/api/tokens', { method: 'POST', token: bearer })).json()) as {
      communicationUserId: string;
      token: string;
    };

    const lookup = await stack.api(userPath(userId), { token: admin });
    expect(lookup.status).toBe(200);
    expect(await lookup.json()).toMatchObject({
      issuer: stack.issuerUrl,
      userId,
      communicationUserId: issued.communicationUserId,
      state: 'active',
    });

    expect((await stack.api(userPath(userId, '/revoke'), { method: 'POST', token: admin })).status).toBe(204);
    expect((await stack.verifyAcsToken(issued.token)).valid).toBe(false);
    const afterRevoke = (await (await stack.api(userPath(userId), { token: admin })).json()) as { revokedAt?: string };
    expect(Date.parse(afterRevoke.revokedAt ?? '')).toBeGreaterThan(Date.now() - 60_000);

    expect((await stack.api(userPath(userId), { method: 'DELETE', token: admin })).status).toBe(204);
    expect(await stack.acsIdentities()).not.toContain(issued.communicationUserId);
    expect((await stack.api(userPath(userId), { token: admin })).status).toBe(404);
    expect((await stack.api('/api/identities/me', { token: bearer })).status).toBe(404);

    const audit = await stack.api(userPath(userId, '/audit'), { token: admin });
    expect(audit.status).toBe(200);
    const { entries } = (await audit.json()) as {
      entries: Array<{ action: string; cause: string; actor?: string; communicationUserId: string; at: string }>;
    };
    expect(entries.map((entry) => [entry.action, entry.cause, entry.actor])).toEqual([
      ['deleted', 'admin', 'operator-1'],
      ['tokens_revoked', 'admin', 'operator-1'],
      ['created', 'caller', undefined],
    ]);
    expect(entries.every((entry) => entry.communicationUserId === issued.communicationUserId)).toBe(true);
    expect(JSON.stringify(entries)).not.toContain(issued.token);
  });

  it('answers 404 for a user without an identity and 204 for deleting one', async () => {
    expect((await stack.api(userPath('nobody-here'), { token: admin })).status).toBe(404);
    expect((await stack.api(userPath('nobody-here', '/revoke'), { method: 'POST', token: admin })).status).toBe(404);
    expect((await stack.api(userPath('nobody-here'), { method: 'DELETE', token: admin })).status).toBe(204);
    const audit = (await (await stack.api(userPath('nobody-here', '/audit'), { token: admin })).json()) as {
      entries: unknown[];
    };
    expect(audit.entries).toEqual([]);
  });
});
