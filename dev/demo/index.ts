import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, resolve } from 'node:path';

import type { ExtraRoute } from '../host';
import { requestDevToken } from '../oidc/client';
import { bundlePageScript } from './bundle';

export interface DemoOptions {
  /** The development OIDC issuer, which signs the demo's bearer tokens. */
  issuerUrl: string;
  /** The ACS emulator, whose control API judges the demo's ACS tokens. */
  acsUrl: string;
  log?: (level: string, message: string) => void;
}

/** The page's files are read from the source folder (this module also runs compiled, from dist/dev/demo). */
const sourceDir = existsSync(join(__dirname, 'page.html'))
  ? __dirname
  : resolve(__dirname, '..', '..', '..', 'dev', 'demo');

const MAX_BODY_SIZE_IN_BYTES = 16 * 1024;
const MAX_USER_ID_LENGTH = 256;

// The page needs nothing from elsewhere: its script, its API calls and its dev routes are all same-origin.
const pageSecurityHeaders = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
  'Cache-Control': 'no-store',
};

/**
 * The local stack's demo page, for development only (served by the local functions host outside /api, never
 * deployed): `GET /demo` (and `/`, redirected), its script `GET /demo/app.js` (bundled with esbuild now, while
 * the stack starts), and two same-origin dev routes the page needs: `POST /demo/dev-token {userId}` signs the
 * user in at the development issuer, `POST /demo/verify {token}` asks the ACS emulator whether a token is valid.
 *
 * @param options - the development issuer's and the ACS emulator's URLs.
 */
export function demoRoutes(options: DemoOptions): ExtraRoute[] {
  const script = bundlePageScript(join(sourceDir, 'page.js'));
  script.catch((error: unknown) =>
    options.log?.('error', `The demo page's script could not be bundled: ${(error as Error).message}`),
  );

  return [
    { method: 'GET', path: '/', handler: (_req, res) => redirect(res, '/demo') },
    {
      method: 'GET',
      path: '/demo',
      handler: (_req, res) =>
        send(
          res,
          200,
          { 'Content-Type': 'text/html; charset=utf-8', ...pageSecurityHeaders },
          readFileSync(join(sourceDir, 'page.html')),
        ),
    },
    {
      method: 'GET',
      path: '/demo/app.js',
      handler: async (_req, res) => {
        const code = await script.catch(() => undefined);
        if (code === undefined)
          return sendJson(res, 500, { error: 'The demo script could not be bundled; see the stack log.' });
        send(res, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-store' }, code);
      },
    },
    {
      method: 'POST',
      path: '/demo/dev-token',
      handler: async (req, res) => {
        const { userId } = (await readJson(req)) ?? {};
        if (typeof userId !== 'string' || userId.trim() === '' || userId.length > MAX_USER_ID_LENGTH) {
          return sendJson(res, 400, {
            error: `userId must be a non-empty string of at most ${MAX_USER_ID_LENGTH} characters`,
          });
        }
        const accessToken = await requestDevToken(options.issuerUrl, userId.trim()).catch(() => undefined);
        if (accessToken === undefined)
          return sendJson(res, 502, { error: 'the development issuer did not issue a token' });
        sendJson(res, 200, { accessToken });
      },
    },
    {
      method: 'POST',
      path: '/demo/verify',
      handler: async (req, res) => {
        const { token } = (await readJson(req)) ?? {};
        if (typeof token !== 'string' || token === '')
          return sendJson(res, 400, { error: 'token must be a non-empty string' });
        const verdict = await fetch(new URL('_emulator/verify', options.acsUrl), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ token }),
        })
          .then(async (response) => (response.ok ? response.json() : undefined))
          .catch(() => undefined);
        if (verdict === undefined) return sendJson(res, 502, { error: 'the ACS emulator did not answer' });
        sendJson(res, 200, verdict);
      },
    },
  ];
}

/** The request's JSON object, or undefined when the body is not one (or too large). */
async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_SIZE_IN_BYTES) {
      req.resume();
      return undefined;
    }
    chunks.push(chunk);
  }
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function redirect(res: ServerResponse, location: string): void {
  send(res, 302, { Location: location }, '');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(
    res,
    status,
    { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
    JSON.stringify(body),
  );
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer): void {
  res.writeHead(status, { ...headers, 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(body);
}
