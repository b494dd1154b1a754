import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import type { Handler, ServiceHandler } from '../handlers/handler';
import { errorToResponse } from '../http/problem';
import { getServices, type Services } from './services';

/**
 * Binds a named HTTP handler to the process's services, built once by the composition root on first use. A
 * configuration error becomes a generic 500 whose log line names the setting.
 */
export function fromRoot(handler: ServiceHandler): Handler {
  let bound: Handler | undefined;
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    if (!bound) {
      try {
        bound = handler(getServices());
      } catch (error) {
        return errorToResponse(error, context);
      }
    }
    return bound(request, context);
  };
}

/** The same for a trigger that is not HTTP (queue, timer): errors are the host's to retry, so they propagate. */
export function withRoot<T>(
  handler: (services: Services) => (input: T, context: InvocationContext) => Promise<void>,
): (input: T, context: InvocationContext) => Promise<void> {
  return async (input, context) => handler(getServices())(input, context);
}
