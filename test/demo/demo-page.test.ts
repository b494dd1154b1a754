import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { type Browser, chromium, type Page } from 'playwright-core';

import { startTestStack, type TestStack } from '../helpers/stack';

const chromiumPath = '/usr/bin/chromium';
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const screenshotPath = join(__dirname, '..', '..', 'test-results', 'demo.png');
const INSTALL_TIMEOUT_IN_MS = 15 * 60_000;

/**
 * Why this machine cannot run the browser test, or undefined when it can. Decided while the file is collected
 * (installing Debian's chromium with apt-get first when it is missing and possible), so that an impossible run is
 * reported by Jest as skipped, never passed.
 */
function unavailableReason(): string | undefined {
  if (existsSync(chromiumPath)) return undefined;
  if (process.platform !== 'linux' || process.getuid?.() !== 0)
    return `${chromiumPath} is missing and installing it with apt-get needs root on Linux`;
  if (!existsSync('/usr/bin/apt-get')) return `${chromiumPath} is missing and there is no apt-get to install it`;
  const options = {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    timeout: INSTALL_TIMEOUT_IN_MS,
    maxBuffer: 64 * 1024 * 1024,
    stdio: 'pipe' as const,
  };
  const startedAt = Date.now();
  console.warn(`${chromiumPath} is missing: installing chromium with apt-get (this can take several minutes)...`);
  try {
    execFileSync('apt-get', ['update'], options);
    execFileSync('apt-get', ['install', '-y', 'chromium'], options);
  } catch (error) {
    const { stderr } = error as { stderr?: Buffer };
    return `apt-get could not install chromium: ${(stderr?.toString() ?? (error as Error).message).trim().split('\n').slice(-3).join(' | ')}`;
  }
  console.warn(`chromium installed in ${Math.round((Date.now() - startedAt) / 1000)} s`);
  return existsSync(chromiumPath) ? undefined : `apt-get installed chromium but ${chromiumPath} is still missing`;
}

const unavailable = unavailableReason();
if (unavailable) console.warn(`Skipping the demo page browser test: ${unavailable}.`);

