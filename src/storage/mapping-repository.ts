import type { TableClient, TransactionAction } from '@azure/data-tables';

import {
  type AccessDecision,
  type AppUser,
  type AuditCause,
  type AuditEntry,
  ConcurrentChangeError,
  type CreationClaim,
  type IdentityMapping,
  type UserRecord,
} from '../domain/model';
import type { MappingStore, NewMapping } from '../domain/ports';
import { isStorageStatus, storageCall } from './errors';
import { auditRowPrefix, claimRowKey, decisionRowKey, mappingRowKey, userPartitionKey } from './keys';
import {
  auditEntity,
  type AuditEntity,
  type ClaimEntity,
  type DecisionEntity,
  type MappingEntity,
  toAuditEntry,
  toClaim,
  toDecision,
  toMapping,
} from './mapping-entities';

export type { AuditAction, AuditCause, AuditEntry, IdentityMapping, MappingState } from '../domain/model';
export { type MappingEntity, toMapping } from './mapping-entities';

/**
 * One table holds, per app user, the mapping row, the identity provider's decision (if any) and that user's audit
 * rows in the same partition, so every lifecycle change and its audit record commit together in one entity-group
 * transaction. Every write that can race carries a condition: create-only for new rows, the ETag read for changes.
 * (Partition `intents` of the same table belongs to {@link IntentRepository}.)
 */
export class MappingRepository implements MappingStore {
  constructor(
    private readonly table: TableClient,
    private readonly timeoutInMs: number,
  ) {}

  /** One point read of the mapping. */
  async get(user: AppUser): Promise<IdentityMapping | undefined> {
    return storageCall(this.timeoutInMs, async (abortSignal) => {
      try {
        return toMapping(
          await this.table.getEntity<MappingEntity>(userPartitionKey(user), mappingRowKey, { abortSignal }),
        );
      } catch (error) {
        if (isStorageStatus(error, 404)) return undefined;
        throw error;
      }
    });
  }

  /** The mapping, a creation claim and the provider's decision in one range query (their row keys are adjacent). */
  async read(user: AppUser, _options?: { fresh?: boolean }): Promise<UserRecord> {
    const partitionKey = userPartitionKey(user);
    const filter = `PartitionKey eq '${partitionKey}' and RowKey ge '${mappingRowKey}' and RowKey le '${decisionRowKey}'`;
    return storageCall(this.timeoutInMs, async (abortSignal) => {
      const record: UserRecord = {};
      for await (const entity of this.table.listEntities<Record<string, unknown>>({
        queryOptions: { filter },
        abortSignal,
      })) {
        const mapping =
          entity.rowKey === mappingRowKey
            ? toMapping(entity as unknown as MappingEntity & { etag: string })
            : undefined;
        if (mapping) record.mapping = mapping;
        if (entity.rowKey === decisionRowKey)
          record.decision = toDecision(entity as unknown as DecisionEntity & { etag: string });
        if (entity.rowKey === claimRowKey) record.claim = toClaim(entity as unknown as ClaimEntity & { etag: string });
      }
      return record;
    });
  }

  /**
   * Creates the mapping and its `created` audit record atomically (and marks the creation claim run out):
   * create-only, or over a tombstone on its ETag.
   * Returns `false` when the user already has a mapping (another request won the race); nothing is written then.
   */
  async create(user: AppUser, identity: NewMapping, cause: AuditCause, now = new Date()): Promise<boolean> {
    const partitionKey = userPartitionKey(user);
    const mapping: MappingEntity = {
      partitionKey,
      rowKey: mappingRowKey,
      issuer: user.issuer,
      userId: user.userId,
      communicationUserId: identity.communicationUserId,
      resource: identity.resource,
      createdOn: now,
      state: 'active',
      ...(identity.intentId ? { intentId: identity.intentId } : {}),
      updatedOn: now,
    };
    const audit = auditEntity(partitionKey, 'created', cause, identity.communicationUserId, now);
    // The creation claim, run out: it stays beside the mapping, and a later creation takes it over at once.
    const claimDone: TransactionAction = [
      'upsert',
      { partitionKey, rowKey: claimRowKey, leaseUntil: new Date(0) } satisfies ClaimEntity,
      'Replace',
    ];
    return storageCall(this.timeoutInMs, async (abortSignal) => {
      try {
        await this.table.submitTransaction([['create', mapping], ['create', audit], claimDone], { abortSignal });
        return true;
      } catch (error) {
        if (!isStorageStatus(error, 409)) throw error;
      }
      let existing: MappingEntity & { etag: string };
      try {
        existing = await this.table.getEntity<MappingEntity>(partitionKey, mappingRowKey, { abortSignal });
      } catch (error) {
        if (isStorageStatus(error, 404)) return false; // deleted in between: let the caller re-read and retry
        throw error;
      }
      if (existing.state !== 'deleted') return false;
      try {
        await this.table.submitTransaction(
          [['update', mapping, 'Replace', { etag: existing.etag }], ['create', audit], claimDone],
          { abortSignal },
        );
        return true;
      } catch (error) {
        if (isStorageStatus(error, 404, 412)) return false;
        throw error;
      }
    });
  }

