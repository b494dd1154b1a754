import { handleGraphWebhook } from '../../../src/webhooks/graph';
import type { GraphWebhookConfig, WebhookOutcome } from '../../../src/webhooks/types';
import { fixture, fixtureJson, webhookRequest } from './request';

const config: GraphWebhookConfig = {
  clientState: 'secretClientValue',
  updatedAction: 'revoke',
  issuerTemplate: 'https://login.microsoftonline.com/{tenantId}/v2.0',
};
const TENANT = '84bd8158-6d4d-4958-8b9f-9d6445542f95';
const ISSUER = `https://login.microsoftonline.com/${TENANT}/v2.0`;
const SUBSCRIPTION = '0f2a3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
const receivedAt = new Date('2026-08-20T10:00:00.000Z');

type Notification = Record<string, unknown> & { resourceData?: Record<string, unknown> };
const usersBatch = () => fixtureJson<{ value: Notification[] }>('graph/users-batch.json');
const deliver = (body: string, at = receivedAt, cfg = config) =>
  handleGraphWebhook(webhookRequest({ body, receivedAt: at }), cfg);
const accepted = (outcome: WebhookOutcome) => {
  if (outcome.kind !== 'accepted') throw new Error(`expected accepted, got ${JSON.stringify(outcome)}`);
  return outcome;
};
/** One users notification from the fixture, changed as given, delivered alone. */
const single = (change: Partial<Notification>, at = receivedAt) => {
  const notification = { ...usersBatch().value[0], ...change };
  return accepted(deliver(JSON.stringify({ value: [notification] }), at));
};

