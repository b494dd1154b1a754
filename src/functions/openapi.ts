import { app } from '@azure/functions';

import { openApiDocument } from '../openapi/document';

/** The machine-readable contract, anonymous (it describes endpoints, never data). */
app.http('openApi', {
  methods: ['GET'],
  route: 'openapi.json',
  authLevel: 'anonymous',
  handler: async () => ({ status: 200, jsonBody: openApiDocument(), headers: { 'Cache-Control': 'public, max-age=300' } }),
});
