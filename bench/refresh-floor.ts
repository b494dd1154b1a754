import { CommunicationIdentityClient } from '@azure/communication-identity';

import { DEV_ACS_ACCESS_KEY } from '../dev/acs-emulator';
import { integerOptions } from './support/args';
import { createUsers } from './support/http';
import { startBenchStack } from './support/stack';
import { heading, line, ms, printEnvironment, ratio, summarise } from './support/stats';

/**
 * The token refresh as a client feels it, against its floor: `POST /api/tokens/refresh` through the service, and the
 * ACS SDK calling the emulator directly (`getToken`, the one ACS call a refresh must make), side by side in one run,
 * at concurrency 1 and 20. Also the host's Table operations per steady-state refresh (target 0 reads: the instance
 * cache) and per-request ACS calls (target 1). Target: service p50 <= 2.0x the floor at concurrency 1.
 */
const options = integerOptions({ users: 50, requests: 600, warmup: 1500 });

async function timedLoop(
  concurrency: number,
  total: number,
  call: (index: number) => Promise<void>,
): Promise<number[]> {
  const durations: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const index = next++;
        const started = performance.now();
        await call(index);
        durations.push(performance.now() - started);
      }
    }),
  );
  return durations;
}

async function main(): Promise<void> {
  printEnvironment('refresh-floor');
  const stack = await startBenchStack();
  try {
    const users = await createUsers(stack.functionsUrl, stack.issuerUrl, 'floor-user', options.users);
    const client = new CommunicationIdentityClient(`endpoint=${stack.acsUrl};accesskey=${DEV_ACS_ACCESS_KEY}`, {
      allowInsecureConnection: true,
    });
    const body = JSON.stringify({ scopes: ['chat', 'voip'] });
    const service = async (index: number) => {
      const user = users[index % users.length];
      const response = await fetch(`${stack.functionsUrl}/api/tokens/refresh`, {
        method: 'POST',
        body,
        headers: { authorization: `Bearer ${user.bearer}`, 'content-type': 'application/json' },
      });
      if (response.status !== 200) throw new Error(`refresh answered ${response.status}`);
      await response.arrayBuffer();
    };
    // The HTTP hop through the host alone: an anonymous route that touches no dependency.
    const hop = async () => {
      const response = await fetch(`${stack.functionsUrl}/api/health`);
      if (response.status !== 200) throw new Error(`health answered ${response.status}`);
      await response.arrayBuffer();
    };
    const floor = async (index: number) => {
      await client.getToken({ communicationUserId: users[index % users.length].communicationUserId }, ['chat', 'voip']);
    };

    // Warm both paths (JIT, connections, JWKS, the instance cache), then measure them alternately.
    await timedLoop(4, options.warmup, service);
    await timedLoop(4, options.warmup, floor);
    await timedLoop(4, options.warmup, hop);

    for (const concurrency of [1, 20]) {
      const before = await stack.host.sample();
      const viaService = summarise(await timedLoop(concurrency, options.requests, service));
      const after = await stack.host.sample();
      const direct = summarise(await timedLoop(concurrency, options.requests, floor));
      const hopOnly = summarise(await timedLoop(concurrency, options.requests, hop));
      heading(`concurrency ${concurrency}, ${options.requests} refreshes of ${options.users} users`);
      line('service  p50 / p99', `${ms(viaService.p50)} / ${ms(viaService.p99)}`);
      line('floor    p50 / p99', `${ms(direct.p50)} / ${ms(direct.p99)}  (ACS SDK -> emulator, no service)`);
      line(
        'host hop p50 / p99',
        `${ms(hopOnly.p50)} / ${ms(hopOnly.p99)}  (GET /api/health: client -> host, no upstream)`,
      );
      // A refresh through the service is one hop to the host plus the ACS call: the floor of this ratio is not 1.
      line('bound    p50', `${ratio((hopOnly.p50 + direct.p50) / direct.p50)}  ((host hop + floor) / floor)`);
      line(
        'ratio    p50 / p99',
        `${ratio(viaService.p50 / direct.p50)} / ${ratio(viaService.p99 / direct.p99)}${concurrency === 1 ? '   (target p50 <= 2.00x)' : ''}`,
      );
      line('host upstream calls per refresh', stack.upstreamCallsPer(before, after, options.requests));
    }
  } finally {
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
