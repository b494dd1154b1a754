// Runs the built local functions host (dist/dev/host/cli.js) as a child process for black-box
// tests: the host hooks `require`, which jest's module registry does not honour.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..', '..');
const CLI = join(REPO_ROOT, 'dist', 'dev', 'host', 'cli.js');
const SOURCES = join(REPO_ROOT, 'dev', 'host');

export interface HostProcess {
  url: string;
  /** Everything the host printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM, then waits for the exit (SIGKILL after 5 s); resolves to the exit code. */
  stop(): Promise<number | null>;
  child: ChildProcess;
}

/** Fails fast when dist/ is missing or older than the host sources (`npm test` builds first). */
function assertBuilt(): void {
  if (!existsSync(CLI)) {
    throw new Error(`${CLI} is missing: build with \`npx tsc -p .\` (npm test does) before running these tests.`);
  }
  const built = statSync(CLI).mtimeMs;
  const stale = readdirSync(SOURCES).filter(
    (file) => file.endsWith('.ts') && statSync(join(SOURCES, file)).mtimeMs > built,
  );
  if (stale.length > 0) {
    throw new Error(`dist/ is older than dev/host/${stale.join(', ')}: rebuild with \`npx tsc -p .\`.`);
  }
}

/**
 * @param script - the CLI by default; a runner script that prints the same ready line otherwise.
 */
export async function startHostProcess(
  appRoot: string,
  env: Record<string, string>,
  { script = CLI, timeoutInMs = 15_000 }: { script?: string; timeoutInMs?: number } = {},
): Promise<HostProcess> {
  assertBuilt();
  const child = spawn(process.execPath, [script, appRoot], {
    cwd: REPO_ROOT,
    env: { ...process.env, FUNCTIONS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`The host did not report ready within ${timeoutInMs} ms:\n${output}`));
    }, timeoutInMs);
    const onData = (): void => {
      const match = /^Host ready: (http:\/\/\S+)$/m.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`The host exited with ${String(code)} before it was ready:\n${output}`));
    });
  });

  return {
    url,
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        const code = await exited;
        clearTimeout(killer);
        return code;
      }
      return exited;
    },
  };
}

/** Polls `check` until it returns a value other than undefined. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutInMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutInMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`Condition not met within ${timeoutInMs} ms.`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
