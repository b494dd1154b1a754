import { app } from '@azure/functions';

import { fromRoot } from '../app/bind';
import { eventGridWebhook, graphWebhook, oktaWebhook, standardWebhook } from '../handlers/webhooks';

app.http('graphWebhook', {
  methods: ['POST'],
  route: 'webhooks/graph',
  authLevel: 'anonymous',
  handler: fromRoot(graphWebhook),
});
app.http('oktaWebhook', {
  methods: ['GET', 'POST'],
  route: 'webhooks/okta',
  authLevel: 'anonymous',
  handler: fromRoot(oktaWebhook),
});
app.http('standardWebhook', {
  methods: ['POST'],
  route: 'webhooks/events',
  authLevel: 'anonymous',
  handler: fromRoot(standardWebhook),
});
app.http('eventGridWebhook', {
  methods: ['OPTIONS', 'POST'],
  route: 'webhooks/eventgrid',
  authLevel: 'anonymous',
  handler: fromRoot(eventGridWebhook),
});
