import {
  adminDeleteUser,
  adminEnableUser,
  adminGetAudit,
  adminGetUser,
  adminRevokeUser,
} from '../../../src/handlers/admin';
import { issueToken } from '../../../src/handlers/tokens';
import { bodyOf, context, request, routedRequest, testServices } from '../../support/services';

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
      routedRequest('GET', 'users/{userId}', '/api/users/alice', { token: 'user:alice' }),
      context(),
    );
    expect(response.status).toBe(403);
    expect(bodyOf(response)['code']).toBe('admin_role_required');
  });

  // Each request is what the real host hands the app for the target sent (dev/host/request-target).
  it.each([
    ['ünï ✓', `/api/users/${encodeURIComponent('ünï ✓')}`],
    ['a?b#c', `/api/users/${encodeURIComponent('a?b#c')}`],
    ['auth0|42', '/api/users/auth0%7C42'],
    ['-', '/api/users/-'],
    ['slash/user', '/api/users/-?userId=slash%2Fuser'],
    ['literal%2Fuser', '/api/users/-?userId=literal%252Fuser'],
    ['%41', '/api/users/-?userId=%2541'],
    ['a+b c', '/api/users/-?userId=a%2Bb+c'],
    ['é', '/api/users/-?userId=%C3%A9'],
  ])('reaches user %s through %s', async (userId, target) => {
    const { services } = await withUser(userId);
    const response = await adminGetUser(services)(
      routedRequest('GET', 'users/{userId}', target, { token: 'admin:ops' }),
      context(),
    );
    expect(response.status).toBe(200);
    expect(bodyOf(response)).toMatchObject({ userId, state: 'active' });
  });

  it.each([
    // The host hands the app `slash%2Fuser` for both; which user is meant cannot be known.
    ['/api/users/slash%2Fuser', 'user_id_needs_query'],
    ['/api/users/literal%252Fuser', 'user_id_needs_query'],
    ['/api/users/%2541', 'user_id_needs_query'],
    ['/api/users/bad%ZZ', 'user_id_needs_query'],
    ['/api/users/bob?userId=alice', 'invalid_user_id'],
    ['/api/users/-?userId=', 'invalid_user_id'],
  ])('answers 400 to %s (%s) rather than guess the user', async (target, code) => {
    const { services } = await withUser('slash/user');
    const response = await adminGetUser(services)(
      routedRequest('GET', 'users/{userId}', target, { token: 'admin:ops' }),
      context(),
    );
    expect(response.status).toBe(400);
    expect(bodyOf(response)['code']).toBe(code);
  });

  it('revokes, enables, deletes and lists the audit trail', async () => {
    const { services, acs, live } = await withUser('bob');
    const call = (handler: typeof adminRevokeUser, method: string, template: string, path: string) =>
      handler(services)(routedRequest(method, template, path, { token: 'admin:ops' }), context());
    expect((await call(adminRevokeUser, 'POST', 'users/{userId}/revoke', '/api/users/bob/revoke')).status).toBe(204);
    expect(acs.revokeTokens).toHaveBeenCalledTimes(1);
    expect(
      (await call(adminEnableUser, 'POST', 'users/{userId}/enable', '/api/users/-/enable?userId=bob')).status,
    ).toBe(204);
    expect((await call(adminDeleteUser, 'DELETE', 'users/{userId}', '/api/users/bob')).status).toBe(204);
    expect(live.size).toBe(0);
    const audit = await call(adminGetAudit, 'GET', 'users/{userId}/audit', '/api/users/-/audit?userId=bob');
    expect(
      (bodyOf(audit)['entries'] as Array<{ action: string; cause: string; actor?: string }>).map(
        (entry) => `${entry.action}/${entry.cause}/${entry.actor ?? ''}`,
      ),
    ).toEqual(['deleted/admin/ops', 'access_restored/admin/ops', 'tokens_revoked/admin/ops', 'created/caller/']);
  });
});
