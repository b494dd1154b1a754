import { exportJWK, generateKeyPair, SignJWT } from 'jose';

import { devAudience } from '../../dev/oidc/issuer';
import { startTestStack, type TestStack } from '../helpers/stack';

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Caller authentication runs the real OIDC path: discovery, JWKS, signature, issuer, audience, lifetime. */
describe('caller authentication', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const expectUnauthorized = async (response: Response) => {
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_(token|request)"/);
    const body = (await response.json()) as { code: string; detail: string };
    expect(body.code).toBe('unauthenticated');
    return body;
  };
  const claims = (overrides: Record<string, unknown> = {}) => ({
    iss: stack.issuerUrl,
    aud: devAudience,
    sub: 'auth-user',
    iat: Math.floor(Date.now() / 1000),
    exp: Math.floor(Date.now() / 1000) + 600,
    ...overrides,
  });

  it('refuses a request without a token', async () => {
    await expectUnauthorized(await stack.api('/api/identities/me'));
    await expectUnauthorized(
      await stack.api('/api/tokens', { method: 'POST', headers: { authorization: 'Basic abc' } }),
    );
  });

  it('accepts a token from the configured issuer', async () => {
    const response = await stack.api('/api/identities/me', { token: await stack.token('auth-user') });
    expect(response.status).toBe(404);
  });

  it('refuses an expired token', async () => {
    const body = await expectUnauthorized(
      await stack.api('/api/identities/me', { token: await stack.token('auth-user', { expiresInSeconds: -120 }) }),
    );
    expect(body.detail).toMatch(/expired/);
  });

  it('refuses a token for another audience', async () => {
    const body = await expectUnauthorized(
      await stack.api('/api/identities/me', {
        token: await stack.token('auth-user', { audience: 'api://someone-else' }),
      }),
    );
    expect(body.detail).toMatch(/aud/);
  });

  it('refuses a token signed by a key the issuer does not publish (forged)', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const kid = (await exportJWK(publicKey)).n!.slice(0, 8);
    const forged = await new SignJWT(claims()).setProtectedHeader({ alg: 'RS256', kid }).sign(privateKey);
    await expectUnauthorized(await stack.api('/api/identities/me', { token: forged }));
  });

  it('refuses a token whose payload was tampered with after signing', async () => {
    const genuine = await stack.token('auth-user');
    const [header, , signature] = genuine.split('.');
    const tampered = `${header}.${b64url(claims({ sub: 'someone-else' }))}.${signature}`;
    await expectUnauthorized(await stack.api('/api/identities/me', { token: tampered }));
  });

  it('refuses a token from an issuer that is not trusted', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const token = await new SignJWT(claims({ iss: 'https://evil.example.com' }))
      .setProtectedHeader({ alg: 'RS256' })
      .sign(privateKey);
    const body = await expectUnauthorized(await stack.api('/api/identities/me', { token }));
    expect(body.detail).toMatch(/issuer/);
  });

  it('refuses alg "none" and HMAC-signed tokens', async () => {
    const unsigned = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims())}.`;
    await expectUnauthorized(await stack.api('/api/identities/me', { token: unsigned }));
    const hmac = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode('a-shared-secret-that-is-long-enough-for-hs256'));
    await expectUnauthorized(await stack.api('/api/identities/me', { token: hmac }));
  });

  it('refuses garbage in the Authorization header without a 500', async () => {
    for (const value of ['Bearer', 'Bearer not.a.jwt', 'Bearer ' + 'x'.repeat(5000), 'Bearer a.b.c']) {
      await expectUnauthorized(await stack.api('/api/identities/me', { headers: { authorization: value } }));
    }
  });

  it('stores the mapping under (issuer, user id)', async () => {
    // The same `sub` at our issuer is one user; the stored mapping is keyed by (issuer, sub).
    const token = await stack.token('same-id');
    const created = await stack.api('/api/tokens', { method: 'POST', token });
    expect(created.status).toBe(201);
    const rows = [];
    for await (const entity of stack
      .table('IdentityMappings')
      .listEntities<{ issuer?: string; userId?: string; rowKey?: string }>()) {
      if (entity.userId === 'same-id' && entity.partitionKey?.startsWith('u-')) rows.push(entity);
    }
    expect(rows.find((row) => row.rowKey === 'identity')?.issuer).toBe(stack.issuerUrl);
  });
});
