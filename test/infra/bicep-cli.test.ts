import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { bicepVersion, diagnostics, findBicep, runBicep } from './bicep-cli';

// The real compiler and linter over infra/main.bicep (and through it every module). Bicep is not an npm package:
// scripts/install-bicep.sh restores it from NuGet (CI does, and sets BICEP_REQUIRED=1 so that a missing CLI fails
// there). On a laptop without it, this suite is skipped, and says so.
const bicep = findBicep();
const required = process.env['BICEP_REQUIRED'] === '1';
const skipReason = 'no Bicep CLI (set BICEP_PATH, put bicep on PATH, or run scripts/install-bicep.sh)';

if (!bicep) {
  if (required) {
    test('the Bicep CLI is installed (BICEP_REQUIRED=1)', () => {
      throw new Error(`BICEP_REQUIRED=1 but there is ${skipReason}`);
    });
  } else {
    // Printed in jest's output (console.warn), and the skipped test's title carries the reason too.
    console.warn(`SKIPPED bicep build/lint of infra/: ${skipReason}`);
    test.skip(`bicep build and lint of infra/ (skipped: ${skipReason})`, () => undefined);
  }
} else {
  describe(`bicep build and lint (${bicep})`, () => {
    let outDir: string;

    beforeAll(() => {
      outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bicep-build-'));
      process.stdout.write(`infra: ${bicepVersion(bicep)}\n`);
    });

    afterAll(() => {
      fs.rmSync(outDir, { recursive: true, force: true });
    });

    test('bicep build infra/main.bicep: no error, no warning', () => {
      const run = runBicep(bicep, ['build', 'infra/main.bicep', '--outdir', outDir]);
      const found = diagnostics(run.output);

      expect({ status: run.status, ...found }).toEqual({ status: 0, errors: [], warnings: [] });
      const template = JSON.parse(fs.readFileSync(path.join(outDir, 'main.json'), 'utf8')) as { $schema: string };
      expect(template.$schema).toMatch(/subscriptionDeploymentTemplate/);
    }, 120_000);

    test('bicep lint infra/main.bicep: no error, no warning', () => {
      const run = runBicep(bicep, ['lint', 'infra/main.bicep']);

      expect({ status: run.status, ...diagnostics(run.output), output: run.output.trim() }).toEqual({ status: 0, errors: [], warnings: [], output: '' });
    }, 120_000);
  });
}
