import { conflict, describeError, forbidden, notFound, ServiceError, UpstreamError } from '../domain/errors';
import {
  type AppUser,
  ConcurrentChangeError,
  type IdentityMapping,
  type Principal,
  type RevocationAction,
  type RevocationCounts,
  type RevocationJob,
} from '../domain/model';
import type { Logger, RevocationJobStore, RevocationStep, RevocationStepQueue } from '../domain/ports';
import type { IdentityService } from '../identity/identity-service';

export interface RevocationJobsOptions {
  /** Users per second (revocations or deletions at ACS); each page holds one second's worth. */
  ratePerSecond: number;
  /** The role that lets an admin act on another issuer's users or on every issuer; undefined: nobody may. */
  globalRole?: string;
}

/** `'all'`: every issuer. Omitted: the admin's own issuer. */
export type RevocationScope = string | undefined;

export type StepOutcome = 'ran' | 'finished' | 'stale' | 'claimed_elsewhere';

/** Longer than functionTimeout (2 min): a claim that old belongs to an invocation that has certainly ended. */
export const claimDurationInMs = 5 * 60_000;
/**
 * A running job not updated for this long has lost its step (e.g. the step's message went to the poison queue and
 * marking the job failed failed too): a new job may then start. Longer than a crashed host's message lease (10 min).
 */
export const abandonedAfterInMs = 30 * 60_000;
/** The most users one table query returns (and the largest page). */
const maxPageSize = 1000;
/** ACS calls in flight at once within a page. */
const concurrency = 16;

/**
 * Revoke-all: revokes the tokens of (or deletes) every identity of one issuer, or of every issuer, one page of the
 * mapping table per queue message. Paced: a page holds `ratePerSecond` users and the next page becomes visible no
 * sooner than one second after this one started, so in any window of T seconds at most `rate * T + pageSize` users
 * are acted on. Resumable: the job row keeps the scan's continuation token; a page's step claims the job on its
 * ETag and commits its counts and the next token on its ETag, so each page is counted once and two deliveries of
 * one step never run the same page at the same time. A crash mid-page re-runs that page (revocation and deletion
 * are idempotent); every user gets their own audit record from the identity use cases.
 */
export class RevocationJobs {
  readonly pageSize: number;

  constructor(
    private readonly store: RevocationJobStore,
    private readonly steps: RevocationStepQueue,
    private readonly identities: IdentityService,
    private readonly options: RevocationJobsOptions,
  ) {
    this.pageSize = Math.min(maxPageSize, Math.max(1, Math.floor(options.ratePerSecond)));
  }

  /**
   * Starts a job for `scope` on behalf of `admin`. Admins act on their own issuer; another issuer or `'all'` needs
   * the global role. One job runs at a time, so that two jobs never add up past the pace.
   */
  async start(admin: Principal, action: RevocationAction, scope: RevocationScope): Promise<RevocationJob> {
    const issuer = scope === undefined ? admin.issuer : scope === 'all' ? undefined : scope;
    if (issuer !== admin.issuer && !this.isGlobal(admin)) {
      throw forbidden(
        'global_admin_role_required',
        'Revoking the users of another issuer, or of every issuer, requires the global admin role.',
      );
    }
    await this.refuseWhileRunning();
    const actor: AppUser = { issuer: admin.issuer, userId: admin.userId };
    const job = await this.store.createJob({ action, ...(issuer !== undefined ? { issuer } : {}), actor });
    const oldest = await this.store.findRunningJob();
    if (oldest && oldest.id !== job.id) {
      // Two starts raced: the older job runs, this one backs off.
      await this.store
        .updateJob({ ...job, state: 'failed', error: 'revocation_job_running', updatedAt: new Date() })
        .catch(() => undefined);
      throw running(oldest);
    }
    try {
      await this.steps.enqueue({ jobId: job.id, page: 0 }, 0);
    } catch (error) {
      // Nothing will run it: leave it failed rather than running (which would refuse every later job).
      await this.store
        .updateJob({ ...job, state: 'failed', error: errorCode(error), updatedAt: new Date() })
        .catch(() => undefined);
      throw error;
    }
    return job;
  }

  /** A job the admin may see: one of their own issuer, or any for a global admin. */
  async get(admin: Principal, id: string): Promise<RevocationJob> {
    const job = await this.store.getJob(id);
    if (!job || (job.issuer !== admin.issuer && !this.isGlobal(admin)))
      throw notFound('job_not_found', 'No such revocation job.');
    return job;
  }

