import type { ServiceHandler } from '../http/handler';
import { version } from '../app/version';
import { openApiDocument } from '../openapi/document';

/** Anonymous liveness probe; touches no dependency so that probes cost nothing. */
export const health: ServiceHandler = () => async () => ({ status: 200, jsonBody: { status: 'ok', version }, headers: { 'Cache-Control': 'no-store' } });

/** The machine-readable contract, anonymous (it describes endpoints, never data). */
export const openApi: ServiceHandler = () => async () => ({ status: 200, jsonBody: openApiDocument(), headers: { 'Cache-Control': 'public, max-age=300' } });
