import { startTestStack, type TestStack } from '../helpers/stack';

/** Bad input gets a clear 4xx Problem Details answer: never a 500, never a stack trace or upstream message. */
describe('request validation', () => {
  let stack: TestStack;
  let token: string;
  beforeAll(async () => {
    // voip.join is a known ACS scope this deployment does not allow.
    stack = await startTestStack({ TOKEN_ALLOWED_SCOPES: 'chat,chat.join,voip' });
    token = await stack.token('validation-user');
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const send = (body: string, contentType = 'application/json', path = '/api/tokens') =>
    stack.api(path, { method: 'POST', token, body, headers: { 'content-type': contentType } });

  const expectProblem = async (response: Response, status: number, code: string) => {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const text = await response.text();
    const body = JSON.parse(text) as { status: number; code: string; title: string; type: string };
    expect(body).toMatchObject({ status, code });
    expect(body.title).toBeTruthy();
    expect(text).not.toMatch(/\bat .+\.(js|ts):\d+/);
    expect(text).not.toMatch(/RestError|node_modules/);
    return body;
  };

  it.each([
    ['malformed JSON', '{"scopes": [', 400, 'malformed_json'],
    ['a JSON array', '[]', 400, 'invalid_request'],
    ['an unknown scope', '{"scopes":["chat","admin"]}', 400, 'invalid_request'],
    ['scopes as a string', '{"scopes":"chat"}', 400, 'invalid_request'],
    ['empty scopes', '{"scopes":[]}', 400, 'invalid_request'],
    ['repeated scopes', '{"scopes":["chat","chat"]}', 400, 'invalid_request'],
    ['expiresInMinutes 59', '{"expiresInMinutes":59}', 400, 'invalid_request'],
    ['expiresInMinutes 1441', '{"expiresInMinutes":1441}', 400, 'invalid_request'],
    ['expiresInMinutes 60.5', '{"expiresInMinutes":60.5}', 400, 'invalid_request'],
    ['expiresInMinutes as a string', '{"expiresInMinutes":"60"}', 400, 'invalid_request'],
    ['an unknown property', '{"expiresInMinute":60}', 400, 'invalid_request'],
    ['a scope not allowed here', '{"scopes":["voip.join"]}', 403, 'scope_not_allowed'],
  ])('answers %s (body %s) with %i', async (_name, body, status, code) => {
    const before = await stack.acsStats();
    await expectProblem(await send(body), status, code);
    await expectProblem(await send(body, 'application/json', '/api/tokens/refresh'), status, code);
    const after = await stack.acsStats();
    expect(after['createUserAndToken']).toBe(before['createUserAndToken']);
  });

  it('refuses a body that is not JSON with 415', async () => {
    await expectProblem(await send('scopes=chat', 'application/x-www-form-urlencoded'), 415, 'unsupported_media_type');
    await expectProblem(await send('{}', 'text/plain'), 415, 'unsupported_media_type');
  });

  it('refuses a body over 16 KiB with 413', async () => {
    await expectProblem(
      await send(JSON.stringify({ scopes: ['chat'], pad: 'x'.repeat(17 * 1024) })),
      413,
      'payload_too_large',
    );
  });

  it('accepts the boundaries 60 and 1440 and every allowed scope', async () => {
    for (const expiresInMinutes of [60, 1440]) {
      const response = await send(JSON.stringify({ scopes: ['chat', 'chat.join', 'voip'], expiresInMinutes }));
      expect([200, 201]).toContain(response.status);
    }
  });

  it('answers unknown routes and methods with 404 and never 500', async () => {
    expect((await stack.api('/api/nope', { token })).status).toBe(404);
    expect((await stack.api('/api/tokens', { method: 'GET', token })).status).toBe(404);
  });
});
