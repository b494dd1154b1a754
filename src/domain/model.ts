/** The five scopes an ACS access token can carry. */
export const tokenScopes = ['chat', 'chat.join', 'chat.join.limited', 'voip', 'voip.join'] as const;
export type TokenScope = (typeof tokenScopes)[number];

/** The app user a mapping belongs to: `(issuer, userId)`, so that two identity providers can never collide. */
export interface AppUser {
  issuer: string;
  userId: string;
}

/** An authenticated caller: the app user is `(issuer, userId)`. */
export interface Principal {
  issuer: string;
  userId: string;
  roles: readonly string[];
  scopes: readonly string[];
  /** Entra object id and tenant id when the token carries them (used by the Teams exchange). */
  objectId?: string;
  tenantId?: string;
  /** When the identity provider issued the caller's token (`iat`, seconds resolution); undefined when absent. */
  issuedAt?: Date;
  /** The token's string-valued claims, for routing a new identity to an ACS resource (e.g. by country or tenant). */
  attributes?: Readonly<Record<string, string>>;
}

export type MappingState = 'active' | 'deleting';

/** The app user -> ACS identity mapping. */
export interface IdentityMapping {
  user: AppUser;
  communicationUserId: string;
  /** The ACS resource (endpoint origin) that owns the identity; absent on mappings written before it was recorded. */
  resource?: string;
  createdOn: Date;
  state: MappingState;
  /** When all tokens were last revoked. */
  revokedAt?: Date;
  /** The create intent that produced this mapping (lets the reconciler tell a finished create from an orphan). */
  intentId?: string;
  etag: string;
}

/**
 * The latest decision of an identity provider (or an operator) about a user, kept after the identity itself is
 * gone. While it is `disabled` or `deleted`, tokens of that provider issued at or before `at` get no ACS identity
 * or token; `restored` (a later enable event or an admin) lifts it.
 */
export interface AccessDecision {
  kind: 'disabled' | 'deleted' | 'restored';
  /** When the provider made the decision (the event's time). */
  at: Date;
  source: string;
  eventId: string;
  eventType?: string;
  etag: string;
}

/**
 * The right to create a user's identity, held by one request at a time (create-only), so that concurrent first
 * requests make one ACS create between them. A claim whose lease has run out (its holder crashed or hangs) may be
 * taken over on its ETag.
 */
export interface CreationClaim {
  leaseUntil: Date;
  etag: string;
}

/** Everything the token path needs about one user, read in one storage round trip. */
export interface UserRecord {
  mapping?: IdentityMapping;
  decision?: AccessDecision;
  /** Present while a request is creating the user's identity. */
  claim?: CreationClaim;
}

/**
 * A multi-step change in progress, written before its first external step so that a crash at any step can be
 * finished or undone later by the reconciler: `create` before the ACS create call, `delete` before the mapping is
 * marked `deleting`.
 */
export interface Intent {
  id: string;
  kind: 'create' | 'delete';
  user: AppUser;
  createdAt: Date;
  /** Known once ACS has answered (create) or from the start (delete). */
  communicationUserId?: string;
  /** The ACS resource the change is made in (absent: the primary one). */
  resource?: string;
  etag: string;
}

export const auditActions = [
  'created',
  'tokens_revoked',
  'deleted',
  'stale_removed',
  'access_blocked',
  'access_restored',
  'orphan_deleted',
  'invitation_created',
  'invitation_redeemed',
  'invitation_revoked',
  'invitation_expired',
] as const;
export type AuditAction = (typeof auditActions)[number];

export type AuditCause =
  | { kind: 'caller' }
  | { kind: 'admin'; actor: string; /** The revoke-all job that acted, when one did. */ jobId?: string }
  | { kind: 'webhook'; source: string; eventId: string; eventType?: string }
  | { kind: 'reconciler' }
  /** A guest redeeming an invitation (anonymous; their guest identity is the entry's communicationUserId). */
  | { kind: 'guest' }
  /** The clean-up of expired invitations. */
  | { kind: 'cleanup' };

export interface AuditEntry {
  action: AuditAction;
  cause: AuditCause;
  /** Empty for actions that concern the user rather than an identity (access blocked or restored). */
  communicationUserId: string;
  /** The invitation an `invitation_*` entry is about. */
  invitationId?: string;
  at: Date;
}

export type RevocationAction = 'revoke' | 'delete';
export type RevocationJobState = 'running' | 'done' | 'failed';

/** What a revoke-all job has done so far (each page is counted once, when its step commits). */
export interface RevocationCounts {
  /** Mappings the job has gone through. */
  processed: number;
  revoked: number;
  deleted: number;
  /** Nothing to do: being deleted already (revoke) or the identity was already gone. */
  skipped: number;
  /** Refused by ACS for good (not retried); the user's tokens may still be valid. */
  failed: number;
}

/**
 * An operator's revoke-all (or delete-all): a paged scan of the mappings of one issuer (or of every issuer),
 * one page per queue message, resumable from `continuationToken`.
 */
export interface RevocationJob extends RevocationCounts {
  id: string;
  action: RevocationAction;
  /** The issuer whose users it covers; undefined: every issuer. */
  issuer?: string;
  /** The admin who started it. */
  actor: AppUser;
  state: RevocationJobState;
  /** The page the job runs next (0-based), and where the scan continues (undefined: from the start, or finished). */
  page: number;
  continuationToken?: string;
  /** The queue message running the current page, and until when its claim holds. */
  claimedBy?: string;
  claimedUntil?: Date;
  startedAt: Date;
  updatedAt: Date;
  /** Why a failed job stopped (an error code). */
  error?: string;
  etag: string;
}

/** The mapping or decision changed between read and write (an ETag or create-only condition failed). */
export class ConcurrentChangeError extends Error {
  override name = 'ConcurrentChangeError';
  constructor() {
    super('The stored record changed concurrently.');
  }
}

/** A quota: `count` units per fixed window of `windowInSeconds`. */
export interface Limit {
  count: number;
  windowInSeconds: number;
}
