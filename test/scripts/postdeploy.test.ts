import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

// scripts/postdeploy.mjs against a stand-in for the deployed app and a fake Azure CLI (test/fixtures/fake-az.js).
// The app listens on 127.0.0.2: loopback, but not an address the hook takes for the local functions host (which
// checks no keys), so the hook reads the function key with `az` as it does for an app in Azure.
const hook = path.resolve(__dirname, '../../scripts/postdeploy.mjs');
const fakeAz = path.resolve(__dirname, '../fixtures/fake-az.js');

const site = { subscription: '0a1b2c3d-0000-4000-8000-000000000001', group: 'rg-smoke', name: 'func-api-smoke' };
const hostKeys = {
  masterKey: 'master-key-never-printed',
  functionKeys: { default: 'default-key-never-printed' },
  systemKeys: { durabletask_extension: 'system-key-never-printed' },
};
const secrets = [hostKeys.masterKey, hostKeys.functionKeys.default, hostKeys.systemKeys.durabletask_extension];

interface Scenario {
  site: typeof site;
  cli: 'keys' | 'no-keys';
  hostKeys: typeof hostKeys;
  hostKeysFromCall?: number;
  configReferences?: unknown;
  loggedOut?: boolean;
}

interface App {
  url: string;
  /** What the ACS diagnostic saw: 'accepted' for the default key, 'refused' otherwise. */
  diagnostics: string[];
  stop(): Promise<void>;
}

/** The deployed app: `/api/health` answers `healthStatus(n)` on its n-th call, the diagnostic wants the default key. */
async function startApp(healthStatus: (call: number) => number = () => 200): Promise<App> {
  const diagnostics: string[] = [];
  let healthCalls = 0;
  const server: Server = createServer((request, response) => {
    const json = (status: number, body: unknown) => {
      response.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    };
    if (request.method === 'GET' && request.url === '/api/health') {
      const status = healthStatus(++healthCalls);
      // What the app answers when src/config refuses its settings: a generic 500 problem.
      if (status === 500) json(500, { status: 500, code: 'internal_error', title: 'Internal server error' });
      else if (status === 200) json(200, { status: 'ok', version: '0.1.0' });
      else response.writeHead(status).end();
    } else if (request.method === 'POST' && request.url === '/api/diagnostics/acs') {
      const accepted = request.headers['x-functions-key'] === hostKeys.functionKeys.default;
      diagnostics.push(accepted ? 'accepted' : 'refused');
      // The Functions host answers 401 with an empty body to a function-level route without its key.
      if (accepted) json(200, { status: 'ok', durationInMs: 42 });
      else response.writeHead(401).end();
    } else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.2:${port}`,
    diagnostics,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

interface Run {
  code: number;
  output: string;
  /** The arguments of every `az` call, in order. */
  azCalls: string[][];
}

let workDir: string;
beforeEach(() => {
  workDir = mkdtempSync(path.join(tmpdir(), 'postdeploy-'));
  const az = path.join(workDir, 'az');
  writeFileSync(az, `#!/bin/sh\nexec "${process.execPath}" "${fakeAz}" "$@"\n`);
  chmodSync(az, 0o755);
});
afterEach(() => rmSync(workDir, { recursive: true, force: true }));

/** Runs the hook as azd would, with the fake `az` first on PATH answering from `scenario`. */
function runHook(scenario: Scenario, env: Record<string, string>): Promise<Run> {
  const scenarioFile = path.join(workDir, 'scenario.json');
  const callsFile = path.join(workDir, 'calls.jsonl');
  writeFileSync(scenarioFile, JSON.stringify(scenario));
  writeFileSync(callsFile, '');
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^(SMOKE_|FUNCTION_APP_URL|AZURE_|ACS_|API_IDENTITY|KEY_VAULT|FAKE_AZ_)/.test(name),
    ),
  );
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [hook],
      {
        env: {
          ...inherited,
          PATH: `${workDir}${path.delimiter}${process.env.PATH ?? ''}`,
          FAKE_AZ_SCENARIO: scenarioFile,
          FAKE_AZ_CALLS: callsFile,
          AZURE_SUBSCRIPTION_ID: site.subscription,
          AZURE_RESOURCE_GROUP: site.group,
          AZURE_FUNCTION_APP_NAME: site.name,
          SMOKE_INTERVAL_SECONDS: '0.05',
          SMOKE_TIMEOUT_SECONDS: '10',
          ...env,
        },
        timeout: 20_000,
      },
      (error, stdout, stderr) => {
        const azCalls = readFileSync(callsFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as string[]);
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}`, azCalls });
      },
    );
  });
}

const principal = '11111111-2222-3333-4444-555555555555';
const vault = 'kv-smoke';

/** One entry of ARM's ApiKVReferenceCollection, as GET .../config/configreferences/appsettings returns it. */
function reference(setting: string, secretName: string, status: string, details?: string) {
  return {
    id: `/subscriptions/${site.subscription}/resourceGroups/${site.group}/providers/Microsoft.Web/sites/${site.name}/config/configreferences/appsettings/${setting}`,
    name: setting,
    type: 'Microsoft.Web/sites/config/configreferences',
    properties: {
      reference: `@Microsoft.KeyVault(SecretUri=https://${vault}.vault.azure.net/secrets/${secretName}/)`,
      status,
      vaultName: vault,
      secretName,
      identityType: 'UserAssigned',
      ...(details ? { details } : {}),
      source: 'KeyVault',
    },
  };
}
const denied =
  "Key Vault reference was not able to be resolved because site was denied access to Key Vault reference's vault.";

