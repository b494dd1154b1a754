import autocannon from 'autocannon';

import { integerOptions } from './support/args';
import { createUsers } from './support/http';
import type { ProcessSample } from './support/ipc';
import { startBenchStack } from './support/stack';
import { heading, line, mb, printEnvironment } from './support/stats';

/**
 * Leak check of the functions host process: RSS and heap (after a full GC) before and after `rounds` x `requests`
 * token refreshes (5,000 by default), per round, and again once every per-request timer has run out (`AbortSignal.timeout` deadlines of
 * UPSTREAM_TIMEOUT_MS, 10 s by default). Steady state after warm-up means growth per 1k requests near 0 and no
 * growth from one round to the next; memory that comes back after the wait was held by pending timers, not leaked.
 */
const options = integerOptions({ requests: 2500, rounds: 2, connections: 20, users: 100, warmUpRequests: 1000, waitInMs: 11_000 });

async function main(): Promise<void> {
  printEnvironment('memory');
  const stack = await startBenchStack();
  try {
    const users = await createUsers(stack.functionsUrl, stack.issuerUrl, 'memory-user', options.users);
    const bearers = users.map((user) => user.bearer);
    let next = 0;
    const refresh = (amount: number) =>
      autocannon({
        url: stack.functionsUrl,
        connections: options.connections,
        amount,
        requests: [{ method: 'POST', path: '/api/tokens/refresh', setupRequest: (request) => ({ ...request, headers: { ...request.headers, authorization: `Bearer ${bearers[next++ % bearers.length]!}` } }) }],
      });

    const afterStart = await stack.host.sample(true);
    await refresh(options.warmUpRequests);
    const afterWarmUp = await stack.host.sample(true);
    const samples: Array<{ label: string; sample: ProcessSample; requests: number }> = [
      { label: 'host started, users created', sample: afterStart, requests: 0 },
      { label: `after ${options.warmUpRequests} warm-up requests (baseline)`, sample: afterWarmUp, requests: 0 },
    ];
    let sent = 0;
    for (let round = 1; round <= options.rounds; round += 1) {
      const result = await refresh(options.requests);
      if (result['2xx'] !== options.requests) console.log(`  round ${round}: ${result['2xx']} of ${options.requests} answered 2xx (${JSON.stringify(result.statusCodeStats)})`);
      sent += options.requests;
      samples.push({ label: `round ${round}: right after ${options.requests} requests (${(result['2xx'] / result.duration).toFixed(0)}/s)`, sample: await stack.host.sample(true), requests: sent });
      await new Promise((resolve) => setTimeout(resolve, options.waitInMs));
      samples.push({ label: `round ${round}: ${options.waitInMs / 1000} s later (deadline timers ran out)`, sample: await stack.host.sample(true), requests: sent });
    }

    heading(`Functions host process (pid ${stack.host.pid}), after a full GC each time`);
    for (const { label, sample } of samples) {
      console.log(`\n  ${label}`);
      line('RSS / heap used / heap total', `${mb(sample.rss)} / ${mb(sample.heapUsed)} / ${mb(sample.heapTotal)}`);
      line('external / array buffers', `${mb(sample.external)} / ${mb(sample.arrayBuffers)}`);
    }

    heading('Growth per 1,000 requests, from the warm-up baseline');
    for (const { label, sample, requests } of samples.filter((entry) => entry.requests > 0)) {
      const per = (bytes: number) => `${bytes < 0 ? '-' : '+'}${((Math.abs(bytes) / 1024 / requests) * 1000).toFixed(1)} KB`;
      line(label.replace(/ \(.*\)$/, ''), `heap ${per(sample.heapUsed - afterWarmUp.heapUsed)}, RSS ${per(sample.rss - afterWarmUp.rss)}, external ${per(sample.external - afterWarmUp.external)}`);
    }
    const last = samples.at(-1)!.sample;
    const verdictKbPer1k = (((last.heapUsed - afterWarmUp.heapUsed) / 1024 / sent) * 1000);
    heading('Verdict');
    console.log(`  Heap after ${sent} requests and the wait: ${verdictKbPer1k >= 0 ? '+' : ''}${verdictKbPer1k.toFixed(1)} KB per 1k requests (${mb(last.heapUsed - afterWarmUp.heapUsed)} in all) -> ${verdictKbPer1k < 50 ? 'no leak visible' : 'LOOK INTO IT'} (threshold 50 KB/1k).`);
    line('host logs by level', JSON.stringify(last.logs.counts));
    for (const recent of last.logs.recent) console.log(`    ${recent}`);
  } finally {
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(`memory failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
