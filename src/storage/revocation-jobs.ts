import { odata, type TableClient } from '@azure/data-tables';

import { ConcurrentChangeError, type IdentityMapping, type RevocationJob } from '../domain/model';
import type { MappingPage, NewRevocationJob, RevocationJobStore } from '../domain/ports';
import { isStorageStatus, storageCall } from './errors';
import { jobPartitionKey, jobRowKey, mappingRowKey } from './keys';
import { type MappingEntity, toMapping } from './mapping-entities';

type JobEntity = {
  partitionKey: string;
  rowKey: string;
  action: RevocationJob['action'];
  /** Absent: every issuer. */
  issuer?: string;
  actorIssuer: string;
  actorUserId: string;
  state: RevocationJob['state'];
  page: number;
  continuationToken?: string;
  claimedBy?: string;
  claimedUntil?: Date;
  processed: number;
  revoked: number;
  deleted: number;
  skipped: number;
  failed: number;
  startedAt: Date;
  updatedAt: Date;
  error?: string;
};

/**
 * Revoke-all jobs live in the mapping table's partition `jobs`; the scan they run reads the mapping rows of every
 * user partition (row key `identity`, tombstones left out) one page at a time.
 */
export class RevocationJobRepository implements RevocationJobStore {
  constructor(
    private readonly table: TableClient,
    private readonly timeoutInMs: number,
  ) {}

  async createJob(job: NewRevocationJob, now = new Date()): Promise<RevocationJob> {
    const entity: JobEntity = {
      partitionKey: jobPartitionKey,
      rowKey: jobRowKey(now),
      action: job.action,
      ...(job.issuer !== undefined ? { issuer: job.issuer } : {}),
      actorIssuer: job.actor.issuer,
      actorUserId: job.actor.userId,
      state: 'running',
      page: 0,
      processed: 0,
      revoked: 0,
      deleted: 0,
      skipped: 0,
      failed: 0,
      startedAt: now,
      updatedAt: now,
    };
    return storageCall(this.timeoutInMs, async (abortSignal) => {
      const result = await this.table.createEntity(entity, { abortSignal });
      return toJob({ ...entity, etag: result.etag ?? '*' });
    });
  }

  async getJob(id: string): Promise<RevocationJob | undefined> {
    if (!/^[0-9]{16}-[0-9a-f]{16}$/.test(id)) return undefined; // never a key the table would refuse
    return storageCall(this.timeoutInMs, async (abortSignal) => {
      try {
        return toJob(await this.table.getEntity<JobEntity>(jobPartitionKey, id, { abortSignal }));
      } catch (error) {
        if (isStorageStatus(error, 404)) return undefined;
        throw error;
      }
    });
  }

  async findRunningJob(): Promise<RevocationJob | undefined> {
    const filter = odata`PartitionKey eq ${jobPartitionKey} and state eq 'running'`;
    return storageCall(this.timeoutInMs, async (abortSignal) => {
      for await (const entity of this.table.listEntities<JobEntity>({ queryOptions: { filter }, abortSignal }))
        return toJob(entity);
      return undefined;
    });
  }

  /** Replaces the job on its ETag; throws {@link ConcurrentChangeError} when it changed meanwhile. */
  async updateJob(job: RevocationJob): Promise<RevocationJob> {
    const entity = toEntity(job);
    return storageCall(this.timeoutInMs, async (abortSignal) => {
      try {
        const result = await this.table.updateEntity(entity, 'Replace', { etag: job.etag, abortSignal });
        return { ...job, etag: result.etag ?? job.etag };
      } catch (error) {
        if (isStorageStatus(error, 404, 412)) throw new ConcurrentChangeError();
        throw error;
      }
    });
  }

  async listMappings(issuer: string | undefined, pageSize: number, continuationToken?: string): Promise<MappingPage> {
    const filter =
      issuer === undefined
        ? odata`RowKey eq ${mappingRowKey} and state ne 'deleted'`
        : odata`RowKey eq ${mappingRowKey} and state ne 'deleted' and issuer eq ${issuer}`;
    return storageCall(this.timeoutInMs, async (abortSignal) => {
      const pages = this.table
        .listEntities<MappingEntity>({ queryOptions: { filter }, abortSignal })
        .byPage({ maxPageSize: pageSize, ...(continuationToken ? { continuationToken } : {}) });
      const page = (await pages.next()).value as
        (Array<MappingEntity & { etag: string }> & { continuationToken?: string }) | undefined;
      const mappings = (page ?? [])
        .map(toMapping)
        .filter((mapping): mapping is IdentityMapping => mapping !== undefined);
      const next = page?.continuationToken;
      return { mappings, ...(next ? { continuationToken: next } : {}) };
    });
  }
}

function toJob(entity: JobEntity & { etag: string }): RevocationJob {
  return {
    id: entity.rowKey,
    action: entity.action,
    ...(entity.issuer !== undefined ? { issuer: entity.issuer } : {}),
    actor: { issuer: entity.actorIssuer, userId: entity.actorUserId },
    state: entity.state,
    page: entity.page,
    ...(entity.continuationToken ? { continuationToken: entity.continuationToken } : {}),
    ...(entity.claimedBy ? { claimedBy: entity.claimedBy } : {}),
    ...(entity.claimedUntil ? { claimedUntil: new Date(entity.claimedUntil) } : {}),
    processed: entity.processed,
    revoked: entity.revoked,
    deleted: entity.deleted,
    skipped: entity.skipped,
    failed: entity.failed,
    startedAt: new Date(entity.startedAt),
    updatedAt: new Date(entity.updatedAt),
    ...(entity.error ? { error: entity.error } : {}),
    etag: entity.etag,
  };
}

function toEntity(job: RevocationJob): JobEntity {
  return {
    partitionKey: jobPartitionKey,
    rowKey: job.id,
    action: job.action,
    ...(job.issuer !== undefined ? { issuer: job.issuer } : {}),
    actorIssuer: job.actor.issuer,
    actorUserId: job.actor.userId,
    state: job.state,
    page: job.page,
    ...(job.continuationToken ? { continuationToken: job.continuationToken } : {}),
    ...(job.claimedBy ? { claimedBy: job.claimedBy } : {}),
    ...(job.claimedUntil ? { claimedUntil: job.claimedUntil } : {}),
    processed: job.processed,
    revoked: job.revoked,
    deleted: job.deleted,
    skipped: job.skipped,
    failed: job.failed,
    startedAt: job.startedAt,
    updatedAt: job.updatedAt,
    ...(job.error ? { error: job.error } : {}),
  };
}
