import * as fs from 'node:fs';
import * as path from 'node:path';

import { loadConfig } from '../../src/config/config';
import { settingNames, settingsSchema } from '../../src/config/settings';
import { checkInfra, hostSettingNames, requiredSettingNames, syntaxProblems } from './bicep-checks';
import { parseBicep, parseBicepSources } from './bicep-syntax';

const root = path.resolve(__dirname, '../..');
const infraDir = path.join(root, 'infra');

const bicepFiles = (dir: string): string[] =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return bicepFiles(full);
    return entry.name.endsWith('.bicep') ? [path.relative(infraDir, full)] : [];
  });

describe('infra/*.bicep', () => {
  const files = bicepFiles(infraDir);
  const roots = parseBicepSources(files.map((file) => fs.readFileSync(path.join(infraDir, file), 'utf8')));

  test.each(files.map((file, index) => [file, roots[index]] as const))(
    '%s parses without ERROR or MISSING nodes',
    (_file, root) => {
      expect(syntaxProblems(root)).toEqual([]);
    },
  );

  test('passes every structural check', () => {
    expect(checkInfra(infraDir)).toEqual([]);
  });
});

describe('the required app settings', () => {
  // What the Bicep passes in Azure, with the shapes the schema expects.
  const managedIdentityValues: Record<string, string> = {
    ACS_ENDPOINT: 'https://acs-abc.unitedstates.communication.azure.com',
    AZURE_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
    IdentityStorage__tableServiceUri: 'https://stabc.table.core.windows.net/',
    IdentityStorage__queueServiceUri: 'https://stabc.queue.core.windows.net/',
    IdentityStorage__credential: 'managedidentity',
    IdentityStorage__clientId: '11111111-2222-3333-4444-555555555555',
    MAPPING_TABLE_NAME: 'IdentityMappings',
    EVENTS_TABLE_NAME: 'ProcessedEvents',
    EVENTS_QUEUE_NAME: 'identity-events',
    JOBS_QUEUE_NAME: 'identity-jobs',
    AUTH_ISSUERS: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0',
    AUTH_AUDIENCES: 'api://11111111-2222-3333-4444-555555555555',
  };
  const appSettingNames = requiredSettingNames.filter(
    (name) => !(hostSettingNames as readonly string[]).includes(name),
  );
  const requiredEnv = () => Object.fromEntries(appSettingNames.map((name) => [name, managedIdentityValues[name]]));

  test('are settings the app reads, apart from the host allow-list', () => {
    expect(appSettingNames.filter((name) => !(settingNames as readonly string[]).includes(name))).toEqual([]);
  });

  test('are enough for the app to start with its managed identity', () => {
    const config = loadConfig(requiredEnv());

    expect(config.acs).toEqual({
      kind: 'managedIdentity',
      endpoint: managedIdentityValues.ACS_ENDPOINT,
      clientId: managedIdentityValues.AZURE_CLIENT_ID,
    });
    expect(config.storage.queue).toMatchObject({
      kind: 'managedIdentity',
      endpoint: managedIdentityValues.IdentityStorage__queueServiceUri,
    });
    expect(config.storage.table).toMatchObject({
      kind: 'managedIdentity',
      endpoint: managedIdentityValues.IdentityStorage__tableServiceUri,
    });
  });

  test.each([
    'ACS_ENDPOINT',
    'IdentityStorage__tableServiceUri',
    'IdentityStorage__queueServiceUri',
    'AUTH_ISSUERS',
    'AUTH_AUDIENCES',
  ])('include %s, without which the schema rejects a managed-identity configuration', (name) => {
    const env: Record<string, string | undefined> = requiredEnv();
    delete env[name];

    expect(appSettingNames).toContain(name);
    expect(settingsSchema.safeParse(env).success).toBe(false);
  });
});

describe('the URLs main.bicep outputs', () => {
  const main = parseBicep(fs.readFileSync(path.join(infraDir, 'main.bicep'), 'utf8'));
  const routesVar = main.descendantsOfType('variable_declaration').find((v) => v.namedChildren[0]?.text === 'routes');
  const outputRoutes = (routesVar?.descendantsOfType('string_content') ?? []).map((s) => s.text);
  const functionsDir = path.join(root, 'src/functions');
  const registeredRoutes = fs.existsSync(functionsDir)
    ? fs
        .readdirSync(functionsDir)
        .flatMap((file) =>
          [...fs.readFileSync(path.join(functionsDir, file), 'utf8').matchAll(/route: '([^']+)'/g)].map((m) => m[1]),
        )
    : [];

  test('sit under the route prefix of host.json', () => {
    const host = JSON.parse(fs.readFileSync(path.join(root, 'host.json'), 'utf8')) as {
      extensions?: { http?: { routePrefix?: string } };
    };

    expect(host.extensions?.http?.routePrefix).toBe('api');
    expect(fs.readFileSync(path.join(infraDir, 'main.bicep'), 'utf8')).toMatch(
      /\$\{api\.outputs\.url\}\/api\/\$\{routes\./,
    );
  });

  // A route family nobody registers yet (functions still being written) is not checked; once one route of the
  // family exists, every output of that family must match a registered route.
  test.each(outputRoutes)('%s is a route registered in src/functions', (route) => {
    const family = route.split('/')[0];
    if (!registeredRoutes.some((registered) => registered?.split('/')[0] === family)) return;

    expect(registeredRoutes).toContain(route);
  });
});

describe('docs/deploy.md', () => {
  const guide = fs.readFileSync(path.join(root, 'docs/deploy.md'), 'utf8');
  const main = parseBicep(fs.readFileSync(path.join(infraDir, 'main.bicep'), 'utf8'));
  const parameters = main.namedChildren
    .filter((node) => node.type === 'parameter_declaration')
    .map((node) => node.namedChildren[0]?.text ?? '');
  const azdVariables = [
    ...fs.readFileSync(path.join(infraDir, 'main.parameters.json'), 'utf8').matchAll(/\$\{([A-Z_]+)/g),
  ].map((m) => m[1] ?? '');

  const undocumented = (names: string[]) => names.filter((name) => !guide.includes(`\`${name}\``));

  test('documents every parameter of main.bicep', () => {
    expect(parameters.length).toBeGreaterThan(0);
    expect(undocumented(parameters)).toEqual([]);
  });

  test('documents every azd variable main.parameters.json reads', () => {
    expect(azdVariables.length).toBeGreaterThan(0);
    expect(undocumented(azdVariables)).toEqual([]);
  });
});

describe('azure.yaml', () => {
  const azureYaml = fs.readFileSync(path.join(root, 'azure.yaml'), 'utf8');
  const apiBicep = fs.readFileSync(path.join(infraDir, 'app/api.bicep'), 'utf8');

  test('declares the api service as a TypeScript function app built locally', () => {
    const service = /^services:\n {2}api:\n((?: {4}.*\n| *#.*\n)+)/m.exec(azureYaml)?.[1] ?? '';

    expect(service).toMatch(/^ {4}project: \.$/m);
    expect(service).toMatch(/^ {4}language: ts$/m);
    expect(service).toMatch(/^ {4}host: function$/m);
    // azd deploys the bundled artifact of `npm run package` (test/dev/package), which needs no remote build.
    expect(service).toMatch(/^ {4}dist: artifact\/app$/m);
    expect(service).toMatch(/^ {4}remoteBuild: false$/m);
  });

  test('names the service the function app is tagged with', () => {
    expect(apiBicep).toMatch(/param serviceName string = 'api'/);
    expect(apiBicep).toMatch(/'azd-service-name': serviceName/);
  });
});
