import { z } from 'zod';

import { AcsError } from './errors';
import { faultSchema } from './faults';
import type { EmulatedIdentityApi, Reply } from './service';
import type { EmulatorState } from './state';

const verifySchema = z.strictObject({ token: z.string() });
const faultsSchema = z.union([faultSchema, z.array(faultSchema).min(1)]);

const invalidRequest = (message: string): AcsError => new AcsError(400, 'InvalidRequest', message);

const parse = <T>(schema: z.ZodType<T>, body: Buffer): T => {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw invalidRequest('The request body is not valid JSON.');
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    throw invalidRequest(
      result.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; '),
    );
  }
  return result.data;
};

/**
 * The emulator's own API under `/_emulator/` (no HMAC): inspect tokens, identities and call counts,
 * queue faults, reset. Everything a test needs to assert on the emulator's state.
 * @returns the reply, or `undefined` when no control route matches
 */
export function handleControl(
  method: string,
  pathname: string,
  body: Buffer,
  state: EmulatorState,
  service: EmulatedIdentityApi,
  nowMs: number,
): Reply | undefined {
  const route = `${method} ${pathname.replace(/\/+$/, '')}`;
  switch (route) {
    case 'POST /_emulator/verify':
      return { status: 200, body: service.verify(parse(verifySchema, body).token, nowMs) };
    case 'GET /_emulator/stats':
      return { status: 200, body: state.stats() };
    case 'GET /_emulator/identities':
      return { status: 200, body: { identities: state.liveIdentityIds() } };
    case 'GET /_emulator/faults':
      return { status: 200, body: { faults: state.faults.pending() } };
    case 'POST /_emulator/faults': {
      const faults = parse(faultsSchema, body);
      state.faults.add(Array.isArray(faults) ? faults : [faults]);
      return { status: 201, body: { faults: state.faults.pending() } };
    }
    case 'DELETE /_emulator/faults':
      state.faults.clear();
      return { status: 204 };
    case 'POST /_emulator/reset':
      state.reset();
      return { status: 204 };
    default:
      return undefined;
  }
}
