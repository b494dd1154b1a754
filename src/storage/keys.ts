import { createHash, randomBytes } from 'node:crypto';

import type { AppUser } from '../auth/principal';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest('base64url');

/**
 * Table keys forbid `/ \ # ?` and control characters and are limited to 1 KiB, while issuers and user ids may be
 * anything. So keys are SHA-256 digests (base64url: only `A-Z a-z 0-9 - _`): fixed size, one partition per user,
 * evenly spread. The readable values are kept as properties.
 */
export const userPartitionKey = (user: AppUser) => `u-${digest(`${user.issuer}\u0000${user.userId}`)}`;
export const communicationUserPartitionKey = (communicationUserId: string) => `c-${digest(communicationUserId)}`;
export const eventRowKey = (eventId: string) => digest(eventId);

export const mappingRowKey = 'identity';
export const auditRowPrefix = 'audit-';

/** Audit row keys sort newest first: inverted milliseconds, zero-padded, plus a random suffix against ties. */
export function auditRowKey(at: Date): string {
  const inverted = (8_640_000_000_000_000 - at.getTime()).toString().padStart(16, '0');
  return `${auditRowPrefix}${inverted}-${randomBytes(4).toString('hex')}`;
}
