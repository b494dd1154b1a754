import { createHmac, randomBytes } from 'node:crypto';

import { Webhook } from 'standardwebhooks';

import { handleStandardWebhook } from '../../../src/webhooks/standard';
import type { StandardWebhookConfig, WebhookOutcome } from '../../../src/webhooks/types';
import { fixture, fixtureJson, webhookRequest } from './request';

const current = 'whsec_' + Buffer.from('current-signing-key-32-bytes-long').toString('base64');
const previous = 'whsec_' + Buffer.from('previous-signing-key-32-bytes-lo').toString('base64');
const stranger = 'whsec_' + Buffer.from('somebody-elses-key-32-bytes-long').toString('base64');
const config: StandardWebhookConfig = {
  secrets: [current],
  defaultIssuer: 'https://clerk.contoso.com',
  allowedIssuers: ['https://clerk.contoso.com', 'https://contoso.eu.auth0.com/'],
};

const receivedAt = new Date('2026-08-20T10:00:00.000Z');
const msgId = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';

/** Signs like a sender would, with the `standardwebhooks` package, and returns the request headers. */
function signedHeaders(
  body: string,
  { secrets = [current], at = receivedAt, prefix = 'webhook', id = msgId } = {},
): Record<string, string> {
  const signature = secrets.map((secret) => new Webhook(secret).sign(id, at, body)).join(' ');
  return {
    [`${prefix}-id`]: id,
    [`${prefix}-timestamp`]: String(Math.floor(at.getTime() / 1000)),
    [`${prefix}-signature`]: signature,
  };
}
const deliver = (body: string, headers: Record<string, string>, { at = receivedAt, cfg = config } = {}) =>
  handleStandardWebhook(webhookRequest({ headers, body, receivedAt: at }), cfg);

interface Vector {
  secret: string;
  headers: Record<string, string>;
  payload: string;
}
const vector = fixtureJson<Vector>('standard/svix-test-vector.json');
const vectorTime = new Date(Number(vector.headers['svix-timestamp']) * 1000);
/** The vector's body is `{"test": ...}`: once the signature passes, it fails as a payload, which proves the signature passed. */
const VECTOR_VERIFIED: WebhookOutcome = { kind: 'invalid', reason: 'body is not a {type, data} webhook payload' };

