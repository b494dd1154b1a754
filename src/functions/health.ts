import { app } from '@azure/functions';

import { version } from '../app/version';

/** Anonymous liveness probe; touches no dependency so that probes cost nothing. */
app.http('health', {
  methods: ['GET'],
  route: 'health',
  authLevel: 'anonymous',
  handler: async () => ({ status: 200, jsonBody: { status: 'ok', version }, headers: { 'Cache-Control': 'no-store' } }),
});
