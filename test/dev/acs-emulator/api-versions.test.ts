import { CommunicationIdentityClient, type CommunicationIdentityClientOptions } from '@azure/communication-identity';
import { generateKeyPair, type KeyLike, SignJWT } from 'jose';

import {
  type AcsEmulator,
  API_VERSIONS,
  DEV_ACS_ACCESS_KEY,
  startAcsEmulator,
  SUPPORTED_API_VERSIONS,
} from '../../../dev/acs-emulator';
import { controlApi, handSignedFetch } from './control';

const APP_ID = '00000000-0000-0000-0000-00000000a11d';
const USER_ID = '6f1c8f0e-2f4a-4c55-9d3b-0b7c2d5e8a11';
const MINUTE_MS = 60_000;

/** The stable folders of azure-rest-api-specs specification/communication/data-plane/Identity, as of this writing. */
const SPEC_STABLE_VERSIONS = [
  '2021-03-07',
  '2022-06-01',
  '2022-09-01',
  '2022-10-01',
  '2023-08-01',
  '2023-10-01',
  '2025-06-30',
  '2026-07-22',
  '2026-09-23',
];

const lifetimeInMinutes = (expiresOn: Date | string) =>
  Math.round((new Date(expiresOn).getTime() - Date.now()) / MINUTE_MS);

describe('ACS emulator: every stable api-version of the identity API', () => {
  let emulator: AcsEmulator;
  let control: ReturnType<typeof controlApi>;
  let teamsKey: KeyLike;

  const clientFor = (apiVersion: string) => {
    // `apiVersion` is read by the generated client though the public options type does not list it.
    const options: CommunicationIdentityClientOptions & { apiVersion: string } = {
      allowInsecureConnection: true,
      apiVersion,
      retryOptions: { maxRetries: 0 },
    };
    return new CommunicationIdentityClient(emulator.connectionString, options);
  };

  const teamsToken = async () => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ appid: APP_ID, oid: USER_ID, tid: '72f988bf-86f1-41af-91ab-2d7cd011db47' })
      .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
      .setIssuer('https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/')
      .setAudience('https://communication.azure.com')
      .setIssuedAt(now - 60)
      .setExpirationTime(now + 3600)
      .sign(teamsKey);
  };

  beforeAll(async () => {
    emulator = await startAcsEmulator({ port: 0 });
    control = controlApi(emulator.url);
    teamsKey = (await generateKeyPair('RS256')).privateKey;
  });

  afterAll(async () => {
    await emulator.stop();
  });

  it('serves exactly the stable versions of the spec, oldest first, plus the customId preview', () => {
    expect(SUPPORTED_API_VERSIONS).toEqual([...SPEC_STABLE_VERSIONS, '2025-03-02-preview']);
  });

  describe.each(SPEC_STABLE_VERSIONS)('api-version %s', (apiVersion) => {
    const version = API_VERSIONS[apiVersion];

    it('creates, issues, revokes and deletes through the SDK', async () => {
      const client = clientFor(apiVersion);

      const { user, token: first } = await client.createUserAndToken(['chat']);
      const plain = await client.createUser();
      const second = await client.getToken(user, ['voip']);
      await client.revokeTokens(user);
      await client.deleteUser(plain);

      expect(await control.verify(first)).toMatchObject({ valid: false, reason: 'revoked' });
      expect(await control.verify(second.token)).toMatchObject({ valid: false, reason: 'revoked' });
      expect(await control.identities()).toContain(user.communicationUserId);
      expect(await control.identities()).not.toContain(plain.communicationUserId);
    });

    it('honours expiresInMinutes only where the version defines it', async () => {
      const client = clientFor(apiVersion);

      const created = await client.createUserAndToken(['chat'], { tokenExpiresInMinutes: 60 });
      const issued = await client.getToken(created.user, ['chat'], { tokenExpiresInMinutes: 90 });

      expect(lifetimeInMinutes(created.expiresOn)).toBe(
        version.expiresInMinutes.includes('createUserAndToken') ? 60 : 1440,
      );
      expect(lifetimeInMinutes(issued.expiresOn)).toBe(version.expiresInMinutes.includes('getToken') ? 90 : 1440);
    });

    it(`${version.operations.includes('exchangeTeamsToken') ? 'exchanges' : 'refuses with 400 UnsupportedApiVersion'} a Teams user token`, async () => {
      const exchange = clientFor(apiVersion).getTokenForTeamsUser({
        teamsUserAadToken: await teamsToken(),
        clientId: APP_ID,
        userObjectId: USER_ID,
      });

      if (version.operations.includes('exchangeTeamsToken')) {
        const token = await exchange;
        expect(await control.verify(token.token)).toMatchObject({
          valid: true,
          communicationUserId: `8:orgid:${USER_ID}`,
        });
      } else {
        await expect(exchange).rejects.toMatchObject({ statusCode: 400, code: 'UnsupportedApiVersion' });
      }
    });

    it('accepts a request signed over `date` instead of `x-ms-date`, as older SDKs sign', async () => {
      const response = await handSignedFetch(emulator.url, {
        method: 'POST',
        pathAndQuery: `/identities?api-version=${apiVersion}`,
        body: JSON.stringify({ createTokenWithScopes: ['chat'] }),
        accessKey: DEV_ACS_ACCESS_KEY,
        dateHeader: 'date',
      });

      expect(response.status).toBe(201);
      const { accessToken } = (await response.json()) as { accessToken: { token: string } };
      expect(await control.verify(accessToken.token)).toMatchObject({ valid: true });
    });
  });

  it('refuses a `date`-signed request whose date is stale, naming the header', async () => {
    const response = await handSignedFetch(emulator.url, {
      method: 'POST',
      pathAndQuery: '/identities?api-version=2021-03-07',
      accessKey: DEV_ACS_ACCESS_KEY,
      dateHeader: 'date',
      date: new Date(Date.now() - 16 * MINUTE_MS),
    });

    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      error: { code: 'Denied', message: 'The request date is more than 15 minutes away from the server time.' },
    });
  });

  it('refuses a preview api-version with 400 UnsupportedApiVersion', async () => {
    await expect(clientFor('2021-10-31-preview').createUser()).rejects.toMatchObject({
      statusCode: 400,
      code: 'UnsupportedApiVersion',
    });
  });
});
