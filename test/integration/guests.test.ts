import { cleanupPartitionKey, cleanupRowKey, invitationPartitionKey } from '../../src/storage/keys';
import { SplitStack } from '../helpers/split-stack';
import { waitFor } from '../helpers/wait';

/**
 * Guests through the local stack (functions host in its own process, Azurite, the ACS emulator through the real SDK,
 * the dev OIDC issuer): an app user invites, people without an account redeem, the guest identities die with the
 * invitation.
 */
describe('guests: invitations redeemed for short-lived ACS identities', () => {
  let stack: SplitStack;
  let host: string;
  beforeAll(async () => {
    stack = await SplitStack.start();
    await stack.startHost({ QUOTA_GUEST_REDEMPTIONS_PER_CLIENT_IP: '1000/3600' });
    host = await stack.token('clinician');
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  const codes: string[] = [];
  const invite = async (json: Record<string, unknown> = {}, bearer = host) => {
    const response = await stack.api('/api/invitations', { method: 'POST', token: bearer, json });
    expect(response.status).toBe(201);
    const body = (await response.json()) as { id: string; code: string; expiresOn: string };
    expect(response.headers.get('location')).toBe(`/api/invitations/${body.id}`);
    codes.push(body.code);
    return body;
  };
  const redeem = (code: string, guestKey: string) =>
    stack.api('/api/guest/tokens', { method: 'POST', json: { code, guestKey } });
  const key = (n: number | string) => `guest-key-${String(n).padStart(10, '0')}`;
  const verify = async (token: string) => (await stack.acsControl<{ valid: boolean }>('verify', { token })).valid;
  const stats = () => stack.acsControl<Record<string, number>>('stats');

  it('redeems (201), reloads with the same guest key (200: same identity, a new token), refuses another key when used up (410)', async () => {
    const { code } = await invite({ context: 'https://meet.example/room/7', scopes: ['voip', 'chat'] });
    const first = await redeem(code, key(1));
    expect(first.status).toBe(201);
    const guest = (await first.json()) as { communicationUserId: string; token: string; expiresOn: string };
    expect(guest).toMatchObject({ scopes: ['voip', 'chat'], context: 'https://meet.example/room/7' });
    expect(await verify(guest.token)).toBe(true);

    const reload = await redeem(code, key(1));
    expect(reload.status).toBe(200);
    const again = (await reload.json()) as { communicationUserId: string; token: string };
    expect(again.communicationUserId).toBe(guest.communicationUserId);
    expect(again.token).not.toBe(guest.token);

    const second = await redeem(code, key(2));
    expect(second.status).toBe(410);
    expect(((await second.json()) as { code: string }).code).toBe('used_up');
  }, 30_000);

  it('20 concurrent redemptions with distinct keys of a 5-redemption invitation make exactly 5 identities at ACS', async () => {
    const { id, code } = await invite({ maxRedemptions: 5 });
    const before = await stats();
    const responses = await Promise.all(Array.from({ length: 20 }, (_, n) => redeem(code, key(`c${n}`))));
    const after = await stats();
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([...Array(5).fill(201), ...Array(15).fill(410)]);
    expect(after['createUserAndToken'] - before['createUserAndToken']).toBe(5);
    const view = (await (await stack.api(`/api/invitations/${id}`, { token: host })).json()) as {
      redemptions: number;
      state: string;
      guests: unknown[];
    };
    expect(view).toMatchObject({ redemptions: 5, state: 'used_up' });
    expect(view.guests).toHaveLength(5);
  }, 60_000);

  it('revoking deletes every guest identity: their tokens fail at ACS, the code answers 410 revoked', async () => {
    const { id, code } = await invite({ maxRedemptions: 3 });
    const tokens = await Promise.all(
      [1, 2, 3].map(async (n) => ((await (await redeem(code, key(`r${n}`))).json()) as { token: string }).token),
    );
    for (const token of tokens) expect(await verify(token)).toBe(true);
    expect((await stack.api(`/api/invitations/${id}`, { method: 'DELETE', token: host })).status).toBe(204);
    for (const token of tokens) expect(await verify(token)).toBe(false);
    const after = await redeem(code, key('r1'));
    expect(after.status).toBe(410);
    expect(((await after.json()) as { code: string }).code).toBe('revoked');
    const view = (await (await stack.api(`/api/invitations/${id}`, { token: host })).json()) as { state: string };
    expect(view.state).toBe('revoked');
  }, 30_000);

  it('after expiry, the clean-up timer leaves none of the invitation’s identities at ACS', async () => {
    const { id, code } = await invite({ maxRedemptions: 2, expiresInMinutes: 5 });
    const guests = await Promise.all(
      [1, 2].map(
        async (n) =>
          ((await (await redeem(code, key(`e${n}`))).json()) as { communicationUserId: string }).communicationUserId,
      ),
    );
    // Five minutes cannot pass in a test: move the invitation's end (and its clean-up index row) into the past.
    const table = stack.table();
    const past = new Date(Date.now() - 1000);
    await table.updateEntity(
      { partitionKey: invitationPartitionKey(id), rowKey: 'invitation', expiresOn: past },
      'Merge',
    );
    for await (const row of table.listEntities({
      queryOptions: { filter: `PartitionKey eq '${cleanupPartitionKey}'` },
    })) {
      if (!String(row.rowKey).endsWith(`-${id}`)) continue;
      await table.deleteEntity(cleanupPartitionKey, String(row.rowKey));
      await table.createEntity({ partitionKey: cleanupPartitionKey, rowKey: cleanupRowKey(past, id) });
    }
    expect((await redeem(code, key('e1'))).status).toBe(410);
    expect(await stack.runFunction('cleanupGuests')).toBe(202);
    const live = await stack.liveIdentities();
    for (const guest of guests) expect(live).not.toContain(guest);
    const audit = (await (
      await stack.api('/api/users/clinician/audit', { token: await stack.token('ops', { admin: true }) })
    ).json()) as { entries: Array<{ action: string; invitationId?: string }> };
    expect(audit.entries.filter((entry) => entry.invitationId === id).map((entry) => entry.action)).toEqual([
      'invitation_expired',
      'invitation_redeemed',
      'invitation_redeemed',
      'invitation_created',
    ]);
  }, 30_000);

  it('a stranger’s GET and DELETE answer 404, as for an invitation that does not exist', async () => {
    const { id, code } = await invite();
    const stranger = await stack.token('stranger');
    expect((await stack.api(`/api/invitations/${id}`, { token: stranger })).status).toBe(404);
    expect((await stack.api(`/api/invitations/${id}`, { method: 'DELETE', token: stranger })).status).toBe(404);
    expect((await stack.api('/api/invitations/AAAAAAAAAAAAAAAA', { token: host })).status).toBe(404);
    expect((await redeem(code, key('s1'))).status).toBe(201); // still working for its guests
  }, 30_000);

  it('an inviter disabled by their identity provider: their active invitations are revoked, the guests’ tokens die', async () => {
    const inviter = await stack.token('agent-to-disable');
    const { code } = await invite({}, inviter);
    const guest = (await (await redeem(code, key('d1'))).json()) as { token: string };
    const event = {
      eventType: 'user.lifecycle.deactivate',
      uuid: `okta-guests-${Date.now()}`,
      published: new Date(Date.now() + 1000).toISOString(),
      outcome: { result: 'SUCCESS' },
      target: [{ id: 'agent-to-disable', type: 'User' }],
    };
    const delivery = { eventType: 'com.okta.event_hook', data: { events: [event] }, eventTime: event.published };
    const accepted = await stack.api('/api/webhooks/okta', {
      method: 'POST',
      json: delivery,
      headers: { authorization: 'local-okta-secret' },
    });
    expect(accepted.status).toBeLessThan(300);
    await waitFor('the guest token to die', async () => !(await verify(guest.token)));
    expect((await redeem(code, key('d2'))).status).toBe(410);
  }, 30_000);

  it.each([
    ['malformed JSON', 400, '{"code":'],
    ['an array', 400, '[]'],
    ['a guest key of 15 characters', 400, JSON.stringify({ code: 'x', guestKey: 'a'.repeat(15) })],
    ['a guest key of 129 characters', 400, JSON.stringify({ code: 'x', guestKey: 'a'.repeat(129) })],
    ['an unknown code', 404, JSON.stringify({ code: `${'A'.repeat(16)}.${'B'.repeat(43)}`, guestKey: 'a'.repeat(20) })],
    ['a code with a path in it', 404, JSON.stringify({ code: '../../identity.x', guestKey: 'a'.repeat(20) })],
  ])('answers %s with a Problem Details %i, never a 5xx', async (_name, status, body) => {
    const response = await stack.api('/api/guest/tokens', {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await response.text()).not.toMatch(/\bat .+\.(js|ts):\d+/);
  });

  it('never shows a code again: not in a GET, not in the audit trail, not in the host log', async () => {
    const admin = await stack.token('ops', { admin: true });
    const audit = await (await stack.api('/api/users/clinician/audit', { token: admin })).text();
    const output = stack.host_output();
    expect(codes.length).toBeGreaterThan(5);
    for (const code of codes) {
      const secret = code.split('.')[1] ?? '';
      expect(audit).not.toContain(secret);
      expect(output).not.toContain(secret);
      const id = code.split('.')[0];
      const view = await (await stack.api(`/api/invitations/${id}`, { token: host })).text();
      expect(view).not.toContain(secret);
    }
  });
});
