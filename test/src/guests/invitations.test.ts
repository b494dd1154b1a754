import type { Principal } from '../../../src/domain/model';
import { Invitations } from '../../../src/guests/invitations';
import { Quotas } from '../../../src/identity/quotas';
import { fakeIdentityGateway } from '../../support/fake-identity-gateway';
import { InMemoryInvitationStore } from '../../support/in-memory-invitation-store';
import { InMemoryMappingStore } from '../../support/in-memory-mapping-store';
import { InMemoryQuotaStore } from '../../support/services';

// The guest use case over in-memory stores with the Table adapter's conditions and a scripted ACS gateway; the
// adapter is tested against Azurite (test/src/storage), the whole flow through the local stack (test/integration).
const issuer = 'https://issuer.example.com';
const principal = (userId: string, roles: string[] = []): Principal => ({
  issuer,
  userId,
  roles,
  scopes: [],
  issuedAt: new Date(),
});
const host = principal('clinician');
const log = { info: jest.fn(), warn: jest.fn(), error: jest.fn() };
const guestKey = (n: number) => `guest-key-${String(n).padStart(8, '0')}`;

function setup(options: { invitationRole?: string; redemptionsPerIp?: number } = {}) {
  const { acs, live } = fakeIdentityGateway();
  const store = new InMemoryInvitationStore();
  const mappings = new InMemoryMappingStore();
  const quotas = options.redemptionsPerIp
    ? new Quotas(new InMemoryQuotaStore(), {
        guestRedemptionsPerClientIp: { count: options.redemptionsPerIp, windowInSeconds: 3600 },
      })
    : undefined;
  const invitations = new Invitations(
    store,
    mappings,
    acs,
    {
      ...(options.invitationRole ? { invitationRole: options.invitationRole } : {}),
      adminRole: 'Identity.Admin',
      allowedScopes: ['voip', 'chat'],
      defaultScopes: ['voip'],
      idempotentCreate: false,
      leaseInMs: 10_000,
    },
    quotas,
  );
  return { acs, live, store, mappings, invitations };
}

