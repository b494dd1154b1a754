import { integerOptions } from './support/args';
import { acsStats, createUsers, mintBearers } from './support/http';
import type { ProcessSample } from './support/ipc';
import { fire, type LoadResult, rotatingBearer } from './support/load';
import { type BenchStack, startBenchStack } from './support/stack';
import { heading, line, ms, printEnvironment, ratio } from './support/stats';

/**
 * Token issuance under load, with autocannon: `POST /api/tokens/refresh` for existing identities (the hot path) for
 * about `seconds` at `connections`, then `POST /api/tokens` for users who have no identity yet (first tokens). Checks
 * the cost rule from the emulator's call counts and the host's outgoing requests: a refresh is one table read and
 * one ACS call (`getToken`); a first token is one ACS call (`createUserAndToken`) plus the mapping writes. Last, a
 * burst: `burstSize` concurrent first requests for each of `burstUsers` users, as a client app's components ask at
 * once on a first sign-in; claim first, create once means 1.00 create and 0 deletes per user.
 */
const options = integerOptions({
  connections: 20,
  seconds: 10,
  users: 100,
  firstTokens: 1000,
  burstUsers: 50,
  burstSize: 10,
});

interface Measured extends LoadResult {
  host: { before: ProcessSample; after: ProcessSample };
  acs: { before: Record<string, number>; after: Record<string, number> };
}

async function main(): Promise<void> {
  printEnvironment('token-throughput');
  const stack = await startBenchStack();
  try {
    const users = await createUsers(stack.functionsUrl, stack.issuerUrl, 'throughput-user', options.users);
    console.log(`${users.length} users with an identity; host pid ${stack.host.pid}.`);
    const refreshBearers = users.map((user) => user.bearer);

    // Warm-up (JIT, connection pools, JWKS), then calibration: the measured run sends a fixed number of requests, so
    // that every request sent is also answered and counted, for exact per-request ratios.
    const timed = (seconds: number) =>
      fire({
        url: stack.functionsUrl,
        connections: options.connections,
        duration: seconds,
        requests: [rotatingBearer('/api/tokens/refresh', refreshBearers)],
      });
    await timed(2);
    const calibration = await timed(2);
    const amount = Math.max(500, Math.round(calibration.requestsPerSecond * options.seconds));
    // autocannon stops a timed run with requests in flight; let the host finish them before counting ACS calls.
    await settled(stack);
    const refresh = await measure(stack, amount, '/api/tokens/refresh', refreshBearers);
    report(
      stack,
      `POST /api/tokens/refresh (existing identity), ${amount} requests, ${options.connections} connections`,
      refresh,
      '200',
      'getToken',
    );

    const newUserIds = Array.from({ length: options.firstTokens }, (_, index) => `first-token-user-${index}`);
    const firstBearers = await mintBearers(stack.issuerUrl, newUserIds);
    const first = await measure(stack, firstBearers.length, '/api/tokens', firstBearers);
    report(
      stack,
      `POST /api/tokens (new user: identity + token), ${firstBearers.length} requests, ${options.connections} connections`,
      first,
      '201',
      'createUserAndToken',
    );

    await burst(stack);

    heading('First token vs refresh');
    line('throughput, first / refresh', ratio(first.requestsPerSecond / refresh.requestsPerSecond));
    line('p50 latency, first / refresh', ratio(first.result.latency.p50 / refresh.result.latency.p50));
    line('p99 latency, first / refresh', ratio(first.result.latency.p99 / refresh.result.latency.p99));
    line('host CPU per request, first / refresh', ratio(cpuPerRequestInMs(first) / cpuPerRequestInMs(refresh)));

    const host = await stack.host.sample();
    heading('Host logs');
    line('lines by level', JSON.stringify(host.logs.counts));
    for (const recent of host.logs.recent) console.log(`    ${recent}`);
  } finally {
    await stack.stop();
  }
}

async function measure(stack: BenchStack, amount: number, path: string, bearers: readonly string[]): Promise<Measured> {
  const acsBefore = await acsStats(stack.acsUrl);
  const hostBefore = await stack.host.sample();
  const load = await fire({
    url: stack.functionsUrl,
    connections: options.connections,
    amount,
    requests: [rotatingBearer(path, bearers)],
  });
  const hostAfter = await stack.host.sample();
  const acsAfter = await acsStats(stack.acsUrl);
  return { ...load, host: { before: hostBefore, after: hostAfter }, acs: { before: acsBefore, after: acsAfter } };
}

