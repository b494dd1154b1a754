import type {
  AccessDecision,
  AppUser,
  AuditCause,
  AuditEntry,
  CreationClaim,
  IdentityMapping,
  UserRecord,
} from '../domain/model';
import type { MappingStore, NewMapping } from '../domain/ports';

export interface MappingCacheOptions {
  /** Entries older than this are read again; 0 turns the cache off. */
  maxAgeInMs: number;
  /** The least recently used entries are dropped past this many users. */
  maxEntries: number;
  now?: () => number;
}

/**
 * Keeps each user's record (mapping and access decision) in the instance for a bounded time, so that a
 * steady-state token refresh reads no Table row. Every write through this store drops the user's entry; writes on
 * other instances are seen after at most `maxAgeInMs` (or at once, when the caller asks for a `fresh` read, as it
 * does when ACS answers 401). Bounded in size (LRU) and age.
 */
export class CachedMappingStore implements MappingStore {
  private readonly entries = new Map<string, { record: UserRecord; readAt: number }>();
  private readonly now: () => number;

  constructor(
    private readonly inner: MappingStore,
    private readonly options: MappingCacheOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Reads through the cache; `fresh` drops the user's entry first and reads the table. */
  async read(user: AppUser, options: { fresh?: boolean } = {}): Promise<UserRecord> {
    const key = keyOf(user);
    if (options.fresh) this.entries.delete(key);
    const cached = this.entries.get(key);
    if (cached && this.now() - cached.readAt < this.options.maxAgeInMs) {
      this.entries.delete(key); // re-insert: Map order is the LRU order
      this.entries.set(key, cached);
      return copy(cached.record);
    }
    const readAt = this.now();
    const record = await this.inner.read(user);
    if (this.options.maxAgeInMs > 0) {
      this.entries.delete(key);
      this.entries.set(key, { record: copy(record), readAt });
      while (this.entries.size > this.options.maxEntries)
        this.entries.delete(this.entries.keys().next().value as string);
    }
    return record;
  }

  get size(): number {
    return this.entries.size;
  }

  // Always from the table: the paths that change things read fresh.
  get(user: AppUser): Promise<IdentityMapping | undefined> {
    return this.inner.get(user);
  }

  create(user: AppUser, identity: NewMapping, cause: AuditCause, now?: Date) {
    return this.writing(user, () => this.inner.create(user, identity, cause, now));
  }

  markDeleting(mapping: IdentityMapping, now?: Date) {
    return this.writing(mapping.user, () => this.inner.markDeleting(mapping, now));
  }

  recordRevocation(mapping: IdentityMapping, cause: AuditCause, now?: Date) {
    return this.writing(mapping.user, () => this.inner.recordRevocation(mapping, cause, now));
  }

  remove(mapping: IdentityMapping, cause: AuditCause, action?: 'deleted' | 'stale_removed', now?: Date) {
    return this.writing(mapping.user, () => this.inner.remove(mapping, cause, action, now));
  }

  recordDecision(
    user: AppUser,
    decision: Omit<AccessDecision, 'etag'>,
    current: AccessDecision | undefined,
    cause: AuditCause,
    now?: Date,
  ) {
    return this.writing(user, () => this.inner.recordDecision(user, decision, current, cause, now));
  }

  listAudit(user: AppUser, limit?: number) {
    return this.inner.listAudit(user, limit);
  }

  appendAudit(user: AppUser, entry: Omit<AuditEntry, 'at'>, now?: Date) {
    return this.inner.appendAudit(user, entry, now);
  }

  claimCreation(user: AppUser, leaseUntil: Date, expired?: CreationClaim) {
    return this.writing(user, () => this.inner.claimCreation(user, leaseUntil, expired));
  }

  releaseClaim(user: AppUser, claim: CreationClaim) {
    return this.writing(user, () => this.inner.releaseClaim(user, claim));
  }

  /** Drops the entry before and after the write, whatever its outcome (a failed condition means it was stale). */
  private async writing<T>(user: AppUser, write: () => Promise<T>): Promise<T> {
    this.entries.delete(keyOf(user));
    try {
      return await write();
    } finally {
      this.entries.delete(keyOf(user));
    }
  }
}

const keyOf = (user: AppUser) => `${user.issuer}\u0000${user.userId}`;
const copy = (record: UserRecord): UserRecord => ({
  ...(record.mapping ? { mapping: { ...record.mapping, user: { ...record.mapping.user } } } : {}),
  ...(record.decision ? { decision: { ...record.decision } } : {}),
  ...(record.claim ? { claim: { ...record.claim } } : {}),
});