describe('handleStandardWebhook', () => {
  describe('signature', () => {
    it('verifies the published Svix test vector (svix-* headers)', () => {
      expect(
        deliver(vector.payload, vector.headers, {
          at: vectorTime,
          cfg: { secrets: [vector.secret], allowedIssuers: [] },
        }),
      ).toEqual(VECTOR_VERIFIED);
    });

    it('verifies the same vector under webhook-* headers and with the secret given without whsec_', () => {
      const headers = Object.fromEntries(
        Object.entries(vector.headers).map(([name, value]) => [name.replace('svix-', 'webhook-'), value]),
      );
      expect(
        deliver(vector.payload, headers, {
          at: vectorTime,
          cfg: { secrets: [vector.secret.slice('whsec_'.length)], allowedIssuers: [] },
        }),
      ).toEqual(VECTOR_VERIFIED);
    });

    it('refuses a tampered body', () => {
      expect(
        deliver(vector.payload.replace('2432232314', '2432232315'), vector.headers, {
          at: vectorTime,
          cfg: { secrets: [vector.secret], allowedIssuers: [] },
        }),
      ).toEqual({
        kind: 'unauthorized',
        reason: 'no webhook signature matches a configured secret',
      });
    });

    it('refuses a signature made with a key that is not configured', () => {
      const body = fixture('standard/generic-password-changed.json');
      expect(deliver(body, signedHeaders(body, { secrets: [stranger] }))).toEqual({
        kind: 'unauthorized',
        reason: 'no webhook signature matches a configured secret',
      });
    });

    it('accepts a delivery signed with the second configured secret (rotation on our side)', () => {
      const body = fixture('standard/generic-password-changed.json');
      const outcome = deliver(body, signedHeaders(body, { secrets: [previous] }), {
        cfg: { ...config, secrets: [current, previous] },
      });
      expect(outcome).toMatchObject({ kind: 'accepted', events: [{ eventId: msgId }] });
    });

    it('accepts a header carrying several signatures when any one matches (rotation on the sender side)', () => {
      const body = fixture('standard/generic-password-changed.json');
      const outcome = deliver(body, signedHeaders(body, { secrets: [stranger, current] }));
      expect(outcome).toMatchObject({ kind: 'accepted', events: [{ eventId: msgId }] });
    });

    it('never accepts a signature made with an empty key, even when an empty secret is configured', () => {
      const body = fixture('standard/generic-password-changed.json');
      const headers = signedHeaders(body, { secrets: [] });
      const emptyKeySignature = createHmac('sha256', Buffer.alloc(0))
        .update(`${msgId}.${headers['webhook-timestamp']}.${body}`)
        .digest('base64');
      headers['webhook-signature'] = `v1,${emptyKeySignature}`;
      expect(deliver(body, headers, { cfg: { secrets: ['whsec_', ''], allowedIssuers: [] } })).toMatchObject({
        kind: 'unauthorized',
      });
    });

    it.each([
      ['the id header', 'webhook-id'],
      ['the timestamp header', 'webhook-timestamp'],
      ['the signature header', 'webhook-signature'],
    ])('is unauthorized without %s', (_, name) => {
      const body = fixture('standard/generic-password-changed.json');
      const headers = signedHeaders(body);
      delete headers[name];
      expect(deliver(body, headers)).toEqual({
        kind: 'unauthorized',
        reason: 'webhook-id/-timestamp/-signature (or svix-*) headers missing',
      });
    });

    it('is unauthorized when the timestamp is not unix seconds', () => {
      const body = fixture('standard/generic-password-changed.json');
      const headers = { ...signedHeaders(body), 'webhook-timestamp': '2026-08-20T10:00:00Z' };
      expect(deliver(body, headers)).toEqual({ kind: 'unauthorized', reason: 'webhook timestamp is not unix seconds' });
    });
  });

  describe('replay tolerance of 5 minutes around receivedAt', () => {
    const body = fixture('standard/generic-password-changed.json');
    const signedAt = (offsetInSeconds: number) =>
      signedHeaders(body, { at: new Date(receivedAt.getTime() + offsetInSeconds * 1000) });

    it.each([-300, 300])('accepts a delivery signed %i s from receipt', (offset) => {
      expect(deliver(body, signedAt(offset))).toMatchObject({ kind: 'accepted' });
    });

    it('refuses a delivery signed more than 5 minutes before receipt (a replay)', () => {
      expect(deliver(body, signedAt(-301))).toEqual({
        kind: 'unauthorized',
        reason: 'webhook timestamp is older than the 5-minute tolerance',
      });
    });

    it('refuses a delivery signed more than 5 minutes after receipt', () => {
      expect(deliver(body, signedAt(301))).toEqual({
        kind: 'unauthorized',
        reason: 'webhook timestamp is newer than the 5-minute tolerance',
      });
    });
  });

  describe('generic payloads', () => {
    it('turns user.password_changed into a revoke for the payload issuer', () => {
      const body = fixture('standard/generic-password-changed.json');
      expect(deliver(body, signedHeaders(body))).toEqual({
        kind: 'accepted',
        events: [
          {
            source: 'standard',
            eventId: msgId,
            issuer: 'https://contoso.eu.auth0.com/',
            userId: 'auth0|65f1c0ffee1234567890abcd',
            action: 'revoke',
            occurredAt: '2026-08-20T09:15:30.125Z',
            type: 'user.password_changed',
          },
        ],
        ignored: 0,
        rejected: 0,
        notes: [],
      });
    });

    it('turns user.deleted without an issuer into a delete for the default issuer', () => {
      const body = fixture('standard/generic-user-deleted.json');
      expect(deliver(body, signedHeaders(body))).toMatchObject({
        kind: 'accepted',
        events: [
          {
            issuer: 'https://clerk.contoso.com',
            userId: 'auth0|65f1c0ffee1234567890abcd',
            action: 'delete',
            occurredAt: '2026-08-20T09:16:00.000Z',
          },
        ],
      });
    });

    it('is invalid when neither the payload nor the config names an issuer', () => {
      const body = fixture('standard/generic-user-deleted.json');
      expect(deliver(body, signedHeaders(body), { cfg: { secrets: [current], allowedIssuers: [] } })).toEqual({
        kind: 'invalid',
        reason: 'payload of a user.deleted event has no user id or no issuer',
      });
    });

    it.each([
      ['user.tokens_revoked', 'revoke'],
      ['user.disabled', 'disable'],
      ['user.enabled', 'enable'],
    ])('maps %s to %s and falls back to the webhook timestamp for occurredAt', (type, action) => {
      const body = JSON.stringify({ type, data: { userId: 'u-42' } });
      expect(deliver(body, signedHeaders(body))).toMatchObject({
        kind: 'accepted',
        events: [{ action, userId: 'u-42', type, occurredAt: '2026-08-20T10:00:00.000Z' }],
      });
    });

    it("refuses an event naming an issuer these secrets are not bound to (one provider's secret cannot reach another's users)", () => {
      const body = JSON.stringify({
        type: 'user.deleted',
        data: { userId: 'victim', issuer: 'https://login.microsoftonline.com/other/v2.0' },
      });
      expect(deliver(body, signedHeaders(body))).toEqual({
        kind: 'accepted',
        events: [],
        ignored: 0,
        rejected: 1,
        notes: [
          "warning: a user.deleted event names issuer https://login.microsoftonline.com/other/v2.0, which this webhook's secrets may not act on",
        ],
      });
    });

    it('is invalid when a revoking type has no user id', () => {
      const body = JSON.stringify({ type: 'user.disabled', data: { user: 'u-42' } });
      expect(deliver(body, signedHeaders(body))).toEqual({
        kind: 'invalid',
        reason: 'payload of a user.disabled event has no user id or no issuer',
      });
    });

    it('ignores the spec example (contact.created)', () => {
      const body = fixture('standard/spec-example.official.json');
      expect(deliver(body, signedHeaders(body))).toEqual({
        kind: 'accepted',
        events: [],
        ignored: 1,
        rejected: 0,
        notes: [],
      });
    });
  });

  describe('Clerk payloads under svix-* headers', () => {
    const svix = (body: string) => signedHeaders(body, { prefix: 'svix' });

    it('turns user.deleted (a DeletedObject) into a delete, with the millisecond timestamp as occurredAt', () => {
      const body = fixture('standard/clerk-user-deleted.json');
      expect(deliver(body, svix(body))).toEqual({
        kind: 'accepted',
        events: [
          {
            source: 'standard',
            eventId: msgId,
            issuer: 'https://clerk.contoso.com',
            userId: 'user_29w83sxmDNGwOuEthce5gg56FcC',
            action: 'delete',
            occurredAt: '2022-05-31T16:00:24.306Z',
            type: 'user.deleted',
          },
        ],
        ignored: 0,
        rejected: 0,
        notes: [],
      });
    });

    it.each(['session.revoked', 'session.ended', 'session.removed'])(
      'turns %s into a revoke of the session user',
      (type) => {
        const payload = fixtureJson<{ type: string }>('standard/clerk-session-revoked.json');
        const body = JSON.stringify({ ...payload, type });
        expect(deliver(body, svix(body))).toMatchObject({
          kind: 'accepted',
          events: [
            {
              action: 'revoke',
              userId: 'user_29w83sxmDNGwOuEthce5gg56FcC',
              occurredAt: '2022-05-31T16:00:00.123Z',
              type,
            },
          ],
        });
      },
    );

    it('ignores the documented user.created example', () => {
      const body = fixture('standard/clerk-user-created.official.json');
      expect(deliver(body, svix(body))).toEqual({ kind: 'accepted', events: [], ignored: 1, rejected: 0, notes: [] });
    });
  });

  it('agrees with the standardwebhooks package on random bodies, tampered or not (property check)', () => {
    const secret = 'whsec_' + randomBytes(32).toString('base64');
    const library = new Webhook(secret);
    for (let round = 0; round < 200; round += 1) {
      const body = JSON.stringify({
        type: 'user.tokens_revoked',
        data: { userId: randomBytes(8).toString('hex'), note: randomBytes(12).toString('latin1') },
      });
      const now = new Date();
      const headers = signedHeaders(body, { secrets: [secret], at: now, id: `msg_${round}` });
      const delivered =
        round % 3 === 0 ? body.slice(0, -2) + '}}' + ' ' : round % 3 === 1 ? body.replace('"data"', '"Data"') : body;
      let libraryAccepts = true;
      try {
        library.verify(delivered, headers);
      } catch {
        libraryAccepts = false;
      }
      const outcome = deliver(delivered, headers, {
        at: now,
        cfg: { secrets: [secret], defaultIssuer: 'https://idp.example', allowedIssuers: ['https://idp.example'] },
      });
      expect({ round, accepted: outcome.kind !== 'unauthorized' }).toEqual({ round, accepted: libraryAccepts });
    }
  });

  it('never puts a secret or a signature in the outcome', () => {
    const body = fixture('standard/generic-password-changed.json');
    const headers = signedHeaders(body, { secrets: [stranger] });
    const outcome = JSON.stringify(deliver(body, headers));
    expect(outcome).not.toContain(current.slice('whsec_'.length));
    expect(outcome).not.toContain(headers['webhook-signature'].slice('v1,'.length));
  });

  it('is invalid for methods other than POST', () => {
    expect(handleStandardWebhook(webhookRequest({ method: 'GET' }), config)).toEqual({
      kind: 'invalid',
      reason: 'Standard Webhooks are POSTed',
    });
  });
});
