import { AcsError, validationError } from './errors';

/** The five scopes an ACS access token can carry. */
export const supportedScopes = ['chat', 'chat.join', 'chat.join.limited', 'voip', 'voip.join'] as const;
export type SupportedScope = (typeof supportedScopes)[number];

/** A GUID in its usual 8-4-4-4-12 hex form, any case. */
export const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const MIN_EXPIRES_IN_MINUTES = 60;
export const MAX_EXPIRES_IN_MINUTES = 1440;
export const DEFAULT_EXPIRES_IN_MINUTES = 1440;

const isSupportedScope = (value: unknown): value is SupportedScope =>
  (supportedScopes as readonly unknown[]).includes(value);

/** Shows a client-supplied value in a message without letting it grow the message unboundedly. */
const shown = (value: unknown): string => {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return text.length > 64 ? `${text.slice(0, 64)}...` : text;
};

/**
 * Parses the JSON body of an API request. An empty body is `undefined` (createUser sends none).
 * @throws AcsError 400 when the body is not JSON or not a JSON object
 */
export function parseRequestJson(body: Buffer): Record<string, unknown> | undefined {
  if (body.length === 0) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    // emulator: ASP.NET's own text names the byte position; the code is what clients branch on.
    throw new AcsError(400, 'BadRequest', 'The request body is not valid JSON.');
  }
  if (value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new AcsError(400, 'BadRequest', 'The request body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}

/**
 * Validates requested scopes as the service does: a non-empty list drawn from {@link supportedScopes}.
 * Duplicates are dropped, order kept.
 * @param value - `scopes` of issueAccessToken or `createTokenWithScopes` of create
 * @param target - the field name reported in the error
 * @throws AcsError 400 `ValidationError`
 */
export function parseScopes(value: unknown, target: string): SupportedScope[] {
  // Live text for a missing or empty list (SDK tests assert on it).
  if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) {
    throw validationError('Invalid scopes - Scopes field is required.', target);
  }
  // emulator: the two messages below follow the live one's pattern.
  if (!Array.isArray(value))
    throw validationError('Invalid scopes - Scopes field must be an array of scope names.', target);
  const unknown: unknown = (value as unknown[]).find((scope) => !isSupportedScope(scope));
  if (unknown !== undefined) {
    throw validationError(
      `Invalid scopes - Scope '${shown(unknown)}' is not supported. Supported scopes: ${supportedScopes.join(', ')}.`,
      target,
    );
  }
  return [...new Set(value as SupportedScope[])];
}

/**
 * Validates a token lifetime: an integer in [60, 1440], 1440 when absent.
 * @throws AcsError 400 `ValidationError`
 */
export function parseExpiresInMinutes(value: unknown): number {
  if (value === undefined || value === null) return DEFAULT_EXPIRES_IN_MINUTES;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    // emulator: what System.Text.Json answers for a value that is no Int32.
    throw validationError(
      'The JSON value could not be converted to System.Int32. Path: $.expiresInMinutes',
      'expiresInMinutes',
    );
  }
  if (value < MIN_EXPIRES_IN_MINUTES || value > MAX_EXPIRES_IN_MINUTES) {
    // Live text.
    throw validationError(
      `ExpiresInMinutes value ${value} is invalid. Value must be within the [${MIN_EXPIRES_IN_MINUTES}, ${MAX_EXPIRES_IN_MINUTES}] interval.`,
      'ExpiresInMinutes',
    );
  }
  return value;
}

/**
 * `customId` of a create (api-version 2025-03-02-preview): a non-empty string, or absent.
 * emulator: the live service's length limit is not documented; 256 characters is this emulator's own bound.
 * @throws AcsError 400 `ValidationError`
 */
export function parseCustomId(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > 256) {
    throw validationError('customId must be a string of 1 to 256 characters.', 'customId');
  }
  return value;
}
