import { app } from '@azure/functions';

import { fromRoot, withRoot } from '../app/bind';
import { getRevocationJob, processRevocationStep, startRevocationJob } from '../handlers/revocations';

// Not under `admin/`: the Functions host reserves routes starting with `admin` for its own API.
app.http('startRevocationJob', {
  methods: ['POST'],
  route: 'revocations',
  authLevel: 'anonymous',
  handler: fromRoot(startRevocationJob),
});

app.http('getRevocationJob', {
  methods: ['GET'],
  route: 'revocations/{jobId}',
  authLevel: 'anonymous',
  handler: fromRoot(getRevocationJob),
});

app.storageQueue('processRevocationStep', {
  queueName: '%JOBS_QUEUE_NAME%',
  connection: 'IdentityStorage',
  handler: withRoot(processRevocationStep),
});