describe('handleGraphWebhook', () => {
  describe('validation handshake', () => {
    it('answers 200 text/plain with the decoded validationToken', () => {
      const token =
        'Validation: Testing client application reachability for subscription Request-Id: 3b3f4b31-6c5d-4c1a-8e35-1d2b1c5e8f00';
      const outcome = handleGraphWebhook(webhookRequest({ query: { validationToken: token } }), config);
      expect(outcome).toEqual({
        kind: 'handshake',
        status: 200,
        headers: { 'Content-Type': 'text/plain', 'X-Content-Type-Options': 'nosniff' },
        body: token,
      });
    });

    it('refuses methods other than POST', () => {
      const outcome = handleGraphWebhook(webhookRequest({ method: 'GET', query: { validationToken: 'x' } }), config);
      expect(outcome).toEqual({ kind: 'invalid', reason: 'Graph notifications are POSTed' });
    });
  });

  describe('a batch with mixed clientStates', () => {
    const outcome = accepted(deliver(fixture('graph/users-batch.json')));

    it('enqueues only the authentic updated and deleted notifications, normalised', () => {
      expect(outcome.events).toEqual([
        {
          source: 'graph',
          eventId: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
          issuer: ISSUER,
          userId: 'c37b074d-fe9d-4e68-83ad-b4401d3be174',
          action: 'revoke',
          occurredAt: '2026-08-20T10:00:00.000Z',
          type: 'updated',
        },
        {
          source: 'graph',
          eventId: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
          issuer: ISSUER,
          userId: '007d1c7e-7fa8-4e33-b678-5e437acdcddc',
          action: 'delete',
          occurredAt: '2026-08-20T10:00:00.000Z',
          type: 'deleted',
        },
      ]);
      expect(outcome.events[0].eventId).not.toBe(outcome.events[1].eventId);
    });

    it('counts the created notification as ignored and the wrong or missing clientStates as rejected', () => {
      expect(outcome.ignored).toBe(1);
      expect(outcome.rejected).toBe(2);
      expect(outcome.notes).toEqual([
        'warning: notification #2 rejected: clientState missing or wrong',
        'warning: notification #4 rejected: clientState missing or wrong',
      ]);
    });

    it('puts neither the configured nor the offered clientState in the outcome', () => {
      const text = JSON.stringify(outcome);
      expect(text).not.toContain('secretClientValue');
      expect(text).not.toContain('notTheClientState');
    });
  });

  it('ignores updated notifications when updatedAction is ignore, still deleting on deleted', () => {
    const outcome = accepted(
      deliver(fixture('graph/users-batch.json'), receivedAt, { ...config, updatedAction: 'ignore' }),
    );
    expect(outcome.events.map(({ action, userId }) => ({ action, userId }))).toEqual([
      { action: 'delete', userId: '007d1c7e-7fa8-4e33-b678-5e437acdcddc' },
    ]);
    expect(outcome).toMatchObject({ ignored: 2, rejected: 2 });
  });

  it('turns a lifecycle notification into a warning note and enqueues nothing', () => {
    expect(deliver(fixture('graph/lifecycle.json'))).toEqual({
      kind: 'accepted',
      events: [],
      ignored: 1,
      rejected: 0,
      notes: [
        `warning: notification #0 is lifecycle event reauthorizationRequired for subscription ${SUBSCRIPTION}; the subscription needs attention`,
      ],
    });
  });

  it('rejects a lifecycle notification with the wrong clientState without describing it', () => {
    const lifecycle = fixtureJson<{ value: Notification[] }>('graph/lifecycle.json');
    lifecycle.value[0].clientState = 'guess';
    expect(deliver(JSON.stringify(lifecycle))).toEqual({
      kind: 'accepted',
      events: [],
      ignored: 0,
      rejected: 1,
      notes: ['warning: notification #0 rejected: clientState missing or wrong'],
    });
  });

  it('ignores the documented message notification: created, and not about a user', () => {
    const official = fixture('graph/message-created.official.json');
    expect(deliver(official)).toEqual({ kind: 'accepted', events: [], ignored: 1, rejected: 0, notes: [] });

    const deleted = official.replace('"changeType":"created"', '"changeType":"deleted"');
    expect(deliver(deleted)).toEqual({
      kind: 'accepted',
      events: [],
      ignored: 1,
      rejected: 0,
      notes: ['info: notification #0 is not about a user'],
    });
  });

  it('rejects an authentic notification whose tenantId is not a GUID', () => {
    expect(single({ tenantId: 'contoso.onmicrosoft.com' })).toMatchObject({
      events: [],
      rejected: 1,
      notes: ['warning: notification #0 (updated) rejected: resourceData.id or a GUID tenantId is missing'],
    });
  });

  it('uses resourceData.eventTime as occurredAt when Entra ID sends it', () => {
    const resourceData = { ...usersBatch().value[0].resourceData, eventTime: '2026-08-20T09:59:58.1234567Z' };
    expect(single({ resourceData }).events[0].occurredAt).toBe('2026-08-20T09:59:58.123Z');
  });

  describe('eventId', () => {
    const later = new Date('2026-08-20T10:45:00.000Z');
    const idOf = (outcome: { events: { eventId: string }[] }) => outcome.events[0].eventId;

    it('is the same when the same delivery is processed twice', () => {
      expect(accepted(deliver(fixture('graph/users-batch.json'))).events).toEqual(
        accepted(deliver(fixture('graph/users-batch.json'))).events,
      );
    });

    it('is the same for a redelivery of a notification that has an id, and differs for another id', () => {
      expect(idOf(single({ id: 'lsgTZMr9KwAAA' }, later))).toBe(idOf(single({ id: 'lsgTZMr9KwAAA' })));
      expect(idOf(single({ id: 'lsgTZMr9KwAAB' }))).not.toBe(idOf(single({ id: 'lsgTZMr9KwAAA' })));
    });

    it('falls back to resourceData.sequenceNumber, so a redelivery matches and a later change does not', () => {
      const withSequence = (sequenceNumber: number, at?: Date) =>
        single({ resourceData: { ...usersBatch().value[0].resourceData, sequenceNumber } }, at);
      expect(idOf(withSequence(7, later))).toBe(idOf(withSequence(7)));
      expect(idOf(withSequence(8))).not.toBe(idOf(withSequence(7)));
    });

    it('without any discriminator, differs by receipt time so a later change is never swallowed', () => {
      expect(idOf(single({}, later))).not.toBe(idOf(single({})));
    });
  });

  it.each([
    ['not JSON', 'not json'],
    ['an array', '[]'],
    ['no value array', '{"values":[]}'],
  ])('answers invalid to a body that is %s', (_, body) => {
    expect(deliver(body)).toEqual({ kind: 'invalid', reason: 'body is not a Graph change notification collection' });
  });

  it('accepts an empty batch with nothing to do', () => {
    expect(deliver('{"value":[]}')).toEqual({ kind: 'accepted', events: [], ignored: 0, rejected: 0, notes: [] });
  });
});
