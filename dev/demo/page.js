// The demo page's script (bundled with the browser sample by esbuild when the local stack starts).
// Dev sign-in and the emulator's verdict go through same-origin dev routes (/demo/dev-token, /demo/verify);
// everything else is what an app does: the sample's credential and the service's /api routes.
import { createTokenCredential } from '../../samples/browser/acs-token-client.js';
import { redeemGuestToken } from '../../samples/browser/guest-token-client.js';

/** @param {string} testId */
const element = (testId) => /** @type {HTMLElement} */ (document.querySelector(`[data-testid="${testId}"]`));

const ui = {
  signIn: /** @type {HTMLFormElement} */ (element('sign-in')),
  userId: /** @type {HTMLInputElement} */ (element('user-id')),
  error: element('error'),
  signedInUser: element('signed-in-user'),
  communicationUserId: element('communication-user-id'),
  expiresOn: element('expires-on'),
  countdown: element('countdown'),
  verdict: element('verdict'),
  verdictReason: element('verdict-reason'),
  log: element('log'),
  buttons: /** @type {HTMLButtonElement[]} */ (['refresh', 'verify', 'revoke', 'delete', 'invite'].map(element)),
  revokeInvitation: /** @type {HTMLButtonElement} */ (element('revoke-invitation')),
  invitationLink: /** @type {HTMLAnchorElement} */ (element('invitation-link')),
  invitationState: element('invitation-state'),
  guestPanel: element('guest-panel'),
  verifyGuest: /** @type {HTMLButtonElement} */ (element('verify-guest')),
  guestCommunicationUserId: element('guest-communication-user-id'),
  guestContext: element('guest-context'),
  guestVerdict: element('guest-verdict'),
};

/** The invitation the signed-in user made on this page. @type {{ id: string } | undefined} */
let invitation;
/** The guest token this page holds, when it was opened from an invitation link. @type {string | undefined} */
let guestToken;
const guestCode = new URLSearchParams(location.hash.slice(1)).get('code');
if (guestCode) ui.guestPanel.hidden = false;

/** @type {{ userId: string, bearerToken: string, credential: ReturnType<typeof createTokenCredential>, token: { token: string, expiresOnTimestamp: number } } | undefined} */
let session;

ui.signIn.addEventListener('submit', (event) => {
  event.preventDefault();
  void run(signIn);
});
element('refresh').addEventListener('click', () => void run(refresh));
element('verify').addEventListener('click', () => void run(verify));
element('revoke').addEventListener('click', () => void run(revoke));
element('delete').addEventListener('click', () => void run(deleteIdentity));
element('invite').addEventListener('click', () => void run(invite));
ui.revokeInvitation.addEventListener('click', () => void run(revokeInvitation));
element('join-as-guest').addEventListener('click', () => void run(joinAsGuest));
ui.verifyGuest.addEventListener('click', () => void run(verifyGuest));
setInterval(renderCountdown, 1000);

async function signIn() {
  const userId = ui.userId.value.trim();
  const { accessToken } = await postJson('/demo/dev-token', { userId });
  session?.credential.dispose();
  session = undefined;
  await startCredential(userId, accessToken);
  log(`Signed in as ${userId}; ACS identity ${session?.credential.communicationUserId}`);
  await verify();
}

/**
 * The SDK's credential has no "refresh now": it calls the token refresher when its token is about to expire.
 * A new credential calls it at once, which is also what an app does after revoking its tokens.
 */
async function refresh() {
  const current = requireSession();
  current.credential.dispose();
  await startCredential(current.userId, current.bearerToken);
  log(`Refreshed: new token for ${session?.credential.communicationUserId}`);
  await verify();
}

async function revoke() {
  const { bearerToken } = requireSession();
  await callApi('POST', '/api/identities/me/revoke', bearerToken);
  log('Revoked every token of the identity');
  await verify();
}

async function deleteIdentity() {
  const { bearerToken } = requireSession();
  await callApi('DELETE', '/api/identities/me', bearerToken);
  log('Deleted the ACS identity');
  await verify();
}

