// What the real Functions host makes of a request target before its worker sees it. The host is ASP.NET Core on
// Kestrel: Kestrel decodes the path (every escape but %2F; invalid UTF-8 left as it was) and removes dot segments;
// routing (the classic Route/TemplateMatcher of WebJobsRouter) matches that decoded path, so route values are
// decoded except %2F; and RpcHttp.url is built as `${scheme}://${Host}${Path}${QueryString}`
// (GrpcMessageConversionExtensions.ToRpcHttp), where `Path` prints as PathString.ToUriComponent(): characters that
// may not stand in a path are escaped again, a `%XX` that is already there is kept. So `a%2Fb` and `a%252Fb` both
// reach the app as `a%2Fb`. The cases are pinned against a real Kestrel in test/fixtures/kestrel (tools/kestrel-probe).

export interface HostRequestTarget {
  /** `HttpRequest.Path.Value`: decoded except `%2F`, dot segments removed. What routes match. */
  path: string;
  /** The path as the URL handed to the worker prints it (`PathString.ToUriComponent()`). */
  urlPath: string;
  /** The query as it arrived, with its `?`, or empty: ASP.NET Core keeps it raw. */
  queryString: string;
}

/**
 * Decodes a request target (origin or absolute form) as Kestrel does.
 *
 * @returns undefined where Kestrel answers 400 (a decoded NUL, a target that is not a path).
 */
export function decodeRequestTarget(target: string): HostRequestTarget | undefined {
  const origin = target.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '');
  if (!origin.startsWith('/')) return undefined;
  const queryStart = origin.indexOf('?');
  const rawPath = queryStart === -1 ? origin : origin.slice(0, queryStart);
  const decoded = percentDecode(rawPath, { keepSlash: true });
  if (decoded === undefined) return undefined;
  const path = removeDotSegments(decoded);
  return { path, urlPath: toUriComponent(path), queryString: queryStart === -1 ? '' : origin.slice(queryStart) };
}

/**
 * Query values by name as the host's `request.Query` holds them (QueryHelpers: `+` is a space, escapes decoded
 * once, invalid UTF-8 left as it was; names compared without case); a repeated name's values joined with `,` as
 * StringValues prints them.
 */
export function parseQueryString(queryString: string): Record<string, string> {
  const values = new Map<string, string[]>();
  const spelling = new Map<string, string>();
  for (const pair of queryString.replace(/^\?/, '').split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const [name, value] = equals === -1 ? [pair, ''] : [pair.slice(0, equals), pair.slice(equals + 1)];
    const decode = (text: string) => percentDecode(text.replace(/\+/g, ' '), { keepSlash: false }) ?? text;
    const decodedName = decode(name);
    const key = decodedName.toLowerCase();
    if (!spelling.has(key)) spelling.set(key, decodedName);
    values.set(key, [...(values.get(key) ?? []), decode(value)]);
  }
  return Object.fromEntries([...values].map(([key, list]) => [spelling.get(key) ?? key, list.join(',')]));
}

const HEX = /^[0-9A-Fa-f]{2}$/;

function hexByte(text: string, index: number): number | undefined {
  if (text[index] !== '%') return undefined;
  const digits = text.slice(index + 1, index + 3);
  return HEX.test(digits) ? parseInt(digits, 16) : undefined;
}

/** Bytes a UTF-8 sequence has, from its lead byte; 0 for a byte that cannot lead one. */
function sequenceLength(lead: number): number {
  if (lead >= 0xc0 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf7) return 4;
  return 0;
}

const SMALLEST_CODE_POINT = [0, 0, 0x80, 0x800, 0x10000];

/**
 * Kestrel's UrlDecoder: `%XX` escapes decoded, multi-byte ones as UTF-8; a sequence that is not valid UTF-8
 * (stray continuation byte, overlong form, surrogate, past U+10FFFF, cut short) stays as the text it was, up to
 * the escape that broke it, which is read again. `%` not followed by two hex digits stays a `%`.
 *
 * @returns undefined for an escaped NUL, which Kestrel refuses with 400 in a path.
 */
function percentDecode(text: string, options: { keepSlash: boolean }): string | undefined {
  let out = '';
  let index = 0;
  while (index < text.length) {
    const byte = hexByte(text, index);
    if (byte === undefined) {
      out += text[index];
      index += 1;
      continue;
    }
    if (byte === 0x2f && options.keepSlash) {
      out += text.slice(index, index + 3);
      index += 3;
      continue;
    }
    if (byte === 0 && options.keepSlash) return undefined;
    if (byte < 0x80) {
      out += String.fromCharCode(byte);
      index += 3;
      continue;
    }
    const length = sequenceLength(byte);
    let codePoint = length === 2 ? byte & 0x1f : length === 3 ? byte & 0x0f : byte & 0x07;
    let next = index + 3;
    let complete = length > 0;
    for (let position = 1; complete && position < length; position += 1) {
      const continuation = hexByte(text, next);
      if (continuation === undefined || (continuation & 0xc0) !== 0x80) {
        complete = false;
        break;
      }
      codePoint = (codePoint << 6) | (continuation & 0x3f);
      next += 3;
    }
    const valid =
      complete &&
      codePoint >= SMALLEST_CODE_POINT[length] &&
      codePoint <= 0x10ffff &&
      !(codePoint >= 0xd800 && codePoint <= 0xdfff);
    out += valid ? String.fromCodePoint(codePoint) : text.slice(index, next);
    index = next;
  }
  return out;
}

/** RFC 3986 5.2.4, as Kestrel's PathNormalizer applies it to the decoded path. */
function removeDotSegments(path: string): string {
  const output: string[] = [];
  const segments = path.split('/').slice(1);
  for (const [position, segment] of segments.entries()) {
    const last = position === segments.length - 1;
    if (segment === '.' || segment === '..') {
      if (segment === '..' && output.length > 0) output.pop();
      if (last) output.push('');
    } else {
      output.push(segment);
    }
  }
  return `/${output.join('/')}`;
}

/** Characters PathString keeps as they are (PathStringHelper.IsValidPathChar); everything else is escaped. */
const VALID_PATH_CHAR = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/]$/;

/** PathString.ToUriComponent(): a `%XX` already there is kept, characters not valid in a path are escaped. */
function toUriComponent(path: string): string {
  let out = '';
  for (let index = 0; index < path.length;) {
    if (path[index] === '%' && HEX.test(path.slice(index + 1, index + 3))) {
      out += path.slice(index, index + 3);
      index += 3;
      continue;
    }
    const char = String.fromCodePoint(path.codePointAt(index) ?? 0);
    out += VALID_PATH_CHAR.test(char) ? char : encodeURIComponent(char);
    index += char.length;
  }
  return out;
}
