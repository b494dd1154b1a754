import { resolve } from 'node:path';

/**
 * The repository root, from dist/bench/support. Not imported from dev/stack/stack: that module loads Azurite, whose
 * telemetry module loads `applicationinsights` (and with it OpenTelemetry tracing of every Azure SDK call), which
 * must stay out of the host's process to measure the app alone.
 */
export const repositoryRoot = resolve(__dirname, '..', '..', '..');