async function invite() {
  const { bearerToken } = requireSession();
  const response = await fetch('/api/invitations', {
    method: 'POST',
    headers: { authorization: `Bearer ${bearerToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ maxRedemptions: 2, context: 'demo-group-call' }),
  });
  const created = await response.json();
  if (!response.ok) throw new Error(`POST /api/invitations failed with ${response.status} (${created.code}).`);
  invitation = { id: created.id };
  const link = `${location.origin}/demo#code=${encodeURIComponent(created.code)}`;
  ui.invitationLink.href = link;
  ui.invitationLink.textContent = link;
  ui.invitationState.textContent = `active, ${created.maxRedemptions} guests at most`;
  log(`Invited: invitation ${created.id} (its link is shown once)`);
}

async function revokeInvitation() {
  const { bearerToken } = requireSession();
  if (!invitation) throw new Error('Invite a guest first.');
  await callApi('DELETE', `/api/invitations/${invitation.id}`, bearerToken);
  ui.invitationState.textContent = 'revoked: its guests are deleted';
  log(`Revoked invitation ${invitation.id}; every guest identity made from it is deleted`);
}

async function joinAsGuest() {
  if (!guestCode) throw new Error('Open an invitation link first.');
  const guest = await redeemGuestToken(location.origin, guestCode);
  guestToken = guest.token;
  ui.guestCommunicationUserId.textContent = guest.communicationUserId;
  ui.guestContext.textContent = guest.context ?? '–';
  log(`Joined as a guest: ACS identity ${guest.communicationUserId}`);
  await verifyGuest();
}

async function verifyGuest() {
  if (!guestToken) throw new Error('Join as guest first.');
  /** @type {{ valid: boolean }} */
  const verdict = await postJson('/demo/verify', { token: guestToken });
  ui.guestVerdict.textContent = verdict.valid ? 'valid' : 'invalid';
  ui.guestVerdict.dataset['valid'] = String(verdict.valid);
  log(`Emulator: the guest token is ${verdict.valid ? 'valid' : 'invalid'}`);
}

async function verify() {
  const { token } = requireSession();
  /** @type {{ valid: boolean, reason?: string }} */
  const verdict = await postJson('/demo/verify', { token: token.token });
  ui.verdict.textContent = verdict.valid ? 'valid' : 'invalid';
  ui.verdict.dataset['valid'] = String(verdict.valid);
  ui.verdictReason.textContent = verdict.valid ? '' : (verdict.reason ?? '');
  log(`Emulator: the token is ${verdict.valid ? 'valid' : `invalid${verdict.reason ? ` (${verdict.reason})` : ''}`}`);
}

/**
 * @param {string} userId
 * @param {string} bearerToken
 */
async function startCredential(userId, bearerToken) {
  const credential = createTokenCredential({ serviceUrl: location.origin, getBearerToken: async () => bearerToken });
  const token = await credential.getToken();
  session = { userId, bearerToken, credential, token };
  ui.signedInUser.textContent = userId;
  ui.communicationUserId.textContent = credential.communicationUserId ?? '–';
  ui.expiresOn.textContent = new Date(token.expiresOnTimestamp).toLocaleString();
  renderCountdown();
}

function renderCountdown() {
  if (!session) return;
  const seconds = Math.max(0, Math.floor((session.token.expiresOnTimestamp - Date.now()) / 1000));
  const pad = (/** @type {number} */ value) => String(value).padStart(2, '0');
  ui.countdown.textContent =
    seconds === 0
      ? 'expired'
      : `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}`;
}

/** Runs one action with the buttons disabled (and `data-busy` on the body), and shows its error instead of throwing. */
async function run(/** @type {() => Promise<void>} */ action) {
  ui.error.textContent = '';
  document.body.dataset['busy'] = 'true';
  for (const button of ui.buttons) button.disabled = true;
  try {
    await action();
  } catch (error) {
    ui.error.textContent = error instanceof Error ? error.message : String(error);
  } finally {
    for (const button of ui.buttons) button.disabled = session === undefined;
    ui.revokeInvitation.disabled = session === undefined || invitation === undefined;
    ui.verifyGuest.disabled = guestToken === undefined;
    document.body.dataset['busy'] = 'false';
  }
}

function requireSession() {
  if (!session) throw new Error('Get a token first.');
  return session;
}

/**
 * @param {string} method
 * @param {string} path
 * @param {string} bearerToken
 */
async function callApi(method, path, bearerToken) {
  const response = await fetch(path, { method, headers: { authorization: `Bearer ${bearerToken}` } });
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    throw new Error(`${method} ${path} failed with ${response.status}${problem.code ? ` (${problem.code})` : ''}.`);
  }
}

/**
 * @param {string} path
 * @param {unknown} body
 */
async function postJson(path, body) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const payload = await response.json().catch(() => ({}));
  if (!response.ok)
    throw new Error(`${path} failed with ${response.status}${payload.error ? `: ${payload.error}` : ''}.`);
  return payload;
}

/** @param {string} text */
function log(text) {
  const item = document.createElement('li');
  const time = document.createElement('time');
  time.textContent = new Date().toLocaleTimeString();
  item.append(time, text);
  ui.log.prepend(item);
}