  /** Marks a mapping as being deleted, on the ETag read. Throws {@link ConcurrentChangeError} when it changed. */
  async markDeleting(mapping: IdentityMapping, now = new Date()): Promise<IdentityMapping> {
    const partitionKey = userPartitionKey(mapping.user);
    return storageCall(this.timeoutInMs, async (abortSignal) => {
      try {
        const result = await this.table.updateEntity(
          { partitionKey, rowKey: mappingRowKey, state: 'deleting', updatedOn: now },
          'Merge',
          { etag: mapping.etag, abortSignal },
        );
        return { ...mapping, state: 'deleting', etag: result.etag ?? mapping.etag };
      } catch (error) {
        if (isStorageStatus(error, 404, 412)) throw new ConcurrentChangeError();
        throw error;
      }
    });
  }

  /**
   * Records a revocation of all tokens and its audit record atomically, on the mapping's ETag. When the row changed
   * meanwhile it is re-read: the same identity still active is updated on its new ETag; a mapping that was deleted
   * or replaced meanwhile is left alone (returns false): deleting an identity revokes its tokens too.
   */
  async recordRevocation(mapping: IdentityMapping, cause: AuditCause, now = new Date()): Promise<boolean> {
    const partitionKey = userPartitionKey(mapping.user);
    let etag = mapping.etag;
    for (let attempt = 0; attempt < 5; attempt += 1) {
      try {
        await this.transact([
          ['update', { partitionKey, rowKey: mappingRowKey, revokedAt: now, updatedOn: now }, 'Merge', { etag }],
          ['create', auditEntity(partitionKey, 'tokens_revoked', cause, mapping.communicationUserId, now)],
        ]);
        return true;
      } catch (error) {
        if (!(error instanceof ConcurrentChangeError)) throw error;
      }
      const current = await this.get(mapping.user);
      if (!current || current.communicationUserId !== mapping.communicationUserId || current.state !== 'active')
        return false;
      etag = current.etag;
    }
    throw new ConcurrentChangeError();
  }

  /**
   * Removes exactly the mapping that was read (on its ETag: the row becomes a tombstone) and writes the audit
   * record atomically. Throws {@link ConcurrentChangeError} when the row changed: the caller re-reads and decides.
   */
  async remove(
    mapping: IdentityMapping,
    cause: AuditCause,
    action: 'deleted' | 'stale_removed' = 'deleted',
    now = new Date(),
  ): Promise<void> {
    const partitionKey = userPartitionKey(mapping.user);
    const tombstone: MappingEntity = {
      partitionKey,
      rowKey: mappingRowKey,
      issuer: mapping.user.issuer,
      userId: mapping.user.userId,
      communicationUserId: mapping.communicationUserId,
      createdOn: mapping.createdOn,
      state: 'deleted',
      updatedOn: now,
    };
    await this.transact([
      ['update', tombstone, 'Replace', { etag: mapping.etag }],
      ['create', auditEntity(partitionKey, action, cause, mapping.communicationUserId, now)],
    ]);
  }

