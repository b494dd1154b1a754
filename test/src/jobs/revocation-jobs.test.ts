import { UpstreamError } from '../../../src/domain/errors';
import type { Principal } from '../../../src/domain/model';
import { abandonedAfterInMs, claimDurationInMs, RevocationJobs } from '../../../src/jobs/revocation-jobs';
import { InMemoryJobStore, InMemoryStepQueue } from '../../support/in-memory-job-store';
import { identityUseCases } from '../../support/identity-use-cases';
import { context } from '../../support/services';

const issuer = 'https://issuer.example.com';
const other = 'https://other.example.com';
const admin: Principal = { issuer, userId: 'ops', roles: ['Identity.Admin'], scopes: [] };
const globalAdmin: Principal = { ...admin, roles: ['Identity.Admin', 'Identity.GlobalAdmin'] };

async function setup(options: { users?: number; otherUsers?: number; ratePerSecond?: number } = {}) {
  const { acs, live, store: mappings, identities } = identityUseCases();
  const store = new InMemoryJobStore(mappings);
  const steps = new InMemoryStepQueue();
  const jobs = new RevocationJobs(store, steps, identities, {
    ratePerSecond: options.ratePerSecond ?? 3,
    globalRole: 'Identity.GlobalAdmin',
  });
  const add = async (userIssuer: string, userId: string) => {
    const id = await acs.createUser();
    await mappings.create(
      { issuer: userIssuer, userId },
      { communicationUserId: id, resource: acs.resource },
      { kind: 'caller' },
    );
  };
  for (let i = 0; i < (options.users ?? 7); i += 1) await add(issuer, `user-${i}`);
  for (let i = 0; i < (options.otherUsers ?? 0); i += 1) await add(other, `other-${i}`);
  acs.createUser.mockClear();
  /** Delivers queued steps until none is left; returns the outcomes. */
  const drain = async (messageId = 'msg') => {
    const outcomes: string[] = [];
    for (let step = steps.steps.shift(); step; step = steps.steps.shift())
      outcomes.push(await jobs.runStep(step, `${messageId}-${step.page}`, context()));
    return outcomes;
  };
  return { acs, live, mappings, store, steps, jobs, drain };
}

