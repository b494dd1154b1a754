import { parseJsonBody } from '../http/body';
import { authenticated, clientIpOf, json } from './handler';
import { notFound } from '../domain/errors';
import { teamsTokenRequestSchema, tokenRequestSchema } from '../http/schemas';
import type { IssuedToken } from '../identity/identity-service';

const tokenBody = (token: IssuedToken) => ({
  communicationUserId: token.communicationUserId,
  token: token.token,
  expiresOn: token.expiresOn.toISOString(),
  scopes: token.scopes,
});

export const issueToken = authenticated(async (request, context, { identities }, principal) => {
  const body = await parseJsonBody(request, tokenRequestSchema);
  const token = await identities.issueToken({ ...principal, clientIp: clientIpOf(request) }, body, {
    cause: { kind: 'caller' },
    log: context,
  });
  return json(token.created ? 201 : 200, tokenBody(token));
});

export const refreshToken = authenticated(async (request, context, { identities }, principal) => {
  const body = await parseJsonBody(request, tokenRequestSchema);
  const token = await identities.refreshToken({ ...principal, clientIp: clientIpOf(request) }, body, {
    cause: { kind: 'caller' },
    log: context,
  });
  return json(200, tokenBody(token));
});

export const exchangeTeamsToken = authenticated(async (request, _context, { acs, config }, principal) => {
  if (!config.teams) throw notFound('teams_disabled', 'The Teams token exchange is not configured (TEAMS_APP_ID).');
  const { teamsUserAadToken } = await parseJsonBody(request, teamsTokenRequestSchema);
  // Rarely used: loaded on first use, not at cold start.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { exchangeTeamsUserToken } = require('../teams/teams-exchange') as typeof import('../teams/teams-exchange');
  const token = await exchangeTeamsUserToken(acs, config.teams.appId, principal, teamsUserAadToken);
  return json(200, {
    communicationUserId: token.communicationUserId,
    token: token.token,
    expiresOn: token.expiresOn.toISOString(),
  });
});
