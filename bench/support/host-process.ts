import { startFunctionsHost } from '../../dev/host';
import { type ParentMessage, type ProcessSample, send, serveParent } from './ipc';
import { repositoryRoot } from './paths';

const recentLimit = 5;

/**
 * Child process: the local functions host serving the compiled app (dist/src/functions), started with the settings
 * the parent sends. Information logs are counted, not printed (in Azure they leave the worker over gRPC, not a
 * console); warnings and errors are counted and the last few kept for the report.
 */
function main(): void {
  const logs: ProcessSample['logs'] = { counts: {}, recent: [] };
  const log = (level: string, message: string) => {
    logs.counts[level] = (logs.counts[level] ?? 0) + 1;
    if (level === 'warning' || level === 'error' || level === 'critical') {
      logs.recent.push(`${level}: ${message.slice(0, 300)}`);
      if (logs.recent.length > recentLimit) logs.recent.shift();
    }
  };
  process.once('message', (message: ParentMessage) => {
    if (message.type !== 'start') return;
    startFunctionsHost({ appRoot: repositoryRoot, port: 0, settings: message.settings, log }).then(
      (host) => {
        serveParent(() => host.stop(), logs);
        send({ type: 'ready', endpoints: { functionsUrl: host.url } });
      },
      (error: unknown) => {
        send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
        process.exit(1);
      },
    );
  });
}

main();
