import type { AccessDecision, AppUser, AuditCause, IdentityMapping, Intent, UserRecord } from '../domain/model';
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
 * other instances are seen after at most `maxAgeInMs` (or at once, when ACS answers 401 and the caller calls
 * {@link forget}). Bounded in size (LRU) and age.
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

  /** Reads through the cache. */
  async read(user: AppUser): Promise<UserRecord> {
    const key = keyOf(user);
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

  /** Drops the user's entry: the next read goes to the table. */
  forget(user: AppUser): void {
    this.entries.delete(keyOf(user));
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

  putIntent(kind: Intent['kind'], user: AppUser, communicationUserId?: string, now?: Date, resource?: string) {
    return this.inner.putIntent(kind, user, communicationUserId, now, resource);
  }

  recordIntentIdentity(intent: Intent, communicationUserId: string) {
    return this.inner.recordIntentIdentity(intent, communicationUserId);
  }

  deleteIntent(intent: Pick<Intent, 'id'>) {
    return this.inner.deleteIntent(intent);
  }

  listIntentsBefore(cutoff: Date, limit?: number) {
    return this.inner.listIntentsBefore(cutoff, limit);
  }

  listAudit(user: AppUser, limit?: number) {
    return this.inner.listAudit(user, limit);
  }

  /** Drops the entry before and after the write, whatever its outcome (a failed condition means it was stale). */
  private async writing<T>(user: AppUser, write: () => Promise<T>): Promise<T> {
    this.forget(user);
    try {
      return await write();
    } finally {
      this.forget(user);
    }
  }
}

const keyOf = (user: AppUser) => `${user.issuer}\u0000${user.userId}`;
const copy = (record: UserRecord): UserRecord => ({
  ...(record.mapping ? { mapping: { ...record.mapping, user: { ...record.mapping.user } } } : {}),
  ...(record.decision ? { decision: { ...record.decision } } : {}),
});
