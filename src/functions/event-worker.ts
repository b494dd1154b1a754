import { app } from '@azure/functions';

import { withRoot } from '../app/bind';
import { processIdentityEvent } from '../handlers/events';

app.storageQueue('processIdentityEvent', {
  queueName: '%EVENTS_QUEUE_NAME%',
  connection: 'IdentityStorage',
  handler: withRoot(processIdentityEvent),
});
