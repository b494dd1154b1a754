import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { exportJWK, generateKeyPair, type KeyLike, SignJWT } from 'jose';

import { JwtAuthenticator } from '../../../src/auth/jwt-authenticator';
import type { AuthConfig } from '../../../src/config/config';

/** The verification rules, against a real JWKS endpoint on loopback (the OIDC discovery path is covered in test/integration/auth.test.ts). */
describe('JwtAuthenticator', () => {
  let server: Server;
  let jwksUri: string;
  let privateKey: KeyLike;
  let jwksRequests = 0;
  const issuer = 'https://issuer.example.com/tenant/v2.0';

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    server = createServer((_req, res) => {
      jwksRequests += 1;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/keys`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const config = (overrides: Partial<AuthConfig> = {}): AuthConfig => ({
    mode: 'jwt',
    issuers: [issuer],
    audiences: ['api://svc'],
    jwksUri,
    algorithms: ['RS256'],
    userIdClaims: ['oid', 'sub'],
    clockSkewInSeconds: 60,
    adminRole: 'Identity.Admin',
    adminRoleClaim: 'roles',
    ...overrides,
  });
  const sign = (claims: Record<string, unknown>) =>
    new SignJWT({ iss: issuer, aud: 'api://svc', sub: 'sub-1', ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(privateKey);
  const headers = (token: string) => new Headers({ authorization: `Bearer ${token}` });

  it('prefers oid over sub as the user id, and reads roles, scopes and tenant', async () => {
    const principal = await new JwtAuthenticator(config()).authenticate(
      headers(await sign({ oid: 'oid-1', tid: 't-1', roles: ['Identity.Admin'], scp: 'access_as_user other' })),
    );
    expect(principal).toEqual({
      issuer,
      userId: 'oid-1',
      roles: ['Identity.Admin'],
      scopes: ['access_as_user', 'other'],
      objectId: 'oid-1',
      tenantId: 't-1',
      issuedAt: expect.any(Date),
      attributes: expect.objectContaining({ oid: 'oid-1', iss: issuer }),
    });
  });

  it('falls back to sub, and refuses a token with none of the claims', async () => {
    expect((await new JwtAuthenticator(config()).authenticate(headers(await sign({})))).userId).toBe('sub-1');
    await expect(
      new JwtAuthenticator(config({ userIdClaims: ['oid'] })).authenticate(headers(await sign({}))),
    ).rejects.toMatchObject({ kind: 'unauthenticated' });
  });

  it('enforces the optional required scope and role with 403', async () => {
    const withScope = new JwtAuthenticator(config({ requiredScope: 'access_as_user' }));
    await expect(withScope.authenticate(headers(await sign({ scp: 'other' })))).rejects.toMatchObject({
      kind: 'forbidden',
      code: 'missing_scope',
    });
    await expect(withScope.authenticate(headers(await sign({ scp: 'access_as_user' })))).resolves.toBeDefined();
    const withRole = new JwtAuthenticator(config({ requiredRole: 'App.User' }));
    await expect(withRole.authenticate(headers(await sign({ roles: ['Other'] })))).rejects.toMatchObject({
      kind: 'forbidden',
      code: 'missing_role',
    });
  });

  it('allows bounded clock skew only', async () => {
    const past = (seconds: number) =>
      new SignJWT({ iss: issuer, aud: 'api://svc', sub: 's' })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setExpirationTime(Math.floor(Date.now() / 1000) - seconds)
        .sign(privateKey);
    await expect(new JwtAuthenticator(config()).authenticate(headers(await past(30)))).resolves.toBeDefined();
    await expect(new JwtAuthenticator(config()).authenticate(headers(await past(120)))).rejects.toMatchObject({
      kind: 'unauthenticated',
    });
  });

  it('fetches the JWKS once per process, not per request', async () => {
    const authenticator = new JwtAuthenticator(config());
    const before = jwksRequests;
    for (let i = 0; i < 5; i += 1) await authenticator.authenticate(headers(await sign({})));
    expect(jwksRequests - before).toBe(1);
  });

  it('remembers a verified token until it expires (skew included), never longer', async () => {
    const authenticator = new JwtAuthenticator(config());
    const exp = Math.floor(Date.now() / 1000) + 5;
    const token = await new SignJWT({ iss: issuer, aud: 'api://svc', sub: 'cached' })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setExpirationTime(exp)
      .sign(privateKey);
    const first = await authenticator.authenticate(headers(token));
    expect(await authenticator.authenticate(headers(token))).toBe(first); // the remembered principal, frozen
    expect(Object.isFrozen(first)).toBe(true);
    // Only the clock moves (past exp plus the 60 s skew); timers stay real for the HTTP stack.
    jest.useFakeTimers({
      now: (exp + 61) * 1000,
      doNotFake: [
        'nextTick',
        'setImmediate',
        'setTimeout',
        'clearTimeout',
        'setInterval',
        'clearInterval',
        'queueMicrotask',
        'hrtime',
        'performance',
      ],
    });
    try {
      await expect(authenticator.authenticate(headers(token))).rejects.toMatchObject({
        kind: 'unauthenticated',
        detail: 'The token has expired.',
      });
    } finally {
      jest.useRealTimers();
    }
  });

  it('does not remember a token that failed verification', async () => {
    const authenticator = new JwtAuthenticator(config());
    const token = await sign({ aud: 'api://other' });
    await expect(authenticator.authenticate(headers(token))).rejects.toMatchObject({ kind: 'unauthenticated' });
    await expect(authenticator.authenticate(headers(token))).rejects.toMatchObject({ kind: 'unauthenticated' });
  });
});
