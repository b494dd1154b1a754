import { AppServiceAuthenticator } from '../../../src/auth/appservice-authenticator';
import type { AuthConfig } from '../../../src/config/config';

const config: AuthConfig = {
  mode: 'appservice',
  issuers: ['https://login.microsoftonline.com/t/v2.0'],
  audiences: [],
  algorithms: ['RS256'],
  userIdClaims: ['oid', 'sub'],
  clockSkewInSeconds: 60,
  adminRole: 'Identity.Admin',
  adminRoleClaim: 'roles',
};
const principalHeader = (claims: Array<{ typ: string; val: string }>) =>
  new Headers({
    'x-ms-client-principal': Buffer.from(JSON.stringify({ auth_typ: 'aad', claims, role_typ: 'roles' })).toString(
      'base64',
    ),
  });

describe('AppServiceAuthenticator', () => {
  it('reads the caller from x-ms-client-principal, with long claim names', async () => {
    const principal = await new AppServiceAuthenticator(config).authenticate(
      principalHeader([
        { typ: 'iss', val: 'https://login.microsoftonline.com/t/v2.0' },
        { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: 'oid-1' },
        { typ: 'roles', val: 'Identity.Admin' },
      ]),
    );
    expect(principal).toMatchObject({
      issuer: 'https://login.microsoftonline.com/t/v2.0',
      userId: 'oid-1',
      roles: ['Identity.Admin'],
      objectId: 'oid-1',
    });
  });

  it('refuses a missing or malformed principal, and an untrusted issuer', async () => {
    const authenticator = new AppServiceAuthenticator(config);
    await expect(authenticator.authenticate(new Headers())).rejects.toMatchObject({ kind: 'unauthenticated' });
    await expect(authenticator.authenticate(new Headers({ 'x-ms-client-principal': '%%%' }))).rejects.toMatchObject({
      kind: 'unauthenticated',
    });
    await expect(
      authenticator.authenticate(
        principalHeader([
          { typ: 'iss', val: 'https://evil.example.com' },
          { typ: 'oid', val: 'x' },
        ]),
      ),
    ).rejects.toMatchObject({ kind: 'unauthenticated' });
  });
});
