import { exchangeTeamsToken, issueToken, refreshToken } from '../../../src/handlers/tokens';
import { bodyOf, context, request, testServices } from '../../support/services';

describe('token handlers (in process)', () => {
  it('issueToken creates the identity with its first token (201), then issues (200)', async () => {
    const { services, acs } = testServices();
    const first = await issueToken(services)(request('POST', '/api/tokens', { token: 'user:alice' }), context());
    expect(first.status).toBe(201);
    expect(bodyOf(first)).toMatchObject({ scopes: ['chat', 'voip'] });
    const again = await issueToken(services)(
      request('POST', '/api/tokens', { token: 'user:alice', json: { scopes: ['chat'], expiresInMinutes: 60 } }),
      context(),
    );
    expect(again.status).toBe(200);
    expect(acs.getToken).toHaveBeenLastCalledWith(bodyOf(first)['communicationUserId'], ['chat'], 60);
  });

  it('answers 400 for an unknown scope or an expiry out of range, 403 for a scope the deployment does not allow', async () => {
    const { services } = testServices({ TOKEN_ALLOWED_SCOPES: 'chat,voip' });
    const call = (json: unknown) =>
      issueToken(services)(request('POST', '/api/tokens', { token: 'user:a', json }), context());
    expect((await call({ scopes: ['telepathy'] })).status).toBe(400);
    expect((await call({ expiresInMinutes: 59 })).status).toBe(400);
    const notAllowed = await call({ scopes: ['voip.join'] });
    expect(notAllowed.status).toBe(403);
    expect(bodyOf(notAllowed)['code']).toBe('scope_not_allowed');
  });

  it('refuses a token issued before an identity provider disabled the user (403 user_disabled)', async () => {
    const { services } = testServices();
    await services.identities.decide(
      { issuer: 'https://issuer.example.com', userId: 'eve' },
      { kind: 'disabled', at: new Date('2026-06-01T12:00:00Z'), source: 'okta', eventId: 'e' },
      { kind: 'caller' },
    );
    const old = await issueToken(services)(
      request('POST', '/api/tokens', { token: 'user:eve;iat=2026-06-01T11:00:00Z' }),
      context(),
    );
    expect(old.status).toBe(403);
    expect(bodyOf(old)['code']).toBe('user_disabled');
    expect(
      (
        await issueToken(services)(
          request('POST', '/api/tokens', { token: 'user:eve;iat=2026-06-01T12:00:05Z' }),
          context(),
        )
      ).status,
    ).toBe(201);
  });

  it('refreshToken answers 404 without an identity and never creates one', async () => {
    const { services, acs } = testServices();
    expect(
      (await refreshToken(services)(request('POST', '/api/tokens/refresh', { token: 'user:bob' }), context())).status,
    ).toBe(404);
    expect(acs.createUserAndToken).not.toHaveBeenCalled();
  });

  it("exchangeTeamsToken needs the caller's own Entra object id and is off without TEAMS_APP_ID", async () => {
    const { services } = testServices();
    const body = { teamsUserAadToken: 'x.y.z' };
    const response = await exchangeTeamsToken(services)(
      request('POST', '/api/tokens/teams', { token: 'user:a', json: body }),
      context(),
    );
    expect([400, 403]).toContain(response.status); // the fake token is not a JWT of the caller
    const off = testServices({ TEAMS_APP_ID: '' });
    expect(
      (
        await exchangeTeamsToken(off.services)(
          request('POST', '/api/tokens/teams', { token: 'user:a', json: body }),
          context(),
        )
      ).status,
    ).toBe(404);
  });
});