const listKeysUrl = `/subscriptions/${site.subscription}/resourceGroups/${site.group}/providers/Microsoft.Web/sites/${site.name}/host/default/listkeys?api-version=2024-11-01`;
const referencesUrl = `/subscriptions/${site.subscription}/resourceGroups/${site.group}/providers/Microsoft.Web/sites/${site.name}/config/configreferences/appsettings?api-version=2024-11-01`;
const isListKeys = (call: string[]) => call[0] === 'rest' && call.includes(listKeysUrl);
const isKeysList = (call: string[]) => call.slice(0, 3).join(' ') === 'functionapp keys list';

// The fake az is a /bin/sh wrapper, and only Linux answers on all of 127.0.0.0/8 (macOS has just 127.0.0.1).
const unavailable =
  process.platform === 'linux' ? undefined : `the fake az and 127.0.0.2 need Linux, not ${process.platform}`;
if (unavailable) console.warn(`Skipping the postdeploy tests with a fake az: ${unavailable}.`);

(unavailable ? describe.skip : describe)('scripts/postdeploy.mjs with the Azure CLI', () => {
  let app: App;
  afterEach(async () => {
    await app?.stop();
  });

  describe('the function key', () => {
    it('is read with `az functionapp keys list` where the CLI prints it (2.86 and earlier)', async () => {
      app = await startApp();

      const { code, output, azCalls } = await runHook({ site, cli: 'keys', hostKeys }, { FUNCTION_APP_URL: app.url });

      expect({ code, output }).toEqual({
        code: 0,
        output: expect.stringContaining("ACS check: the app's identity created and deleted a throwaway ACS identity"),
      });
      expect(app.diagnostics).toEqual(['accepted']);
      expect(azCalls).toEqual([
        [
          'functionapp',
          'keys',
          'list',
          '-g',
          site.group,
          '-n',
          site.name,
          '--subscription',
          site.subscription,
          '--query',
          'functionKeys.default',
          '-o',
          'tsv',
        ],
      ]);
      for (const secret of secrets) expect(output).not.toContain(secret);
    });

    it('is read through ARM host/default/listkeys when `az functionapp keys list` prints nothing (2.87)', async () => {
      app = await startApp();

      const { code, output, azCalls } = await runHook(
        { site, cli: 'no-keys', hostKeys },
        { FUNCTION_APP_URL: app.url },
      );

      expect(code).toBe(0);
      expect(output).toContain('function key: read through ARM host/default/listkeys');
      expect(output).toContain("ACS check: the app's identity created and deleted a throwaway ACS identity (42 ms)");
      expect(app.diagnostics).toEqual(['accepted']);
      expect(azCalls.map((call) => (isKeysList(call) ? 'keys list' : isListKeys(call) ? 'listkeys' : call))).toEqual([
        'keys list',
        'listkeys',
      ]);
      expect(azCalls[1]).toEqual([
        'rest',
        '--method',
        'post',
        '--url',
        listKeysUrl,
        '--query',
        'functionKeys.default',
        '-o',
        'tsv',
      ]);
      for (const secret of secrets) expect(output).not.toContain(secret);
    });

    it("names az's current subscription in the ARM URL when AZURE_SUBSCRIPTION_ID is not set", async () => {
      app = await startApp();

      const { code, azCalls } = await runHook(
        { site, cli: 'no-keys', hostKeys },
        { FUNCTION_APP_URL: app.url, AZURE_SUBSCRIPTION_ID: '' },
      );

      expect(code).toBe(0);
      expect(azCalls[0]).not.toContain('--subscription');
      expect(azCalls[1]).toContain(listKeysUrl.replace(site.subscription, '{subscriptionId}'));
    });

    it('is asked for again, inside the retry loop, while the new app has no key yet', async () => {
      app = await startApp();

      const { code, output, azCalls } = await runHook(
        { site, cli: 'no-keys', hostKeys, hostKeysFromCall: 3 },
        { FUNCTION_APP_URL: app.url },
      );

      expect(code).toBe(0);
      expect(output.match(/function key: the app has no default host key yet .*; retrying in 0\.05 s/g)).toHaveLength(
        2,
      );
      expect(azCalls.filter(isListKeys)).toHaveLength(3);
      expect(app.diagnostics).toEqual(['accepted']);
    });

    it('fails with the cause when no key appears before the deadline', async () => {
      app = await startApp();

      const { code, output } = await runHook(
        { site, cli: 'no-keys', hostKeys, hostKeysFromCall: 1000 },
        { FUNCTION_APP_URL: app.url, SMOKE_TIMEOUT_SECONDS: '0.5' },
      );

      expect(code).toBe(1);
      expect(output).toContain(
        `postdeploy: FAILED: could not read the function key with the Azure CLI (az login? Contributor on ${site.group}?): the app has no default host key yet`,
      );
      expect(app.diagnostics).toEqual([]);
    });

    it('fails at once, without waiting for the deadline, when az is not logged in', async () => {
      app = await startApp();

      const { code, output, azCalls } = await runHook(
        { site, cli: 'keys', hostKeys, loggedOut: true },
        { FUNCTION_APP_URL: app.url, SMOKE_TIMEOUT_SECONDS: '60' },
      );

      expect(code).toBe(1);
      expect(output).toContain(
        "could not read the function key with the Azure CLI (az login? Contributor on rg-smoke?): ERROR: Please run 'az login' to setup account.",
      );
      expect(azCalls).toHaveLength(1);
    });

    it('reports what ARM said when the app is not where the environment says', async () => {
      app = await startApp();

      const { code, output } = await runHook(
        { site, cli: 'no-keys', hostKeys },
        { FUNCTION_APP_URL: app.url, AZURE_FUNCTION_APP_NAME: 'func-api-other', SMOKE_TIMEOUT_SECONDS: '0.3' },
      );

      expect(code).toBe(1);
      expect(output).toContain(
        "host/default/listkeys: ERROR: (ResourceNotFound) The Resource 'Microsoft.Web/sites/func-api-other' under resource group 'rg-smoke' was not found.",
      );
    });
  });

  describe('a health 500 right after provisioning', () => {
    const env = () => ({
      FUNCTION_APP_URL: app.url,
      API_IDENTITY_PRINCIPAL_ID: principal,
      KEY_VAULT_NAME: vault,
      SMOKE_TIMEOUT_SECONDS: '0.5',
    });

    it('names the unresolved Key Vault reference and the role assignment to check when access is denied', async () => {
      app = await startApp(() => 500);
      const configReferences = {
        value: [
          reference('GRAPH_CLIENT_STATE', 'graph-client-state', 'Resolved'),
          reference('OKTA_WEBHOOK_SECRET', 'okta-webhook-secret', 'AccessToKeyVaultDenied', denied),
        ],
      };

      const { code, output, azCalls } = await runHook({ site, cli: 'keys', hostKeys, configReferences }, env());

      expect(code).toBe(1);
      const failure = output.slice(output.indexOf('postdeploy: FAILED:'));
      expect(failure).toContain(
        `postdeploy: FAILED: GET ${app.url}/api/health: 500 internal_error after 0.5 s: the app refuses to start while a Key Vault reference is unresolved`,
      );
      expect(failure).toContain(
        `  OKTA_WEBHOOK_SECRET (secret okta-webhook-secret in ${vault}): AccessToKeyVaultDenied: ${denied}`,
      );
      expect(failure).toContain('Key Vault Secrets User');
      expect(failure).toContain('wait a few minutes');
      expect(failure).toContain(`az functionapp restart -g ${site.group} -n ${site.name}`);
      expect(failure).toContain(
        `az role assignment list --assignee ${principal} --scope "$(az keyvault show -g ${site.group} -n ${vault} --query id -o tsv)"`,
      );
      expect(failure).not.toContain('GRAPH_CLIENT_STATE');
      expect(azCalls.filter((call) => call.includes(referencesUrl)).length).toBeGreaterThan(0);
      expect(azCalls.filter((call) => !call.includes(referencesUrl))).toEqual([]);
    });

    it("names the missing secret and says to check the secret's name (also when the host answers 503)", async () => {
      app = await startApp(() => 503);
      const configReferences = {
        value: [reference('STANDARD_WEBHOOK_SECRETS', 'standard-webhook-secrets', 'SecretNotFound')],
      };

      const { code, output } = await runHook({ site, cli: 'keys', hostKeys, configReferences }, env());

      expect(code).toBe(1);
      expect(output).toContain(
        `  STANDARD_WEBHOOK_SECRETS (secret standard-webhook-secrets in ${vault}): SecretNotFound`,
      );
      expect(output).toContain(`Check the secret's name: standard-webhook-secrets must exist in ${vault}`);
      expect(output).not.toContain('Key Vault Secrets User');
    });

    it('passes once the reference resolves and the app starts', async () => {
      app = await startApp((call) => (call <= 3 ? 500 : 200));
      const configReferences = {
        value: [reference('OKTA_WEBHOOK_SECRET', 'okta-webhook-secret', 'AccessToKeyVaultDenied', denied)],
      };

      const { code, output } = await runHook(
        { site, cli: 'keys', hostKeys, configReferences },
        { ...env(), SMOKE_TIMEOUT_SECONDS: '10' },
      );

      expect(code).toBe(0);
      // While it waits: what ARM reports once (it does not change), the reference on every retry line.
      expect(
        output.match(/health: 500: the app refuses to start while a Key Vault reference is unresolved/g),
      ).toHaveLength(1);
      expect(output).toContain('Waiting up to 10 s for the platform to resolve it');
      expect(
        output.match(
          /health: 500 internal_error \(Key Vault reference OKTA_WEBHOOK_SECRET \(secret okta-webhook-secret in kv-smoke\): AccessToKeyVaultDenied\); retrying in 0\.05 s/g,
        ),
      ).toHaveLength(3);
      expect(output).toContain('health: 200 (version 0.1.0)');
      expect(output).toContain("ACS check: the app's identity created and deleted a throwaway ACS identity");
    });

    it('points at the app log when every reference is resolved', async () => {
      app = await startApp(() => 500);
      const configReferences = { value: [reference('OKTA_WEBHOOK_SECRET', 'okta-webhook-secret', 'Resolved')] };

      const { code, output } = await runHook({ site, cli: 'keys', hostKeys, configReferences }, env());

      expect(code).toBe(1);
      expect(output).toContain(
        `postdeploy: FAILED: GET ${app.url}/api/health: 500 internal_error after 0.5 s, as when the app refuses its settings at start (every Key Vault reference is resolved). Its log names the setting: Application Insights, Logs: traces | where message has "Invalid configuration"`,
      );
    });

    it('says so when the reference status cannot be read, and still fails on the 500', async () => {
      app = await startApp(() => 500);

      const { code, output, azCalls } = await runHook(
        { site, cli: 'keys', hostKeys, loggedOut: true },
        { ...env(), SMOKE_TIMEOUT_SECONDS: '1' },
      );

      expect(code).toBe(1);
      expect(output).toContain(
        "health: 500, and the Key Vault reference status could not be read: ERROR: Please run 'az login' to setup account.",
      );
      expect(output).toContain(
        `postdeploy: FAILED: GET ${app.url}/api/health: 500 internal_error after 1 s, as when the app refuses its settings at start.`,
      );
      expect(azCalls).toHaveLength(1); // a logged-out az is not asked again
    });
  });
});
