import * as functions from '@azure/functions';

import { getServices } from '../app/services';
import { startTelemetryFromSettings } from '../telemetry';

// OpenTelemetry (src/telemetry) when APPLICATIONINSIGHTS_CONNECTION_STRING is set; nothing is loaded otherwise.
// It registers hooks, so it runs while the app loads.
startTelemetryFromSettings(functions);

/**
 * Validates the configuration when the worker starts, so that a missing or malformed setting stops the app at once
 * with a message naming it, rather than failing the first request (the clients are built on first use).
 */
functions.app.hook.appStart(() => {
  getServices();
});
