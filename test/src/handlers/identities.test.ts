import { createIdentity, deleteIdentity, getIdentity, revokeTokens } from '../../../src/handlers/identities';
import { bodyOf, context, request, testServices } from '../../support/services';

describe('identity handlers (in process)', () => {
  it('createIdentity answers 201 once, then 200 with the same identity', async () => {
    const { services } = testServices();
    const first = await createIdentity(services)(
      request('POST', '/api/identities', { token: 'user:alice' }),
      context(),
    );
    const second = await createIdentity(services)(
      request('POST', '/api/identities', { token: 'user:alice' }),
      context(),
    );
    expect([first.status, second.status]).toEqual([201, 200]);
    expect(bodyOf(second)['communicationUserId']).toBe(bodyOf(first)['communicationUserId']);
  });

  it('refuses a request without a bearer token with 401 and a challenge', async () => {
    const { services } = testServices();
    const response = await createIdentity(services)(request('POST', '/api/identities'), context());
    expect(response.status).toBe(401);
    expect((response.headers as Record<string, string>)['WWW-Authenticate']).toMatch(/^Bearer error="invalid_request"/);
  });

  it('refuses a body that is not JSON with 415, and one over 16 KiB with 413', async () => {
    const { services } = testServices();
    const text = await createIdentity(services)(
      request('POST', '/api/identities', { token: 'user:a', body: 'x', headers: { 'content-type': 'text/plain' } }),
      context(),
    );
    expect(text.status).toBe(415);
    const big = await createIdentity(services)(
      request('POST', '/api/identities', { token: 'user:a', json: { pad: 'x'.repeat(17 * 1024) } }),
      context(),
    );
    expect(big.status).toBe(413);
  });

  it('getIdentity answers 404 without an identity, 200 with it', async () => {
    const { services } = testServices();
    expect(
      (await getIdentity(services)(request('GET', '/api/identities/me', { token: 'user:bob' }), context())).status,
    ).toBe(404);
    await createIdentity(services)(request('POST', '/api/identities', { token: 'user:bob' }), context());
    const found = await getIdentity(services)(request('GET', '/api/identities/me', { token: 'user:bob' }), context());
    expect(found.status).toBe(200);
    expect((found.headers as Record<string, string>)['Cache-Control']).toBe('no-store');
  });

  it('revokeTokens answers 204 and calls ACS; 404 without an identity', async () => {
    const { services, acs } = testServices();
    expect(
      (await revokeTokens(services)(request('POST', '/api/identities/me/revoke', { token: 'user:carol' }), context()))
        .status,
    ).toBe(404);
    await createIdentity(services)(request('POST', '/api/identities', { token: 'user:carol' }), context());
    expect(
      (await revokeTokens(services)(request('POST', '/api/identities/me/revoke', { token: 'user:carol' }), context()))
        .status,
    ).toBe(204);
    expect(acs.revokeTokens).toHaveBeenCalledTimes(1);
  });

  it('deleteIdentity answers 204, also when there is nothing to delete', async () => {
    const { services, live } = testServices();
    await createIdentity(services)(request('POST', '/api/identities', { token: 'user:dave' }), context());
    expect(
      (await deleteIdentity(services)(request('DELETE', '/api/identities/me', { token: 'user:dave' }), context()))
        .status,
    ).toBe(204);
    expect(live.size).toBe(0);
    expect(
      (await deleteIdentity(services)(request('DELETE', '/api/identities/me', { token: 'user:dave' }), context()))
        .status,
    ).toBe(204);
  });
});
