import { handleEventGridWebhook } from '../../../src/webhooks/eventgrid';
import type { EventGridWebhookConfig } from '../../../src/webhooks/types';
import { fixture, fixtureJson, webhookRequest, type RequestInit } from './request';

const config: EventGridWebhookConfig = {
  secret: 'eg-delivery-secret-4d1f8a',
  graphIssuerTemplate: 'https://login.microsoftonline.com/{tenantId}/v2.0',
};
const TENANT = 'b2a5e1f3-7c9d-4e8a-9f01-23456789abcd';
const ISSUER = `https://login.microsoftonline.com/${TENANT}/v2.0`;
const withSecret = { 'x-webhook-secret': config.secret };
const UNAUTHORIZED = {
  kind: 'unauthorized',
  reason: 'x-webhook-secret header (or secret query parameter) missing or wrong',
};

const handle = (init: RequestInit) => handleEventGridWebhook(webhookRequest(init), config);
const post = (
  body: string,
  headers: Record<string, string> = { ...withSecret, 'content-type': 'application/cloudevents+json' },
) => handle({ headers, body });

type CloudEvent = Record<string, unknown> & {
  data: Record<string, unknown> & { resourceData: Record<string, unknown> };
};
const userUpdated = () => fixtureJson<CloudEvent>('eventgrid/user-updated.json');

