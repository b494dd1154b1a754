import { app } from '@azure/functions';

import { getServices } from '../app/services';

/**
 * Validates the configuration and builds the clients when the worker starts, so that a missing or malformed setting
 * stops the app at once with a message naming it, rather than failing the first request.
 */
app.hook.appStart(() => {
  getServices();
});
