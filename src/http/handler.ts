import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import { getServices, type Services } from '../app/services';
import type { Principal } from '../auth/principal';
import { forbidden } from '../errors/errors';
import { traceInvocation } from '../telemetry';
import { errorToResponse } from './problem';

export type Handler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

/** Wraps a handler so that every error becomes a Problem Details answer (the one place errors become HTTP). */
export function handle(run: (request: HttpRequest, context: InvocationContext, services: Services) => Promise<HttpResponseInit>): Handler {
  return (request, context) =>
    traceInvocation(context.functionName, request.method, async () => {
      try {
        return await run(request, context, getServices());
      } catch (error) {
        return errorToResponse(error, context);
      }
    });
}

/** As {@link handle}, for endpoints that need an authenticated caller. */
export function authenticated(
  run: (request: HttpRequest, context: InvocationContext, services: Services, principal: Principal) => Promise<HttpResponseInit>,
): Handler {
  return handle(async (request, context, services) => {
    const principal = await services.authenticator.authenticate(request.headers);
    await services.ready();
    return run(request, context, services, principal);
  });
}

/** As {@link authenticated}, for operators: the caller must carry the configured admin role. */
export function adminOnly(
  run: (request: HttpRequest, context: InvocationContext, services: Services, principal: Principal) => Promise<HttpResponseInit>,
): Handler {
  return authenticated(async (request, context, services, principal) => {
    if (!principal.roles.includes(services.config.auth.adminRole)) throw forbidden('admin_role_required', `This operation requires the ${services.config.auth.adminRole} role.`);
    return run(request, context, services, principal);
  });
}

/** Responses carrying tokens or identities must never be cached. */
export const noStore = { 'Cache-Control': 'no-store', Pragma: 'no-cache' } as const;

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit => ({
  status,
  jsonBody: body,
  headers: { ...noStore, ...headers },
});
