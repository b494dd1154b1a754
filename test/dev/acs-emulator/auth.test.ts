import { createHash } from 'node:crypto';

import { CommunicationIdentityClient } from '@azure/communication-identity';

import { type AcsEmulator, DEV_ACS_ACCESS_KEY, startAcsEmulator } from '../../../dev/acs-emulator';
import { controlApi, handSignedFetch } from './control';

const CREATE = '/identities?api-version=2023-10-01';
const DENIED = { error: { code: 'Denied', message: 'Denied by the resource provider.' } };
const MINUTE_MS = 60_000;

describe('ACS emulator: HMAC-SHA256 authentication and request checks', () => {
  let emulator: AcsEmulator;
  let control: ReturnType<typeof controlApi>;
  const logLines: string[] = [];

  const signed = (
    pathAndQuery: string,
    init: {
      method?: string;
      body?: string;
      date?: Date;
      contentHash?: string;
      signature?: string;
      accessKey?: string;
    } = {},
  ) => handSignedFetch(emulator.url, { method: 'POST', pathAndQuery, accessKey: DEV_ACS_ACCESS_KEY, ...init });

  beforeAll(async () => {
    emulator = await startAcsEmulator({ port: 0, log: (line) => logLines.push(line) });
    control = controlApi(emulator.url);
  });

  afterAll(async () => {
    await emulator.stop();
  });

  beforeEach(async () => {
    await control.reset();
    logLines.length = 0;
  });

  it('accepts a correctly hand-signed request (the signer the other tests tamper with is right)', async () => {
    const response = await signed(CREATE, { body: JSON.stringify({ createTokenWithScopes: ['chat'] }) });

    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({
      identity: { id: expect.stringMatching(/^8:acs:/) },
      accessToken: { token: expect.any(String) },
    });
  });

  it('refuses an SDK client built with another access key with 401 Denied, and creates nothing', async () => {
    const otherKey = Buffer.from('not the emulator key, 32 bytes!!').toString('base64');
    const stranger = new CommunicationIdentityClient(`endpoint=${emulator.url};accesskey=${otherKey}`, {
      allowInsecureConnection: true,
    });

    await expect(stranger.createUser()).rejects.toMatchObject({ name: 'RestError', statusCode: 401, code: 'Denied' });

    expect(await control.stats()).toMatchObject({ createUser: 1, identities: 0 });
  });

  it('refuses a tampered signature with 401', async () => {
    const response = await signed(CREATE, { signature: Buffer.alloc(32, 7).toString('base64') });

    expect(response.status).toBe(401);
    expect(await response.json()).toEqual(DENIED);
  });

  it('refuses a request without an Authorization header with 401', async () => {
    const response = await fetch(new URL(CREATE, emulator.url), { method: 'POST' });

    expect(response.status).toBe(401);
    expect(await response.json()).toEqual(DENIED);
    expect(await control.identities()).toEqual([]);
  });

  it('refuses a body that differs from the signed x-ms-content-sha256 with 401', async () => {
    const signedBody = JSON.stringify({ createTokenWithScopes: ['chat'] });
    const response = await signed(CREATE, {
      body: JSON.stringify({ createTokenWithScopes: ['chat', 'voip'] }),
      contentHash: createHash('sha256').update(signedBody).digest('base64'),
    });

    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      error: { code: 'Denied', message: "Request 'x-ms-content-sha256' differs from generated content hash." },
    });
    expect(await control.identities()).toEqual([]);
  });

  it.each([
    ['16 minutes old', -16],
    ['16 minutes ahead', 16],
  ])('refuses an x-ms-date %s with 401', async (_case, offsetInMinutes) => {
    const response = await signed(CREATE, { date: new Date(Date.now() + offsetInMinutes * MINUTE_MS) });

    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      error: { code: 'Denied', message: 'The request x-ms-date is more than 15 minutes away from the server time.' },
    });
  });

  it('accepts an x-ms-date 14 minutes old', async () => {
    const response = await signed(CREATE, { date: new Date(Date.now() - 14 * MINUTE_MS) });

    expect(response.status).toBe(201);
  });

  it('answers 400 ApiVersionUnspecified without api-version', async () => {
    const response = await signed('/identities');

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: { code: 'ApiVersionUnspecified', message: 'An API version is required, but was not specified.' },
    });
  });

  it('answers 400 to malformed JSON', async () => {
    const created = (await (await signed(CREATE)).json()) as { identity: { id: string } };

    const response = await signed(
      `/identities/${encodeURIComponent(created.identity.id)}/:issueAccessToken?api-version=2023-10-01`,
      { body: '{"scopes": [' },
    );

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: { code: 'BadRequest', message: 'The request body is not valid JSON.' },
    });
  });

  it('answers 404 to a path that is no identity operation and 405 to a wrong method', async () => {
    const missing = await signed('/identities/x/:renew?api-version=2023-10-01');
    const wrongMethod = await signed('/identities?api-version=2023-10-01', { method: 'GET' });

    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'NotFound' } });
    expect(wrongMethod.status).toBe(405);
    expect(await wrongMethod.json()).toMatchObject({ error: { code: 'MethodNotAllowed' } });
  });

  it('logs method, path, status and reason but never the key, a signature or a token', async () => {
    const { accessToken } = (await (
      await signed(CREATE, { body: JSON.stringify({ createTokenWithScopes: ['chat'] }) })
    ).json()) as { accessToken: { token: string } };
    await signed(CREATE, { signature: Buffer.alloc(32, 7).toString('base64') });

    expect(logLines).toEqual([
      expect.stringMatching(/^POST \/identities 201 createUserAndToken \d+ ms$/),
      expect.stringMatching(/^POST \/identities 401 createUser signature mismatch \d+ ms$/),
    ]);
    const everything = logLines.join('\n');
    expect(everything).not.toContain(DEV_ACS_ACCESS_KEY);
    expect(everything).not.toContain(accessToken.token.slice(0, 20));
    expect(everything).not.toContain(Buffer.alloc(32, 7).toString('base64'));
  });
});
