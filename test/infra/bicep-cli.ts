import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../..');

/** Where scripts/install-bicep.sh restores the CLI: <install dir>/packages/<package>/<version>/tools/bicep. */
function installedPackage(env: NodeJS.ProcessEnv): string {
  const installDir =
    env['BICEP_INSTALL_DIR'] ??
    path.join(env['XDG_CACHE_HOME'] ?? path.join(os.homedir(), '.cache'), 'acs-identity-token-service/bicep');
  return path.join(installDir, 'packages/azure.bicep.commandline.linux-x64');
}

/**
 * The Bicep CLI to run: `BICEP_PATH`, else the one scripts/install-bicep.sh restored, else `bicep` on PATH.
 * @returns the command, or undefined when there is none
 */
export function findBicep(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const fromEnv = env['BICEP_PATH'];
  if (fromEnv) return fromEnv;
  const packageDir = installedPackage(env);
  if (fs.existsSync(packageDir)) {
    const installed = fs
      .readdirSync(packageDir)
      .map((version) => path.join(packageDir, version, 'tools/bicep'))
      .find((candidate) => fs.existsSync(candidate));
    if (installed) return installed;
  }
  const onPath = spawnSync('bicep', ['--version'], { encoding: 'utf8' });
  return onPath.status === 0 ? 'bicep' : undefined;
}

export interface BicepRun {
  status: number | null;
  /** stdout and stderr, where Bicep writes its diagnostics. */
  output: string;
}

/** Runs the CLI with invariant globalization (Bicep is a .NET app; without libicu it would not start). */
export function runBicep(bicep: string, args: string[]): BicepRun {
  const result = spawnSync(bicep, args, {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, DOTNET_SYSTEM_GLOBALIZATION_INVARIANT: '1', DOTNET_CLI_TELEMETRY_OPTOUT: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Bicep diagnostics look like `<file>(line,col) : Warning <code>: <message>`. */
export function diagnostics(output: string): { errors: string[]; warnings: string[] } {
  const lines = output.split(/\r?\n/);
  return {
    errors: lines.filter((line) => /\) : Error /.test(line)),
    warnings: lines.filter((line) => /\) : Warning /.test(line)),
  };
}

export function bicepVersion(bicep: string): string {
  return execFileSync(bicep, ['--version'], {
    encoding: 'utf8',
    env: { ...process.env, DOTNET_SYSTEM_GLOBALIZATION_INVARIANT: '1' },
  }).trim();
}

/**
 * `describe()` with the Bicep CLI ({@link findBicep}). Without one the suite is skipped and says so, or fails when
 * BICEP_REQUIRED=1 (CI), so that a missing CLI never passes for a green run there.
 */
export function describeWithBicep(title: string, body: (bicep: string) => void): void {
  const bicep = findBicep();
  const skipReason = 'no Bicep CLI (set BICEP_PATH, put bicep on PATH, or run scripts/install-bicep.sh)';
  if (bicep) {
    describe(`${title} (${bicep})`, () => body(bicep));
  } else if (process.env['BICEP_REQUIRED'] === '1') {
    test(`${title}: the Bicep CLI is installed (BICEP_REQUIRED=1)`, () => {
      throw new Error(`BICEP_REQUIRED=1 but there is ${skipReason}`);
    });
  } else {
    // Printed in jest's output (console.warn), and the skipped test's title carries the reason too.
    console.warn(`SKIPPED ${title}: ${skipReason}`);
    test.skip(`${title} (skipped: ${skipReason})`, () => undefined);
  }
}
