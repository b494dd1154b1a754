import type { TableClient, TransactionAction } from '@azure/data-tables';

import type { AppUser } from '../auth/principal';
import { isStorageStatus, storageCall } from './errors';
import { auditRowKey, auditRowPrefix, communicationUserPartitionKey, mappingRowKey, userPartitionKey } from './keys';

export type MappingState = 'active' | 'deleting';

/** The app user -> ACS identity mapping. */
export interface IdentityMapping {
  user: AppUser;
  communicationUserId: string;
  createdOn: Date;
  state: MappingState;
  /** When all tokens were last revoked. */
  revokedAt?: Date;
  etag: string;
}

export type AuditAction = 'created' | 'tokens_revoked' | 'deleted';
export type AuditCause =
  | { kind: 'caller' }
  | { kind: 'admin'; actor: string }
  | { kind: 'webhook'; source: string; eventId: string; eventType?: string };

export interface AuditEntry {
  action: AuditAction;
  cause: AuditCause;
  communicationUserId: string;
  at: Date;
}

type MappingEntity = {
  partitionKey: string;
  rowKey: string;
  issuer: string;
  userId: string;
  communicationUserId: string;
  createdOn: Date;
  state: MappingState;
  revokedAt?: Date;
  updatedOn: Date;
};

type AuditEntity = {
  partitionKey: string;
  rowKey: string;
  action: AuditAction;
  cause: AuditCause['kind'];
  actor?: string;
  source?: string;
  eventId?: string;
  eventType?: string;
  communicationUserId: string;
  at: Date;
};

/**
 * One table holds, per app user, the mapping row and that user's audit rows in the same partition, so every
 * lifecycle change and its audit record commit together in one entity-group transaction. A second row per ACS
 * identity (partition `c-...`) is the reverse lookup from ACS id to app user.
 */
export class MappingRepository {
  constructor(
    private readonly table: TableClient,
    private readonly timeoutInMs: number,
  ) {}

  /** One point read. */
  async get(user: AppUser): Promise<IdentityMapping | undefined> {
    return storageCall(this.timeoutInMs, async (abortSignal) => {
      try {
        const entity = await this.table.getEntity<MappingEntity>(userPartitionKey(user), mappingRowKey, { abortSignal });
        return toMapping(entity);
      } catch (error) {
        if (isStorageStatus(error, 404)) return undefined;
        throw error;
      }
    });
  }

  /**
   * Creates the mapping and its `created` audit record atomically. Returns `false` when the user already has a
   * mapping (another request won the race); nothing is written then.
   */
  async create(user: AppUser, communicationUserId: string, cause: AuditCause, now = new Date()): Promise<boolean> {
    const partitionKey = userPartitionKey(user);
    const mapping: MappingEntity = {
      partitionKey,
      rowKey: mappingRowKey,
      issuer: user.issuer,
      userId: user.userId,
      communicationUserId,
      createdOn: now,
      state: 'active',
      updatedOn: now,
    };
    return storageCall(this.timeoutInMs, async (abortSignal) => {
      try {
        await this.table.submitTransaction([['create', mapping], ['create', auditEntity(partitionKey, 'created', cause, communicationUserId, now)]], { abortSignal });
        return true;
      } catch (error) {
        if (isStorageStatus(error, 409)) return false;
        throw error;
      }
    });
  }

  /** Marks a mapping as being deleted (optimistic concurrency on its etag). */
  async markDeleting(mapping: IdentityMapping, now = new Date()): Promise<IdentityMapping> {
    const partitionKey = userPartitionKey(mapping.user);
    return storageCall(this.timeoutInMs, async (abortSignal) => {
      const result = await this.table.updateEntity({ partitionKey, rowKey: mappingRowKey, state: 'deleting', updatedOn: now }, 'Merge', { etag: mapping.etag, abortSignal });
      return { ...mapping, state: 'deleting', etag: result.etag ?? '*' };
    });
  }

