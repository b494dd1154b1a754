import { Agent, request } from 'node:http';

import { requestDevToken } from '../../dev/oidc/client';

export interface PreparedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface TimedResponse {
  status: number;
  /** From just before the request is written until the last byte of the answer, in ms. */
  latencyInMs: number;
  body: string;
}

/**
 * Sends every request to `baseUrl` over at most `connections` keep-alive connections, each connection taking the
 * next request as soon as its previous answer is in (a closed-loop burst), and times each one.
 */
export async function sendAll(
  baseUrl: string,
  requests: readonly PreparedRequest[],
  connections: number,
): Promise<{ responses: TimedResponse[]; wallInMs: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const responses = new Array<TimedResponse>(requests.length);
  const started = performance.now();
  try {
    await mapConcurrently(requests, connections, async (prepared, index) => {
      responses[index] = await send(baseUrl, prepared, agent);
    });
  } finally {
    agent.destroy();
  }
  return { responses, wallInMs: performance.now() - started };
}

function send(baseUrl: string, prepared: PreparedRequest, agent: Agent): Promise<TimedResponse> {
  return new Promise((resolve, reject) => {
    const body = prepared.body === undefined ? undefined : Buffer.from(prepared.body, 'utf8');
    const started = performance.now();
    const outgoing = request(
      new URL(prepared.path, baseUrl),
      {
        method: prepared.method,
        agent,
        headers: { ...prepared.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('end', () =>
          resolve({
            status: incoming.statusCode ?? 0,
            latencyInMs: performance.now() - started,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        incoming.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** Runs `work` over `items` with at most `concurrency` in flight; results keep the items' order. */
export async function mapConcurrently<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  });
  await Promise.all(lanes);
  return results;
}

/** The ACS emulator's call counts by operation (`GET /_emulator/stats`). */
export async function acsStats(acsUrl: string): Promise<Record<string, number>> {
  const response = await fetch(`${acsUrl}_emulator/stats`);
  if (!response.ok) throw new Error(`ACS emulator stats answered ${response.status}`);
  return (await response.json()) as Record<string, number>;
}

/** Whether the ACS emulator still accepts a token it issued (`POST /_emulator/verify`). */
export async function acsTokenValid(acsUrl: string, token: string): Promise<boolean> {
  const response = await fetch(`${acsUrl}_emulator/verify`, {
    method: 'POST',
    body: JSON.stringify({ token }),
    headers: { 'content-type': 'application/json' },
  });
  if (!response.ok) throw new Error(`ACS emulator verify answered ${response.status}`);
  return ((await response.json()) as { valid: boolean }).valid;
}

export interface BenchUser {
  userId: string;
  /** The user's bearer token from the development issuer. */
  bearer: string;
  communicationUserId: string;
  /** The ACS token the service issued when the identity was created. */
  acsToken: string;
}

/** Mints a development bearer token for each user id (`concurrency` at a time). */
export function mintBearers(issuerUrl: string, userIds: readonly string[], concurrency = 8): Promise<string[]> {
  return mapConcurrently(userIds, concurrency, (userId) => requestDevToken(issuerUrl, userId));
}

/** Creates `count` users with an ACS identity and a first token each, through `POST /api/tokens`. */
export async function createUsers(
  functionsUrl: string,
  issuerUrl: string,
  prefix: string,
  count: number,
  concurrency = 8,
): Promise<BenchUser[]> {
  const userIds = Array.from({ length: count }, (_, index) => `${prefix}-${index}`);
  const bearers = await mintBearers(issuerUrl, userIds, concurrency);
  const requests = bearers.map((bearer) => ({
    method: 'POST',
    path: '/api/tokens',
    headers: { authorization: `Bearer ${bearer}` },
  }));
  const { responses } = await sendAll(functionsUrl, requests, concurrency);
  return responses.map((response, index) => {
    if (response.status !== 201)
      throw new Error(
        `POST /api/tokens for ${userIds[index]} answered ${response.status}: ${response.body.slice(0, 300)}`,
      );
    const body = JSON.parse(response.body) as { communicationUserId: string; token: string };
    return {
      userId: userIds[index],
      bearer: bearers[index],
      communicationUserId: body.communicationUserId,
      acsToken: body.token,
    };
  });
}

/** Resolves once `check` returns true, polling every `intervalInMs`; false when `timeoutInMs` passed first. */
export async function pollUntil(
  check: () => Promise<boolean>,
  timeoutInMs: number,
  intervalInMs = 20,
): Promise<boolean> {
  const deadline = performance.now() + timeoutInMs;
  for (;;) {
    if (await check()) return true;
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, intervalInMs));
  }
}
