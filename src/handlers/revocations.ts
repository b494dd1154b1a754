import type { HttpRequest, InvocationContext } from '@azure/functions';
import { z } from 'zod';

import type { Services } from './services';
import { describeError } from '../domain/errors';
import { queueDelivery } from './queue-delivery';
import type { RevocationJob } from '../domain/model';
import { parseJsonBody } from '../http/body';
import { adminOnly, json } from './handler';
import { revocationJobRequestSchema } from '../http/schemas';

/** The host's maxDequeueCount (host.json): the last delivery of a step that fails marks its job failed. */
const maxDequeueCount = 5;

const stepSchema = z.object({ jobId: z.string().min(1), page: z.int().min(0) });

const view = (job: RevocationJob, ratePerSecond: number) => ({
  id: job.id,
  action: job.action,
  issuer: job.issuer ?? 'all',
  actor: job.actor.userId,
  state: job.state,
  processed: job.processed,
  revoked: job.revoked,
  deleted: job.deleted,
  skipped: job.skipped,
  failed: job.failed,
  ratePerSecond,
  ...(job.error ? { error: job.error } : {}),
  startedAt: job.startedAt.toISOString(),
  updatedAt: job.updatedAt.toISOString(),
});

/** The job id: the last path segment of the raw URL (ids are digits, `-` and hex: nothing to decode). */
const jobIdOf = (request: HttpRequest) =>
  (request.url.split(/[?#]/, 1)[0] ?? '').replace(/\/$/, '').split('/').pop() ?? '';

export const startRevocationJob = adminOnly(async (request, _context, { revocations, config }, admin) => {
  const body = await parseJsonBody(request, revocationJobRequestSchema);
  const job = await revocations.start(admin, body.action, body.issuer);
  return json(202, view(job, config.revokeAllRatePerSecond), { Location: `/api/revocations/${job.id}` });
});

export const getRevocationJob = adminOnly(async (request, _context, { revocations, config }, admin) => {
  return json(200, view(await revocations.get(admin, jobIdOf(request)), config.revokeAllRatePerSecond));
});

/**
 * Runs one page of a revocation job from the queue. A failure is thrown back to the host, which retries the page
 * after host.json's visibilityTimeout; the last delivery that fails marks the job failed (then the poison queue).
 */
export const processRevocationStep =
  (services: Services) =>
  async (message: unknown, context: InvocationContext): Promise<void> => {
    const delivery = queueDelivery(context);
    const attempt = delivery.attempt;
    const messageId = delivery.messageId ?? context.invocationId;
    const parsed = stepSchema.safeParse(message);
    if (!parsed.success) {
      context.error(
        `Malformed revocation step (message ${messageId}, attempt ${attempt}); it will end in the poison queue.`,
      );
      throw new Error('Malformed revocation step');
    }
    const step = parsed.data;
    try {
      await services.ready();
      const outcome = await services.revocations.runStep(step, messageId, context);
      context.info(`Revocation job ${step.jobId} page ${step.page}: ${outcome}`);
    } catch (error) {
      context.error(
        `Revocation job ${step.jobId} page ${step.page} failed on attempt ${attempt}: ${describeError(error)}`,
      );
      if (attempt >= maxDequeueCount) await services.revocations.fail(step.jobId, error).catch(() => undefined);
      throw error;
    }
  };
