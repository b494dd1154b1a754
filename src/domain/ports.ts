import type { IdentityEvent } from './events';
import type {
  AccessDecision,
  AppUser,
  AuditCause,
  AuditEntry,
  IdentityMapping,
  CreationClaim,
  Intent,
  Principal,
  RevocationJob,
  TokenScope,
  UserRecord,
} from './model';

/** Who calls: verifies the caller's credentials (a JWT, or App Service's headers) in `src/auth`. */
export interface Authenticator {
  /** Resolves the caller or throws an `unauthenticated` ServiceError. */
  authenticate(headers: { get(name: string): string | null }): Promise<Principal>;
}

/** What a new mapping records besides the user. */
export interface NewMapping {
  communicationUserId: string;
  resource: string;
  intentId?: string;
}

/**
 * Where mappings, decisions and the audit trail are kept (Table Storage in `src/storage`). Every change is
 * conditional on what was read; a failed condition throws `ConcurrentChangeError` unless documented otherwise.
 */
export interface MappingStore {
  /** The mapping, or undefined (also for a deleted one); always the stored row. */
  get(user: AppUser): Promise<IdentityMapping | undefined>;
  /**
   * The mapping and the access decision in one round trip. A store may answer from a bounded cache of its own;
   * `fresh` asks for the stored rows (after ACS said the mapped identity is unknown, say).
   */
  read(user: AppUser, options?: { fresh?: boolean }): Promise<UserRecord>;
  /** Create-only with its `created` audit record; false when the user already has a mapping. */
  create(user: AppUser, identity: NewMapping, cause: AuditCause, now?: Date): Promise<boolean>;
  markDeleting(mapping: IdentityMapping, now?: Date): Promise<IdentityMapping>;
  /** False when the mapping was deleted or replaced meanwhile. */
  recordRevocation(mapping: IdentityMapping, cause: AuditCause, now?: Date): Promise<boolean>;
  remove(mapping: IdentityMapping, cause: AuditCause, action?: 'deleted' | 'stale_removed', now?: Date): Promise<void>;
  /** False when `current` is at the same time or later. */
  recordDecision(
    user: AppUser,
    decision: Omit<AccessDecision, 'etag'>,
    current: AccessDecision | undefined,
    cause: AuditCause,
    now?: Date,
  ): Promise<boolean>;
  listAudit(user: AppUser, limit?: number): Promise<AuditEntry[]>;
  /** Adds an entry to the user's trail on its own (what concerns no mapping: their invitations). */
  appendAudit(user: AppUser, entry: Omit<AuditEntry, 'at'>, now?: Date): Promise<void>;
  /**
   * Claims the right to create the user's identity until `leaseUntil`: create-only, or over `expired` (a claim
   * whose lease ran out) on its ETag. Undefined when another request holds a claim (read it to learn its lease).
   */
  claimCreation(user: AppUser, leaseUntil: Date, expired?: CreationClaim): Promise<CreationClaim | undefined>;
  /** Gives a claim up, on its ETag: one taken over meanwhile is left to its new holder. */
  releaseClaim(user: AppUser, claim: CreationClaim): Promise<void>;
}

/**
 * The multi-step changes in progress (a partition of their own in `src/storage`): written before a change's first
 * external step, deleted when it is finished or undone, and listed by the reconciler when a crash left one behind.
 */
export interface IntentStore {
  putIntent(
    kind: Intent['kind'],
    user: AppUser,
    communicationUserId?: string,
    now?: Date,
    resource?: string,
  ): Promise<Intent>;
  /** Remembers which ACS identity an intent produced, so that the reconciler can delete it if nothing else does. */
  recordIntentIdentity(intent: Intent, communicationUserId: string): Promise<void>;
  /** Already gone is fine. */
  deleteIntent(intent: Pick<Intent, 'id'>): Promise<void>;
  /** Intents created before `cutoff`, oldest first, at most `limit`. */
  listIntentsBefore(cutoff: Date, limit?: number): Promise<Intent[]>;
}

export interface AccessToken {
  token: string;
  expiresOn: Date;
}

/**
 * `customId` makes a create idempotent: ACS answers a repeated create with the same customId with the same identity
 * (REST api-version 2025-03-02-preview, a preview; SDK 1.3.1 cannot send it, a pipeline policy does).
 */
export interface CreateOptions {
  customId?: string;
}

