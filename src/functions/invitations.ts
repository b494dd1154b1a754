import { app } from '@azure/functions';

import { fromRoot, withRoot } from '../app/bind';
import {
  cleanupGuests,
  createInvitation,
  getInvitation,
  redeemInvitation,
  revokeInvitation,
} from '../handlers/invitations';

app.http('createInvitation', {
  methods: ['POST'],
  route: 'invitations',
  authLevel: 'anonymous',
  handler: fromRoot(createInvitation),
});

app.http('getInvitation', {
  methods: ['GET'],
  route: 'invitations/{id}',
  authLevel: 'anonymous',
  handler: fromRoot(getInvitation),
});

app.http('revokeInvitation', {
  methods: ['DELETE'],
  route: 'invitations/{id}',
  authLevel: 'anonymous',
  handler: fromRoot(revokeInvitation),
});

app.http('redeemInvitation', {
  methods: ['POST'],
  route: 'guest/tokens',
  authLevel: 'anonymous',
  handler: fromRoot(redeemInvitation),
});

/** Every minute: a guest identity outlives its invitation by a few minutes at most. */
app.timer('cleanupGuests', { schedule: '0 * * * * *', handler: withRoot(cleanupGuests) });
