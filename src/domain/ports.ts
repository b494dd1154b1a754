import type { AccessDecision, AppUser, AuditCause, AuditEntry, IdentityMapping, Intent, UserRecord } from './model';

/** What a new mapping records besides the user. */
export interface NewMapping {
  communicationUserId: string;
  resource: string;
  intentId?: string;
}

/**
 * Where mappings, decisions, intents and the audit trail are kept (Table Storage in `src/storage`). Every change
 * is conditional on what was read; a failed condition throws `ConcurrentChangeError` unless documented otherwise.
 */
export interface MappingStore {
  /** The mapping, or undefined (also for a deleted one). */
  get(user: AppUser): Promise<IdentityMapping | undefined>;
  /** The mapping and the access decision in one round trip. */
  read(user: AppUser): Promise<UserRecord>;
  /** Create-only with its `created` audit record; false when the user already has a mapping. */
  create(user: AppUser, identity: NewMapping, cause: AuditCause, now?: Date): Promise<boolean>;
  markDeleting(mapping: IdentityMapping, now?: Date): Promise<IdentityMapping>;
  /** False when the mapping was deleted or replaced meanwhile. */
  recordRevocation(mapping: IdentityMapping, cause: AuditCause, now?: Date): Promise<boolean>;
  remove(mapping: IdentityMapping, cause: AuditCause, action?: 'deleted' | 'stale_removed', now?: Date): Promise<void>;
  /** False when `current` is at the same time or later. */
  recordDecision(user: AppUser, decision: Omit<AccessDecision, 'etag'>, current: AccessDecision | undefined, cause: AuditCause, now?: Date): Promise<boolean>;
  putIntent(kind: Intent['kind'], user: AppUser, communicationUserId?: string, now?: Date): Promise<Intent>;
  recordIntentIdentity(intent: Intent, communicationUserId: string): Promise<void>;
  deleteIntent(intent: Pick<Intent, 'id'>): Promise<void>;
  listIntentsBefore(cutoff: Date, limit?: number): Promise<Intent[]>;
  listAudit(user: AppUser, limit?: number): Promise<AuditEntry[]>;
}