  /** Records a revocation of all tokens and its audit record atomically. */
  async recordRevocation(mapping: IdentityMapping, cause: AuditCause, now = new Date()): Promise<void> {
    const partitionKey = userPartitionKey(mapping.user);
    await storageCall(this.timeoutInMs, (abortSignal) =>
      this.table.submitTransaction(
        [
          ['update', { partitionKey, rowKey: mappingRowKey, revokedAt: now, updatedOn: now }, 'Merge'],
          ['create', auditEntity(partitionKey, 'tokens_revoked', cause, mapping.communicationUserId, now)],
        ],
        { abortSignal },
      ),
    );
  }

  /** Removes the mapping and writes the `deleted` audit record atomically; a mapping already gone is fine. */
  async remove(mapping: IdentityMapping, cause: AuditCause, now = new Date()): Promise<void> {
    const partitionKey = userPartitionKey(mapping.user);
    const actions: TransactionAction[] = [
      ['delete', { partitionKey, rowKey: mappingRowKey }],
      ['create', auditEntity(partitionKey, 'deleted', cause, mapping.communicationUserId, now)],
    ];
    await storageCall(this.timeoutInMs, async (abortSignal) => {
      try {
        await this.table.submitTransaction(actions, { abortSignal });
      } catch (error) {
        if (!isStorageStatus(error, 404)) throw error;
      }
    });
    await this.deleteReverse(mapping.communicationUserId);
  }

  /** Writes the reverse lookup row (ACS id -> app user). */
  async putReverse(communicationUserId: string, user: AppUser): Promise<void> {
    await storageCall(this.timeoutInMs, (abortSignal) =>
      this.table.upsertEntity(
        { partitionKey: communicationUserPartitionKey(communicationUserId), rowKey: mappingRowKey, issuer: user.issuer, userId: user.userId, communicationUserId },
        'Replace',
        { abortSignal },
      ),
    );
  }

  async deleteReverse(communicationUserId: string): Promise<void> {
    await storageCall(this.timeoutInMs, async (abortSignal) => {
      try {
        await this.table.deleteEntity(communicationUserPartitionKey(communicationUserId), mappingRowKey, { abortSignal });
      } catch (error) {
        if (!isStorageStatus(error, 404)) throw error;
      }
    });
  }

  /** Finds the app user of an ACS identity; a reverse row whose mapping no longer points back is ignored. */
  async findByCommunicationUserId(communicationUserId: string): Promise<IdentityMapping | undefined> {
    const reverse = await storageCall(this.timeoutInMs, async (abortSignal) => {
      try {
        return await this.table.getEntity<{ issuer: string; userId: string }>(communicationUserPartitionKey(communicationUserId), mappingRowKey, { abortSignal });
      } catch (error) {
        if (isStorageStatus(error, 404)) return undefined;
        throw error;
      }
    });
    if (!reverse) return undefined;
    const mapping = await this.get({ issuer: reverse.issuer, userId: reverse.userId });
    return mapping?.communicationUserId === communicationUserId ? mapping : undefined;
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
}

function auditEntity(partitionKey: string, action: AuditAction, cause: AuditCause, communicationUserId: string, at: Date): AuditEntity {
  return {
    partitionKey,
    rowKey: auditRowKey(at),
    action,
    cause: cause.kind,
    ...(cause.kind === 'admin' ? { actor: cause.actor } : {}),
    ...(cause.kind === 'webhook' ? { source: cause.source, eventId: cause.eventId, ...(cause.eventType ? { eventType: cause.eventType } : {}) } : {}),
    communicationUserId,
    at,
  };
}

function toMapping(entity: MappingEntity & { etag: string }): IdentityMapping {
  return {
    user: { issuer: entity.issuer, userId: entity.userId },
    communicationUserId: entity.communicationUserId,
    createdOn: new Date(entity.createdOn),
    state: entity.state,
    ...(entity.revokedAt ? { revokedAt: new Date(entity.revokedAt) } : {}),
    etag: entity.etag,
  };
}

function toAuditEntry(entity: AuditEntity): AuditEntry {
  const cause: AuditCause =
    entity.cause === 'admin'
      ? { kind: 'admin', actor: entity.actor ?? '' }
      : entity.cause === 'webhook'
        ? { kind: 'webhook', source: entity.source ?? '', eventId: entity.eventId ?? '', ...(entity.eventType ? { eventType: entity.eventType } : {}) }
        : { kind: 'caller' };
  return { action: entity.action, cause, communicationUserId: entity.communicationUserId, at: new Date(entity.at) };
}
