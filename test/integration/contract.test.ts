import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { Webhook } from 'standardwebhooks';

import { startTestStack, type TestStack } from '../helpers/stack';

type OpenApi = {
  paths: Record<
    string,
    Record<
      string,
      { operationId: string; responses: Record<string, { content?: Record<string, { schema: unknown }> }> }
    >
  >;
};

const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/**
 * GET /api/openapi.json is a valid OpenAPI 3.1 document, and every response the service gives on a tour of all
 * operations is documented for its status and matches the documented schema.
 */
describe('OpenAPI contract', () => {
  let stack: TestStack;
  let document: OpenApi;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const seen = new Set<string>();

  beforeAll(async () => {
    stack = await startTestStack({
      STANDARD_WEBHOOK_SECRETS: secret,
      STANDARD_WEBHOOK_ISSUER: '{issuerUrl}',
      TEAMS_APP_ID: '00000000-0000-0000-0000-00000000a11d',
    });
    const response = await stack.api('/api/openapi.json');
    expect(response.status).toBe(200);
    document = (await response.json()) as OpenApi;
    ajv.addSchema(document, 'openapi.json');
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const pointer = (...parts: string[]) =>
    parts.map((part) => part.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

  /** Sends a request and checks the answer against the document: status documented, body valid for the schema. */
  const call = async (method: string, path: string, template: string, init: Parameters<TestStack['api']>[1] = {}) => {
    const response = await stack.api(path, { ...init, method: method.toUpperCase() });
    const operation = document.paths[template]?.[method];
    if (!operation) throw new Error(`${method} ${template} is not documented`);
    const documented = operation.responses[String(response.status)];
    if (!documented) throw new Error(`${method} ${template} answered ${response.status}, which is not documented`);
    seen.add(`${operation.operationId} ${response.status}`);
    const text = await response.clone().text(); // the caller may read the body too
    const contentType = (response.headers.get('content-type') ?? '').split(';')[0];
    if (!documented.content) {
      expect(text).toBe('');
      return response;
    }
    expect(Object.keys(documented.content)).toContain(contentType);
    if (contentType.endsWith('json')) {
      const validate = ajv.getSchema(
        `openapi.json#/${pointer('paths', template, method, 'responses', String(response.status), 'content', contentType, 'schema')}`,
      )!;
      const body: unknown = JSON.parse(text);
      if (!validate(body))
        throw new Error(`${method} ${template} ${response.status}: ${ajv.errorsText(validate.errors)}\n${text}`);
    }
    return response;
  };

  it('is a valid OpenAPI 3.1 document (swagger-parser)', async () => {
    // swagger-parser's dependencies are ES modules, which jest's CommonJS runtime cannot load: run it in plain node.
    const dir = mkdtempSync(join(tmpdir(), 'openapi-'));
    try {
      writeFileSync(join(dir, 'openapi.json'), JSON.stringify(document));
      const script =
        "require('@apidevtools/swagger-parser').validate(process.argv[1]).then(() => console.log('VALID'), (e) => { console.error(e.message); process.exit(1); })";
      const { stdout } = await promisify(execFile)(process.execPath, ['-e', script, join(dir, 'openapi.json')], {
        cwd: join(__dirname, '..', '..'),
      });
      expect(stdout.trim()).toBe('VALID');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect((document as unknown as { openapi: string }).openapi).toBe('3.1.0');
  });

  it('every documented operation answers as documented', async () => {
    const user = await stack.token('contract-user');
    const admin = await stack.token('contract-admin', { admin: true });
    const stranger = await stack.token('contract-stranger');
    const json = (body: unknown) => ({ token: user, json: body });

    await call('get', '/api/health', '/api/health');
    await call('get', '/api/openapi.json', '/api/openapi.json');

    await call('get', '/api/identities/me', '/api/identities/me', { token: user }); // 404
    await call('post', '/api/tokens/refresh', '/api/tokens/refresh', json({})); // 404
    await call('post', '/api/tokens', '/api/tokens', json({ scopes: ['chat'] })); // 201
    await call('post', '/api/tokens', '/api/tokens', json({ expiresInMinutes: 60 })); // 200
    await call('post', '/api/tokens', '/api/tokens', json({ scopes: ['nope'] })); // 400
    await call('post', '/api/tokens', '/api/tokens', {
      token: user,
      body: 'x',
      headers: { 'content-type': 'text/plain' },
    }); // 415
    await call('post', '/api/tokens', '/api/tokens', json({ pad: 'x'.repeat(17_000) })); // 413
    await call('post', '/api/tokens', '/api/tokens'); // 401
    await call('post', '/api/tokens/refresh', '/api/tokens/refresh', json({ scopes: ['voip'] })); // 200
    await call('post', '/api/identities', '/api/identities', { token: user }); // 200
    await call('get', '/api/identities/me', '/api/identities/me', { token: user }); // 200
    await call('post', '/api/identities/me/revoke', '/api/identities/me/revoke', { token: user }); // 204
    await call('delete', '/api/identities/me', '/api/identities/me', { token: user }); // 204
    await call('post', '/api/identities/me/revoke', '/api/identities/me/revoke', { token: user }); // 404
    await call('post', '/api/identities', '/api/identities', { token: user }); // 201

    await call('post', '/api/tokens/teams', '/api/tokens/teams', json({ teamsUserAadToken: 'x' })); // 403: no oid
    await call('post', '/api/tokens/teams', '/api/tokens/teams', json({})); // 400

    const target = encodeURIComponent('contract-user');
    await call('get', `/api/users/${target}`, '/api/users/{userId}', { token: user }); // 403
    await call('get', `/api/users/${target}`, '/api/users/{userId}', { token: admin }); // 200
    await call('get', `/api/users/${target}/audit`, '/api/users/{userId}/audit', { token: admin }); // 200
    await call('post', `/api/users/${target}/revoke`, '/api/users/{userId}/revoke', { token: admin }); // 204
    await call('post', `/api/users/${target}/enable`, '/api/users/{userId}/enable', { token: admin }); // 204
    await call('delete', `/api/users/${target}`, '/api/users/{userId}', { token: admin }); // 204
    await call('get', `/api/users/${target}`, '/api/users/{userId}', { token: admin }); // 404

    const job = await call('post', '/api/revocations', '/api/revocations', {
      token: admin,
      json: { action: 'revoke' },
    }); // 202
    await call('post', '/api/revocations', '/api/revocations', {
      token: admin,
      json: { action: 'revoke', issuer: 'all' },
    }); // 403
    const location = job.headers.get('location')!;
    await call('get', location, '/api/revocations/{jobId}', { token: admin }); // 200
    await call('get', '/api/revocations/0000000000000000-0000000000000000', '/api/revocations/{jobId}', {
      token: admin,
    }); // 404

    const invitation = await call('post', '/api/invitations', '/api/invitations', json({ maxRedemptions: 1 })); // 201
    await call('post', '/api/invitations', '/api/invitations', json({ maxRedemptions: 0 })); // 400
    const { id, code } = (await invitation.json()) as { id: string; code: string };
    const guest = (guestKey: string) => ({ json: { code, guestKey } });
    await call('post', '/api/guest/tokens', '/api/guest/tokens', guest('contract-guest-key-0001')); // 201
    await call('post', '/api/guest/tokens', '/api/guest/tokens', guest('contract-guest-key-0001')); // 200
    await call('post', '/api/guest/tokens', '/api/guest/tokens', guest('contract-guest-key-0002')); // 410 used_up
    await call('post', '/api/guest/tokens', '/api/guest/tokens', { json: { code, guestKey: 'short' } }); // 400
    await call('post', '/api/guest/tokens', '/api/guest/tokens', {
      json: { code: `${'A'.repeat(16)}.${'B'.repeat(43)}`, guestKey: 'contract-guest-key-0003' },
    }); // 404
    await call('get', `/api/invitations/${id}`, '/api/invitations/{id}', { token: user }); // 200
    await call('get', `/api/invitations/${id}`, '/api/invitations/{id}', { token: stranger }); // 404
    await call('delete', `/api/invitations/${id}`, '/api/invitations/{id}', { token: user }); // 204

    await call('post', '/api/webhooks/graph?validationToken=abc', '/api/webhooks/graph'); // 200 text/plain
    await call('post', '/api/webhooks/graph', '/api/webhooks/graph', { json: { value: [] } }); // 202
    await call('get', '/api/webhooks/okta', '/api/webhooks/okta', {
      headers: { 'x-okta-verification-challenge': 'c', authorization: 'local-okta-secret' },
    }); // 200
    await call('post', '/api/webhooks/okta', '/api/webhooks/okta', {
      json: { data: { events: [] } },
      headers: { authorization: 'wrong' },
    }); // 401
    const body = JSON.stringify({ type: 'user.tokens_revoked', data: { userId: 'contract-nobody' } });
    const signature = new Webhook(secret).sign('msg_contract', new Date(), body);
    const signed = {
      'webhook-id': 'msg_contract',
      'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
      'webhook-signature': signature,
      'content-type': 'application/json',
    };
    await call('post', '/api/webhooks/events', '/api/webhooks/events', { body, headers: signed }); // 202
    await call('post', '/api/webhooks/events', '/api/webhooks/events', {
      body: 'x'.repeat(1024 * 1024 + 1),
      headers: signed,
    }); // 413
    await call('options', '/api/webhooks/eventgrid', '/api/webhooks/eventgrid', {
      headers: { 'webhook-request-origin': 'eventgrid.azure.net', 'x-webhook-secret': 'local-eventgrid-secret' },
    }); // 200
    await call('post', '/api/webhooks/eventgrid', '/api/webhooks/eventgrid', {
      json: [],
      headers: { 'x-webhook-secret': 'local-eventgrid-secret' },
    }); // 202

    const operations = Object.values(document.paths).flatMap((methods) =>
      Object.values(methods).map((operation) => operation.operationId),
    );
    const exercised = new Set([...seen].map((entry) => entry.split(' ')[0]));
    expect(operations.filter((operationId) => !exercised.has(operationId))).toEqual([]);
  });
});
