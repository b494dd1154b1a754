import { app } from '@azure/functions';

import { fromRoot } from '../app/bind';
import { adminDeleteUser, adminEnableUser, adminGetAudit, adminGetUser, adminRevokeUser } from '../handlers/admin';

app.http('adminGetUser', {
  methods: ['GET'],
  route: 'users/{userId}',
  authLevel: 'anonymous',
  handler: fromRoot(adminGetUser),
});

app.http('adminRevokeUser', {
  methods: ['POST'],
  route: 'users/{userId}/revoke',
  authLevel: 'anonymous',
  handler: fromRoot(adminRevokeUser),
});

app.http('adminEnableUser', {
  methods: ['POST'],
  route: 'users/{userId}/enable',
  authLevel: 'anonymous',
  handler: fromRoot(adminEnableUser),
});

app.http('adminDeleteUser', {
  methods: ['DELETE'],
  route: 'users/{userId}',
  authLevel: 'anonymous',
  handler: fromRoot(adminDeleteUser),
});

app.http('adminGetAudit', {
  methods: ['GET'],
  route: 'users/{userId}/audit',
  authLevel: 'anonymous',
  handler: fromRoot(adminGetAudit),
});