  /**
   * Runs one page of a job: claims it, revokes or deletes each user, then commits the counts and the scan's next
   * token and schedules the next page. `messageId` identifies the delivery (the same across its retries).
   */
  async runStep(step: RevocationStep, messageId: string, log: Logger, now = () => new Date()): Promise<StepOutcome> {
    const found = await this.store.getJob(step.jobId);
    if (!found || found.state !== 'running' || found.page !== step.page) return 'stale';
    const startedAt = now();
    if (found.claimedBy && found.claimedBy !== messageId && found.claimedUntil && found.claimedUntil > startedAt)
      return 'claimed_elsewhere';
    let job: RevocationJob;
    try {
      job = await this.store.updateJob({
        ...found,
        claimedBy: messageId,
        claimedUntil: new Date(startedAt.getTime() + claimDurationInMs),
        updatedAt: startedAt,
      });
    } catch (error) {
      if (error instanceof ConcurrentChangeError) return 'stale';
      throw error;
    }

    const page = await this.store.listMappings(job.issuer, this.pageSize, job.continuationToken);
    const counts = await this.applyAll(page.mappings, job, log);
    const finished = page.continuationToken === undefined;
    if (!finished) {
      // The next page starts no sooner than one second's worth of users after this one started.
      const dueInMs =
        startedAt.getTime() + (page.mappings.length * 1000) / this.options.ratePerSecond - now().getTime();
      await this.steps.enqueue({ jobId: job.id, page: job.page + 1 }, Math.max(0, Math.ceil(dueInMs / 1000)));
    }
    const { claimedBy: _claimedBy, claimedUntil: _claimedUntil, continuationToken: _token, ...rest } = job;
    try {
      await this.store.updateJob({
        ...rest,
        ...add(job, counts),
        page: job.page + 1,
        ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}),
        state: finished ? 'done' : 'running',
        updatedAt: now(),
      });
    } catch (error) {
      // Another delivery took this page over after our claim ran out: it counts the page, not us.
      if (error instanceof ConcurrentChangeError) return 'stale';
      throw error;
    }
    return finished ? 'finished' : 'ran';
  }

  /** Marks a job failed (its step's last delivery failed); its counts and token stay for the record. */
  async fail(jobId: string, error: unknown): Promise<void> {
    const job = await this.store.getJob(jobId);
    if (!job || job.state !== 'running') return;
    await this.store.updateJob({ ...job, state: 'failed', error: errorCode(error), updatedAt: new Date() });
  }

  /** One job at a time, so that two jobs never add up past the pace; an abandoned one is marked failed. */
  private async refuseWhileRunning(): Promise<void> {
    const job = await this.store.findRunningJob();
    if (!job) return;
    if (Date.now() - job.updatedAt.getTime() < abandonedAfterInMs) throw running(job);
    try {
      await this.store.updateJob({ ...job, state: 'failed', error: 'abandoned', updatedAt: new Date() });
    } catch (error) {
      if (error instanceof ConcurrentChangeError) throw running(job); // it moved meanwhile: alive after all
      throw error;
    }
  }

  private isGlobal(admin: Principal): boolean {
    return this.options.globalRole !== undefined && admin.roles.includes(this.options.globalRole);
  }

  /**
   * Revokes or deletes each user of the page, a few at a time. A transient failure (throttled, unavailable, a lost
   * race) fails the whole step, so that the queue retries the page; a refusal counts the user as failed.
   */
  private async applyAll(mappings: IdentityMapping[], job: RevocationJob, log: Logger): Promise<RevocationCounts> {
    const counts: RevocationCounts = { processed: 0, revoked: 0, deleted: 0, skipped: 0, failed: 0 };
    const caller = { cause: { kind: 'admin' as const, actor: job.actor.userId, jobId: job.id }, log };
    let retry: unknown;
    let next = 0;
    const worker = async () => {
      while (next < mappings.length && retry === undefined) {
        const mapping = mappings[next++];
        try {
          if (job.action === 'delete') {
            await this.identities.deleteMapped(mapping, caller);
            counts.deleted += 1;
          } else if ((await this.identities.revokeMapped(mapping, caller)) === 'revoked') {
            counts.revoked += 1;
          } else {
            counts.skipped += 1;
          }
        } catch (error) {
          if (isTransient(error)) {
            retry ??= error;
            return;
          }
          counts.failed += 1;
          log.warn(
            `Revocation job ${job.id}: ${job.action} of ${mapping.communicationUserId} failed (${describeError(error)}); counted as failed.`,
          );
        }
        counts.processed += 1;
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, mappings.length) }, worker));
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- the first caught error, rethrown unchanged
    if (retry !== undefined) throw retry;
    return counts;
  }
}

const running = (job: RevocationJob) =>
  conflict('revocation_job_running', `Revocation job ${job.id} is still running; wait until it is done.`, 30);

const add = (job: RevocationCounts, page: RevocationCounts): RevocationCounts => ({
  processed: job.processed + page.processed,
  revoked: job.revoked + page.revoked,
  deleted: job.deleted + page.deleted,
  skipped: job.skipped + page.skipped,
  failed: job.failed + page.failed,
});

const isTransient = (error: unknown) =>
  (error instanceof UpstreamError && error.transient) ||
  error instanceof ConcurrentChangeError ||
  (error instanceof ServiceError && error.kind === 'conflict');

const errorCode = (error: unknown) =>
  error instanceof UpstreamError || error instanceof ServiceError ? error.code : 'internal_error';
