import { UpstreamError } from '../../../src/domain/errors';
import { getRevocationJob, processRevocationStep, startRevocationJob } from '../../../src/handlers/revocations';
import { issueToken } from '../../../src/handlers/tokens';
import { bodyOf, context, request, testServices } from '../../support/services';

describe('revocation job handlers (in process)', () => {
  const withUsers = async (count: number, settings: Record<string, string> = {}) => {
    const setup = testServices({ REVOKE_ALL_RATE_PER_SECOND: '2', ...settings });
    for (let i = 0; i < count; i += 1) {
      expect(
        (await issueToken(setup.services)(request('POST', '/api/tokens', { token: `user:u${i}` }), context())).status,
      ).toBe(201);
    }
    return setup;
  };
  const start = (services: ReturnType<typeof testServices>['services'], token: string, json: unknown) =>
    startRevocationJob(services)(request('POST', '/api/revocations', { token, json }), context());

  it('starts a job (202, Location) that the queue function runs page by page to the end', async () => {
    const { services, steps, acs } = await withUsers(5);
    const started = await start(services, 'admin:ops', { action: 'revoke' });
    expect(started.status).toBe(202);
    const body = bodyOf(started);
    expect(body).toMatchObject({
      action: 'revoke',
      issuer: 'https://issuer.example.com',
      actor: 'ops',
      state: 'running',
      processed: 0,
      ratePerSecond: 2,
    });
    expect((started.headers as Record<string, string>)['Location']).toBe(`/api/revocations/${String(body['id'])}`);

    const log = context();
    for (let step = steps.steps.shift(), id = 0; step; step = steps.steps.shift(), id += 1) {
      await processRevocationStep(services)(
        step,
        Object.assign(log, { triggerMetadata: { id: `msg-${id}`, dequeueCount: 1 } }),
      );
    }
    expect(acs.revokeTokens).toHaveBeenCalledTimes(5);
    const progress = await getRevocationJob(services)(
      request('GET', `/api/revocations/${String(body['id'])}`, { token: 'admin:ops' }),
      context(),
    );
    expect(progress.status).toBe(200);
    expect(bodyOf(progress)).toMatchObject({ state: 'done', processed: 5, revoked: 5, failed: 0 });
    expect(log.lines.filter((line) => /page \d: (ran|finished)/.test(line))).toHaveLength(3);
  });

  it('requires the admin role, a valid body, and the global role for another issuer or all', async () => {
    const { services } = await withUsers(0);
    expect(bodyOf(await start(services, 'user:u0', { action: 'revoke' }))['code']).toBe('admin_role_required');
    expect((await start(services, 'admin:ops', { action: 'purge' })).status).toBe(400);
    expect((await start(services, 'admin:ops', { action: 'revoke', extra: 1 })).status).toBe(400);
    const all = await start(services, 'admin:ops', { action: 'delete', issuer: 'all' });
    expect([all.status, bodyOf(all)['code']]).toEqual([403, 'global_admin_role_required']);
    // Without ADMIN_GLOBAL_ROLE set, no role is global.
    expect((await start(services, 'global:ops', { action: 'delete', issuer: 'all' })).status).toBe(403);
  });

  it('lets a holder of ADMIN_GLOBAL_ROLE revoke all issuers, and refuses a second job while one runs (409)', async () => {
    const { services } = await withUsers(1, { ADMIN_GLOBAL_ROLE: 'Identity.GlobalAdmin' });
    const started = await start(services, 'global:ops', { action: 'revoke', issuer: 'all' });
    expect([started.status, bodyOf(started)['issuer']]).toEqual([202, 'all']);
    const again = await start(services, 'global:ops', { action: 'revoke' });
    expect([again.status, bodyOf(again)['code']]).toEqual([409, 'revocation_job_running']);
    // An admin of one issuer does not see a job over every issuer.
    const hidden = await getRevocationJob(services)(
      request('GET', `/api/revocations/${String(bodyOf(started)['id'])}`, { token: 'admin:ops' }),
      context(),
    );
    expect(hidden.status).toBe(404);
    expect(
      (await getRevocationJob(services)(request('GET', '/api/revocations/nope', { token: 'admin:ops' }), context()))
        .status,
    ).toBe(404);
  });

  it('throws a malformed step back to the host, and marks the job failed on the last delivery', async () => {
    const { services, steps, acs, jobs } = await withUsers(1);
    await expect(processRevocationStep(services)({ jobId: 1 }, context())).rejects.toThrow('Malformed revocation step');
    await start(services, 'admin:ops', { action: 'revoke' });
    const step = steps.steps.shift()!;
    acs.revokeTokens.mockRejectedValue(new UpstreamError('acs', 'unavailable', 503));
    await expect(
      processRevocationStep(services)(
        step,
        Object.assign(context(), { triggerMetadata: { id: 'm', dequeueCount: 1 } }),
      ),
    ).rejects.toMatchObject({ code: 'acs_unavailable' });
    expect((await jobs.getJob(step.jobId))!.state).toBe('running');
    await expect(
      processRevocationStep(services)(
        step,
        Object.assign(context(), { triggerMetadata: { id: 'm', dequeueCount: 5 } }),
      ),
    ).rejects.toMatchObject({ code: 'acs_unavailable' });
    expect(await jobs.getJob(step.jobId)).toMatchObject({ state: 'failed', error: 'acs_unavailable' });
  });
});
