import { resolveTokenRequest } from '../../../src/identity/token-policy';

const policy = { allowedScopes: ['chat', 'chat.join', 'voip'] as const, defaultScopes: ['chat', 'voip'] as const };

describe('resolveTokenRequest', () => {
  it('uses the default scopes when none are requested', () => {
    expect(
      resolveTokenRequest({}, { allowedScopes: [...policy.allowedScopes], defaultScopes: [...policy.defaultScopes] }),
    ).toEqual({ scopes: ['chat', 'voip'] });
  });

  it('keeps requested scopes and the lifetime', () => {
    expect(
      resolveTokenRequest(
        { scopes: ['chat.join'], expiresInMinutes: 60 },
        { allowedScopes: [...policy.allowedScopes], defaultScopes: [...policy.defaultScopes] },
      ),
    ).toEqual({
      scopes: ['chat.join'],
      expiresInMinutes: 60,
    });
  });

  it('answers 403 naming a known scope that this service does not allow', () => {
    expect(() =>
      resolveTokenRequest(
        { scopes: ['chat', 'voip.join'] },
        { allowedScopes: [...policy.allowedScopes], defaultScopes: [...policy.defaultScopes] },
      ),
    ).toThrow(
      expect.objectContaining({
        kind: 'forbidden',
        code: 'scope_not_allowed',
        detail: expect.stringContaining('voip.join'),
      }),
    );
  });
});
