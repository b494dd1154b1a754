import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { Webhook } from 'standardwebhooks';

import { eventRowKey } from '../../src/storage/keys';
import { startTestStack, type TestStack } from '../helpers/stack';
import { sleep, waitFor } from '../helpers/wait';

const fixture = <T = unknown>(path: string): T =>
  JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'webhooks', path), 'utf8')) as T;

const settings = {
  GRAPH_CLIENT_STATE: 'secretClientValue',
  // Single-tenant style: Graph users' tokens come from the development issuer in this stack.
  GRAPH_ISSUER_TEMPLATE: '{issuerUrl}',
  OKTA_WEBHOOK_SECRET: 'okta-shared-secret',
  OKTA_ISSUER: '{issuerUrl}',
  STANDARD_WEBHOOK_SECRETS: 'whsec_b2xkLXNlY3JldC1yb3RhdGVkLW91dA== whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  STANDARD_WEBHOOK_ISSUER: '{issuerUrl}',
  EVENTGRID_WEBHOOK_SECRET: 'eventgrid-shared-secret',
  // Fast retries for the tests: the real host reads the same override form for host.json values.
  AzureFunctionsJobHost__extensions__queues__visibilityTimeout: '00:00:00',
  AzureFunctionsJobHost__extensions__queues__maxDequeueCount: '3',
};

