import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { property } from './settings';

/** `extensions.queues` of host.json, with the defaults of the storage queue extension. */
export interface QueuesOptions {
  /** Messages fetched and processed in parallel per poll; 1–32, default 16. */
  batchSize: number;
  /** Attempts before a message moves to `<queue>-poison`; default 5. */
  maxDequeueCount: number;
  /** Delay before a failed message becomes visible again; default 0. */
  visibilityTimeoutInMs: number;
  /** Longest wait between polls of an empty queue; default 1 minute. */
  maxPollingIntervalInMs: number;
  /** `base64` (default) or `none`: how message text is encoded. */
  messageEncoding: 'base64' | 'none';
}

export interface HostConfig {
  /** `extensions.http.routePrefix`, without slashes; default `api`, may be empty. */
  routePrefix: string;
  queues: QueuesOptions;
}

export const DEFAULT_QUEUES_OPTIONS: Readonly<QueuesOptions> = Object.freeze({
  batchSize: 16,
  maxDequeueCount: 5,
  visibilityTimeoutInMs: 0,
  maxPollingIntervalInMs: 60_000,
  messageEncoding: 'base64',
});

/** Prefix of app settings that override host.json values, e.g. `AzureFunctionsJobHost__extensions__queues__batchSize`. */
const OVERRIDE_PREFIX = 'azurefunctionsjobhost__';

/**
 * Reads `<appRoot>/host.json`, applies `AzureFunctionsJobHost__*` app-setting overrides as the
 * real host does, and validates the settings the local host uses.
 *
 * @throws naming the setting when a value is malformed.
 */
export function readHostConfig(appRoot: string, env: Record<string, string | undefined> = process.env): HostConfig {
  const file = join(appRoot, 'host.json');
  let json: Record<string, unknown> = {};
  if (existsSync(file)) {
    try {
      json = JSON.parse(readFileSync(file, 'utf8').replace(/^\uFEFF/, '')) as Record<string, unknown>;
    } catch (error) {
      throw new Error(`${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
    }
  }
  applyOverrides(json, env);
  return parseHostConfig(json);
}

export function parseHostConfig(json: unknown): HostConfig {
  const extensions = property(json, 'extensions');
  const routePrefix = property(property(extensions, 'http'), 'routePrefix');
  const queues = property(extensions, 'queues');
  return {
    routePrefix: typeof routePrefix === 'string' ? routePrefix.replace(/^\/+|\/+$/g, '') : 'api',
    queues: parseQueuesOptions(queues),
  };
}

function parseQueuesOptions(queues: unknown): QueuesOptions {
  const options: QueuesOptions = { ...DEFAULT_QUEUES_OPTIONS };
  const batchSize = property(queues, 'batchSize');
  if (batchSize !== undefined) {
    options.batchSize = integerSetting('extensions.queues.batchSize', batchSize, 1, 32);
  }
  const maxDequeueCount = property(queues, 'maxDequeueCount');
  if (maxDequeueCount !== undefined) {
    options.maxDequeueCount = integerSetting('extensions.queues.maxDequeueCount', maxDequeueCount, 1);
  }
  const visibilityTimeout = property(queues, 'visibilityTimeout');
  if (visibilityTimeout !== undefined) {
    options.visibilityTimeoutInMs = timeSpanSetting('extensions.queues.visibilityTimeout', visibilityTimeout);
  }
  const maxPollingInterval = property(queues, 'maxPollingInterval');
  if (maxPollingInterval !== undefined) {
    // The 2.x extension took milliseconds, later ones a TimeSpan: accept both.
    const inMs =
      typeof maxPollingInterval === 'number' ||
      (typeof maxPollingInterval === 'string' && /^\d+$/.test(maxPollingInterval))
        ? Number(maxPollingInterval)
        : timeSpanSetting('extensions.queues.maxPollingInterval', maxPollingInterval);
    if (inMs < 100) {
      throw new Error('host.json extensions.queues.maxPollingInterval must not be less than 00:00:00.100.');
    }
    options.maxPollingIntervalInMs = inMs;
  }
  const messageEncoding = property(queues, 'messageEncoding');
  if (messageEncoding !== undefined) {
    const encoding = typeof messageEncoding === 'string' ? messageEncoding.toLowerCase() : undefined;
    if (encoding !== 'base64' && encoding !== 'none') {
      throw new Error(
        `host.json extensions.queues.messageEncoding must be "base64" or "none", not ${JSON.stringify(messageEncoding)}.`,
      );
    }
    options.messageEncoding = encoding;
  }
  return options;
}

/**
 * Parses a .NET TimeSpan string (`hh:mm:ss`, `hh:mm:ss.fff`, `d.hh:mm:ss`, `hh:mm`).
 *
 * @returns the duration in milliseconds, or undefined when `value` is not a TimeSpan.
 */
export function parseTimeSpanInMs(value: string): number | undefined {
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,7}))?)?$/.exec(value.trim());
  if (match === null) {
    return undefined;
  }
  const [, days = '0', hours = '0', minutes = '0', seconds = '0', fraction = ''] = match;
  if (Number(hours) > 23 || Number(minutes) > 59 || Number(seconds) > 59) {
    return undefined;
  }
  const fractionInMs = fraction === '' ? 0 : Number(`0.${fraction}`) * 1000;
  return (
    (((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000 +
    Math.round(fractionInMs)
  );
}

function timeSpanSetting(name: string, value: unknown): number {
  const inMs = typeof value === 'string' ? parseTimeSpanInMs(value) : undefined;
  if (inMs === undefined) {
    throw new Error(`host.json ${name} must be a TimeSpan such as "00:00:30", not ${JSON.stringify(value)}.`);
  }
  return inMs;
}

function integerSetting(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max) {
    throw new Error(`host.json ${name} must be an integer from ${min} to ${max}, not ${JSON.stringify(value)}.`);
  }
  return number;
}

function applyOverrides(json: Record<string, unknown>, env: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || !name.toLowerCase().startsWith(OVERRIDE_PREFIX)) {
      continue;
    }
    const path = name
      .slice(OVERRIDE_PREFIX.length)
      .split('__')
      .filter((part) => part !== '');
    let target = json;
    for (const [index, part] of path.entries()) {
      const key = Object.keys(target).find((candidate) => candidate.toLowerCase() === part.toLowerCase()) ?? part;
      if (index === path.length - 1) {
        target[key] = value;
      } else {
        const next = target[key];
        target = typeof next === 'object' && next !== null ? (next as Record<string, unknown>) : (target[key] = {});
      }
    }
  }
}
