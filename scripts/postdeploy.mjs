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
// Environment (azd passes its environment's values, the Bicep outputs among them):
//   FUNCTION_APP_URL                 the app's base URL (or SMOKE_BASE_URL to point the check elsewhere)
//   AZURE_RESOURCE_GROUP, AZURE_FUNCTION_APP_NAME   where to read the function key
//   AZURE_SUBSCRIPTION_ID            the app's subscription (azd sets it; else az's current subscription)
//   SMOKE_FUNCTION_KEY               the key itself (then `az` is not called); not needed for a loopback URL
//   ACS_RESOURCE_NAME, API_IDENTITY_PRINCIPAL_ID     used in the failure message
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

  const health = await until(
    deadline,
    intervalInMs,
    () => attempt(`${baseUrl}/api/health`),
    (r) => r.status === 200,
    (r) => `health: ${outcome(r)}`,
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
