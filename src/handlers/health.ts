import type { ServiceHandler } from './handler';
import { version } from '../config/version';

/** Anonymous liveness probe; touches no dependency so that probes cost nothing. */
export const health: ServiceHandler = () => () =>
  Promise.resolve({ status: 200, jsonBody: { status: 'ok', version }, headers: { 'Cache-Control': 'no-store' } });

/** The machine-readable contract, anonymous (it describes endpoints, never data). */
export const openApi: ServiceHandler = () => () =>
  Promise.resolve({
    status: 200,
    // The generator (zod-to-openapi) loads on the first request, not at cold start.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    jsonBody: (require('../openapi/document') as typeof import('../openapi/document')).openApiDocument(),
    headers: { 'Cache-Control': 'public, max-age=300' },
  });
