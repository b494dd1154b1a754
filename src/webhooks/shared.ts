import { createHash, timingSafeEqual } from 'node:crypto';

import type { IdentityEvent, WebhookOutcome } from './types';

const sha256 = (value: string | Buffer): Buffer => createHash('sha256').update(value).digest();

/**
 * Compares two secrets in constant time. Both are hashed first so that the comparison runs over
 * equal-length digests and leaks neither content nor length.
 * @param received - the value from the request; `null`/`undefined` never matches
 * @param expected - the configured secret; an empty secret never matches
 */
export function secretsMatch(received: string | null | undefined, expected: string): boolean {
  if (received == null || expected.length === 0) return false;
  return timingSafeEqual(sha256(received), sha256(expected));
}

/** `JSON.parse` that reports failure instead of throwing. */
export function parseJson(raw: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch {
    return { ok: false };
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Builds an Entra ID issuer from a template such as `https://login.microsoftonline.com/{tenantId}/v2.0`.
 * Returns `undefined` unless `tenantId` is a GUID, so nothing else can be spliced into an issuer.
 */
export function issuerFromTemplate(template: string, tenantId: string | undefined): string | undefined {
  if (tenantId === undefined || !GUID.test(tenantId)) return undefined;
  return template.replaceAll('{tenantId}', tenantId.toLowerCase());
}

/** A stable id from parts that carry no id of their own: sha256 over the JSON array of parts, base64url. */
export function hashId(parts: readonly (string | undefined)[]): string {
  return sha256(JSON.stringify(parts)).toString('base64url');
}

/** Normalises a provider timestamp to ISO 8601, or `undefined` when it is not a date. */
export function toIsoTime(value: string | number | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? undefined : time.toISOString();
}

const LOGGABLE = /^[\w.:\-/@#]{1,200}$/;

/** Provider-sent ids and types may go into notes only when they look like ids or types. */
export function loggable(value: unknown): string {
  return typeof value === 'string' && LOGGABLE.test(value) ? value : '(unloggable)';
}

/** Collects the per-entry decisions of one delivery into an `accepted` outcome. */
export class Batch {
  private readonly events: IdentityEvent[] = [];
  private readonly notes: string[] = [];
  private ignored = 0;
  private rejected = 0;

  accept(event: IdentityEvent): void {
    this.events.push(event);
  }

  /** Authentic but not something we act on. */
  ignore(note?: string, level: 'info' | 'warning' = 'info'): void {
    this.ignored += 1;
    if (note !== undefined) this.notes.push(`${level}: ${note}`);
  }

  /** Not acted on because it failed authentication or could not be normalised. */
  reject(note: string): void {
    this.rejected += 1;
    this.notes.push(`warning: ${note}`);
  }

  toOutcome(): WebhookOutcome {
    return { kind: 'accepted', events: this.events, ignored: this.ignored, rejected: this.rejected, notes: this.notes };
  }
}

export const unauthorized = (reason: string): WebhookOutcome => ({ kind: 'unauthorized', reason });
export const invalid = (reason: string): WebhookOutcome => ({ kind: 'invalid', reason });
