import { createHash, createHmac } from 'node:crypto';

import type { AcsEmulatorFault, AcsEmulatorStats, AcsEmulatorVerifyResult } from '../../../dev/acs-emulator';

/** The emulator's control API, as a test uses it (plain fetch, no HMAC). */
export function controlApi(baseUrl: string) {
  const call = async (method: string, path: string, body?: unknown): Promise<Response> =>
    fetch(new URL(`_emulator/${path}`, baseUrl), {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
  const json = async <T>(response: Response): Promise<T> => {
    if (!response.ok) throw new Error(`control API answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  };
  return {
    call,
    verify: async (token: string) => json<AcsEmulatorVerifyResult>(await call('POST', 'verify', { token })),
    stats: async () => json<AcsEmulatorStats>(await call('GET', 'stats')),
    identities: async () => (await json<{ identities: string[] }>(await call('GET', 'identities'))).identities,
    queueFaults: async (faults: AcsEmulatorFault | AcsEmulatorFault[]) =>
      json<unknown>(await call('POST', 'faults', faults)),
    reset: async () => {
      const response = await call('POST', 'reset');
      if (response.status !== 204) throw new Error(`reset answered ${response.status}`);
    },
  };
}

export interface HandSignedRequest {
  method: string;
  /** Path and query, e.g. `/identities?api-version=2023-10-01`. */
  pathAndQuery: string;
  body?: string;
  accessKey: string;
  /** Defaults to now. */
  date?: Date;
  /** Sent (and signed) as x-ms-content-sha256 instead of the body's real hash. */
  contentHash?: string;
  /** Sent instead of the computed signature. */
  signature?: string;
  /** The date header signed and sent: `x-ms-date` (the current SDK, default) or `date` (older SDKs). */
  dateHeader?: 'x-ms-date' | 'date';
}

/**
 * Sends a request signed by hand, independently of the SDK and the emulator's code:
 * string to sign `VERB\npathAndQuery\ndate;host;hash`, HMAC-SHA256 with the base64-decoded key.
 */
export async function handSignedFetch(baseUrl: string, request: HandSignedRequest): Promise<Response> {
  const url = new URL(request.pathAndQuery, baseUrl);
  const body = request.body ?? '';
  const date = (request.date ?? new Date()).toUTCString();
  // The signature covers the hash in the header: a contentHash override models a body changed after signing.
  const hash = request.contentHash ?? createHash('sha256').update(body).digest('base64');
  const stringToSign = `${request.method}\n${request.pathAndQuery}\n${date};${url.host};${hash}`;
  const signature = createHmac('sha256', Buffer.from(request.accessKey, 'base64'))
    .update(stringToSign)
    .digest('base64');
  const dateHeader = request.dateHeader ?? 'x-ms-date';
  return fetch(url, {
    method: request.method,
    headers: {
      'content-type': 'application/json',
      [dateHeader]: date,
      'x-ms-content-sha256': hash,
      authorization: `HMAC-SHA256 SignedHeaders=${dateHeader};host;x-ms-content-sha256&Signature=${request.signature ?? signature}`,
    },
    ...(request.body === undefined ? {} : { body }),
  });
}
