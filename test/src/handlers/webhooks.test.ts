import { Webhook } from 'standardwebhooks';

import { eventGridWebhook, graphWebhook, oktaWebhook, standardWebhook } from '../../../src/handlers/webhooks';
import { bodyOf, context, request, testServices } from '../../support/services';

describe('webhook handlers (in process)', () => {
  it('graph: answers the validation handshake and queues a verified deletion', async () => {
    const { services, queued } = testServices();
    const handshake = await graphWebhook(services)(
      request('POST', '/api/webhooks/graph?validationToken=abc'),
      context(),
    );
    expect(handshake).toMatchObject({ status: 200, body: 'abc' });
    const notification = {
      value: [
        {
          subscriptionId: 's',
          clientState: 'graph-state',
          changeType: 'deleted',
          resource: 'Users/u-1',
          resourceData: { id: 'u-1' },
          tenantId: '84bd8158-6d4d-4958-8b9f-9d6445542f95',
        },
      ],
    };
    const response = await graphWebhook(services)(
      request('POST', '/api/webhooks/graph', { json: notification }),
      context(),
    );
    expect(response.status).toBe(202);
    expect(queued).toEqual([expect.objectContaining({ source: 'graph', userId: 'u-1', action: 'delete' })]);
  });

  it('okta: refuses a wrong secret with 401 and queues nothing', async () => {
    const { services, queued } = testServices();
    const response = await oktaWebhook(services)(
      request('POST', '/api/webhooks/okta', { json: { data: { events: [] } }, headers: { authorization: 'wrong' } }),
      context(),
    );
    expect(response.status).toBe(401);
    expect(queued).toEqual([]);
  });

  it('standard: queues a signed event; an event naming a foreign issuer is rejected', async () => {
    const { services, queued } = testServices();
    const send = (payload: unknown, id: string) => {
      const body = JSON.stringify(payload);
      const now = new Date();
      const headers = {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': new Webhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw').sign(id, now, body),
      };
      return standardWebhook(services)(request('POST', '/api/webhooks/events', { body, headers }), context());
    };
    expect((await send({ type: 'user.disabled', data: { userId: 'u-2' } }, 'msg-1')).status).toBe(202);
    const foreign = await send(
      { type: 'user.deleted', data: { userId: 'u-3', issuer: 'https://other.example.com' } },
      'msg-2',
    );
    expect(bodyOf(foreign)).toEqual({ accepted: 0, ignored: 0, rejected: 1 });
    expect(queued).toEqual([expect.objectContaining({ userId: 'u-2', action: 'disable' })]);
  });

  it('eventgrid: answers 404 when not configured, and 413 for a body over 1 MiB', async () => {
    const off = testServices({ EVENTGRID_WEBHOOK_SECRET: '' });
    expect(
      (await eventGridWebhook(off.services)(request('POST', '/api/webhooks/eventgrid', { json: [] }), context()))
        .status,
    ).toBe(404);
    const { services } = testServices();
    const big = await eventGridWebhook(services)(
      request('POST', '/api/webhooks/eventgrid', {
        body: 'x'.repeat(1024 * 1024 + 1),
        headers: { 'content-type': 'application/json' },
      }),
      context(),
    );
    expect(big.status).toBe(413);
  });

  it('answers 503 with Retry-After when the events cannot be queued', async () => {
    const { UpstreamError } = await import('../../../src/domain/errors');
    const { services } = testServices(
      {},
      { eventQueue: { enqueue: async () => Promise.reject(new UpstreamError('queue', 'unavailable')) } },
    );
    const notification = {
      value: [
        {
          subscriptionId: 's',
          clientState: 'graph-state',
          changeType: 'deleted',
          resource: 'Users/u-1',
          resourceData: { id: 'u-1' },
          tenantId: '84bd8158-6d4d-4958-8b9f-9d6445542f95',
        },
      ],
    };
    const response = await graphWebhook(services)(
      request('POST', '/api/webhooks/graph', { json: notification }),
      context(),
    );
    expect(response.status).toBe(503);
    expect((response.headers as Record<string, string>)['Retry-After']).toBe('5');
  });
});
