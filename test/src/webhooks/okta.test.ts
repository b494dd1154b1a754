import { handleOktaWebhook } from '../../../src/webhooks/okta';
import type { OktaWebhookConfig } from '../../../src/webhooks/types';
import { fixture, fixtureJson, webhookRequest } from './request';

const config: OktaWebhookConfig = {
  secret: 'okta-hook-secret-9f2c1e',
  issuer: 'https://contoso.okta.com/oauth2/default',
};
const authorized = { authorization: config.secret };

type LogEvent = Record<string, unknown>;
const deactivate = () => fixtureJson<LogEvent>('okta/lifecycle-deactivate-event.official.json');
/** The documented delivery envelope around the given events. */
const delivery = (...events: LogEvent[]) => {
  const envelope = fixtureJson<{ data: { events: LogEvent[] } }>('okta/session-start.official.json');
  envelope.data.events = events;
  return JSON.stringify(envelope);
};
const post = (body: string, headers: Record<string, string> = authorized) =>
  handleOktaWebhook(webhookRequest({ headers, body }), config);

describe('handleOktaWebhook', () => {
  describe('one-time verification (GET)', () => {
    const challenge = 'vNWHlhdYLQl9ml1hPq5rRMBMbf1jGUuMrFVDF3pR';

    it('echoes the challenge as {"verification": ...} when the Authorization header matches', () => {
      const outcome = handleOktaWebhook(
        webhookRequest({ method: 'GET', headers: { ...authorized, 'x-okta-verification-challenge': challenge } }),
        config,
      );
      expect(outcome).toEqual({
        kind: 'handshake',
        status: 200,
        headers: { 'Content-Type': 'application/json' },
        body: `{"verification":"${challenge}"}`,
      });
    });

    it.each([
      ['missing', {}],
      ['wrong', { authorization: 'okta-hook-secret-9f2c1f' }],
    ])('is unauthorized when the Authorization header is %s', (_, headers) => {
      const outcome = handleOktaWebhook(
        webhookRequest({ method: 'GET', headers: { ...headers, 'x-okta-verification-challenge': challenge } }),
        config,
      );
      expect(outcome).toEqual({ kind: 'unauthorized', reason: 'Authorization header missing or wrong' });
    });

    it('is invalid without a challenge header', () => {
      expect(handleOktaWebhook(webhookRequest({ method: 'GET', headers: authorized }), config)).toEqual({
        kind: 'invalid',
        reason: 'GET without x-okta-verification-challenge',
      });
    });
  });

  describe('event delivery (POST)', () => {
    it('normalises a batch: deactivate -> disable, delete.initiated -> delete, session.start ignored', () => {
      expect(post(fixture('okta/batch.json'))).toEqual({
        kind: 'accepted',
        events: [
          {
            source: 'okta',
            eventId: 'ab62c0bc-2837-11eb-9823-9fb8f750c5a9',
            issuer: 'https://contoso.okta.com/oauth2/default',
            userId: '00u3m90rxKjGQ0G6L1d6',
            action: 'disable',
            occurredAt: '2020-11-16T18:15:12.862Z',
            type: 'user.lifecycle.deactivate',
          },
          {
            source: 'okta',
            eventId: 'c41f6a52-2838-11eb-9823-9fb8f750c5a9',
            issuer: 'https://contoso.okta.com/oauth2/default',
            userId: '00u3m90rxKjGQ0G6L1d6',
            action: 'delete',
            occurredAt: '2020-11-16T18:20:41.105Z',
            type: 'user.lifecycle.delete.initiated',
          },
        ],
        ignored: 1,
        rejected: 0,
        notes: [],
      });
    });

    it('ignores the documented sample delivery (a sign-in)', () => {
      expect(post(fixture('okta/session-start.official.json'))).toEqual({
        kind: 'accepted',
        events: [],
        ignored: 1,
        rejected: 0,
        notes: [],
      });
    });

    it.each([
      ['missing', {}],
      ['wrong', { authorization: 'Bearer okta-hook-secret-9f2c1e' }],
    ])('is unauthorized when the Authorization header is %s', (_, headers) => {
      expect(post(fixture('okta/batch.json'), headers)).toEqual({
        kind: 'unauthorized',
        reason: 'Authorization header missing or wrong',
      });
    });

    it.each([
      ['user.account.update_password', 'revoke'],
      ['user.account.reset_password', 'revoke'],
      ['user.lifecycle.deactivate', 'disable'],
      ['user.lifecycle.suspend', 'disable'],
      ['user.lifecycle.activate', 'enable'],
      ['user.lifecycle.reactivate', 'enable'],
      ['user.lifecycle.unsuspend', 'enable'],
      ['user.account.lock', 'revoke'],
      ['user.session.clear', 'revoke'],
      ['user.session.end', 'revoke'],
      ['user.authentication.universal_logout', 'revoke'],
      ['user.account.privilege.revoke', 'revoke'],
    ])('maps %s to %s', (eventType, action) => {
      const outcome = post(delivery({ ...deactivate(), eventType }));
      expect(outcome).toMatchObject({
        kind: 'accepted',
        events: [{ action, type: eventType, userId: '00u3m90rxKjGQ0G6L1d6' }],
      });
    });

    it.each(['user.account.unlock', 'constructor', '__proto__'])('ignores %s', (eventType) => {
      expect(post(delivery({ ...deactivate(), eventType }))).toEqual({
        kind: 'accepted',
        events: [],
        ignored: 1,
        rejected: 0,
        notes: [],
      });
    });

    it('ignores, with a note, a revoking event type whose outcome was not a success', () => {
      const outcome = post(
        delivery({ ...deactivate(), outcome: { result: 'FAILURE', reason: 'Deactivation failed' } }),
      );
      expect(outcome).toEqual({
        kind: 'accepted',
        events: [],
        ignored: 1,
        rejected: 0,
        notes: [
          'info: event #0 (user.lifecycle.deactivate, ab62c0bc-2837-11eb-9823-9fb8f750c5a9) ignored: outcome FAILURE',
        ],
      });
    });

    it('rejects a revoking event with no User target rather than guessing from the actor', () => {
      const outcome = post(
        delivery({ ...deactivate(), target: [{ id: '0oaz9fj21WKqTeaqs1d6', type: 'AppInstance' }] }),
      );
      expect(outcome).toEqual({
        kind: 'accepted',
        events: [],
        ignored: 0,
        rejected: 1,
        notes: [
          'warning: event #0 (user.lifecycle.deactivate, ab62c0bc-2837-11eb-9823-9fb8f750c5a9) rejected: no User target or no valid published time',
        ],
      });
    });

    it('rejects an entry that is not a System Log event and keeps the rest', () => {
      const outcome = post(delivery({ eventType: 'user.lifecycle.deactivate' }, deactivate()));
      expect(outcome).toMatchObject({
        kind: 'accepted',
        events: [{ eventId: 'ab62c0bc-2837-11eb-9823-9fb8f750c5a9' }],
        rejected: 1,
        notes: ['warning: event #0 rejected: not a System Log event'],
      });
    });

    it.each([
      ['not JSON', '<xml/>'],
      ['without data.events', '{"eventType":"com.okta.event_hook","data":{}}'],
    ])('is invalid when the body is %s', (_, body) => {
      expect(post(body)).toEqual({ kind: 'invalid', reason: 'body is not an Okta event hook delivery' });
    });

    it('never puts the secret in the outcome', () => {
      const outcomes = [
        post('{}', {}),
        post(fixture('okta/batch.json')),
        post(delivery({ ...deactivate(), outcome: { result: 'FAILURE' } })),
      ];
      for (const outcome of outcomes) expect(JSON.stringify(outcome)).not.toContain(config.secret);
    });
  });

  it('is invalid for methods other than GET and POST', () => {
    expect(handleOktaWebhook(webhookRequest({ method: 'PUT', headers: authorized }), config)).toEqual({
      kind: 'invalid',
      reason: 'Okta event hooks use GET (verification) and POST',
    });
  });
});
