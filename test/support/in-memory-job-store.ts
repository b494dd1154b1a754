import { ConcurrentChangeError, type RevocationJob } from '../../src/domain/model';
import type {
  MappingPage,
  NewRevocationJob,
  RevocationJobStore,
  RevocationStep,
  RevocationStepQueue,
} from '../../src/domain/ports';
import type { InMemoryMappingStore } from './in-memory-mapping-store';

/**
 * Revocation jobs in memory, with the Table adapter's ETag conditions, scanning an InMemoryMappingStore's mappings
 * (the continuation token is the key of the next one, so that removals do not shift it, as with Table Storage). The adapter is tested against Azurite (test/src/storage).
 */
export class InMemoryJobStore implements RevocationJobStore {
  readonly jobs = new Map<string, RevocationJob>();
  private version = 0;

  constructor(private readonly mappings: InMemoryMappingStore) {}

  async createJob(job: NewRevocationJob, now = new Date()) {
    const created: RevocationJob = {
      ...job,
      id: `${String(now.getTime()).padStart(16, '0')}-${String(++this.version).padStart(16, '0')}`,
      state: 'running',
      page: 0,
      processed: 0,
      revoked: 0,
      deleted: 0,
      skipped: 0,
      failed: 0,
      startedAt: now,
      updatedAt: now,
      etag: this.etag(),
    };
    this.jobs.set(created.id, created);
    return { ...created };
  }

  async getJob(id: string) {
    const job = this.jobs.get(id);
    return job && { ...job };
  }

  async findRunningJob() {
    return [...this.jobs.values()].find((job) => job.state === 'running');
  }

  async updateJob(job: RevocationJob) {
    if (this.jobs.get(job.id)?.etag !== job.etag) throw new ConcurrentChangeError();
    const next = { ...job, etag: this.etag() };
    this.jobs.set(job.id, next);
    return { ...next };
  }

  async listMappings(issuer: string | undefined, pageSize: number, continuationToken?: string): Promise<MappingPage> {
    const all = [...this.mappings.mappings.entries()]
      .filter(
        ([key, mapping]) =>
          (issuer === undefined || mapping.user.issuer === issuer) &&
          (continuationToken === undefined || key >= continuationToken),
      )
      .sort(([a], [b]) => (a < b ? -1 : 1));
    const next = all[pageSize]?.[0];
    return {
      mappings: all.slice(0, pageSize).map(([, mapping]) => ({ ...mapping })),
      ...(next !== undefined ? { continuationToken: next } : {}),
    };
  }

  private etag = () => `W/"job-${++this.version}"`;
}

/** A step queue that keeps what was enqueued, with its delay. */
export class InMemoryStepQueue implements RevocationStepQueue {
  readonly steps: Array<RevocationStep & { delayInSeconds: number }> = [];
  /** Runs before each enqueue; a test can throw from it. */
  beforeEnqueue: () => void = () => undefined;

  async enqueue(step: RevocationStep, delayInSeconds: number) {
    this.beforeEnqueue();
    this.steps.push({ ...step, delayInSeconds });
  }
}