  /**
   * Records an identity provider's (or an operator's) decision unless a later one is already recorded; a decision
   * is replaced, never deleted, so that an older event arriving late cannot undo a newer one. Conditional on what was read
   * (create-only, or the ETag of the older decision): a racing writer makes this throw {@link ConcurrentChangeError}.
   * @returns false when a decision at the same time or later was already recorded
   */
  async recordDecision(
    user: AppUser,
    decision: Omit<AccessDecision, 'etag'>,
    current: AccessDecision | undefined,
    cause: AuditCause,
    now = new Date(),
  ): Promise<boolean> {
    if (current && current.at.getTime() >= decision.at.getTime()) return false;
    const partitionKey = userPartitionKey(user);
    const entity: DecisionEntity = {
      partitionKey,
      rowKey: decisionRowKey,
      kind: decision.kind,
      at: decision.at,
      source: decision.source,
      eventId: decision.eventId,
      ...(decision.eventType ? { eventType: decision.eventType } : {}),
    };
    const write: TransactionAction = current
      ? ['update', entity, 'Replace', { etag: current.etag }]
      : ['create', entity];
    const action = decision.kind === 'restored' ? 'access_restored' : 'access_blocked';
    await this.transact([write, ['create', auditEntity(partitionKey, action, cause, '', now)]]);
    return true;
  }

  /** The user's audit trail, newest first. */
  async listAudit(user: AppUser, limit = 100): Promise<AuditEntry[]> {
    const partitionKey = userPartitionKey(user);
    return storageCall(this.timeoutInMs, async (abortSignal) => {
      const entries: AuditEntry[] = [];
      const filter = `PartitionKey eq '${partitionKey}' and RowKey ge '${auditRowPrefix}' and RowKey lt 'audit.'`;
      for await (const entity of this.table.listEntities<AuditEntity>({ queryOptions: { filter }, abortSignal })) {
        entries.push(toAuditEntry(entity));
        if (entries.length >= limit) break;
      }
      return entries;
    });
  }

  async appendAudit(user: AppUser, entry: Omit<AuditEntry, 'at'>, now = new Date()): Promise<void> {
    const entity = auditEntity(
      userPartitionKey(user),
      entry.action,
      entry.cause,
      entry.communicationUserId,
      now,
      entry.invitationId,
    );
    await storageCall(this.timeoutInMs, (abortSignal) => this.table.createEntity(entity, { abortSignal }));
  }

  /** Create-only, or over the expired claim on its ETag; undefined when another claim is there. */
  async claimCreation(user: AppUser, leaseUntil: Date, expired?: CreationClaim): Promise<CreationClaim | undefined> {
    const entity: ClaimEntity = { partitionKey: userPartitionKey(user), rowKey: claimRowKey, leaseUntil };
    return storageCall(this.timeoutInMs, async (abortSignal) => {
      try {
        const result = expired
          ? await this.table.updateEntity(entity, 'Replace', { etag: expired.etag, abortSignal })
          : await this.table.createEntity(entity, { abortSignal });
        return { leaseUntil, etag: result.etag ?? '*' };
      } catch (error) {
        if (isStorageStatus(error, 404, 409, 412)) return undefined;
        throw error;
      }
    });
  }

  /** Deletes the claim on its ETag; gone or taken over meanwhile is fine. */
  async releaseClaim(user: AppUser, claim: CreationClaim): Promise<void> {
    await storageCall(this.timeoutInMs, async (abortSignal) => {
      try {
        await this.table.deleteEntity(userPartitionKey(user), claimRowKey, { etag: claim.etag, abortSignal });
      } catch (error) {
        if (!isStorageStatus(error, 404, 412)) throw error;
      }
    });
  }

  /** A transaction whose failed condition (409 exists, 412 changed, 404 gone) becomes {@link ConcurrentChangeError}. */
  private async transact(actions: TransactionAction[]): Promise<void> {
    await storageCall(this.timeoutInMs, async (abortSignal) => {
      try {
        await this.table.submitTransaction(actions, { abortSignal });
      } catch (error) {
        if (isStorageStatus(error, 404, 409, 412)) throw new ConcurrentChangeError();
        throw error;
      }
    });
  }
}
