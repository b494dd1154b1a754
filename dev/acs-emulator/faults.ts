import { z } from 'zod';

import { type Operation, operations } from './operations';

/** One queued fault, as posted to `POST /_emulator/faults`. */
export const faultSchema = z
  .strictObject({
    /** Only calls of this operation; omitted = any API call. */
    operation: z.enum(operations).optional(),
    /** Status to answer with; 0 (or omitted with `delayMs`) = only delay, then serve normally. */
    status: z
      .number()
      .int()
      .refine((status) => status === 0 || (status >= 400 && status <= 599), 'status must be 0 or 400..599')
      .optional(),
    /** How many calls the fault applies to. */
    count: z.number().int().min(1).max(10_000).default(1),
    /** Sent as `Retry-After` (seconds). */
    retryAfterSeconds: z.number().int().min(0).max(3600).optional(),
    /** Latency added before answering. */
    delayMs: z.number().int().min(0).max(120_000).optional(),
    /** Overrides the error body's code and message. */
    code: z.string().min(1).max(100).optional(),
    message: z.string().min(1).max(1000).optional(),
  })
  .refine(
    (fault) => fault.status !== undefined || fault.delayMs !== undefined,
    'a fault needs a status, a delayMs or both',
  );

export type FaultInput = z.input<typeof faultSchema>;
export type Fault = z.output<typeof faultSchema>;

/** Faults waiting to be served, in the order they were queued. */
export class FaultQueue {
  #queue: Fault[] = [];

  add(faults: readonly Fault[]): void {
    this.#queue.push(...faults.map((fault) => ({ ...fault })));
  }

  /** Uses up one application of the first queued fault that applies to `operation`. */
  take(operation: Operation): Fault | undefined {
    const index = this.#queue.findIndex((fault) => fault.operation === undefined || fault.operation === operation);
    if (index === -1) return undefined;
    const fault = this.#queue[index];
    fault.count -= 1;
    if (fault.count === 0) this.#queue.splice(index, 1);
    return { ...fault };
  }

  pending(): Fault[] {
    return this.#queue.map((fault) => ({ ...fault }));
  }

  clear(): void {
    this.#queue = [];
  }
}

const defaultBodies: Record<number, { code: string; message: string }> = {
  429: {
    code: 'TooManyRequests',
    message: 'Too many requests. Retry after the period given in the Retry-After header.',
  },
  500: { code: 'InternalServerError', message: 'An internal error occurred.' },
  502: { code: 'BadGateway', message: 'The upstream service answered with an error.' },
  503: { code: 'ServiceUnavailable', message: 'The service is temporarily unavailable.' },
  504: { code: 'GatewayTimeout', message: 'The upstream service did not answer in time.' },
};

/** The ACS error body a faulted call answers with. */
export const faultBody = (fault: Fault): { error: { code: string; message: string } } => {
  const fallback = defaultBodies[fault.status ?? 0] ?? {
    code: 'InjectedFault',
    message: `Fault injected by the ACS emulator (status ${fault.status}).`,
  };
  return { error: { code: fault.code ?? fallback.code, message: fault.message ?? fallback.message } };
};