/** The local stack's demo page in a real browser: the browser sample against the service and the ACS emulator. */
(unavailable ? describe.skip : describe)('demo page', () => {
  let stack: TestStack;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const failedRequests: string[] = [];

  beforeAll(async () => {
    [stack, browser] = await Promise.all([
      startTestStack(),
      chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs }),
    ]);
    page = await browser.newPage({ viewport: { width: 900, height: 1000 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    // The browser also logs each 4xx/5xx response as a console error; those are checked as failedRequests.
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
        pageErrors.push(message.text());
    });
    page.on('response', (response) => {
      if (response.status() >= 400)
        failedRequests.push(`${response.status()} ${response.request().method()} ${new URL(response.url()).pathname}`);
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  const text = async (testId: string) => ((await page.getByTestId(testId).textContent()) ?? '').trim();

  /** Clicks a button and waits until the page's action (with its emulator check) has finished. */
  const act = async (testId: string) => {
    await page.getByTestId(testId).click();
    await page.locator('body[data-busy="false"]').waitFor();
    expect(await text('error')).toBe('');
  };

  it('when a dev user gets a token, refreshes, revokes and deletes, then the page shows each step and the emulator agrees', async () => {
    const response = await page.goto(`${stack.functionsUrl}/`);
    expect(response?.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe('/demo');
    expect(await page.getByTestId('user-id').inputValue()).toBe('alice');

    // Get token: the identity is created on the first refresh; the page shows the id, a countdown and a valid verdict.
    await act('get-token');
    const communicationUserId = await text('communication-user-id');
    expect(communicationUserId).toMatch(/^8:acs:[0-9a-f-]+_[0-9a-f-]+$/);
    expect(await stack.acsIdentities()).toContain(communicationUserId);
    expect(await text('signed-in-user')).toBe('alice');
    expect(await text('verdict')).toBe('valid');
    const countdown = await text('countdown');
    expect(countdown).toMatch(/^23:59:[0-5]\d$/);
    await page.getByTestId('countdown').filter({ hasNotText: countdown }).waitFor({ timeout: 3000 });
    expect((await text('countdown')) < countdown).toBe(true);

    // Refresh: a new credential, hence one new token from ACS, for the same identity.
    const before = await stack.acsStats();
    await act('refresh');
    expect((await stack.acsStats())['getToken']).toBe(before['getToken'] + 1);
    expect(await text('communication-user-id')).toBe(communicationUserId);
    expect(await text('verdict')).toBe('valid');

    await act('revoke');
    expect(await text('verdict')).toBe('invalid');
    expect(await text('verdict-reason')).not.toBe('');

    await act('refresh');
    expect(await text('verdict')).toBe('valid');
    expect(await text('communication-user-id')).toBe(communicationUserId);

    await act('delete');
    expect(await text('verdict')).toBe('invalid');
    expect(await stack.acsIdentities()).not.toContain(communicationUserId);

    const log = await page.getByTestId('log').locator('li').allTextContents();
    expect(log.length).toBe(10);
    expect(await page.locator('body').innerText()).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
    expect(pageErrors).toEqual([]);
    // The only failure: the first refresh, which finds no identity (the sample then creates it).
    expect(failedRequests).toEqual(['404 POST /api/tokens/refresh']);

    mkdirSync(join(screenshotPath, '..'), { recursive: true });
    await page.screenshot({ path: screenshotPath, fullPage: true });
  });

  it('when the host invites and a guest joins from the link in another browser context, revoking the invitation kills the guest token', async () => {
    await page.goto(`${stack.functionsUrl}/demo`);
    await page.getByTestId('user-id').fill('host-bob');
    await act('get-token');
    await act('invite');
    const link = (await page.getByTestId('invitation-link').getAttribute('href')) ?? '';
    expect(link).toMatch(/\/demo#code=/);

    const guestContext = await browser.newContext();
    try {
      const guest = await guestContext.newPage();
      const guestText = async (testId: string) => ((await guest.getByTestId(testId).textContent()) ?? '').trim();
      const guestAct = async (testId: string) => {
        await guest.getByTestId(testId).click();
        await guest.locator('body[data-busy="false"]').waitFor();
        expect(await guestText('error')).toBe('');
      };
      await guest.goto(link);
      expect(await guest.getByTestId('guest-panel').isVisible()).toBe(true);
      await guestAct('join-as-guest');
      const guestId = await guestText('guest-communication-user-id');
      expect(guestId).toMatch(/^8:acs:/);
      expect(await guestText('guest-context')).toBe('demo-group-call');
      expect(await guestText('guest-verdict')).toBe('valid');
      expect(await stack.acsIdentities()).toContain(guestId);

      // A reload is the same guest (the key is in this context's session storage), not a second redemption.
      await guest.reload();
      await guestAct('join-as-guest');
      expect(await guestText('guest-communication-user-id')).toBe(guestId);

      await act('revoke-invitation');
      expect(await text('invitation-state')).toContain('revoked');
      await guestAct('verify-guest');
      expect(await guestText('guest-verdict')).toBe('invalid');
      expect(await stack.acsIdentities()).not.toContain(guestId);
      expect(await guest.locator('body').innerText()).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
    } finally {
      await guestContext.close();
    }
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('the dev routes refuse what the page never sends', async () => {
    const post = (path: string, body: string) =>
      fetch(`${stack.functionsUrl}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect((await post('/demo/dev-token', '{"userId":""}')).status).toBe(400);
    expect((await post('/demo/dev-token', 'not json')).status).toBe(400);
    expect((await post('/demo/verify', '{}')).status).toBe(400);
    expect(await (await post('/demo/verify', '{"token":"not-a-token"}')).json()).toMatchObject({ valid: false });
    const page = await fetch(`${stack.functionsUrl}/demo`);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
  });
});
