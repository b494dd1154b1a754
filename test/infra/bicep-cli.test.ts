import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { bicepVersion, describeWithBicep, diagnostics, runBicep } from './bicep-cli';

// The real compiler and linter over infra/main.bicep (and through it every module). Bicep is not an npm package:
// scripts/install-bicep.sh restores it from NuGet (CI does, and sets BICEP_REQUIRED=1 so that a missing CLI fails
// there). On a laptop without it, this suite is skipped, and says so.
describeWithBicep('bicep build/lint of infra/', (bicep) => {
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

    expect({ status: run.status, ...diagnostics(run.output), output: run.output.trim() }).toEqual({
      status: 0,
      errors: [],
      warnings: [],
      output: '',
    });
  }, 120_000);

  // The two tests above would pass vacuously if the diagnostics were not recognised: a broken copy proves they are.
  test('reports the warning of a broken copy of infra/ (an unused parameter, an unknown API version)', () => {
    const copy = path.join(outDir, 'infra');
    fs.cpSync(path.resolve(__dirname, '../../infra'), copy, { recursive: true });
    const main = path.join(copy, 'main.bicep');
    fs.writeFileSync(main, `${fs.readFileSync(main, 'utf8')}\nparam unusedForTest string = ''\n`);
    const communication = path.join(copy, 'core/communication.bicep');
    fs.writeFileSync(
      communication,
      fs
        .readFileSync(communication, 'utf8')
        .replace('communicationServices@2025-05-01', 'communicationServices@2099-01-01'),
    );

    const { warnings } = diagnostics(runBicep(bicep, ['lint', main]).output);

    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/main\.bicep.*no-unused-params/),
        expect.stringMatching(/communication\.bicep.*BCP081/),
      ]),
    );
  }, 120_000);
});
