import { app } from '@azure/functions';

/** The machine-readable contract, anonymous (it describes endpoints, never data). */
app.http('openApi', {
  methods: ['GET'],
  route: 'openapi.json',
  authLevel: 'anonymous',
  // The generator (zod-to-openapi) loads on the first request, not at cold start.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  handler: async () => ({ status: 200, jsonBody: (require('../openapi/document') as typeof import('../openapi/document')).openApiDocument(), headers: { 'Cache-Control': 'public, max-age=300' } }),
});
