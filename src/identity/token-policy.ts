import type { TokenScope } from '@azure/communication-identity';

import { forbidden } from '../domain/errors';
import type { TokenRequest, TokenRequestInput } from './types';

/** Applies the configured scope policy: defaults when none are asked for, 403 for a known scope not allowed here. */
export function resolveTokenRequest(
  body: TokenRequestInput,
  policy: { allowedScopes: readonly TokenScope[]; defaultScopes: readonly TokenScope[] },
): TokenRequest {
  const scopes = body.scopes ?? [...policy.defaultScopes];
  const refused = scopes.filter((scope) => !policy.allowedScopes.includes(scope));
  if (refused.length > 0)
    throw forbidden('scope_not_allowed', `This service does not issue tokens with scope ${refused.join(', ')}.`);
  return { scopes, ...(body.expiresInMinutes !== undefined ? { expiresInMinutes: body.expiresInMinutes } : {}) };
}
