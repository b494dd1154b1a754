import { startTestStack, type TestStack } from '../helpers/stack';

const teamsAppId = '00000000-0000-0000-0000-00000000a11d';
const oid = '6c0d5a1e-4b7f-4a39-9e62-0f2b1c3d4e5f';
const tid = '84bd8158-6d4d-4958-8b9f-9d6445542f95';

/** Teams users exchange their Entra token for an ACS token; the ACS emulator checks the token as the service does. */
describe('Teams token exchange', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ TEAMS_APP_ID: teamsAppId });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  // The caller's own token (for this API) and the Teams user's token for ACS, both from the dev issuer acting as Entra ID.
  const callerToken = (claims: Record<string, unknown> = { oid, tid }) => stack.token('teams-caller', { claims });
  const teamsToken = (claims: Record<string, unknown> = {}, options: { expiresInSeconds?: number } = {}) =>
    stack.token('teams-user', {
      audience: 'https://communication.azure.com',
      claims: { oid, tid, appid: teamsAppId, ...claims },
      ...options,
    });
  const exchange = async (caller: string, teamsUserAadToken: string) =>
    stack.api('/api/tokens/teams', { method: 'POST', token: caller, json: { teamsUserAadToken } });

  it("exchanges the caller's own Teams token for an ACS token", async () => {
    const response = await exchange(await callerToken(), await teamsToken());
    expect(response.status).toBe(200);
    const body = (await response.json()) as { communicationUserId: string; token: string; expiresOn: string };
    expect(body.communicationUserId).toBe(`8:orgid:${oid}`);
    expect(await stack.verifyAcsToken(body.token)).toMatchObject({
      valid: true,
      communicationUserId: `8:orgid:${oid}`,
    });
    expect(Date.parse(body.expiresOn)).toBeGreaterThan(Date.now());
  });

  it("refuses another user's Teams token with 403", async () => {
    const response = await exchange(
      await callerToken(),
      await teamsToken({ oid: '11111111-2222-4333-8444-555555555555' }),
    );
    expect(response.status).toBe(403);
    expect(((await response.json()) as { code: string }).code).toBe('teams_user_mismatch');
  });

  it('refuses callers without an Entra object id with 403', async () => {
    const response = await exchange(await callerToken({}), await teamsToken());
    expect(response.status).toBe(403);
    expect(((await response.json()) as { code: string }).code).toBe('teams_requires_entra_caller');
  });

  it('answers 400 when ACS refuses the Teams token (another app, expired)', async () => {
    for (const teams of [
      await teamsToken({ appid: '99999999-2222-4333-8444-555555555555' }),
      await teamsToken({}, { expiresInSeconds: -600 }),
    ]) {
      const response = await exchange(await callerToken(), teams);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { code: string }).code).toBe('teams_token_rejected');
    }
  });

  it('answers 400 for a body that is not a token', async () => {
    expect((await exchange(await callerToken(), 'not-a-jwt')).status).toBe(400);
    const response = await stack.api('/api/tokens/teams', { method: 'POST', token: await callerToken(), json: {} });
    expect(response.status).toBe(400);
  });
});
