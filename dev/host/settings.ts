import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const LOCAL_SETTINGS_FILE = 'local.settings.json';
/** Read instead when local.settings.json does not exist (a fresh clone: the real file is git-ignored). */
export const LOCAL_SETTINGS_SAMPLE_FILE = 'local.settings.sample.json';

export interface LocalSettings {
  /** The file the settings came from; undefined when neither file exists. */
  file: string | undefined;
  /** `Values`: app settings, the environment of the app. */
  values: Record<string, string>;
  /** `Host.LocalHttpPort`. */
  localHttpPort: number | undefined;
  /** `Host.CORS`: comma-separated origins or `*`. */
  cors: string | undefined;
  /** `Host.CORSCredentials`. */
  corsCredentials: boolean;
}

type Environment = Record<string, string | undefined>;

/**
 * Reads `<appRoot>/local.settings.json` the way Core Tools does, falling back to
 * `local.settings.sample.json`. Keys of the file are matched case-insensitively, as the
 * .NET deserializer Core Tools uses does.
 */
export function readLocalSettings(appRoot: string): LocalSettings {
  const file = [LOCAL_SETTINGS_FILE, LOCAL_SETTINGS_SAMPLE_FILE]
    .map((name) => join(appRoot, name))
    .find((path) => existsSync(path));
  if (file === undefined) {
    return { file, values: {}, localHttpPort: undefined, cors: undefined, corsCredentials: false };
  }

  const content = parseJsonFile(file);
  if (property(content, 'IsEncrypted') === true) {
    throw new Error(`${file}: encrypted settings ("IsEncrypted": true) are not supported by the local host.`);
  }
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(asObject(property(content, 'Values')))) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      values[name] = String(value);
    } else if (value !== null && value !== undefined) {
      throw new Error(`${file}: Values.${name} must be a string.`);
    }
  }
  const host = asObject(property(content, 'Host'));
  const port = property(host, 'LocalHttpPort');
  const cors = property(host, 'CORS');
  const credentials = property(host, 'CORSCredentials');
  return {
    file,
    values,
    localHttpPort: port === undefined || port === null || port === '' ? undefined : Number(port),
    cors: typeof cors === 'string' && cors.trim() !== '' ? cors : undefined,
    corsCredentials: credentials === true || String(credentials).toLowerCase() === 'true',
  };
}

/**
 * Puts app settings into the environment: a variable already set wins over the file value
 * (as with `func start`), and `overrides` win over everything.
 *
 * @returns the names of file values that were skipped because the environment had them.
 */
export function applySettings(
  fileValues: Record<string, string>,
  overrides: Record<string, string> = {},
  env: Environment = process.env,
): string[] {
  const skipped: string[] = [];
  for (const [name, value] of Object.entries(fileValues)) {
    if (env[name] === undefined) {
      env[name] = value;
    } else {
      skipped.push(name);
    }
  }
  Object.assign(env, overrides);
  return skipped;
}

/** An app setting by name; exact name first, then case-insensitively, as app settings are. */
export function getSetting(name: string, env: Environment = process.env): string | undefined {
  const exact = env[name];
  if (exact !== undefined) {
    return exact;
  }
  const lower = name.toLowerCase();
  const key = Object.keys(env).find((candidate) => candidate.toLowerCase() === lower);
  return key === undefined ? undefined : env[key];
}

/**
 * Resolves `%NAME%` binding expressions (e.g. `queueName: '%EVENTS_QUEUE_NAME%'`) from app
 * settings; a value without `%` is returned as is.
 *
 * @throws when a referenced setting is missing, naming it, as the real host reports it.
 */
export function resolveBindingExpression(value: string, env: Environment = process.env): string {
  return value.replace(/%([^%]+)%/g, (_match, name: string) => {
    const resolved = getSetting(name, env);
    if (resolved === undefined) {
      throw new Error(`'%${name}%' does not resolve to a value: app setting '${name}' is not set.`);
    }
    return resolved;
  });
}

function parseJsonFile(file: string): unknown {
  const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(`${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

function asObject(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** A property looked up case-insensitively. */
export function property(value: unknown, name: string): unknown {
  const object = asObject(value);
  if (name in object) {
    return object[name];
  }
  const lower = name.toLowerCase();
  const key = Object.keys(object).find((candidate) => candidate.toLowerCase() === lower);
  return key === undefined ? undefined : object[key];
}
