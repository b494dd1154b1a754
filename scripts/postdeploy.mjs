#!/usr/bin/env node
// azd postdeploy hook (azure.yaml): a smoke test of the deployed app. Needs only Node (and the Azure CLI, `az`, to
// read the function key when SMOKE_FUNCTION_KEY is not given).
//   1. GET <app>/api/health until it answers 200 (the app may still be starting);
//   2. POST <app>/api/diagnostics/acs with the app's function key: the app creates and deletes a throwaway ACS
//      identity with its own managed identity, which proves the ACS role assignment works.
// Retries until SMOKE_TIMEOUT_SECONDS (role assignments can take minutes to apply), then fails with what to do.
// Never prints the function key.
//
// Environment (azd passes its environment's values, the Bicep outputs among them):
//   FUNCTION_APP_URL                 the app's base URL (or SMOKE_BASE_URL to point the check elsewhere)
//   AZURE_RESOURCE_GROUP, AZURE_FUNCTION_APP_NAME   where to read the function key with `az functionapp keys list`
//   SMOKE_FUNCTION_KEY               the key itself (then `az` is not called); not needed for a loopback URL
//   ACS_RESOURCE_NAME, API_IDENTITY_PRINCIPAL_ID     used in the failure message
//   SMOKE_TIMEOUT_SECONDS (300), SMOKE_INTERVAL_SECONDS (10), SMOKE_SKIP=true to skip
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const env = process.env;
const log = (message) => console.log(`postdeploy: ${message}`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

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

/** The host's default function key, read with the deploying user's Azure CLI login. */
async function functionKey(baseUrl) {
  if (env.SMOKE_FUNCTION_KEY) return env.SMOKE_FUNCTION_KEY;
  if (isLoopback(baseUrl)) return undefined; // the local host does not check keys
  const { AZURE_RESOURCE_GROUP: group, AZURE_FUNCTION_APP_NAME: app } = env;
  if (!group || !app)
    throw new SmokeFailure(
      'AZURE_RESOURCE_GROUP and AZURE_FUNCTION_APP_NAME are needed to read the function key (or set SMOKE_FUNCTION_KEY).',
    );
  try {
    const { stdout } = await promisify(execFile)(
      'az',
      ['functionapp', 'keys', 'list', '-g', group, '-n', app, '--query', 'functionKeys.default', '-o', 'tsv'],
      {
        shell: process.platform === 'win32', // az is az.cmd on Windows
        timeout: 60_000,
      },
    );
    const key = stdout.trim();
    if (!key) throw new Error('no default function key yet');
    return key;
  } catch (error) {
    // The message of a failed az call carries its arguments and stderr, never the key.
    throw new SmokeFailure(
      `could not read the function key with the Azure CLI (az login? Contributor on ${group}?): ${error.message.split('\n')[0]}`,
    );
  }
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

async function main() {
  if (/^(1|true|yes)$/i.test(env.SMOKE_SKIP ?? '')) {
    log('skipped (SMOKE_SKIP)');
    return;
  }
  const { baseUrl, timeoutInMs, intervalInMs } = settings();
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

  const key = await functionKey(baseUrl);
  const headers = key ? { 'x-functions-key': key } : {};
  // 401/404 while the new package and its keys load, 502 acs_rejected while a new role assignment applies, 503
  // while ACS or the app is busy: all retried until the deadline.
  const diagnosis = await until(
    deadline,
    intervalInMs,
    () => attempt(`${baseUrl}/api/diagnostics/acs`, { method: 'POST', headers }),
    (r) =>
      r.status === 200 ||
      (r.status >= 400 && r.status < 500 && r.status !== 401 && r.status !== 404 && r.status !== 429),
    (r) => `ACS check: ${outcome(r)}`,
  );
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
