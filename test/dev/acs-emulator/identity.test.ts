import { CommunicationIdentityClient, type CommunicationIdentityClientOptions } from '@azure/communication-identity';

import { type AcsEmulator, DEV_ACS_RESOURCE_ID, startAcsEmulator } from '../../../dev/acs-emulator';
import { controlApi } from './control';

const ACS_ID = new RegExp(
  `^8:acs:${DEV_ACS_RESOURCE_ID}_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`,
);
const MINUTE_MS = 60_000;

describe('ACS emulator: identity operations through @azure/communication-identity', () => {
  let emulator: AcsEmulator;
  let client: CommunicationIdentityClient;
  let control: ReturnType<typeof controlApi>;

  const clientWith = (
    options: CommunicationIdentityClientOptions & { apiVersion?: string },
  ): CommunicationIdentityClient =>
    new CommunicationIdentityClient(emulator.connectionString, { allowInsecureConnection: true, ...options });

  beforeAll(async () => {
    emulator = await startAcsEmulator({ port: 0 });
    control = controlApi(emulator.url);
    client = clientWith({ retryOptions: { maxRetries: 0 } });
  });

  afterAll(async () => {
    await emulator.stop();
  });

  beforeEach(async () => {
    await control.reset();
  });

  it('listens on a free port and hands out a matching connection string', () => {
    expect(emulator.port).toBeGreaterThan(0);
    expect(emulator.url).toBe(`http://127.0.0.1:${emulator.port}/`);
    expect(emulator.connectionString).toBe(
      `endpoint=${emulator.url};accesskey=opMCZDOAS7GYsFEZZU0iQUSc9U9356Tq62MojtJEOTqFpgGI7V/YGSp01Kj9zmQtQACr/3KO/nv5IvFbU3Wpfg==`,
    );
  });

  it('creates a user with an 8:acs:<resourceId>_<uuid> id and lists it', async () => {
    const user = await client.createUser();

    expect(user.communicationUserId).toMatch(ACS_ID);
    expect(await control.identities()).toEqual([user.communicationUserId]);
    expect(await control.stats()).toMatchObject({ createUser: 1, createUserAndToken: 0, identities: 1 });
  });

  it('creates a user and a 24-hour token by default, which verifies with its scopes', async () => {
    const before = Date.now();
    const { user, token, expiresOn } = await client.createUserAndToken(['chat', 'voip']);

    expect(user.communicationUserId).toMatch(ACS_ID);
    expect(expiresOn.getTime()).toBeGreaterThanOrEqual(before + 1440 * MINUTE_MS - 1000);
    expect(expiresOn.getTime()).toBeLessThanOrEqual(Date.now() + 1440 * MINUTE_MS);
    expect(await control.verify(token)).toEqual({
      valid: true,
      communicationUserId: user.communicationUserId,
      scopes: ['chat', 'voip'],
      expiresOn: expiresOn.toISOString(),
    });
    expect(await control.stats()).toMatchObject({ createUser: 0, createUserAndToken: 1, identities: 1 });
  });

  it('creates a user and a token with a custom lifetime (tokenExpiresInMinutes)', async () => {
    const before = Date.now();
    const { token, expiresOn } = await client.createUserAndToken(['chat.join.limited'], { tokenExpiresInMinutes: 60 });

    expect(expiresOn.getTime()).toBeGreaterThanOrEqual(before + 60 * MINUTE_MS - 1000);
    expect(expiresOn.getTime()).toBeLessThanOrEqual(Date.now() + 60 * MINUTE_MS);
    expect(await control.verify(token)).toMatchObject({ valid: true, scopes: ['chat.join.limited'] });
  });

  it('issues tokens for an existing user, each one unique and carrying the identity, scopes, iat, exp and jti', async () => {
    const user = await client.createUser();
    const first = await client.getToken(user, ['voip.join'], { tokenExpiresInMinutes: 1440 });
    const second = await client.getToken(user, ['voip.join']);

    expect(first.token).not.toBe(second.token);
    const claims = JSON.parse(Buffer.from(first.token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    expect(claims).toMatchObject({
      sub: user.communicationUserId,
      skypeid: user.communicationUserId.slice(2),
      scp: ['voip.join'],
    });
    expect(claims['exp']).toBe(first.expiresOn.getTime() / 1000);
    expect(claims['exp']).toBe((claims['iat'] as number) + 1440 * 60);
    expect(claims['jti']).toEqual(expect.any(String));
    expect(await control.verify(second.token)).toMatchObject({
      valid: true,
      communicationUserId: user.communicationUserId,
    });
    expect(await control.stats()).toMatchObject({ createUser: 1, getToken: 2 });
  });

  it('revokes every token issued before the revocation and keeps the ones issued after it', async () => {
    const { user, token: fromCreate } = await client.createUserAndToken(['chat']);
    const { token: old } = await client.getToken(user, ['chat']);

    await client.revokeTokens(user);
    const { token: fresh } = await client.getToken(user, ['chat']);

    expect(await control.verify(fromCreate)).toEqual({
      valid: false,
      reason: 'revoked',
      communicationUserId: user.communicationUserId,
    });
    expect(await control.verify(old)).toMatchObject({ valid: false, reason: 'revoked' });
    expect(await control.verify(fresh)).toMatchObject({ valid: true });
    expect(await control.stats()).toMatchObject({ createUserAndToken: 1, getToken: 2, revokeTokens: 1, identities: 1 });
  });

  it('deletes a user: its tokens stop verifying and later calls for it answer 401', async () => {
    const { user, token } = await client.createUserAndToken(['chat', 'voip']);

    await client.deleteUser(user);

    expect(await control.verify(token)).toEqual({
      valid: false,
      reason: 'identity_deleted',
      communicationUserId: user.communicationUserId,
    });
    expect(await control.identities()).toEqual([]);
    await expect(client.getToken(user, ['chat'])).rejects.toMatchObject({
      name: 'RestError',
      statusCode: 401,
      code: 'Denied',
    });
    await expect(client.revokeTokens(user)).rejects.toMatchObject({ name: 'RestError', statusCode: 401 });
    await expect(client.deleteUser(user)).rejects.toMatchObject({ name: 'RestError', statusCode: 401 });
    expect(await control.stats()).toMatchObject({ deleteUser: 2, getToken: 1, revokeTokens: 1, identities: 0 });
  });

  it('answers 401 for an identity it never created', async () => {
    const stranger = { communicationUserId: `8:acs:${DEV_ACS_RESOURCE_ID}_00000000-0000-0000-0000-000000000000` };

    await expect(client.getToken(stranger, ['chat'])).rejects.toMatchObject({
      name: 'RestError',
      statusCode: 401,
      code: 'Denied',
      message: 'Denied by the resource provider.',
    });
    await expect(client.revokeTokens(stranger)).rejects.toMatchObject({ statusCode: 401 });
    await expect(client.deleteUser(stranger)).rejects.toMatchObject({ statusCode: 401 });
  });

  it.each([
    ['no scopes', [], 'Invalid scopes - Scopes field is required.', 'scopes'],
    [
      'an unknown scope',
      ['chat', 'teams'],
      "Invalid scopes - Scope 'teams' is not supported. Supported scopes: chat, chat.join, chat.join.limited, voip, voip.join.",
      'scopes',
    ],
  ])('answers 400 ValidationError to getToken with %s', async (_case, scopes, message, target) => {
    const user = await client.createUser();

    const error: unknown = await client.getToken(user, scopes as never).catch((caught: unknown) => caught);

    expect(error).toMatchObject({ name: 'RestError', statusCode: 400, code: 'ValidationError', message });
    expect((error as { details?: { error?: { target?: string } } }).details?.error?.target).toBe(target);
  });

  it.each([59, 1441])('answers 400 ValidationError to getToken with expiresInMinutes %i', async (minutes) => {
    const user = await client.createUser();

    await expect(client.getToken(user, ['chat'], { tokenExpiresInMinutes: minutes })).rejects.toMatchObject({
      name: 'RestError',
      statusCode: 400,
      code: 'ValidationError',
      message: `ExpiresInMinutes value ${minutes} is invalid. Value must be within the [60, 1440] interval.`,
    });
  });

  it.each([59, 1441, 90.5])(
    'refuses createUserAndToken with expiresInMinutes %s and creates no identity',
    async (minutes) => {
      await expect(client.createUserAndToken(['chat'], { tokenExpiresInMinutes: minutes })).rejects.toMatchObject({
        statusCode: 400,
        code: 'ValidationError',
      });
      await expect(client.createUserAndToken([])).rejects.toMatchObject({
        statusCode: 400,
        message: 'Invalid scopes - Scopes field is required.',
      });

      expect(await control.identities()).toEqual([]);
      expect(await control.stats()).toMatchObject({ createUserAndToken: 2, identities: 0 });
    },
  );

  it('accepts api-version 2025-06-30', async () => {
    const newest = clientWith({ apiVersion: '2025-06-30', retryOptions: { maxRetries: 0 } });

    const { user, token } = await newest.createUserAndToken(['voip']);
    await newest.revokeTokens(user);

    expect(await control.verify(token)).toMatchObject({ valid: false, reason: 'revoked' });
  });

  it('answers 400 UnsupportedApiVersion to an api-version that is not a stable one', async () => {
    const old = clientWith({ apiVersion: '2021-02-22-preview1', retryOptions: { maxRetries: 0 } });

    await expect(old.createUser()).rejects.toMatchObject({
      name: 'RestError',
      statusCode: 400,
      code: 'UnsupportedApiVersion',
      message: `The HTTP resource that matches the request URI 'http://127.0.0.1:${emulator.port}/identities' does not support the API version '2021-02-22-preview1'.`,
    });
    expect(await control.identities()).toEqual([]);
  });
});
