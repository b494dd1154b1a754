import { app } from '@azure/functions';

import { fromRoot } from '../app/bind';
import { createIdentity, deleteIdentity, getIdentity, revokeTokens } from '../handlers/identities';

app.http('createIdentity', {
  methods: ['POST'],
  route: 'identities',
  authLevel: 'anonymous',
  handler: fromRoot(createIdentity),
});

app.http('getIdentity', {
  methods: ['GET'],
  route: 'identities/me',
  authLevel: 'anonymous',
  handler: fromRoot(getIdentity),
});

app.http('revokeTokens', {
  methods: ['POST'],
  route: 'identities/me/revoke',
  authLevel: 'anonymous',
  handler: fromRoot(revokeTokens),
});

app.http('deleteIdentity', {
  methods: ['DELETE'],
  route: 'identities/me',
  authLevel: 'anonymous',
  handler: fromRoot(deleteIdentity),
});
