import { createHmac } from 'node:crypto';

import { z } from 'zod';

import { Batch, invalid, loggable, parseJson, secretsMatch, toIsoTime, unauthorized } from './shared';
import type { IdentityEvent, StandardWebhookConfig, WebhookOutcome, WebhookRequest } from './types';

/** Standard Webhooks' recommended replay window, applied both ways around the time we received the request. */
export const TIMESTAMP_TOLERANCE_IN_SECONDS = 5 * 60;

const envelopeSchema = z.object({
  type: z.string().min(1),
  // Standard Webhooks recommends ISO 8601; Clerk sends milliseconds since the epoch.
  timestamp: z.union([z.string(), z.number()]).optional(),
  data: z.record(z.string(), z.unknown()),
});

/** Our generic schema for any IdP that signs with Standard Webhooks. */
const GENERIC_ACTIONS: ReadonlyMap<string, IdentityEvent['action']> = new Map([
  ['user.tokens_revoked', 'revoke'],
  ['user.password_changed', 'revoke'],
  ['user.disabled', 'disable'],
  ['user.enabled', 'enable'],
  ['user.deleted', 'delete'],
]);
const genericDataSchema = z.object({ userId: z.string().min(1), issuer: z.string().min(1).optional() });

/** Clerk (via Svix): `user.deleted` carries a DeletedObject, `session.*` a Session. */
const clerkDeletedUser: z.ZodType<string> = z.object({ id: z.string().min(1) }).transform((data) => data.id);
const clerkSession: z.ZodType<string> = z.object({ user_id: z.string().min(1) }).transform((data) => data.user_id);
const CLERK_USER_ID: ReadonlyMap<string, z.ZodType<string>> = new Map([
  ['user.deleted', clerkDeletedUser],
  ['session.revoked', clerkSession],
  ['session.ended', clerkSession],
  ['session.removed', clerkSession],
]);

/**
 * Standard Webhooks (and Svix, which Clerk uses): HMAC-SHA256 over `${id}.${timestamp}.${rawBody}` with
 * any configured secret, the timestamp within {@link TIMESTAMP_TOLERANCE_IN_SECONDS} of `receivedAt`.
 * Deliveries of event types we do not act on are accepted and counted as ignored.
 * @param request - the incoming request; `rawBody` must be the body exactly as received
 * @param config - the `whsec_` secrets (several during a rotation) and the issuer to use when a payload names none
 */
export function handleStandardWebhook(request: WebhookRequest, config: StandardWebhookConfig): WebhookOutcome {
  if (request.method.toUpperCase() !== 'POST') return invalid('Standard Webhooks are POSTed');

  const verified = verifySignature(request, config.secrets);
  if (!verified.ok) return unauthorized(verified.reason);

  const json = parseJson(request.rawBody);
  const envelope = json.ok ? envelopeSchema.safeParse(json.value) : undefined;
  if (!envelope?.success) return invalid('body is not a {type, data} webhook payload');
  const { type, timestamp, data } = envelope.data;

  const batch = new Batch();
  const normalised = normalise(type, data, config);
  if (normalised === 'ignored') {
    batch.ignore();
    return batch.toOutcome();
  }
  if (normalised === undefined) return invalid(`payload of a ${type} event has no user id or no issuer`);
  if (!config.allowedIssuers.includes(normalised.issuer)) {
    // These secrets act only on the users of the issuers configured for them.
    batch.reject(
      `a ${loggable(type)} event names issuer ${loggable(normalised.issuer)}, which this webhook's secrets may not act on`,
    );
    return batch.toOutcome();
  }

  batch.accept({
    source: 'standard',
    eventId: verified.id,
    ...normalised,
    occurredAt: payloadTime(timestamp) ?? new Date(verified.timestamp * 1000).toISOString(),
    type,
  });
  return batch.toOutcome();
}

type Normalised = Pick<IdentityEvent, 'issuer' | 'userId' | 'action'>;

function normalise(
  type: string,
  data: Record<string, unknown>,
  config: StandardWebhookConfig,
): Normalised | 'ignored' | undefined {
  const genericAction = GENERIC_ACTIONS.get(type);
  const generic = genericAction !== undefined ? genericDataSchema.safeParse(data) : undefined;
  if (genericAction !== undefined && generic?.success) {
    const issuer = generic.data.issuer ?? config.defaultIssuer;
    return issuer === undefined ? undefined : { issuer, userId: generic.data.userId, action: genericAction };
  }

  // `user.deleted` is in both vocabularies; a payload without `data.userId` is read as Clerk's.
  const clerkUserId = CLERK_USER_ID.get(type);
  const clerk = clerkUserId?.safeParse(data);
  if (clerk?.success) {
    const issuer = config.defaultIssuer;
    return issuer === undefined
      ? undefined
      : { issuer, userId: clerk.data, action: type === 'user.deleted' ? 'delete' : 'revoke' };
  }

  return genericAction === undefined && clerkUserId === undefined ? 'ignored' : undefined;
}

/** Numbers below 10^11 are read as seconds (10^11 s is the year 5138), larger ones as milliseconds (Clerk). */
function payloadTime(timestamp: string | number | undefined): string | undefined {
  if (typeof timestamp === 'number') return toIsoTime(timestamp < 1e11 ? timestamp * 1000 : timestamp);
  return toIsoTime(timestamp);
}

type Verification = { ok: true; id: string; timestamp: number } | { ok: false; reason: string };

function verifySignature(request: WebhookRequest, secrets: readonly string[]): Verification {
  const headers = signatureHeaders(request);
  if (headers === undefined)
    return { ok: false, reason: 'webhook-id/-timestamp/-signature (or svix-*) headers missing' };
  const { id, timestamp, signature } = headers;

  if (!/^\d{1,15}$/.test(timestamp)) return { ok: false, reason: 'webhook timestamp is not unix seconds' };
  const seconds = Number(timestamp);
  const skewInSeconds = seconds - request.receivedAt.getTime() / 1000;
  if (Math.abs(skewInSeconds) > TIMESTAMP_TOLERANCE_IN_SECONDS) {
    return {
      ok: false,
      reason: `webhook timestamp is ${skewInSeconds < 0 ? 'older' : 'newer'} than the 5-minute tolerance`,
    };
  }

  const signed = `${id}.${timestamp}.${request.rawBody}`;
  const offered = signature
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => entry.slice('v1,'.length));
  // Every pair is compared, so the time taken does not tell which secret or signature matched.
  let matched = false;
  for (const secret of secrets) {
    const key = secretKey(secret);
    if (key.length === 0) continue; // an empty HMAC key would let anyone sign
    const expected = createHmac('sha256', key).update(signed, 'utf8').digest('base64');
    for (const candidate of offered) matched = secretsMatch(candidate, expected) || matched;
  }
  return matched
    ? { ok: true, id, timestamp: seconds }
    : { ok: false, reason: 'no webhook signature matches a configured secret' };
}

function signatureHeaders(request: WebhookRequest): { id: string; timestamp: string; signature: string } | undefined {
  for (const prefix of ['webhook', 'svix']) {
    const id = request.headers.get(`${prefix}-id`);
    const timestamp = request.headers.get(`${prefix}-timestamp`);
    const signature = request.headers.get(`${prefix}-signature`);
    if (id && timestamp && signature) return { id, timestamp, signature };
  }
  return undefined;
}

const secretKey = (secret: string): Buffer =>
  Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