describe('handleEventGridWebhook', () => {
  describe('CloudEvents abuse-protection handshake (OPTIONS)', () => {
    const origin = { 'webhook-request-origin': 'eventgrid.azure.net' };

    it('allows the requesting origin at its requested rate', () => {
      expect(
        handle({ method: 'OPTIONS', headers: { ...withSecret, ...origin, 'webhook-request-rate': '120' } }),
      ).toEqual({
        kind: 'handshake',
        status: 200,
        headers: { 'WebHook-Allowed-Origin': 'eventgrid.azure.net', 'WebHook-Allowed-Rate': '120', Allow: 'POST' },
        body: '',
      });
    });

    it('allows any rate when none (or no number) is requested', () => {
      const rates: Record<string, string>[] = [{}, { 'webhook-request-rate': 'fast' }];
      for (const rate of rates) {
        expect(handle({ method: 'OPTIONS', headers: { ...withSecret, ...origin, ...rate } })).toMatchObject({
          kind: 'handshake',
          headers: { 'WebHook-Allowed-Rate': '*' },
        });
      }
    });

    it('accepts the secret as a query parameter too', () => {
      expect(handle({ method: 'OPTIONS', headers: origin, query: { secret: config.secret } })).toMatchObject({
        kind: 'handshake',
        status: 200,
      });
    });

    it('is unauthorized without the secret', () => {
      expect(handle({ method: 'OPTIONS', headers: origin })).toEqual(UNAUTHORIZED);
    });

    it('is invalid without a WebHook-Request-Origin', () => {
      expect(handle({ method: 'OPTIONS', headers: withSecret })).toEqual({
        kind: 'invalid',
        reason: 'OPTIONS without a valid WebHook-Request-Origin',
      });
    });
  });

  describe('Event Grid schema SubscriptionValidation handshake', () => {
    const headers = { ...withSecret, 'aeg-event-type': 'SubscriptionValidation', 'content-type': 'application/json' };

    it('echoes the validation code of the documented validation event', () => {
      expect(post(fixture('eventgrid/subscription-validation.official.json'), headers)).toEqual({
        kind: 'handshake',
        status: 200,
        headers: { 'Content-Type': 'application/json' },
        body: '{"validationResponse":"512d38b6-c7b8-40c8-89fe-f46f9e9622b6"}',
      });
    });

    it('is unauthorized without the secret', () => {
      expect(
        post(fixture('eventgrid/subscription-validation.official.json'), {
          'aeg-event-type': 'SubscriptionValidation',
        }),
      ).toEqual(UNAUTHORIZED);
    });

    it('is invalid without a validation event in the body', () => {
      expect(post(fixture('eventgrid/user-updated.json'), headers)).toEqual({
        kind: 'invalid',
        reason: 'SubscriptionValidation without a validation code',
      });
    });
  });

  describe('CloudEvents deliveries', () => {
    it('turns a single structured Microsoft.Graph.UserUpdated into a revoke', () => {
      expect(post(fixture('eventgrid/user-updated.json'))).toEqual({
        kind: 'accepted',
        events: [
          {
            source: 'eventgrid',
            eventId: '00d8a100-2e92-4bfa-86e1-0056dacd0fce',
            issuer: ISSUER,
            userId: '5f3e2d1c-0b9a-4876-a543-210fedcba987',
            action: 'revoke',
            occurredAt: '2022-05-24T22:24:31.306Z',
            type: 'Microsoft.Graph.UserUpdated',
          },
        ],
        ignored: 0,
        rejected: 0,
        notes: [],
      });
    });

    it('normalises a batch: updated -> revoke, deleted -> delete, group event ignored', () => {
      const batch = `[${fixture('eventgrid/user-updated.json')},${fixture('eventgrid/user-deleted.json')},${fixture('eventgrid/group-updated.json')}]`;
      const outcome = post(batch, {
        ...withSecret,
        'content-type': 'application/cloudevents-batch+json; charset=utf-8',
      });
      expect(outcome).toEqual({
        kind: 'accepted',
        events: [
          expect.objectContaining({
            eventId: '00d8a100-2e92-4bfa-86e1-0056dacd0fce',
            action: 'revoke',
            userId: '5f3e2d1c-0b9a-4876-a543-210fedcba987',
          }),
          {
            source: 'eventgrid',
            eventId: '9c1d2e3f-4a5b-4c6d-8e7f-a0b1c2d3e4f5',
            issuer: ISSUER,
            userId: '6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d',
            action: 'delete',
            occurredAt: '2022-05-24T22:24:31.306Z',
            type: 'Microsoft.Graph.UserDeleted',
          },
        ],
        ignored: 1,
        rejected: 0,
        notes: [],
      });
    });

    it('falls back to the subject for the user id, to resourceData.organizationId for the tenant, and to receivedAt for the time', () => {
      const event = userUpdated();
      delete event.data.resourceData.id;
      delete event.data.tenantId;
      delete event.time;
      expect(
        handle({ headers: withSecret, body: JSON.stringify(event), receivedAt: new Date('2026-08-20T10:00:00Z') }),
      ).toMatchObject({
        kind: 'accepted',
        events: [
          { userId: '5f3e2d1c-0b9a-4876-a543-210fedcba987', issuer: ISSUER, occurredAt: '2026-08-20T10:00:00.000Z' },
        ],
      });
    });

    it('rejects a user event without a GUID tenant id', () => {
      const event = userUpdated();
      event.data.tenantId = 'contoso';
      event.data.resourceData.organizationId = 'contoso';
      expect(post(JSON.stringify(event))).toEqual({
        kind: 'accepted',
        events: [],
        ignored: 0,
        rejected: 1,
        notes: [
          'warning: event #0 (Microsoft.Graph.UserUpdated, 00d8a100-2e92-4bfa-86e1-0056dacd0fce) rejected: no user id or no GUID tenant id',
        ],
      });
    });

    it('rejects an entry without id or type and keeps the rest', () => {
      const outcome = post(`[{"specversion":"1.0"},${fixture('eventgrid/user-deleted.json')}]`);
      expect(outcome).toMatchObject({
        kind: 'accepted',
        events: [{ action: 'delete' }],
        rejected: 1,
        notes: ['warning: event #0 rejected: no id or type'],
      });
    });

    it.each([
      ['wrong', { 'x-webhook-secret': 'eg-delivery-secret-4d1f8b' }, {}],
      ['missing', {}, {}],
      ['wrong in the header though right in the query', { 'x-webhook-secret': 'nope' }, { secret: config.secret }],
    ])('is unauthorized when the secret is %s', (_, headers, query) => {
      expect(handle({ headers, query, body: fixture('eventgrid/user-updated.json') })).toEqual(UNAUTHORIZED);
    });

    it('accepts the secret as a query parameter', () => {
      expect(handle({ query: { secret: config.secret }, body: fixture('eventgrid/user-updated.json') })).toMatchObject({
        kind: 'accepted',
        events: [{ action: 'revoke' }],
      });
    });

    it.each([
      ['not JSON', '{', 'body is not JSON'],
      ['a batch of non-objects', '[1,2]', 'body is not a CloudEvent or a batch of them'],
    ])('is invalid when the body is %s', (_, body, reason) => {
      expect(post(body)).toEqual({ kind: 'invalid', reason });
    });

    it('never puts the secret in the outcome', () => {
      for (const outcome of [handle({ query: { secret: 'x' } }), post(fixture('eventgrid/user-updated.json'))]) {
        expect(JSON.stringify(outcome)).not.toContain(config.secret);
      }
    });
  });

  it('is invalid for methods other than OPTIONS and POST', () => {
    expect(handle({ method: 'GET', headers: withSecret })).toEqual({
      kind: 'invalid',
      reason: 'Event Grid deliveries are POSTed',
    });
  });
});
