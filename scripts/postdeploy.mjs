#!/usr/bin/env node
// azd postdeploy hook (azure.yaml): a smoke test of the deployed app. Needs only Node (and the Azure CLI, `az`, to
// read the function key when SMOKE_FUNCTION_KEY is not given).
//   1. GET <app>/api/health until it answers 200 (the app may still be starting);
//   2. POST <app>/api/diagnostics/acs with the app's default host key: the app creates and deletes a throwaway ACS
//      identity with its own managed identity, which proves the ACS role assignment works.
// Retries until SMOKE_TIMEOUT_SECONDS (role assignments can take minutes to apply), then fails with what to do.
// Never prints the function key.
//
// The key: `az functionapp keys list --query functionKeys.default`; recent Azure CLI versions print nothing there
// (Azure/azure-cli#33580, #33516), so when it gives nothing the script asks ARM itself, `POST .../host/default/listkeys`
// (the action that command wraps) through `az rest`. Both are retried with the rest: a new app may have no key yet.
//
// Health 500: the app refuses to start while a Key Vault reference is unresolved (src/config), which right after the
// first provisioning is usually its Key Vault Secrets User assignment still applying. The script then reads the
// references' status (GET .../config/configreferences/appsettings) and says which one, and what to do.
//
// Environment (azd passes its environment's values, the Bicep outputs among them):
//   FUNCTION_APP_URL                 the app's base URL (or SMOKE_BASE_URL to point the check elsewhere)
//   AZURE_RESOURCE_GROUP, AZURE_FUNCTION_APP_NAME   where to read the function key
//   AZURE_SUBSCRIPTION_ID            the app's subscription (azd sets it; else az's current subscription)
//   SMOKE_FUNCTION_KEY               the key itself (then `az` is not called); not needed for a loopback URL
//   ACS_RESOURCE_NAME, API_IDENTITY_PRINCIPAL_ID, KEY_VAULT_NAME   used in the failure messages
//   SMOKE_TIMEOUT_SECONDS (300), SMOKE_INTERVAL_SECONDS (10), SMOKE_SKIP=true to skip
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const env = process.env;
const log = (message) => console.log(`postdeploy: ${message}`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Microsoft.Web API version of the ARM calls (stable; WebApps_ListHostKeys is in it). */
const webApiVersion = '2024-11-01';

class SmokeFailure extends Error {}

function settings() {
  const baseUrl = (env.SMOKE_BASE_URL || env.FUNCTION_APP_URL || '').replace(/\/+$/, '');
  if (!baseUrl)
    throw new SmokeFailure(
      'FUNCTION_APP_URL is not set: run `azd provision` first (it is a Bicep output), or set SMOKE_BASE_URL.',
    );
  const seconds = (name, fallback) => {
    const value = Number(env[name] ?? fallback);
    if (!Number.isFinite(value) || value < 0) throw new SmokeFailure(`${name} must be a number of seconds`);
    return value;
  };
  return {
    baseUrl,
    timeoutInMs: seconds('SMOKE_TIMEOUT_SECONDS', 300) * 1000,
    intervalInMs: seconds('SMOKE_INTERVAL_SECONDS', 10) * 1000,
  };
}

const isLoopback = (url) => ['localhost', '127.0.0.1', '[::1]'].includes(new URL(url).hostname);

/** A failed `az` call: its reason (a line of az's stderr, which never carries a key) and whether a retry can help. */
class AzError extends Error {
  constructor(reason, permanent) {
    super(reason);
    this.permanent = permanent;
  }
}

/** Runs `az` and returns its trimmed stdout. */
async function az(args) {
  try {
    const { stdout } = await promisify(execFile)('az', args, {
      shell: process.platform === 'win32', // az is az.cmd on Windows
      timeout: 60_000,
    });
    return stdout.trim();
  } catch (error) {
    // Not error.message: that starts with the command line. az's own complaint is on stderr ("ERROR: ...").
    const lines = String(error.stderr ?? '')
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter(Boolean);
    const reason =
      error.code === 'ENOENT'
        ? 'the Azure CLI (az) is not on PATH'
        : error.killed
          ? 'az did not answer within 60 s'
          : (lines.find((line) => line.startsWith('ERROR:')) ?? lines[0] ?? `az exited with ${error.code}`);
    const permanent = error.code === 'ENOENT' || /\baz login\b|is not recognized as/i.test(reason);
    throw new AzError(reason.length > 300 ? `${reason.slice(0, 300)}...` : reason, permanent);
  }
}

/** The app's resource id. Without a host, `az rest` prefixes the ARM endpoint of az's cloud (sovereign clouds too). */
function siteId() {
  const { AZURE_SUBSCRIPTION_ID: subscription, AZURE_RESOURCE_GROUP: group, AZURE_FUNCTION_APP_NAME: app } = env;
  // {subscriptionId} is replaced by `az rest` with az's current subscription.
  return `/subscriptions/${subscription || '{subscriptionId}'}/resourceGroups/${group}/providers/Microsoft.Web/sites/${app}`;
}

/** What az printed for a key query: nothing, or "null" for a missing value, is no key. */
const keyIn = (output) => (output && output !== 'null' ? output : undefined);

/**
 * The host's default function key, read with the deploying user's Azure CLI login: `{ key }`, or `{ missing }` with
 * the reason when there is none yet. Throws an AzError when az cannot be used at all (missing, not logged in).
 */
async function readFunctionKey() {
  const { AZURE_SUBSCRIPTION_ID: subscription, AZURE_RESOURCE_GROUP: group, AZURE_FUNCTION_APP_NAME: app } = env;
  let listed;
  let listFailure;
  try {
    listed = keyIn(
      await az([
        'functionapp',
        'keys',
        'list',
        '-g',
        group,
        '-n',
        app,
        ...(subscription ? ['--subscription', subscription] : []),
        '--query',
        'functionKeys.default',
        '-o',
        'tsv',
      ]),
    );
  } catch (error) {
    if (!(error instanceof AzError) || error.permanent) throw error;
    listFailure = error.message;
  }
  if (listed) return { key: listed };
  // HostKeys: { masterKey, functionKeys: { default, ... }, systemKeys }; only functionKeys.default leaves az.
  let fromArm;
  try {
    fromArm = keyIn(
      await az([
        'rest',
        '--method',
        'post',
        '--url',
        `${siteId()}/host/default/listkeys?api-version=${webApiVersion}`,
        '--query',
        'functionKeys.default',
        '-o',
        'tsv',
      ]),
    );
  } catch (error) {
    if (error instanceof AzError && listFailure)
      throw new AzError(`keys list: ${listFailure}; host/default/listkeys: ${error.message}`, error.permanent);
    throw error;
  }
  if (fromArm) {
    log('function key: read through ARM host/default/listkeys (`az functionapp keys list` printed none)');
    return { key: fromArm };
  }
  return { missing: 'the app has no default host key yet (az functionapp keys list and host/default/listkeys)' };
}

/**
 * The app settings whose Key Vault reference the platform has not resolved, as ARM reports them: `{ unresolved }`, or
 * `{ error }` when az could not read them. Names, statuses and platform details only: the endpoint returns no values.
 */
async function readKeyVaultReferences() {
  try {
    const output = await az([
      'rest',
      '--method',
      'get',
      '--url',
      `${siteId()}/config/configreferences/appsettings?api-version=${webApiVersion}`,
      '-o',
      'json',
    ]);
    // ApiKVReferenceCollection: { value: [{ id: .../appsettings/<setting>, name, properties: { reference, status,
    // vaultName, secretName, secretVersion, identityType, details, source, activeVersion } }], nextLink }.
    const references = JSON.parse(output || '{}').value ?? [];
    return {
      unresolved: references
        .filter((reference) => reference.properties?.status !== 'Resolved')
        .map(({ id, name, properties = {} }) => ({
          setting: (name || id || '?').split('/').pop(),
          status: properties.status ?? 'unknown',
          secretName: properties.secretName,
          vaultName: properties.vaultName,
          details: properties.details,
        })),
    };
  } catch (error) {
    if (error instanceof AzError) return { error: error.message, permanent: error.permanent };
    if (error instanceof SyntaxError) return { error: `az printed no JSON (${error.message})` };
    throw error;
  }
}

const describeReference = ({ setting, status, secretName, vaultName }) =>
  `${setting}${secretName ? ` (secret ${secretName}${vaultName ? ` in ${vaultName}` : ''})` : ''}: ${status}`;

const accessDenied = ['AccessToKeyVaultDenied', 'UnauthorizedClient'];

/** One line per unresolved reference: the setting, its secret and vault, the status and the platform's details. */
const referenceLines = (unresolved) =>
  unresolved.map((r) => `  ${describeReference(r)}${r.details ? `: ${r.details.slice(0, 200)}` : ''}`);

/** What to do about each kind of unresolved reference, once per kind. */
function referenceAdvice(unresolved) {
  const principal = env.API_IDENTITY_PRINCIPAL_ID || '<API_IDENTITY_PRINCIPAL_ID>';
  const group = env.AZURE_RESOURCE_GROUP || '<resource group>';
  const app = env.AZURE_FUNCTION_APP_NAME || '<app>';
  const vault = unresolved.find((r) => r.vaultName)?.vaultName || env.KEY_VAULT_NAME || '<KEY_VAULT_NAME>';
  const vaultId = `"$(az keyvault show -g ${group} -n ${vault} --query id -o tsv)"`;
  const statuses = new Set(unresolved.map((r) => r.status));
  const has = (...names) => names.some((name) => statuses.has(name));
  const secrets = [...new Set(unresolved.map((r) => r.secretName).filter(Boolean))].join(', ') || '<secret>';
  const advice = [];
  if (has(...accessDenied))
    advice.push(
      "  The app's identity cannot read the vault yet. Right after the first provisioning its Key Vault Secrets User",
      '  assignment (infra/app/rbac.bicep) can take a few minutes to apply: wait a few minutes, restart the app so that',
      '  it resolves the reference again, and run this check again:',
      `    az functionapp restart -g ${group} -n ${app}`,
      '    azd hooks run postdeploy',
      '  If it stays, check the role assignment of the app\'s identity (this should print "Key Vault Secrets User"):',
      `    az role assignment list --assignee ${principal} --scope ${vaultId} --query "[].roleDefinitionName" -o tsv`,
      '  and assign the role if it is missing:',
      `    az role assignment create --assignee-object-id ${principal} --assignee-principal-type ServicePrincipal --role "Key Vault Secrets User" --scope ${vaultId}`,
    );
  if (has('MSINotEnabled'))
    advice.push(
      "  The platform has no identity to read the vault with: the app's keyVaultReferenceIdentity must be its",
      '  user-assigned identity (infra/app/api.bicep); run `azd provision` again.',
    );
  if (has('SecretNotFound', 'SecretVersionNotFound'))
    advice.push(
      `  Check the secret's name: ${secrets} must exist in ${vault}. Provisioning writes one secret per webhook secret`,
      '  you set (docs/deploy.md, Parameters); the portal lists them under Key Vault > Objects > Secrets.',
    );
  if (has('VaultNotFound'))
    advice.push(`  The vault ${vault} was not found: it was deleted, or the reference names another vault.`);
  if (has('InvalidSyntax'))
    advice.push('  The reference text is malformed: the app settings come from infra/app/api.bicep.');
  if (has('Initialized', 'FetchTimedOut', 'OtherReasons', 'unknown'))
    advice.push(
      '  The platform has not resolved the reference yet, or could not reach the vault: wait a few minutes and run',
      '  `azd hooks run postdeploy` again. The portal shows each status under Function App > Settings > Environment variables.',
    );
  return advice;
}

const refusesToStart = 'the app refuses to start while a Key Vault reference is unresolved:';

async function attempt(url, init) {
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
    const text = await response.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: response.status, body };
  } catch (error) {
    return {
      status: 0,
      error: error.cause?.code ?? error.cause?.errors?.[0]?.code ?? error.cause?.message ?? error.message,
    };
  }
}

