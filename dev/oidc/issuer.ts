import type { IncomingMessage } from 'node:http';

import { OAuth2Server } from 'oauth2-mock-server';

import { urlHost } from '../shared/url-host';

/** The audience the local stack's API accepts (AUTH_AUDIENCES in local.settings.sample.json). */
export const devAudience = 'api://acs-token-service';

export interface DevIssuer {
  /** The issuer URL, e.g. http://127.0.0.1:7090 (also its `iss` claim). */
  url: string;
  port: number;
  stop(): Promise<void>;
}

type TokenRequestBody = { username?: string; roles?: string; claims?: string; aud?: string; expires_in?: string };

/**
 * A real OIDC issuer for development and tests (oauth2-mock-server): discovery, JWKS with an RS256 key, and a
 * token endpoint. Ask for a user's token with the password grant:
 * `POST /token` `grant_type=password&username=<userId>[&roles=Identity.Admin][&claims={"oid":"..."}][&aud=...]`.
 * `sub` is the user id; `aud` defaults to {@link devAudience}.
 */
export async function startDevIssuer(
  options: { port?: number; host?: string; audience?: string } = {},
): Promise<DevIssuer> {
  const server = new OAuth2Server();
  await server.issuer.keys.generate('RS256');
  server.service.on(
    'beforeTokenSigning',
    (token: { payload: Record<string, unknown> }, req: IncomingMessage & { body?: TokenRequestBody }) => {
      const body = req.body ?? {};
      if (body.username) token.payload['sub'] = body.username;
      token.payload['aud'] = body.aud ?? options.audience ?? devAudience;
      if (body.roles) token.payload['roles'] = body.roles.split(',').filter(Boolean);
      if (body.claims) Object.assign(token.payload, JSON.parse(body.claims) as Record<string, unknown>);
      if (body.expires_in) token.payload['exp'] = Math.floor(Date.now() / 1000) + Number(body.expires_in);
    },
  );
  const host = options.host ?? '127.0.0.1';
  await server.start(options.port ?? 7090, host);
  const port = server.address().port;
  // The library names the issuer after "localhost"; keep it on the address we listen on, as the settings expect.
  server.issuer.url = `http://${urlHost(host)}:${port}`;
  return { url: server.issuer.url, port, stop: () => server.stop() };
}