/** Identity-provider webhooks -> Azurite queue -> worker -> ACS emulator, through the local functions host. */
describe('event-driven revocation', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack(settings);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** A user with an identity and a live ACS token. */
  const userWithToken = async (userId: string) => {
    const bearer = await stack.token(userId);
    const response = await stack.api('/api/tokens', { method: 'POST', token: bearer });
    expect(response.status).toBe(201);
    const body = (await response.json()) as { communicationUserId: string; token: string };
    expect((await stack.verifyAcsToken(body.token)).valid).toBe(true);
    return { bearer, ...body };
  };
  /** The outcome the worker stored for an event (ProcessedEvents), once it is done. */
  const storedOutcome = async (source: string, eventId: string): Promise<string | undefined> => {
    try {
      const record = await stack
        .table('ProcessedEvents')
        .getEntity<{ state: string; outcome?: string }>(source, eventRowKey(eventId));
      return record.state === 'done' ? record.outcome : undefined;
    } catch {
      return undefined;
    }
  };
  const tokenRevoked = (acsToken: string) =>
    waitFor('the token to be revoked', async () => !(await stack.verifyAcsToken(acsToken)).valid);
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    stack.api(path, {
      method: 'POST',
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...headers },
    });

  const okta = (eventType: string, userId: string, uuid: string, published = new Date().toISOString()) => {
    const delivery = fixture<{ data: { events: Array<Record<string, unknown>> } }>('okta/batch.json');
    const event = {
      ...delivery.data.events[0],
      eventType,
      uuid,
      published,
      target: [{ id: userId, type: 'User', alternateId: 'x@example.com', displayName: 'X' }],
    };
    return { ...delivery, data: { events: [event] } };
  };
  const standardHeaders = (secret: string, id: string, body: string, timestamp = new Date()) => {
    const signature = new Webhook(secret).sign(id, timestamp, body);
    return {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'webhook-signature': signature,
    };
  };

  describe('handshakes', () => {
    it('echoes the Graph validation token as text/plain', async () => {
      const response = await stack.api(
        '/api/webhooks/graph?validationToken=' + encodeURIComponent('Validation: Token+with spaces'),
        { method: 'POST' },
      );
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await response.text()).toBe('Validation: Token+with spaces');
    });

    it("answers Okta's one-time verification challenge", async () => {
      const response = await stack.api('/api/webhooks/okta', {
        headers: { 'x-okta-verification-challenge': 'challenge-123', authorization: 'okta-shared-secret' },
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ verification: 'challenge-123' });
    });

    it('answers the CloudEvents OPTIONS handshake and the Event Grid validation event', async () => {
      const options = await stack.api('/api/webhooks/eventgrid', {
        method: 'OPTIONS',
        headers: { 'webhook-request-origin': 'eventgrid.azure.net', 'x-webhook-secret': 'eventgrid-shared-secret' },
      });
      expect(options.status).toBe(200);
      expect(options.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.net');
      const validation = await post(
        '/api/webhooks/eventgrid',
        fixture('eventgrid/subscription-validation.official.json'),
        {
          'aeg-event-type': 'SubscriptionValidation',
          'x-webhook-secret': 'eventgrid-shared-secret',
        },
      );
      expect(validation.status).toBe(200);
      expect(((await validation.json()) as { validationResponse: string }).validationResponse).toBe(
        fixture<Array<{ data: { validationCode: string } }>>('eventgrid/subscription-validation.official.json')[0]?.data
          .validationCode,
      );
    });
  });

  it('an Okta password change makes the user’s earlier tokens fail verification', async () => {
    const user = await userWithToken('00uokta0password1');
    const response = await post(
      '/api/webhooks/okta',
      okta('user.account.update_password', '00uokta0password1', 'okta-evt-1'),
      { authorization: 'okta-shared-secret' },
    );
    // Okta's event-hook contract: 200 or 204 with an empty body.
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
    await tokenRevoked(user.token);
    // The identity stays; a fresh token works.
    const fresh = (await (await stack.api('/api/tokens/refresh', { method: 'POST', token: user.bearer })).json()) as {
      token: string;
    };
    expect((await stack.verifyAcsToken(fresh.token)).valid).toBe(true);
  });

  it('an Okta delete removes the ACS identity and the mapping', async () => {
    const user = await userWithToken('00uokta0delete01');
    expect(
      (
        await post('/api/webhooks/okta', okta('user.lifecycle.delete.initiated', '00uokta0delete01', 'okta-evt-2'), {
          authorization: 'okta-shared-secret',
        })
      ).status,
    ).toBe(204);
    await waitFor(
      'the mapping to go',
      async () => (await stack.api('/api/identities/me', { token: user.bearer })).status === 404,
    );
    expect(await stack.acsIdentities()).not.toContain(user.communicationUserId);
    expect((await stack.verifyAcsToken(user.token)).valid).toBe(false);
  });

  it('a wrong secret or signature is refused with 401 and nothing is enqueued', async () => {
    const user = await userWithToken('00uokta0wrongsec');
    const before = await stack.acsStats();
    expect(
      (
        await post('/api/webhooks/okta', okta('user.account.update_password', '00uokta0wrongsec', 'okta-evt-3'), {
          authorization: 'wrong',
        })
      ).status,
    ).toBe(401);
    const body = JSON.stringify({ type: 'user.tokens_revoked', data: { userId: '00uokta0wrongsec' } });
    const forged = standardHeaders('whsec_' + Buffer.from('not-our-secret').toString('base64'), 'msg_forged', body);
    expect((await post('/api/webhooks/events', body, forged)).status).toBe(401);
    expect((await post('/api/webhooks/graph', { value: [] })).status).toBe(202);
    await sleep(1500);
    expect((await stack.acsStats())['revokeTokens']).toBe(before['revokeTokens']);
    expect((await stack.verifyAcsToken(user.token)).valid).toBe(true);
    const queued = await stack.queue('identity-events').getProperties();
    expect(queued.approximateMessagesCount).toBe(0);
  });

  it('the same Standard Webhooks event delivered twice acts once (second secret of a rotation)', async () => {
    const user = await userWithToken('std-user-dup');
    const body = JSON.stringify({
      type: 'user.password_changed',
      timestamp: new Date().toISOString(),
      data: { userId: 'std-user-dup' },
    });
    const headers = standardHeaders('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_dup_1', body);
    const before = await stack.acsStats();
    expect((await post('/api/webhooks/events', body, headers)).status).toBe(202);
    expect((await post('/api/webhooks/events', body, headers)).status).toBe(202);
    await tokenRevoked(user.token);
    // The second delivery finds the first in progress (retried later) or done: either way it ends as a duplicate.
    await waitFor('the second delivery to be found a duplicate', async () =>
      /Event standard\/msg_dup_1 \(revoke\): duplicate/.test(stack.output()),
    );
    expect((await stack.acsStats())['revokeTokens'] - before['revokeTokens']).toBe(1);
  });

  it('a replayed Standard Webhook outside the 5-minute tolerance is refused', async () => {
    const body = JSON.stringify({ type: 'user.deleted', data: { userId: 'std-user-replay' } });
    const old = standardHeaders(
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      'msg_old',
      body,
      new Date(Date.now() - 6 * 60_000),
    );
    expect((await post('/api/webhooks/events', body, old)).status).toBe(401);
    const future = standardHeaders(
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      'msg_future',
      body,
      new Date(Date.now() + 6 * 60_000),
    );
    expect((await post('/api/webhooks/events', body, future)).status).toBe(401);
  });

  it('Graph notifications: updated revokes, deleted deletes, a wrong clientState is acknowledged but ignored', async () => {
    const updated = await userWithToken('c37b074d-fe9d-4e68-83ad-b4401d3be174');
    const deleted = await userWithToken('007d1c7e-7fa8-4e33-b678-5e437acdcddc');
    const spoofed = await userWithToken('01754bb5-89de-4003-be72-9106a9fb16f2');
    const response = await post('/api/webhooks/graph', fixture('graph/users-batch.json'));
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ accepted: 2, rejected: 2 });
    await tokenRevoked(updated.token);
    await waitFor(
      'the deleted user to go',
      async () => (await stack.api('/api/identities/me', { token: deleted.bearer })).status === 404,
    );
    expect((await stack.verifyAcsToken(spoofed.token)).valid).toBe(true);
  });

  it('Event Grid CloudEvents from Graph revoke the user', async () => {
    const event = fixture<{ data: { resourceData: { id: string } } }>('eventgrid/user-updated.json');
    const user = await userWithToken(event.data.resourceData.id);
    const response = await stack.api('/api/webhooks/eventgrid', {
      method: 'POST',
      body: JSON.stringify({ ...event, id: 'eg-evt-1', time: new Date().toISOString() }),
      headers: { 'content-type': 'application/cloudevents+json', 'x-webhook-secret': 'eventgrid-shared-secret' },
    });
    expect(response.status).toBe(202);
    await tokenRevoked(user.token);
  });

  it('a delete event from before an identity existed leaves that newer identity alone', async () => {
    const user = await userWithToken('00uokta0stale001');
    const yesterday = new Date(Date.now() - 86_400_000).toISOString();
    expect(
      (
        await post(
          '/api/webhooks/okta',
          okta('user.lifecycle.delete.initiated', '00uokta0stale001', 'okta-evt-stale', yesterday),
          { authorization: 'okta-shared-secret' },
        )
      ).status,
    ).toBe(204);
    expect(await waitFor('the stale event to be processed', () => storedOutcome('okta', 'okta-evt-stale'))).toBe(
      'kept_newer_identity',
    );
    expect((await stack.api('/api/identities/me', { token: user.bearer })).status).toBe(200);
    expect((await stack.verifyAcsToken(user.token)).valid).toBe(true);
  });

  it('an event for a user without an identity is a no-op', async () => {
    const before = await stack.acsStats();
    expect(
      (
        await post('/api/webhooks/okta', okta('user.account.lock', '00uokta0nobody01', 'okta-evt-nobody'), {
          authorization: 'okta-shared-secret',
        })
      ).status,
    ).toBe(204);
    expect(await waitFor('the event to be processed', () => storedOutcome('okta', 'okta-evt-nobody'))).toBe(
      'no_mapping',
    );
    expect((await stack.acsStats())['revokeTokens']).toBe(before['revokeTokens']);
  });

  it('an ACS 429 during processing is retried until it succeeds', async () => {
    const user = await userWithToken('00uokta0throttle');
    await stack.acsFault({ operation: 'revokeTokens', status: 429, count: 1, retryAfterSeconds: 30 });
    expect(
      (
        await post('/api/webhooks/okta', okta('user.session.clear', '00uokta0throttle', 'okta-evt-429'), {
          authorization: 'okta-shared-secret',
        })
      ).status,
    ).toBe(204);
    await tokenRevoked(user.token);
    expect(stack.output()).toMatch(/Event okta\/okta-evt-429 failed on attempt 1: UpstreamError\(acs_throttled\)/);
  });

  it('a poisoned message ends in the poison queue, logged with its id', async () => {
    const queue = stack.queue('identity-events');
    const sent = await queue.sendMessage(Buffer.from('{"not":"an event"}').toString('base64'));
    const poison = stack.queue('identity-events-poison');
    const message = await waitFor('the poison queue to receive it', async () => {
      if (!(await poison.exists())) return undefined;
      const peeked = await poison.peekMessages({ numberOfMessages: 32 });
      return peeked.peekedMessageItems.find(
        (item) => Buffer.from(item.messageText, 'base64').toString() === '{"not":"an event"}',
      );
    });
    expect(message).toBeDefined();
    expect(stack.output()).toContain(`Malformed identity event (message ${sent.messageId}`);
  });

  it('never logs secrets, tokens or keys', async () => {
    const output = stack.output();
    for (const secret of [
      'okta-shared-secret',
      'eventgrid-shared-secret',
      'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      'secretClientValue',
      'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq',
      'opMCZDOAS7GYsFEZZU0iQUSc9U9356Tq62MojtJEOTqFpgGI7V',
    ]) {
      expect(output).not.toContain(secret);
    }
    expect(output).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./);
  });
});