/** Calls until `done(result)` or the deadline; returns the last result. */
async function until(deadline, intervalInMs, call, done, describe) {
  for (;;) {
    const result = await call();
    if (done(result)) return result;
    if (Date.now() + intervalInMs > deadline) return result;
    log(`${describe(result)}; retrying in ${intervalInMs / 1000} s`);
    await sleep(intervalInMs);
  }
}

const outcome = (result) =>
  result.status === 0
    ? `no answer (${result.error})`
    : `${result.status}${result.body?.code ? ` ${result.body.code}` : ''}`;

function roleHint() {
  const principal = env.API_IDENTITY_PRINCIPAL_ID || '<API_IDENTITY_PRINCIPAL_ID>';
  const group = env.AZURE_RESOURCE_GROUP || '<resource group>';
  const acs = env.ACS_RESOURCE_NAME || '<ACS_RESOURCE_NAME>';
  return [
    "the app's identity lacks the ACS role: ACS refused the app's managed identity (502 acs_rejected).",
    'Assign the role (what infra/app/rbac.bicep does) and run `azd deploy` again:',
    `  az role assignment create --assignee-object-id ${principal} --assignee-principal-type ServicePrincipal --role Contributor \\`,
    `    --scope "$(az communication show -g ${group} -n ${acs} --query id -o tsv)"`,
    'If the assignment exists, wait a few minutes for it to apply; with acsRoleName "Communication and Email Service Owner", go back to Contributor.',
  ].join('\n');
}

