import {
  type AccessDecision,
  type AppUser,
  type AuditCause,
  type AuditEntry,
  ConcurrentChangeError,
  type CreationClaim,
  type IdentityMapping,
  type Intent,
  type UserRecord,
} from '../../src/domain/model';
import type { MappingStore, NewMapping } from '../../src/domain/ports';

/**
 * An in-memory MappingStore with the same conditions as the Table adapter (create-only, ETags, tombstones), for
 * unit tests of the use cases. The adapter itself is tested against Azurite (test/src/storage).
 */
export class InMemoryMappingStore implements MappingStore {
  readonly mappings = new Map<string, IdentityMapping>();
  readonly decisions = new Map<string, AccessDecision>();
  readonly intents = new Map<string, Intent>();
  readonly claims = new Map<string, CreationClaim>();
  readonly audit: Array<AuditEntry & { user: string }> = [];
  private version = 0;
  /** Runs before each store call; a test can throw from it to simulate a storage outage. */
  beforeCall: (method: string) => void = () => undefined;

  async get(user: AppUser) {
    this.beforeCall('get');
    const mapping = this.mappings.get(key(user));
    return mapping && { ...mapping };
  }

  async read(user: AppUser): Promise<UserRecord> {
    this.beforeCall('read');
    const mapping = this.mappings.get(key(user));
    const decision = this.decisions.get(key(user));
    const claim = this.claims.get(key(user));
    return {
      ...(mapping ? { mapping: { ...mapping } } : {}),
      ...(decision ? { decision: { ...decision } } : {}),
      ...(claim ? { claim: { ...claim } } : {}),
    };
  }

  async create(user: AppUser, identity: NewMapping, cause: AuditCause, now = new Date()) {
    this.beforeCall('create');
    if (this.mappings.has(key(user))) return false;
    this.mappings.set(key(user), { user, ...identity, createdOn: now, state: 'active', etag: this.etag() });
    this.claims.set(key(user), { leaseUntil: new Date(0), etag: this.etag() }); // as the adapter: claim run out
    this.log(user, 'created', cause, identity.communicationUserId, now);
    return true;
  }

  async markDeleting(mapping: IdentityMapping) {
    this.beforeCall('markDeleting');
    const current = this.current(mapping);
    const next = { ...current, state: 'deleting' as const, etag: this.etag() };
    this.mappings.set(key(mapping.user), next);
    return { ...next };
  }

  async recordRevocation(mapping: IdentityMapping, cause: AuditCause, now = new Date()) {
    this.beforeCall('recordRevocation');
    const current = this.mappings.get(key(mapping.user));
    if (!current || current.communicationUserId !== mapping.communicationUserId || current.state !== 'active')
      return false;
    this.mappings.set(key(mapping.user), { ...current, revokedAt: now, etag: this.etag() });
    this.log(mapping.user, 'tokens_revoked', cause, mapping.communicationUserId, now);
    return true;
  }

  async remove(
    mapping: IdentityMapping,
    cause: AuditCause,
    action: 'deleted' | 'stale_removed' = 'deleted',
    now = new Date(),
  ) {
    this.beforeCall('remove');
    this.current(mapping);
    this.mappings.delete(key(mapping.user));
    this.log(mapping.user, action, cause, mapping.communicationUserId, now);
  }

  async recordDecision(
    user: AppUser,
    decision: Omit<AccessDecision, 'etag'>,
    current: AccessDecision | undefined,
    cause: AuditCause,
    now = new Date(),
  ) {
    this.beforeCall('recordDecision');
    if (current && current.at.getTime() >= decision.at.getTime()) return false;
    const stored = this.decisions.get(key(user));
    if (stored?.etag !== current?.etag) throw new ConcurrentChangeError();
    this.decisions.set(key(user), { ...decision, etag: this.etag() });
    this.log(user, decision.kind === 'restored' ? 'access_restored' : 'access_blocked', cause, '', now);
    return true;
  }

  async putIntent(
    kind: Intent['kind'],
    user: AppUser,
    communicationUserId?: string,
    now = new Date(),
    resource?: string,
  ) {
    this.beforeCall('putIntent');
    const intent: Intent = {
      id: `intent-${++this.version}`,
      kind,
      user,
      createdAt: now,
      ...(communicationUserId ? { communicationUserId } : {}),
      ...(resource ? { resource } : {}),
      etag: this.etag(),
    };
    this.intents.set(intent.id, intent);
    return { ...intent };
  }

  async recordIntentIdentity(intent: Intent, communicationUserId: string) {
    this.beforeCall('recordIntentIdentity');
    const stored = this.intents.get(intent.id);
    if (stored) this.intents.set(intent.id, { ...stored, communicationUserId });
  }

  async deleteIntent(intent: Pick<Intent, 'id'>) {
    this.beforeCall('deleteIntent');
    this.intents.delete(intent.id);
  }

  async listIntentsBefore(cutoff: Date) {
    return [...this.intents.values()].filter((intent) => intent.createdAt < cutoff);
  }

  async listAudit(user: AppUser) {
    return this.audit.filter((entry) => entry.user === key(user)).reverse();
  }

  async appendAudit(user: AppUser, entry: Omit<AuditEntry, 'at'>, now = new Date()) {
    this.beforeCall('appendAudit');
    this.audit.push({ user: key(user), ...entry, at: now });
  }

  async claimCreation(user: AppUser, leaseUntil: Date, expired?: CreationClaim) {
    this.beforeCall('claimCreation');
    const current = this.claims.get(key(user));
    if (current ? current.etag !== expired?.etag : expired !== undefined) return undefined;
    const claim = { leaseUntil, etag: this.etag() };
    this.claims.set(key(user), claim);
    return { ...claim };
  }

  async releaseClaim(user: AppUser, claim: CreationClaim) {
    this.beforeCall('releaseClaim');
    if (this.claims.get(key(user))?.etag === claim.etag) this.claims.delete(key(user));
  }

  private current(mapping: IdentityMapping): IdentityMapping {
    const current = this.mappings.get(key(mapping.user));
    if (!current || current.etag !== mapping.etag) throw new ConcurrentChangeError();
    return current;
  }

  private log(user: AppUser, action: AuditEntry['action'], cause: AuditCause, communicationUserId: string, at: Date) {
    this.audit.push({ user: key(user), action, cause, communicationUserId, at });
  }

  private etag = () => `W/"${++this.version}"`;
}

const key = (user: AppUser) => JSON.stringify([user.issuer, user.userId]);
