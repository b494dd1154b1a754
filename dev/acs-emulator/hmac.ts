import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

import { denied } from './errors';

/** How far `x-ms-date` may be from the emulator's clock, either way. */
export const MAX_CLOCK_SKEW_IN_MS = 15 * 60 * 1000;

/**
 * The headers every request must sign: `host`, `x-ms-content-sha256` and a date. `@azure/communication-common` signs
 * `x-ms-date`; older SDKs and hand-written clients sign `date` (`SignedHeaders=date;host;x-ms-content-sha256`).
 */
const REQUIRED_SIGNED_HEADERS = ['host', 'x-ms-content-sha256'] as const;
const DATE_HEADERS = ['x-ms-date', 'date'] as const;

const AUTHORIZATION = /^HMAC-SHA256\s+SignedHeaders=([^&\s]+)&Signature=(\S+)$/i;

/** A request as it reached the server, before anything was parsed. */
export interface SignedRequest {
  method: string;
  /** The request target as received (`req.url`): path and query, percent-encoding untouched. */
  target: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Base64 SHA-256 of a body, the value of `x-ms-content-sha256`. */
export const computeContentHash = (body: Buffer | string): string => createHash('sha256').update(body).digest('base64');

/** Base64 HMAC-SHA256 of a string to sign, keyed with the base64-decoded access key. */
export const computeSignature = (accessKey: string, stringToSign: string): string =>
  createHmac('sha256', Buffer.from(accessKey, 'base64')).update(stringToSign, 'utf8').digest('base64');

const headerValue = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
};

const safeEqual = (a: string, b: string): boolean => {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
};

/**
 * The path-and-query forms a client may have signed. The SDK signs `url.pathname` plus
 * `url.searchParams.toString()` of the URL it sends; a hand-written client (the ACS HMAC tutorial)
 * signs the raw target. They only differ when the query needs re-encoding.
 */
const signedPathAndQueryForms = (target: string): string[] => {
  const url = new URL(`http://emulator.invalid${target.startsWith('/') ? target : `/${target}`}`);
  const query = url.searchParams.toString();
  const sdkForm = query === '' ? url.pathname : `${url.pathname}?${query}`;
  return sdkForm === target ? [target] : [sdkForm, target];
};

/**
 * Verifies a request's HMAC-SHA256 signature exactly as ACS checks what `@azure/communication-common` signs:
 * `Authorization: HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=<base64>` (or `date`
 * in place of `x-ms-date`) over
 * `VERB\npathAndQuery\n<values of the signed headers joined by ';'>`.
 * @param request - the request as received
 * @param accessKey - the resource's access key (base64)
 * @param nowInMs - the emulator's clock
 * @throws AcsError 401 `Denied` when anything is missing, stale or does not match
 */
export function verifyHmac(request: SignedRequest, accessKey: string, nowInMs: number): void {
  const authorization = headerValue(request.headers, 'authorization');
  if (authorization === undefined) throw denied('no Authorization header');
  const match = AUTHORIZATION.exec(authorization.trim());
  if (match === null) throw denied('Authorization is not "HMAC-SHA256 SignedHeaders=...&Signature=..."');
  const [, signedHeaderList = '', providedSignature = ''] = match;
  const signedHeaders = signedHeaderList.toLowerCase().split(';');
  const unsigned = REQUIRED_SIGNED_HEADERS.filter((name) => !signedHeaders.includes(name));
  if (unsigned.length > 0) throw denied(`SignedHeaders lacks ${unsigned.join(', ')}`);
  // The signed date header: x-ms-date when both are signed (a browser cannot set `date`).
  const dateHeader = DATE_HEADERS.find((name) => signedHeaders.includes(name));
  if (dateHeader === undefined) throw denied('SignedHeaders lacks x-ms-date (or date)');

  const date = headerValue(request.headers, dateHeader);
  const dateInMs = date === undefined ? Number.NaN : Date.parse(date);
  if (Number.isNaN(dateInMs)) throw denied(`${dateHeader} missing or not a date`);
  if (Math.abs(nowInMs - dateInMs) > MAX_CLOCK_SKEW_IN_MS) {
    throw denied(
      `${dateHeader} more than 15 minutes off`,
      `The request ${dateHeader} is more than 15 minutes away from the server time.`,
    );
  }

  const claimedHash = headerValue(request.headers, 'x-ms-content-sha256');
  if (claimedHash === undefined) throw denied('no x-ms-content-sha256 header');
  if (!safeEqual(claimedHash, computeContentHash(request.body))) {
    throw denied('body hash mismatch', "Request 'x-ms-content-sha256' differs from generated content hash.");
  }

  const values: string[] = [];
  for (const name of signedHeaders) {
    const value = headerValue(request.headers, name);
    if (value === undefined) throw denied(`signed header ${name} is missing`);
    values.push(value);
  }
  const method = request.method.toUpperCase();
  const matches = signedPathAndQueryForms(request.target).some((pathAndQuery) =>
    safeEqual(providedSignature, computeSignature(accessKey, `${method}\n${pathAndQuery}\n${values.join(';')}`)),
  );
  if (!matches) throw denied('signature mismatch');
}