const keyFailure = (reason) =>
  new SmokeFailure(
    `could not read the function key with the Azure CLI (az login? Contributor on ${env.AZURE_RESOURCE_GROUP}?): ${reason}`,
  );

async function main() {
  if (/^(1|true|yes)$/i.test(env.SMOKE_SKIP ?? '')) {
    log('skipped (SMOKE_SKIP)');
    return;
  }
  const { baseUrl, timeoutInMs, intervalInMs } = settings();
  // The local host does not check keys; anywhere else the key comes from SMOKE_FUNCTION_KEY or az.
  const needsAz = !env.SMOKE_FUNCTION_KEY && !isLoopback(baseUrl);
  if (needsAz && (!env.AZURE_RESOURCE_GROUP || !env.AZURE_FUNCTION_APP_NAME))
    throw new SmokeFailure(
      'AZURE_RESOURCE_GROUP and AZURE_FUNCTION_APP_NAME are needed to read the function key (or set SMOKE_FUNCTION_KEY).',
    );
  const deadline = Date.now() + timeoutInMs;

  // A 500 from health is the app refusing its settings at start (or the host answering for a worker that would not
  // start: then it may be a 503). In Azure (the resource is known), ask ARM whether a Key Vault reference is the
  // cause, and say so whenever what ARM reports changes.
  let canAskArm = !isLoopback(baseUrl) && Boolean(env.AZURE_RESOURCE_GROUP && env.AZURE_FUNCTION_APP_NAME);
  let reported;
  const health = await until(
    deadline,
    intervalInMs,
    async () => {
      const result = await attempt(`${baseUrl}/api/health`);
      if (result.status < 500 || !canAskArm) return result;
      const references = await readKeyVaultReferences();
      if (references.permanent) canAskArm = false; // az is missing or logged out: asking again cannot help
      const report = references.error
        ? [`health: ${result.status}, and the Key Vault reference status could not be read: ${references.error}`]
        : references.unresolved.length > 0
          ? [
              `health: ${result.status}: ${refusesToStart}`,
              ...referenceLines(references.unresolved),
              `  Waiting up to ${timeoutInMs / 1000} s for the platform to resolve it${references.unresolved.some((r) => accessDenied.includes(r.status)) ? ' (a new Key Vault Secrets User assignment can take a few minutes to apply)' : ''}.`,
            ]
          : [];
      const text = report.join('\n');
      if (text && text !== reported) log(text);
      reported = text;
      return { ...result, references };
    },
    (r) => r.status === 200,
    (r) =>
      `health: ${outcome(r)}${r.references?.unresolved?.length ? ` (Key Vault reference ${r.references.unresolved.map(describeReference).join(', ')})` : ''}`,
  );
  if (health.references?.unresolved?.length)
    throw new SmokeFailure(
      [
        `GET ${baseUrl}/api/health: ${outcome(health)} after ${timeoutInMs / 1000} s: ${refusesToStart}`,
        ...referenceLines(health.references.unresolved),
        'What to do:',
        ...referenceAdvice(health.references.unresolved),
      ].join('\n'),
    );
  // What the app answers while it refuses its settings at start; with every reference resolved, another setting.
  if (health.status === 500)
    throw new SmokeFailure(
      `GET ${baseUrl}/api/health: ${outcome(health)} after ${timeoutInMs / 1000} s, as when the app refuses its settings at start${health.references?.unresolved ? ' (every Key Vault reference is resolved)' : ''}. Its log names the setting: Application Insights, Logs: traces | where message has "Invalid configuration" (docs/deploy.md).`,
    );
  if (health.status !== 200)
    throw new SmokeFailure(
      `GET ${baseUrl}/api/health: ${outcome(health)} after ${timeoutInMs / 1000} s. Check the app's log stream and Application Insights (docs/deploy.md).`,
    );
  log(`health: 200 (version ${health.body?.version ?? '?'})`);

  let key = needsAz ? undefined : env.SMOKE_FUNCTION_KEY;
  // No key yet (a new app's host creates its keys when it first starts), 401/404 while the new package and its keys
  // load, 502 acs_rejected while a new role assignment applies, 503 while ACS or the app is busy: all retried until
  // the deadline. An az that cannot be used at all (not installed, not logged in) ends it at once.
  const diagnosis = await until(
    deadline,
    intervalInMs,
    async () => {
      if (needsAz && !key) {
        try {
          const read = await readFunctionKey();
          if (!read.key) return { keyMissing: read.missing };
          key = read.key;
        } catch (error) {
          if (!(error instanceof AzError)) throw error;
          return { keyMissing: error.message, permanent: error.permanent };
        }
      }
      return attempt(`${baseUrl}/api/diagnostics/acs`, {
        method: 'POST',
        headers: key ? { 'x-functions-key': key } : {},
      });
    },
    (r) =>
      r.permanent ||
      r.status === 200 ||
      (r.status >= 400 && r.status < 500 && r.status !== 401 && r.status !== 404 && r.status !== 429),
    (r) => (r.keyMissing ? `function key: ${r.keyMissing}` : `ACS check: ${outcome(r)}`),
  );
  if (diagnosis.keyMissing) throw keyFailure(diagnosis.keyMissing);
  if (diagnosis.status === 200) {
    log(
      `ACS check: the app's identity created and deleted a throwaway ACS identity (${diagnosis.body?.durationInMs ?? '?'} ms)`,
    );
    return;
  }
  if (diagnosis.status === 502 && diagnosis.body?.code === 'acs_rejected') throw new SmokeFailure(roleHint());
  if (diagnosis.status === 401) throw new SmokeFailure('POST /api/diagnostics/acs: 401, the function key was refused.');
  if (diagnosis.status === 404)
    throw new SmokeFailure(
      'POST /api/diagnostics/acs: 404, the deployed package has no diagnostics function (an older build?).',
    );
  throw new SmokeFailure(
    `POST /api/diagnostics/acs: ${outcome(diagnosis)}${diagnosis.body?.title ? ` (${diagnosis.body.title})` : ''}. See Application Insights (docs/deploy.md).`,
  );
}

main().catch((error) => {
  console.error(`postdeploy: FAILED: ${error instanceof SmokeFailure ? error.message : error}`);
  process.exitCode = 1;
});