describe('revoke-all jobs', () => {
  describe('who may start one', () => {
    it("covers the admin's own issuer when none is named", async () => {
      const { jobs, steps } = await setup();
      const job = await jobs.start(admin, 'revoke', undefined);
      expect(job).toMatchObject({ issuer, state: 'running', page: 0, actor: { issuer, userId: 'ops' } });
      expect(steps.steps).toEqual([{ jobId: job.id, page: 0, delayInSeconds: 0 }]);
    });

    it.each([['all'], [other]])(
      'refuses %s without the global role (403 global_admin_role_required)',
      async (scope) => {
        const { jobs, store } = await setup();
        await expect(jobs.start(admin, 'revoke', scope)).rejects.toMatchObject({
          kind: 'forbidden',
          code: 'global_admin_role_required',
        });
        expect(store.jobs.size).toBe(0);
      },
    );

    it('lets a global admin cover every issuer', async () => {
      const { jobs } = await setup();
      const job = await jobs.start(globalAdmin, 'delete', 'all');
      expect(job.issuer).toBeUndefined();
    });

    it('runs one job at a time (409 revocation_job_running)', async () => {
      const { jobs } = await setup();
      await jobs.start(admin, 'revoke', undefined);
      await expect(jobs.start(admin, 'revoke', undefined)).rejects.toMatchObject({
        kind: 'conflict',
        code: 'revocation_job_running',
      });
    });

    it('lets the older of two racing starts run; the younger backs off (409) and is left failed', async () => {
      const { jobs, store } = await setup();
      const older = await store.createJob(
        { action: 'revoke', issuer, actor: { issuer, userId: 'other-ops' } },
        new Date(Date.now() - 1000),
      );
      // This start saw no running job (the other start had not written it yet), then finds the older one.
      jest.spyOn(store, 'findRunningJob').mockResolvedValueOnce(undefined);
      await expect(jobs.start(admin, 'revoke', undefined)).rejects.toMatchObject({ code: 'revocation_job_running' });
      expect([...store.jobs.values()].map((job) => [job.id === older.id, job.state])).toEqual([
        [true, 'running'],
        [false, 'failed'],
      ]);
    });

    it('starts over a running job abandoned for 30 minutes, marking it failed', async () => {
      const { jobs, store } = await setup();
      const stuck = await jobs.start(admin, 'revoke', undefined);
      await store.updateJob({
        ...(await store.getJob(stuck.id))!,
        updatedAt: new Date(Date.now() - abandonedAfterInMs - 1000),
      });
      const next = await jobs.start(admin, 'revoke', undefined);
      expect(await store.getJob(stuck.id)).toMatchObject({ state: 'failed', error: 'abandoned' });
      expect((await store.getJob(next.id))!.state).toBe('running');
    });

    it('leaves a job it could not enqueue failed, so that it blocks no later job', async () => {
      const { jobs, store, steps } = await setup();
      steps.beforeEnqueue = () => {
        throw new UpstreamError('queue', 'unavailable');
      };
      await expect(jobs.start(admin, 'revoke', undefined)).rejects.toMatchObject({ code: 'queue_unavailable' });
      expect([...store.jobs.values()].map((job) => [job.state, job.error])).toEqual([['failed', 'queue_unavailable']]);
    });

    it("hides another issuer's job from an admin of this one", async () => {
      const { jobs } = await setup();
      const job = await jobs.start(globalAdmin, 'revoke', 'all');
      await expect(jobs.get(admin, job.id)).rejects.toMatchObject({ kind: 'not_found', code: 'job_not_found' });
      expect((await jobs.get(globalAdmin, job.id)).id).toBe(job.id);
    });
  });

  describe('running', () => {
    it('revokes every user of the issuer once, one page of `rate` users per step, each with an audit record naming the job', async () => {
      const { jobs, store, acs, mappings, drain } = await setup({ users: 7, otherUsers: 2 });
      const job = await jobs.start(admin, 'revoke', undefined);
      expect(await drain()).toEqual(['ran', 'ran', 'finished']);
      expect(await store.getJob(job.id)).toMatchObject({
        state: 'done',
        processed: 7,
        revoked: 7,
        deleted: 0,
        skipped: 0,
        failed: 0,
        page: 3,
      });
      expect(acs.revokeTokens).toHaveBeenCalledTimes(7);
      const revoked = mappings.audit.filter((entry) => entry.action === 'tokens_revoked');
      expect(revoked).toHaveLength(7);
      expect(
        revoked.every(
          (entry) => entry.cause.kind === 'admin' && entry.cause.actor === 'ops' && entry.cause.jobId === job.id,
        ),
      ).toBe(true);
      expect(new Set(revoked.map((entry) => entry.user)).size).toBe(7);
    });

    it('deletes every identity of every issuer for a global admin', async () => {
      const { jobs, store, live, mappings, drain } = await setup({ users: 4, otherUsers: 3 });
      const job = await jobs.start(globalAdmin, 'delete', 'all');
      await drain();
      expect(await store.getJob(job.id)).toMatchObject({ state: 'done', processed: 7, deleted: 7 });
      expect(live.size).toBe(0);
      expect(mappings.mappings.size).toBe(0);
    });

    it('schedules the next page no sooner than one second of users after this page started', async () => {
      const { jobs, steps } = await setup({ users: 7, ratePerSecond: 3 });
      const job = await jobs.start(admin, 'revoke', undefined);
      steps.steps.length = 0;
      const start = Date.parse('2026-01-01T00:00:00Z');
      let calls = 0;
      // The step reads the clock when it starts, when it schedules and when it commits: 0.2 s into the page.
      const clock = () => new Date(start + (calls++ === 0 ? 0 : 200));
      await jobs.runStep({ jobId: job.id, page: 0 }, 'm0', context(), clock);
      expect(steps.steps).toEqual([{ jobId: job.id, page: 1, delayInSeconds: 1 }]);
      // A page that took longer than its share of the second is followed at once.
      calls = 0;
      const slow = () => new Date(start + (calls++ === 0 ? 0 : 1500));
      await jobs.runStep({ jobId: job.id, page: 1 }, 'm1', context(), slow);
      expect(steps.steps[1]).toEqual({ jobId: job.id, page: 2, delayInSeconds: 0 });
    });

    it('counts a page once: a repeated delivery of a committed step is stale and revokes nothing', async () => {
      const { jobs, store, steps, acs } = await setup({ users: 7 });
      const job = await jobs.start(admin, 'revoke', undefined);
      const first = steps.steps.shift()!;
      expect(await jobs.runStep(first, 'm0', context())).toBe('ran');
      expect(await jobs.runStep(first, 'm0-again', context())).toBe('stale');
      expect(acs.revokeTokens).toHaveBeenCalledTimes(3);
      expect((await store.getJob(job.id))!.processed).toBe(3);
    });

    it('leaves a page claimed by a live delivery alone, and takes it over once the claim has run out', async () => {
      const { jobs, store, steps } = await setup({ users: 7 });
      const job = await jobs.start(admin, 'revoke', undefined);
      const stored = (await store.getJob(job.id))!;
      await store.updateJob({
        ...stored,
        claimedBy: 'other-delivery',
        claimedUntil: new Date(Date.now() + claimDurationInMs),
      });
      const step = steps.steps.shift()!;
      expect(await jobs.runStep(step, 'mine', context())).toBe('claimed_elsewhere');
      const later = () => new Date(Date.now() + claimDurationInMs + 1000);
      expect(await jobs.runStep(step, 'mine', context(), later)).toBe('ran');
      // The same delivery, redelivered after a crash, resumes its own claim.
      const claimed = (await store.getJob(job.id))!;
      await store.updateJob({
        ...claimed,
        claimedBy: 'retried',
        claimedUntil: new Date(Date.now() + claimDurationInMs),
      });
      expect(await jobs.runStep(steps.steps.shift()!, 'retried', context())).toBe('ran');
    });

    it('re-runs a page that failed transiently (nothing counted twice) and counts a refused user as failed', async () => {
      const { jobs, store, acs, drain, steps } = await setup({ users: 7 });
      const job = await jobs.start(admin, 'revoke', undefined);
      acs.revokeTokens.mockRejectedValueOnce(new UpstreamError('acs', 'throttled', 429, 10));
      const first = steps.steps[0];
      await expect(jobs.runStep(first, 'm0-0', context())).rejects.toMatchObject({ code: 'acs_throttled' });
      expect(await store.getJob(job.id)).toMatchObject({ page: 0, processed: 0, state: 'running' });
      acs.revokeTokens.mockRejectedValueOnce(new UpstreamError('acs', 'failed', 500));
      expect(await drain('m0')).toEqual(['ran', 'ran', 'finished']);
      expect(await store.getJob(job.id)).toMatchObject({ state: 'done', processed: 7, revoked: 6, failed: 1 });
    });

    it('marks a job failed when its step gives up, keeping its progress', async () => {
      const { jobs, store, drain } = await setup({ users: 7 });
      const job = await jobs.start(admin, 'revoke', undefined);
      await jobs.fail(job.id, new UpstreamError('storage', 'unavailable'));
      expect(await store.getJob(job.id)).toMatchObject({ state: 'failed', error: 'storage_unavailable' });
      expect(await drain()).toEqual(['stale']);
    });
  });
});