describe('Invitations', () => {
  it('creates an invitation whose code is shown once and kept only as a hash, with the defaults', async () => {
    const { invitations, store, mappings } = setup();
    const { view, code } = await invitations.create(host, {}, log);
    expect(view).toMatchObject({ state: 'active', redemptions: 0, maxRedemptions: 1, scopes: ['voip'], guests: [] });
    expect(view.expiresOn.getTime() - Date.now()).toBeGreaterThan(1439 * 60_000);
    const [id, secret] = code.split('.');
    expect(id).toBe(view.id);
    expect(Buffer.from(secret ?? '', 'base64url')).toHaveLength(32); // 256 bits
    expect(JSON.stringify([...store.invitations.values()])).not.toContain(secret);
    expect(mappings.audit.map((entry) => [entry.action, entry.invitationId])).toEqual([
      ['invitation_created', view.id],
    ]);
  });

  it('refuses scopes guests may not have (403) and inviters without the invitation role when one is set', async () => {
    await expect(setup().invitations.create(host, { scopes: ['chat.join'] }, log)).rejects.toMatchObject({
      code: 'scope_not_allowed',
    });
    const { invitations } = setup({ invitationRole: 'Guests.Invite' });
    await expect(invitations.create(host, {}, log)).rejects.toMatchObject({ code: 'invitation_role_required' });
    await expect(invitations.create(principal('agent', ['Guests.Invite']), {}, log)).resolves.toBeDefined();
  });

  it('redeems once per guest key: 201 with a new guest identity, then the same identity with a fresh token', async () => {
    const { invitations, acs } = setup();
    const { code } = await invitations.create(host, { context: 'https://meet.example/room/1' }, log);
    const first = await invitations.redeem(code, guestKey(1), '10.0.0.1', log);
    expect(first).toMatchObject({ created: true, scopes: ['voip'], context: 'https://meet.example/room/1' });
    const again = await invitations.redeem(code, guestKey(1), '10.0.0.1', log);
    expect(again).toMatchObject({ created: false, communicationUserId: first.communicationUserId });
    expect(acs.createUserAndToken).toHaveBeenCalledTimes(1);
    expect(acs.getToken).toHaveBeenCalledTimes(1);
    await expect(invitations.redeem(code, guestKey(2), '10.0.0.1', log)).rejects.toMatchObject({
      kind: 'gone',
      code: 'used_up',
    });
  });

  it('never makes more guests than maxRedemptions, whatever the concurrency', async () => {
    const { invitations, acs, store } = setup();
    const { code, view } = await invitations.create(host, { maxRedemptions: 5 }, log);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, n) => invitations.redeem(code, guestKey(n), undefined, log)),
    );
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(5);
    expect(
      results.every(
        (result) => result.status === 'fulfilled' || (result.reason as { code: string }).code === 'used_up',
      ),
    ).toBe(true);
    expect(acs.createUserAndToken).toHaveBeenCalledTimes(5);
    expect((await store.get(view.id))?.redemptions).toBe(5);
  });

  it('answers 404 for an unknown, malformed or wrong code, alike', async () => {
    const { invitations } = setup();
    const { code } = await invitations.create(host, {}, log);
    const [id] = code.split('.');
    for (const wrong of ['nonsense', `${id}.${'A'.repeat(43)}`, `${'B'.repeat(16)}.${'A'.repeat(43)}`])
      await expect(invitations.redeem(wrong, guestKey(1), undefined, log)).rejects.toMatchObject({
        code: 'invitation_not_found',
      });
  });

  it('shows an invitation to its inviter and to admins of their issuer only (404 for anyone else), never the code', async () => {
    const { invitations } = setup();
    const { view, code } = await invitations.create(host, {}, log);
    await invitations.redeem(code, guestKey(1), undefined, log);
    const seen = await invitations.get(host, view.id);
    expect(seen).toMatchObject({ redemptions: 1, state: 'used_up', guests: [expect.any(Object)] });
    expect(JSON.stringify(seen)).not.toContain(code.split('.')[1]);
    await expect(invitations.get(principal('admin', ['Identity.Admin']), view.id)).resolves.toBeDefined();
    await expect(invitations.get(principal('stranger'), view.id)).rejects.toMatchObject({ kind: 'not_found' });
    await expect(
      invitations.get({ ...principal('admin', ['Identity.Admin']), issuer: 'https://other.example.com' }, view.id),
    ).rejects.toMatchObject({ kind: 'not_found' });
    await expect(invitations.revoke(principal('stranger'), view.id, log)).rejects.toMatchObject({ kind: 'not_found' });
  });

  it('revoking deletes every guest identity at once; the code then answers 410 revoked', async () => {
    const { invitations, live, mappings } = setup();
    const { view, code } = await invitations.create(host, { maxRedemptions: 3 }, log);
    const guests = await Promise.all([1, 2].map((n) => invitations.redeem(code, guestKey(n), undefined, log)));
    await invitations.revoke(host, view.id, log);
    for (const guest of guests) expect(live.has(guest.communicationUserId)).toBe(false);
    await expect(invitations.redeem(code, guestKey(1), undefined, log)).rejects.toMatchObject({ code: 'revoked' });
    await invitations.revoke(host, view.id, log); // idempotent
    expect(mappings.audit.filter((entry) => entry.action === 'invitation_revoked')).toHaveLength(1);
    expect(mappings.audit.filter((entry) => entry.action === 'invitation_redeemed').map((e) => e.cause.kind)).toEqual([
      'guest',
      'guest',
    ]);
  });

  it('the clean-up deletes the guests of an expired invitation and records it expired, once', async () => {
    const { invitations, live, store, mappings } = setup();
    const { view, code } = await invitations.create(host, { expiresInMinutes: 5 }, log);
    const guest = await invitations.redeem(code, guestKey(1), undefined, log);
    expect(await invitations.cleanup(log)).toEqual({ invitations: 0, guestsDeleted: 0 }); // not due yet
    const later = new Date(Date.now() + 6 * 60_000);
    const stored = store.invitations.get(view.id)!;
    store.invitations.set(view.id, { ...stored, expiresOn: new Date(Date.now() - 1) });
    expect(await invitations.cleanup(log, later)).toEqual({ invitations: 1, guestsDeleted: 1 });
    expect(live.has(guest.communicationUserId)).toBe(false);
    expect(store.due.size).toBe(0);
    expect(await invitations.cleanup(log, later)).toEqual({ invitations: 0, guestsDeleted: 0 });
    expect(mappings.audit.filter((entry) => entry.action === 'invitation_expired')).toHaveLength(1);
    await expect(invitations.redeem(code, guestKey(1), undefined, log)).rejects.toMatchObject({ code: 'expired' });
  });

  it("revokes a user's active invitations when their identity provider disables them", async () => {
    const { invitations, live } = setup();
    const a = await invitations.create(host, {}, log);
    const b = await invitations.create(host, {}, log);
    const guest = await invitations.redeem(a.code, guestKey(1), undefined, log);
    const cause = { kind: 'webhook' as const, source: 'okta', eventId: 'e1' };
    expect(await invitations.revokeAllOf({ issuer, userId: 'clinician' }, cause, log)).toBe(2);
    expect(live.has(guest.communicationUserId)).toBe(false);
    expect((await invitations.get(host, b.view.id)).state).toBe('revoked');
  });

  it('limits new guests per client IP (a leaked code cannot spend the ACS budget), refunding refused attempts', async () => {
    const { invitations, acs } = setup({ redemptionsPerIp: 2 });
    const { code } = await invitations.create(host, { maxRedemptions: 10 }, log);
    await invitations.redeem(code, guestKey(1), '10.0.0.9', log);
    await invitations.redeem(code, guestKey(2), '10.0.0.9', log);
    await expect(invitations.redeem(code, guestKey(3), '10.0.0.9', log)).rejects.toMatchObject({
      code: 'quota_exceeded',
    });
    await invitations.redeem(code, guestKey(1), '10.0.0.9', log); // the same guest again counts nothing
    await invitations.redeem(code, guestKey(3), '10.0.0.10', log);
    expect(acs.createUserAndToken).toHaveBeenCalledTimes(3);
  });

  it('hands out tokens that never outlive the invitation by more than ACS minimum of 60 minutes', async () => {
    const { invitations, acs } = setup();
    const short = await invitations.create(host, { expiresInMinutes: 5 }, log);
    await invitations.redeem(short.code, guestKey(1), undefined, log);
    const long = await invitations.create(host, { expiresInMinutes: 10080 }, log);
    await invitations.redeem(long.code, guestKey(2), undefined, log);
    expect(acs.createUserAndToken.mock.calls.map((call) => call[1])).toEqual([60, 1440]);
  });
});
