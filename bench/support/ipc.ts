import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';

/** What a bench child process reports about itself. */
export interface ProcessSample {
  pid: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** Bytes used per V8 heap space (`old_space`, `code_space`, ...): growth in code_space is compiled code, not data. */
  heapSpaces: Record<string, number>;
  /** Cumulative CPU time of the process, user + system, in microseconds. */
  cpuInMicros: number;
  /** Event loop delay since the previous sample (monitorEventLoopDelay), in ms. */
  eventLoopDelay: { p99InMs: number; maxInMs: number };
  /** Outgoing node:http requests since start (the Azure SDKs' transport), by `METHOD host:port`. */
  outgoingRequests: Record<string, number>;
  /** TCP connections this process opened since start (`net.client.socket`); keep-alive keeps it near 0 per request. */
  connectionsOpened: number;
  /** Log lines the functions host wrote since start, by level, and the last few warnings/errors. */
  logs: { counts: Record<string, number>; recent: string[] };
}

export type ParentMessage =
  | { type: 'start'; settings: Record<string, string> }
  | { type: 'sample'; id: number; collectGarbage: boolean }
  | { type: 'stop' };

export type ChildMessage =
  | { type: 'ready'; endpoints: Record<string, string> }
  | { type: 'sample'; id: number; sample: ProcessSample }
  | { type: 'failed'; message: string }
  | { type: 'stopped' };

/** Serves `sample` and `stop` requests from the parent; `stop` runs `onStop` and exits. */
export function serveParent(
  onStop: () => Promise<void>,
  logs: ProcessSample['logs'] = { counts: {}, recent: [] },
): void {
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const outgoingRequests: Record<string, number> = {};
  subscribe('http.client.request.start', (message) => {
    const request = (message as { request: ClientRequest }).request;
    const key = `${request.method} ${String(request.getHeader('host') ?? request.host)}`;
    outgoingRequests[key] = (outgoingRequests[key] ?? 0) + 1;
  });
  let connectionsOpened = 0;
  subscribe('net.client.socket', () => {
    connectionsOpened += 1;
  });
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'sample') {
      if (message.collectGarbage) collectGarbage();
      const memory = process.memoryUsage();
      const cpu = process.cpuUsage();
      const sample: ProcessSample = {
        pid: process.pid,
        rss: memory.rss,
        heapUsed: memory.heapUsed,
        heapTotal: memory.heapTotal,
        external: memory.external,
        arrayBuffers: memory.arrayBuffers,
        heapSpaces: Object.fromEntries(
          getHeapSpaceStatistics().map((space) => [space.space_name, space.space_used_size]),
        ),
        cpuInMicros: cpu.user + cpu.system,
        eventLoopDelay: { p99InMs: delay.percentile(99) / 1e6, maxInMs: delay.max / 1e6 },
        outgoingRequests: { ...outgoingRequests },
        connectionsOpened,
        logs: { counts: { ...logs.counts }, recent: [...logs.recent] },
      };
      delay.reset();
      send({ type: 'sample', id: message.id, sample });
    } else if (message.type === 'stop') {
      void onStop()
        .catch(() => undefined)
        .then(() => {
          send({ type: 'stopped' });
          process.exit(0);
        });
    }
  });
  // The parent went away (crash, Ctrl-C): do not linger.
  process.on('disconnect', () => process.exit(0));
}

export function send(message: ChildMessage): void {
  process.send?.(message);
}

/** Full collection, twice so that objects freed by finalizers of the first pass go too (needs --expose-gc). */
function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
}
