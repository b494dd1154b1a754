import { app } from '@azure/functions';

import { fromRoot } from '../app/bind';
import { exchangeTeamsToken, issueToken, refreshToken } from '../handlers/tokens';

app.http('issueToken', {
  methods: ['POST'],
  route: 'tokens',
  authLevel: 'anonymous',
  handler: fromRoot(issueToken),
});

app.http('refreshToken', {
  methods: ['POST'],
  route: 'tokens/refresh',
  authLevel: 'anonymous',
  handler: fromRoot(refreshToken),
});

app.http('exchangeTeamsToken', {
  methods: ['POST'],
  route: 'tokens/teams',
  authLevel: 'anonymous',
  handler: fromRoot(exchangeTeamsToken),
});
