import { integerOptions } from './support/args';
import { createUsers } from './support/http';
import type { ProcessSample } from './support/ipc';
import { fire, rotatingBearer } from './support/load';
import { startBenchStack } from './support/stack';
import { heading, line, mb, printEnvironment } from './support/stats';

/**
 * Leak check of the functions host process: RSS and heap (after a full GC) at a baseline (after a warm-up and once
 * its per-request timers ran out: `AbortSignal.timeout` deadlines of UPSTREAM_TIMEOUT_MS, 10 s by default), right
 * after each of `rounds` x `requests` token refreshes (5,000 by default), and after the same wait at the end. No leak
 * means growth per 1k requests near 0 at the end and no growth from one round to the next; memory that comes back
 * after the wait was held by pending deadline timers, not leaked.
 */
const options = integerOptions({
  requests: 2500,
  rounds: 2,
  connections: 20,
  users: 100,
  warmUpRequests: 3000,
  waitInMs: 11_000,
});

/** 200 bytes kept per request would be 1 MB over 5,000 requests: twice the noise between two GC'd samples. */
const leakThresholdInKbPer1k = 200;
const waitLabel = `${options.waitInMs / 1000} s`;
const wait = () => new Promise((resolve) => setTimeout(resolve, options.waitInMs));

async function main(): Promise<void> {
  printEnvironment('memory');
  const stack = await startBenchStack();
  try {
    const users = await createUsers(stack.functionsUrl, stack.issuerUrl, 'memory-user', options.users);
    const request = rotatingBearer(
      '/api/tokens/refresh',
      users.map((user) => user.bearer),
    );
    const refresh = (amount: number) =>
      fire({ url: stack.functionsUrl, connections: options.connections, amount, requests: [request] });

    const afterStart = await stack.host.sample(true);
    await refresh(options.warmUpRequests);
    const afterWarmUp = await stack.host.sample(true);
    await wait();
    const baseline = await stack.host.sample(true);
    const samples: Array<{ label: string; sample: ProcessSample; requests: number }> = [
      { label: 'host started, users created', sample: afterStart, requests: 0 },
      { label: `right after ${options.warmUpRequests} warm-up requests`, sample: afterWarmUp, requests: 0 },
      { label: `${waitLabel} later: the baseline`, sample: baseline, requests: 0 },
    ];
    let sent = 0;
    for (let round = 1; round <= options.rounds; round += 1) {
      const { result, requestsPerSecond } = await refresh(options.requests);
      if (result['2xx'] !== options.requests)
        console.log(
          `  round ${round}: ${result['2xx']} of ${options.requests} answered 2xx (${JSON.stringify(result.statusCodeStats)})`,
        );
      sent += options.requests;
      samples.push({
        label: `round ${round}: right after ${options.requests} more requests (${requestsPerSecond.toFixed(0)}/s)`,
        sample: await stack.host.sample(true),
        requests: sent,
      });
    }
    await wait();
    samples.push({
      label: `${waitLabel} later (deadline timers ran out)`,
      sample: await stack.host.sample(true),
      requests: sent,
    });

    heading(`Functions host process (pid ${stack.host.pid}), after a full GC each time`);
    for (const { label, sample } of samples) {
      console.log(`\n  ${label}`);
      line('RSS / heap used / heap total', `${mb(sample.rss)} / ${mb(sample.heapUsed)} / ${mb(sample.heapTotal)}`);
      line('external / array buffers', `${mb(sample.external)} / ${mb(sample.arrayBuffers)}`);
      line(
        'heap spaces',
        Object.entries(sample.heapSpaces)
          .filter(([, used]) => used > 0)
          .map(([name, used]) => `${name.replace(/_space$/, '')} ${mb(used)}`)
          .join(', '),
      );
    }

    heading('Growth per 1,000 requests, from the baseline');
    for (const { label, sample, requests } of samples.filter((entry) => entry.requests > 0)) {
      const per = (bytes: number) =>
        `${bytes < 0 ? '-' : '+'}${((Math.abs(bytes) / 1024 / requests) * 1000).toFixed(1)} KB`;
      line(
        label.replace(/ \(.*\)$/, ''),
        `heap ${per(sample.heapUsed - baseline.heapUsed)}, RSS ${per(sample.rss - baseline.rss)}, external ${per(sample.external - baseline.external)}`,
      );
    }
    const rounds = samples.filter((entry) => entry.label.startsWith('round '));
    if (rounds.length >= 2) {
      // Both samples carry the same kind of in-flight state (pending deadlines), so the difference is what stays.
      const first = rounds[0];
      const latest = rounds.at(-1)!;
      const oldSpace = (latest.sample.heapSpaces['old_space'] ?? 0) - (first.sample.heapSpaces['old_space'] ?? 0);
      line(
        `old space, round 1 -> round ${rounds.length}`,
        `${oldSpace < 0 ? '-' : '+'}${((Math.abs(oldSpace) / 1024 / (latest.requests - first.requests)) * 1000).toFixed(1)} KB per 1k requests (${mb(oldSpace)} over ${latest.requests - first.requests} requests)`,
      );
    }
    const last = samples.at(-1)!.sample;
    const verdictKbPer1k = ((last.heapUsed - baseline.heapUsed) / 1024 / sent) * 1000;
    heading('Verdict');
    console.log(
      `  Heap after ${sent} requests and the wait: ${verdictKbPer1k >= 0 ? '+' : ''}${verdictKbPer1k.toFixed(1)} KB per 1k requests (${mb(last.heapUsed - baseline.heapUsed)} in all) -> ` +
        `${verdictKbPer1k < leakThresholdInKbPer1k ? 'no leak visible' : 'LOOK INTO IT'} (threshold ${leakThresholdInKbPer1k} KB per 1k, i.e. 200 bytes a request; GC noise is about ±0.5 MB).`,
    );
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
