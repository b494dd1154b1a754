import { app } from '@azure/functions';

import { parseJsonBody } from '../http/body';
import { authenticated, json } from '../http/handler';
import { notFound } from '../errors/errors';
import { teamsTokenRequestSchema, tokenRequestSchema } from '../http/schemas';
import type { IssuedToken } from '../identity/identity-service';
import { resolveTokenRequest } from '../identity/token-policy';
import { recordTokenIssued } from '../telemetry';

const tokenBody = (token: IssuedToken) => ({
  communicationUserId: token.communicationUserId,
  token: token.token,
  expiresOn: token.expiresOn.toISOString(),
  scopes: token.scopes,
});

app.http('issueToken', {
  methods: ['POST'],
  route: 'tokens',
  authLevel: 'anonymous',
  handler: authenticated(async (request, context, { identities, config }, principal) => {
    const tokenRequest = resolveTokenRequest(await parseJsonBody(request, tokenRequestSchema), config.tokens);
    const token = await identities.issueToken(principal, tokenRequest, { cause: { kind: 'caller' }, log: context });
    recordTokenIssued(token.created ? 'created' : 'existing', token.scopes);
    return json(token.created ? 201 : 200, tokenBody(token));
  }),
});

app.http('refreshToken', {
  methods: ['POST'],
  route: 'tokens/refresh',
  authLevel: 'anonymous',
  handler: authenticated(async (request, _context, { identities, config }, principal) => {
    const tokenRequest = resolveTokenRequest(await parseJsonBody(request, tokenRequestSchema), config.tokens);
    const token = await identities.refreshToken(principal, tokenRequest);
    recordTokenIssued('refresh', token.scopes);
    return json(200, tokenBody(token));
  }),
});

app.http('exchangeTeamsToken', {
  methods: ['POST'],
  route: 'tokens/teams',
  authLevel: 'anonymous',
  handler: authenticated(async (request, _context, { acs, config }, principal) => {
    if (!config.teams) throw notFound('teams_disabled', 'The Teams token exchange is not configured (TEAMS_APP_ID).');
    const { teamsUserAadToken } = await parseJsonBody(request, teamsTokenRequestSchema);
    // Rarely used: loaded on first use, not at cold start.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { exchangeTeamsToken } = require('../teams/teams-exchange') as typeof import('../teams/teams-exchange');
    const token = await exchangeTeamsToken(acs, config.teams.appId, principal, teamsUserAadToken);
    return json(200, { communicationUserId: token.communicationUserId, token: token.token, expiresOn: token.expiresOn.toISOString() });
  }),
});
