export interface DevTokenOptions {
  /** Adds the admin role (`roles: ["Identity.Admin"]`). */
  admin?: boolean;
  roles?: string[];
  /** Extra claims, e.g. `{ oid, tid }` for Entra-like tokens. */
  claims?: Record<string, unknown>;
  audience?: string;
  expiresInSeconds?: number;
}

export const devAdminRole = 'Identity.Admin';

/** Asks the development issuer for a bearer token for `userId`. */
export async function requestDevToken(
  issuerUrl: string,
  userId: string,
  options: DevTokenOptions = {},
): Promise<string> {
  const roles = [...(options.roles ?? []), ...(options.admin ? [devAdminRole] : [])];
  const form = new URLSearchParams({ grant_type: 'password', username: userId, client_id: 'dev-client' });
  if (roles.length > 0) form.set('roles', roles.join(','));
  if (options.claims) form.set('claims', JSON.stringify(options.claims));
  if (options.audience) form.set('aud', options.audience);
  if (options.expiresInSeconds !== undefined) form.set('expires_in', String(options.expiresInSeconds));
  const response = await fetch(`${issuerUrl.replace(/\/$/, '')}/token`, { method: 'POST', body: form });
  if (!response.ok) throw new Error(`The development issuer answered ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}
