// A guest's token refresher, for a page opened from an invitation link: redeems the invitation's code with a guest
// key this browser tab keeps (session storage), so a reload or a token refresh is the same guest, not a new one.
// Copy it into your bundler project; it needs @azure/communication-common.
import { AzureCommunicationTokenCredential } from '@azure/communication-common';

/** The guest key of this tab for this invitation: made once, 64 URL-safe characters. */
export function guestKeyFor(code, storage = sessionStorage) {
  const name = `acs-guest-key:${code.split('.')[0]}`;
  let key = storage.getItem(name);
  if (!key) storage.setItem(name, (key = `${crypto.randomUUID()}${crypto.randomUUID()}`.replaceAll('-', '')));
  return key;
}

/** `{communicationUserId, token, expiresOn, scopes, context}`; throws with the problem's `code` (`used_up`, ...). */
export async function redeemGuestToken(serviceUrl, code, guestKey = guestKeyFor(code)) {
  const response = await fetch(`${serviceUrl}/api/guest/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code, guestKey }),
  });
  const body = await response.json();
  if (!response.ok) throw Object.assign(new Error(body.detail ?? `HTTP ${response.status}`), { code: body.code });
  return { ...body, expiresOn: new Date(body.expiresOn) };
}

/** A credential for the ACS Calling or Chat SDK that keeps itself fresh for the same guest identity. */
export function createGuestCredential(serviceUrl, code) {
  const tokenRefresher = async () => (await redeemGuestToken(serviceUrl, code)).token;
  return new AzureCommunicationTokenCredential({ tokenRefresher, refreshProactively: true });
}
