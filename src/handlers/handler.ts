import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import { errorToResponse } from '../http/problem';
import type { Principal } from '../domain/model';
import { forbidden } from '../domain/errors';
import { traceInvocation } from '../telemetry';
import type { Services } from './services';

/** An HTTP handler as the Functions runtime calls it. */
export type Handler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

/**
 * A named handler: given its services (the composition root passes the real ones, a test passes its own), the
 * HTTP handler. Every function's handler is one of these, exported from `src/handlers`.
 */
export type ServiceHandler = (services: Services) => Handler;

/** Wraps a handler so that every error becomes a Problem Details answer (the one place errors become HTTP). */
export function handle(
  run: (request: HttpRequest, context: InvocationContext, services: Services) => Promise<HttpResponseInit>,
): ServiceHandler {
  return (services) => (request, context) =>
    traceInvocation(context.functionName, request.method, async () => {
      try {
        return await run(request, context, services);
      } catch (error) {
        return errorToResponse(error, context);
      }
    });
}

/** A handler body that runs once the caller is known. */
type CallerHandler = (
  request: HttpRequest,
  context: InvocationContext,
  services: Services,
  principal: Principal,
) => Promise<HttpResponseInit>;

/** As {@link handle}, for endpoints that need an authenticated caller. */
export function authenticated(run: CallerHandler): ServiceHandler {
  return handle(async (request, context, services) => {
    const principal = await services.authenticator.authenticate(request.headers);
    await services.ready();
    return run(request, context, services, principal);
  });
}

/** As {@link authenticated}, for operators: the caller must carry the configured admin role. */
export function adminOnly(run: CallerHandler): ServiceHandler {
  return authenticated(async (request, context, services, principal) => {
    if (!principal.roles.includes(services.config.auth.adminRole))
      throw forbidden('admin_role_required', `This operation requires the ${services.config.auth.adminRole} role.`);
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

/**
 * The caller's IP as the platform saw it: the last X-Forwarded-For entry (the front end appends the address it saw;
 * earlier entries come from the client and prove nothing), without a port. Undefined when absent.
 */
export function clientIpOf(request: { headers: { get(name: string): string | null } }): string | undefined {
  const last = request.headers.get('x-forwarded-for')?.split(',').at(-1)?.trim();
  if (!last) return undefined;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(last);
  if (bracketed) return bracketed[1];
  return /^[\d.]+:\d+$/.test(last) ? last.slice(0, last.lastIndexOf(':')) : last;
}
