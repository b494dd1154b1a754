import {
  adminDeleteUser,
  adminEnableUser,
  adminGetAudit,
  adminGetUser,
  adminRevokeUser,
} from '../../../src/handlers/admin';
import { issueToken } from '../../../src/handlers/tokens';
import { bodyOf, context, request, testServices } from '../../support/services';

describe('admin handlers (in process)', () => {
  const withUser = async (userId: string) => {
    const setup = testServices();
    const created = await issueToken(setup.services)(
      request('POST', '/api/tokens', { token: `user:${encodeURIComponent(userId)}` }),
      context(),
    );
    expect(created.status).toBe(201);
    return setup;
  };

  it('requires the admin role (403 admin_role_required)', async () => {
    const { services } = await withUser('alice');
    const response = await adminGetUser(services)(
      request('GET', '/api/users/alice', { token: 'user:alice' }),
      context(),
    );
    expect(response.status).toBe(403);
    expect(bodyOf(response)['code']).toBe('admin_role_required');
  });

  it.each([
    ['slash/user', 'slash%2Fuser'],
    ['literal%2Fuser', 'literal%252Fuser'],
    ['ünï ✓', encodeURIComponent('ünï ✓')],
  ])('reads user id %s from the path segment %s, decoded once', async (userId, segment) => {
    const { services } = await withUser(userId);
    const response = await adminGetUser(services)(
      request('GET', `/api/users/${segment}`, { token: 'admin:ops' }),
      context(),
    );
    expect(response.status).toBe(200);
    expect(bodyOf(response)).toMatchObject({ userId, state: 'active' });
  });

  it('answers 400 for a path segment that is not valid percent-encoding', async () => {
    const { services } = testServices();
    expect(
      (await adminGetUser(services)(request('GET', '/api/users/bad%ZZ', { token: 'admin:ops' }), context())).status,
    ).toBe(400);
  });

  it('revokes, enables, deletes and lists the audit trail', async () => {
    const { services, acs, live } = await withUser('bob');
    const call = (handler: typeof adminRevokeUser, method: string, path: string) =>
      handler(services)(request(method, path, { token: 'admin:ops' }), context());
    expect((await call(adminRevokeUser, 'POST', '/api/users/bob/revoke')).status).toBe(204);
    expect(acs.revokeTokens).toHaveBeenCalledTimes(1);
    expect((await call(adminEnableUser, 'POST', '/api/users/bob/enable')).status).toBe(204);
    expect((await call(adminDeleteUser, 'DELETE', '/api/users/bob')).status).toBe(204);
    expect(live.size).toBe(0);
    const audit = await call(adminGetAudit, 'GET', '/api/users/bob/audit');
    expect(
      (bodyOf(audit)['entries'] as Array<{ action: string; cause: string; actor?: string }>).map(
        (entry) => `${entry.action}/${entry.cause}/${entry.actor ?? ''}`,
      ),
    ).toEqual(['deleted/admin/ops', 'access_restored/admin/ops', 'tokens_revoked/admin/ops', 'created/caller/']);
  });
});
