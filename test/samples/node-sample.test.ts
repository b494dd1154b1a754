import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { AzureCommunicationTokenCredential } from '@azure/communication-common';

import {
  createTokenCredential,
  fetchToken,
  TokenServiceError,
  type TokenClientOptions,
} from '../../samples/node/acs-token-client';
import { startTestStack, type TestStack } from '../helpers/stack';

const script = join(__dirname, '..', '..', 'dist', 'samples', 'node', 'acs-token-client.js');

/** The Node sample's credential against the local stack: the service, the real SDK credential, the ACS emulator. */
describe('Node client sample', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const optionsFor = async (userId: string): Promise<TokenClientOptions> => {
    const bearerToken = await stack.token(userId);
    return { serviceUrl: stack.functionsUrl, getBearerToken: async () => bearerToken };
  };

  it('when a user without an identity asks the credential for a token, then the first refresh creates the identity', async () => {
    const options = await optionsFor('sample-newcomer');
    const bearerToken = await options.getBearerToken();
    expect((await stack.api('/api/identities/me', { token: bearerToken })).status).toBe(404);

    const credential = createTokenCredential(options);
    try {
      expect(credential.communicationUserId).toBeUndefined();
      const { token, expiresOnTimestamp } = await credential.getToken();

      const verdict = await stack.verifyAcsToken(token);
      expect(verdict).toMatchObject({ valid: true, communicationUserId: credential.communicationUserId });
      expect(expiresOnTimestamp).toBeGreaterThan(Date.now() + 23 * 3600_000);
      const me = await stack.api('/api/identities/me', { token: bearerToken });
      expect(((await me.json()) as { communicationUserId: string }).communicationUserId).toBe(
        credential.communicationUserId,
      );
    } finally {
      credential.dispose();
    }
  });

  it('when the tokens are revoked, then the credential keeps serving its cached token until it refreshes, and every refresh after that yields a new valid token', async () => {
    const options = await optionsFor('sample-revoker');
    const credential = createTokenCredential(options);
    try {
      const before = await credential.getToken();
      expect((await stack.verifyAcsToken(before.token)).valid).toBe(true);

      expect(
        (await stack.api('/api/identities/me/revoke', { method: 'POST', token: await options.getBearerToken() }))
          .status,
      ).toBe(204);
      expect((await stack.verifyAcsToken(before.token)).valid).toBe(false);

      // AutoRefreshTokenCredential (@azure/communication-common 2.4.2) returns its cached token from getToken()
      // until that token is within 10 minutes of expiry; it calls the tokenRefresher only when the cached token
      // has expired (or is missing) and, with refreshProactively, from a timer 10 minutes before expiry. It has no
      // way to learn about a revocation, so right after one it still hands out the revoked token.
      const cached = await credential.getToken();
      expect(cached.token).toBe(before.token);
      expect((await stack.verifyAcsToken(cached.token)).valid).toBe(false);
    } finally {
      credential.dispose();
    }

    // 1. The refresher itself (what the credential calls) gets a new valid token for the same identity.
    const refreshed = await fetchToken(options);
    expect(refreshed.created).toBe(false);
    expect(await stack.verifyAcsToken(refreshed.token)).toMatchObject({
      valid: true,
      communicationUserId: refreshed.communicationUserId,
    });

    // 2. What an app does after revoking: a new credential, which calls the refresher at once.
    const renewed = createTokenCredential(options);
    try {
      const { token } = await renewed.getToken();
      expect(await stack.verifyAcsToken(token)).toMatchObject({
        valid: true,
        communicationUserId: refreshed.communicationUserId,
      });
    } finally {
      renewed.dispose();
    }
  });

  it("when a credential holding a revoked token reaches that token's expiry, then it calls the refresher and gets a new valid token", async () => {
    const options = await optionsFor('sample-expiry');
    // The shortest lifetime ACS issues (60 minutes), then revoke it.
    const revoked = await fetchToken({ ...options, expiresInMinutes: 60 });
    expect(
      (await stack.api('/api/identities/me/revoke', { method: 'POST', token: await options.getBearerToken() })).status,
    ).toBe(204);

    let refresherCalls = 0;
    // The credential createTokenCredential builds, seeded with the revoked token. No proactive timer here, so only
    // getToken() can call the refresher, and it does only once the cached token has expired.
    const credential = new AzureCommunicationTokenCredential({
      token: revoked.token,
      tokenRefresher: async (abortSignal) => {
        refresherCalls += 1;
        return (await fetchToken(options, abortSignal)).token;
      },
    });
    const realNow = Date.now.bind(Date);
    try {
      expect((await credential.getToken()).token).toBe(revoked.token);
      expect(refresherCalls).toBe(0);

      // Waiting an hour is not an option: move the test process's clock (only Date.now, which is all the credential
      // reads) past the revoked token's expiry. The service and the emulator keep real time; the new token lives
      // 24 hours (the service's default), so it is valid on both clocks.
      const offsetInMs = revoked.expiresOn.getTime() - realNow() + 60_000;
      jest.spyOn(Date, 'now').mockImplementation(() => realNow() + offsetInMs);
      const { token } = await credential.getToken();
      expect(refresherCalls).toBe(1);
      expect(token).not.toBe(revoked.token);
      expect(await stack.verifyAcsToken(token)).toMatchObject({
        valid: true,
        communicationUserId: revoked.communicationUserId,
      });
    } finally {
      jest.restoreAllMocks();
      credential.dispose();
    }
  });

  it('when the service refuses, then the refresher throws a TokenServiceError with status and code and without the tokens', async () => {
    const options = await optionsFor('sample-refused');
    const bearerToken = await options.getBearerToken();

    const invalidLifetime = await fetchToken({ ...options, expiresInMinutes: 5 }).catch((error: unknown) => error);
    expect(invalidLifetime).toBeInstanceOf(TokenServiceError);
    expect(invalidLifetime).toMatchObject({ status: 400, code: 'invalid_request' });
    expect((invalidLifetime as Error).message).toMatch(
      /^POST \/api\/tokens\/refresh failed with 400 \(invalid_request\): .*expiresInMinutes/,
    );
    expect((invalidLifetime as Error).message).not.toContain(bearerToken);

    const forged = `${bearerToken.slice(0, -4)}AAAA`;
    const unauthenticated = await fetchToken({ ...options, getBearerToken: async () => forged }).catch(
      (error: unknown) => error,
    );
    expect(unauthenticated).toMatchObject({ name: 'TokenServiceError', status: 401 });
    expect((unauthenticated as Error).message).not.toContain(forged);

    const unreachable = await fetchToken({ ...options, serviceUrl: 'http://127.0.0.1:1' }).catch(
      (error: unknown) => error,
    );
    expect(unreachable).toMatchObject({
      name: 'TokenServiceError',
      status: undefined,
      message: 'Could not reach the token service at http://127.0.0.1:1.',
    });
  });

  it("as a script, prints the ACS user id and the token's expiry, never the token", async () => {
    const bearerToken = await stack.token('sample-script');
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [script], {
      env: { ...process.env, SERVICE_URL: stack.functionsUrl, BEARER_TOKEN: bearerToken },
      timeout: 10_000,
    });
    const userId = /^ACS user: +(8:acs:\S+)$/m.exec(stdout)?.[1];
    const expiresOn = /^Token expires: +(\S+)$/m.exec(stdout)?.[1];
    expect(userId).toBeDefined();
    expect(Date.parse(expiresOn ?? '')).toBeGreaterThan(Date.now() + 23 * 3600_000);
    expect(stderr).toBe('');
    expect(stdout).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
    const me = await stack.api('/api/identities/me', { token: bearerToken });
    expect(((await me.json()) as { communicationUserId: string }).communicationUserId).toBe(userId);
  });
});