/** `burstSize` concurrent first requests for each of `burstUsers` new users, all at once. */
async function burst(stack: BenchStack): Promise<void> {
  const userIds = Array.from({ length: options.burstUsers }, (_, index) => `burst-user-${index}`);
  const bearers = await mintBearers(stack.issuerUrl, userIds);
  const before = await acsStats(stack.acsUrl);
  const started = performance.now();
  const statuses = await Promise.all(
    bearers.flatMap((bearer) =>
      Array.from({ length: options.burstSize }, async () => {
        const response = await fetch(`${stack.functionsUrl}/api/tokens`, {
          method: 'POST',
          headers: { authorization: `Bearer ${bearer}` },
        });
        await response.arrayBuffer();
        return response.status;
      }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  await settled(stack);
  const after = await acsStats(stack.acsUrl);
  const delta = (operation: string) => (after[operation] ?? 0) - (before[operation] ?? 0);
  const counts = statuses.reduce<Record<number, number>>(
    (all, status) => ({ ...all, [status]: (all[status] ?? 0) + 1 }),
    {},
  );
  heading(
    `POST /api/tokens burst: ${options.burstSize} concurrent first requests for each of ${options.burstUsers} users`,
  );
  line('statuses', `${JSON.stringify(counts)} in ${seconds.toFixed(2)} s`);
  line(
    'ACS createUserAndToken per user',
    `${(delta('createUserAndToken') / options.burstUsers).toFixed(2)} (target 1.00)`,
  );
  line('ACS deleteUser per user', `${(delta('deleteUser') / options.burstUsers).toFixed(2)} (target 0.00)`);
  line(
    'ACS getToken per request',
    `${(delta('getToken') / statuses.length).toFixed(3)} (the ${options.burstSize - 1} waiters of each user)`,
  );
}

/** Resolves once the emulator's call counts stopped moving for 300 ms. */
async function settled(stack: BenchStack): Promise<void> {
  let previous = JSON.stringify(await acsStats(stack.acsUrl));
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const current = JSON.stringify(await acsStats(stack.acsUrl));
    if (current === previous) return;
    previous = current;
  }
}

const cpuPerRequestInMs = (measured: Measured) =>
  (measured.host.after.cpuInMicros - measured.host.before.cpuInMicros) / 1000 / measured.completed;

function report(
  stack: BenchStack,
  title: string,
  measured: Measured,
  expectedStatus: string,
  acsOperation: string,
): void {
  const { result, completed } = measured;
  const statuses = Object.fromEntries(
    Object.entries(result.statusCodeStats).map(([status, stats]) => [status, stats.count]),
  );
  const expected = statuses[expectedStatus] ?? 0;
  heading(title);
  line(
    'statuses',
    `${JSON.stringify(statuses)}${result.errors + result.timeouts > 0 ? `, ${result.errors} errors, ${result.timeouts} timeouts` : ''}`,
  );
  line('requests/s', `${measured.requestsPerSecond.toFixed(1)} (${completed} in ${measured.seconds.toFixed(2)} s)`);
  line(
    'latency (autocannon, 1 ms resolution)',
    `p50 ${ms(result.latency.p50)}  p90 ${ms(result.latency.p90)}  p99 ${ms(result.latency.p99)}  max ${ms(result.latency.max)}  mean ${ms(result.latency.mean)}`,
  );
  line(
    'host CPU per request',
    `${ms(cpuPerRequestInMs(measured))} (${((cpuPerRequestInMs(measured) * measured.requestsPerSecond) / 10).toFixed(0)}% of one core)`,
  );
  line(
    'host event loop delay',
    `p99 ${ms(measured.host.after.eventLoopDelay.p99InMs)}  max ${ms(measured.host.after.eventLoopDelay.maxInMs)}`,
  );
  const acsCalls = (measured.acs.after[acsOperation] ?? 0) - (measured.acs.before[acsOperation] ?? 0);
  const otherAcsCalls = Object.keys(measured.acs.after)
    .filter((operation) => operation !== acsOperation && operation !== 'identities')
    .reduce((sum, operation) => sum + (measured.acs.after[operation] ?? 0) - (measured.acs.before[operation] ?? 0), 0);
  line(
    `ACS ${acsOperation} per ${expectedStatus}`,
    `${(acsCalls / expected).toFixed(3)} (expected 1.000; ${acsCalls} calls / ${expected} answers)`,
  );
  line('other ACS calls', String(otherAcsCalls));
  line('host upstream calls per request', stack.upstreamCallsPer(measured.host.before, measured.host.after, completed));
  line(
    'host TCP connections opened per request',
    ((measured.host.after.connectionsOpened - measured.host.before.connectionsOpened) / completed).toFixed(3),
  );
}

main().catch((error: unknown) => {
  console.error(`token-throughput failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
