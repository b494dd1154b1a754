import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { CommunicationIdentityClient } from '@azure/communication-identity';
import { exportJWK, generateKeyPair, type KeyLike, SignJWT } from 'jose';

import { type AcsEmulator, startAcsEmulator } from '../../../dev/acs-emulator';
import { controlApi } from './control';

const APP_ID = '00000000-0000-0000-0000-00000000a11d';
const USER_ID = '6f1c8f0e-2f4a-4c55-9d3b-0b7c2d5e8a11';
const OTHER_GUID = '0f0f0f0f-1111-4222-8333-444444444444';

interface EntraClaims {
  aud?: string;
  appid?: string;
  azp?: string;
  oid?: string;
  expiresInSeconds?: number;
}

/** A Teams user's Entra access token for ACS, signed with `key` (kid `test-key`). */
const entraToken = async (key: KeyLike, claims: EntraClaims = {}): Promise<string> => {
  const {
    aud = 'https://communication.azure.com',
    expiresInSeconds = 3600,
    ...rest
  } = { appid: APP_ID, oid: USER_ID, ...claims };
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ ...rest, tid: '72f988bf-86f1-41af-91ab-2d7cd011db47' })
    .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
    .setIssuer('https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/')
    .setAudience(aud)
    .setIssuedAt(now - 60)
    .setExpirationTime(now + expiresInSeconds)
    .sign(key);
};

describe('ACS emulator: Teams user token exchange', () => {
  let emulator: AcsEmulator;
  let strictEmulator: AcsEmulator;
  let jwksServer: Server;
  let teamsKey: KeyLike;
  let strangerKey: KeyLike;

  const exchange = (target: AcsEmulator, teamsUserAadToken: string, clientId = APP_ID, userObjectId = USER_ID) =>
    new CommunicationIdentityClient(target.connectionString, {
      allowInsecureConnection: true,
      retryOptions: { maxRetries: 0 },
    }).getTokenForTeamsUser({
      teamsUserAadToken,
      clientId,
      userObjectId,
    });

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    teamsKey = pair.privateKey;
    strangerKey = (await generateKeyPair('RS256')).privateKey;
    const jwks = JSON.stringify({
      keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' }],
    });
    jwksServer = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(jwks);
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/keys`;

    emulator = await startAcsEmulator({ port: 0 });
    strictEmulator = await startAcsEmulator({ port: 0, teamsJwksUrl: jwksUrl });
  });

  afterAll(async () => {
    await Promise.all([emulator.stop(), strictEmulator.stop()]);
    jwksServer.closeAllConnections();
    await new Promise((resolve) => jwksServer.close(resolve));
  });

  it('exchanges a valid Entra token for an 8:orgid token that expires with it', async () => {
    const aadToken = await entraToken(teamsKey, { expiresInSeconds: 1800 });
    const aadExpiresOn =
      (JSON.parse(Buffer.from(aadToken.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp: number }).exp *
      1000;

    const { token, expiresOn } = await exchange(emulator, aadToken);

    expect(expiresOn.getTime()).toBe(aadExpiresOn);
    expect(await controlApi(emulator.url).verify(token)).toMatchObject({
      valid: true,
      communicationUserId: `8:orgid:${USER_ID}`,
    });
    expect(await controlApi(emulator.url).stats()).toMatchObject({ exchangeTeamsToken: 1, identities: 0 });
  });

  it('accepts the audience with a trailing slash and a v2 token carrying azp instead of appid', async () => {
    const aadToken = await entraToken(teamsKey, {
      aud: 'https://communication.azure.com/',
      appid: undefined,
      azp: APP_ID,
    });

    await expect(exchange(emulator, aadToken)).resolves.toMatchObject({ token: expect.any(String) });
  });

  it('answers 400 ValidationError when the token was issued to another application', async () => {
    await expect(exchange(emulator, await entraToken(teamsKey), OTHER_GUID)).rejects.toMatchObject({
      name: 'RestError',
      statusCode: 400,
      code: 'ValidationError',
      message: 'AAD application is not the expected one.',
    });
  });

  it('answers 400 ValidationError when the token belongs to another user', async () => {
    await expect(exchange(emulator, await entraToken(teamsKey), APP_ID, OTHER_GUID)).rejects.toMatchObject({
      statusCode: 400,
      code: 'ValidationError',
      message: 'Provided AAD token issued for unexpected user.',
    });
  });

  it.each([
    ['an empty appId', '', USER_ID, 'AppId: The AppId field is required.'],
    ['an appId that is no GUID', 'invalid', USER_ID, 'Provided AppId has invalid format.'],
    ['an empty userId', APP_ID, '', 'UserId: The UserId field is required.'],
    ['a userId that is no GUID', APP_ID, 'invalid', 'Provided UserId has invalid format.'],
  ])('answers 400 ValidationError to %s', async (_case, clientId, userObjectId, message) => {
    await expect(exchange(emulator, await entraToken(teamsKey), clientId, userObjectId)).rejects.toMatchObject({
      statusCode: 400,
      message,
    });
  });

  it.each([
    ['an expired token', async () => entraToken(teamsKey, { expiresInSeconds: -10 })],
    ['a token for another audience', async () => entraToken(teamsKey, { aud: 'https://graph.microsoft.com' })],
    ['something that is no JWT', async () => 'not-a-jwt'],
    ['an empty token', async () => ''],
  ])('answers 401 InvalidAccessToken to %s', async (_case, makeToken) => {
    await expect(exchange(emulator, await makeToken())).rejects.toMatchObject({
      name: 'RestError',
      statusCode: 401,
      code: 'InvalidAccessToken',
      message: 'Provided access token is not valid.',
    });
  });

  it('with teamsJwksUrl, accepts a token signed by a published key and refuses any other signature', async () => {
    await expect(exchange(strictEmulator, await entraToken(teamsKey))).resolves.toMatchObject({
      token: expect.any(String),
    });
    await expect(exchange(strictEmulator, await entraToken(strangerKey))).rejects.toMatchObject({
      statusCode: 401,
      code: 'InvalidAccessToken',
    });
    // Without a JWKS the emulator only decodes, so the same forged token passes there.
    await expect(exchange(emulator, await entraToken(strangerKey))).resolves.toMatchObject({
      token: expect.any(String),
    });
  });
});
