import { createHash, randomBytes } from 'node:crypto';

import type { AppUser } from '../domain/model';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest('base64url');

/**
 * Table keys forbid `/ \ # ?` and control characters and are limited to 1 KiB, while issuers and user ids may be
 * anything. So keys are SHA-256 digests (base64url: only `A-Z a-z 0-9 - _`): fixed size, one partition per user,
 * evenly spread. The readable values are kept as properties.
 */
const userDigest = (user: AppUser) => digest(`${user.issuer}\u0000${user.userId}`);
export const userPartitionKey = (user: AppUser) => `u-${userDigest(user)}`;
export const eventRowKey = (eventId: string) => digest(eventId);

export const mappingRowKey = 'identity';
/** Between the mapping and the decision rows, so that the same range query reads it. */
export const claimRowKey = 'identity-claim';
/** Sorts right after the mapping row, so that one range query reads both. */
export const decisionRowKey = 'identity-decision';
/** One partition lists the multi-step changes in progress, oldest first, for the reconciler. */
export const intentPartitionKey = 'intents';

/** Milliseconds, zero-padded: keys that begin with it sort oldest first. */
const timeKey = (at: Date) => at.getTime().toString().padStart(16, '0');

/** Intent row keys sort oldest first: milliseconds, zero-padded, plus 16 random bytes (also the ACS customId). */
export function intentRowKey(at: Date): string {
  return `${timeKey(at)}-${randomBytes(16).toString('hex')}`;
}

/** The smallest intent row key for intents created at or after `at`. */
export const intentRowKeyLowerBound = timeKey;
export const auditRowPrefix = 'audit-';

/** Audit row keys sort newest first: inverted milliseconds, zero-padded, plus a random suffix against ties. */
export function auditRowKey(at: Date): string {
  const inverted = (8_640_000_000_000_000 - at.getTime()).toString().padStart(16, '0');
  return `${auditRowPrefix}${inverted}-${randomBytes(4).toString('hex')}`;
}

/** One partition holds the revoke-all jobs. */
export const jobPartitionKey = 'jobs';

/** Job ids sort oldest first: milliseconds, zero-padded, plus 8 random bytes. */
export function jobRowKey(at: Date): string {
  return `${timeKey(at)}-${randomBytes(8).toString('hex')}`;
}

// Invitations: a partition each (ids are base64url, key-safe), an index by inviter, one by clean-up time.
export const invitationPartitionKey = (id: string) => `g-${id}`;
export const inviterPartitionKey = (user: AppUser) => `gi-${userDigest(user)}`;
export const cleanupPartitionKey = 'guest-cleanup';
/** Clean-up rows sort by due time: milliseconds, zero-padded, then the invitation id. */
export const cleanupRowKey = (at: Date, invitationId: string) => `${timeKey(at)}-${invitationId}`;