/** What the service needs from ACS identity: one method per REST operation, errors already translated. */
export interface IdentityGateway {
  /** The ACS resource this gateway talks to (endpoint origin), recorded in each mapping. */
  readonly resource: string;
  createUser(options?: CreateOptions): Promise<string>;
  createUserAndToken(
    scopes: TokenScope[],
    expiresInMinutes?: number,
    options?: CreateOptions,
  ): Promise<AccessToken & { communicationUserId: string }>;
  getToken(communicationUserId: string, scopes: TokenScope[], expiresInMinutes?: number): Promise<AccessToken>;
  revokeTokens(communicationUserId: string): Promise<void>;
  deleteUser(communicationUserId: string): Promise<void>;
  exchangeTeamsToken(teamsUserAadToken: string, clientId: string, userObjectId: string): Promise<AccessToken>;
}

/** The slice of InvocationContext the use cases log through (so every line carries the invocation id). */
export interface Logger {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export type Claim = { status: 'claimed'; etag: string } | { status: 'done' } | { status: 'busy' };

/** Idempotency for queued events, keyed by `(source, eventId)` (Table Storage in `src/storage`). */
export interface ProcessedEventStore {
  claim(source: string, eventId: string, now?: Date): Promise<Claim>;
  complete(source: string, eventId: string, outcome: string): Promise<void>;
  release(source: string, eventId: string): Promise<void>;
  /** Forgets records of events processed before `cutoff`; returns how many. */
  purgeOlderThan(cutoff: Date): Promise<number>;
}

/** Where verified webhook events wait for the worker (a Storage queue in `src/storage`). */
export interface IdentityEventQueue {
  /** `delayInSeconds`: the events become visible to the worker only after this long. */
  enqueue(events: readonly IdentityEvent[], options?: { delayInSeconds?: number }): Promise<void>;
}

/** The outcome of one unit taken from a quota. */
export interface QuotaDecision {
  allowed: boolean;
  /** Units left in the current window after this one (0 when refused). */
  remaining: number;
  /** Seconds until the window ends. */
  resetInSeconds: number;
}

/** Counters shared by every instance (Table Storage in `src/storage`), one per key and fixed window. */
export interface QuotaStore {
  consume(key: string, limit: number, windowInMs: number, now?: number): Promise<QuotaDecision>;
  /** Gives back a unit taken in the window of `takenAt` (an attempt that created nothing); best effort. */
  refund(key: string, windowInMs: number, takenAt: number): Promise<void>;
}

/**
 * The ACS resources this deployment uses. A new identity goes to the resource its user is routed to; every later
 * call for it goes to the resource its mapping records.
 */
export interface IdentityGateways {
  /** The resource a new identity of this user is created in. */
  forUser(user: AppUser & { attributes?: Readonly<Record<string, string>> }): IdentityGateway;
  /** The gateway of a recorded resource (undefined: the primary one); undefined when it is not configured (any more). */
  forResource(resource: string | undefined): IdentityGateway | undefined;
}

/** One page of a scan over the mappings (tombstones left out); no `continuationToken`: the scan is finished. */
export interface MappingPage {
  mappings: IdentityMapping[];
  continuationToken?: string;
}

export type NewRevocationJob = Pick<RevocationJob, 'action' | 'issuer' | 'actor'>;

/**
 * Revoke-all jobs and the scan they run (Table Storage in `src/storage`). Updates are conditional on the job's
 * ETag and throw `ConcurrentChangeError` when it changed.
 */
export interface RevocationJobStore {
  createJob(job: NewRevocationJob, now?: Date): Promise<RevocationJob>;
  getJob(id: string): Promise<RevocationJob | undefined>;
  /** A job still running, if any. */
  findRunningJob(): Promise<RevocationJob | undefined>;
  updateJob(job: RevocationJob): Promise<RevocationJob>;
  /** Up to `pageSize` mappings of `issuer` (undefined: every issuer) from where `continuationToken` left off. */
  listMappings(issuer: string | undefined, pageSize: number, continuationToken?: string): Promise<MappingPage>;
}

/** One step of a job: run page `page` of job `jobId`. */
export interface RevocationStep {
  jobId: string;
  page: number;
}

/** Where job steps wait (a Storage queue in `src/storage`); a delayed step becomes visible after `delayInSeconds`. */
export interface RevocationStepQueue {
  enqueue(step: RevocationStep, delayInSeconds: number): Promise<void>;
}
