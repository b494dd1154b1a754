import type { NewInvitation } from '../../../src/domain/invitations';
import { InvitationRepository } from '../../../src/storage/invitation-repository';
import { azuriteTable } from '../../support/azurite-table';

const issuer = 'https://issuer.example.com';
const inviter = { issuer, userId: 'clinician/42' };
let ids = 0;
const newInvitation = (overrides: Partial<NewInvitation> = {}): NewInvitation => ({
  id: `inv-${String(++ids).padStart(12, '0')}`,
  inviter,
  secretHash: 'hash',
  scopes: ['voip', 'chat'],
  expiresOn: new Date(Date.now() + 60_000),
  maxRedemptions: 5,
  context: 'https://meet.example/room',
  resource: 'https://acs.example.communication.azure.com',
  createdAt: new Date(),
  ...overrides,
});

/** The invitations' Table adapter against real Table storage (Azurite in memory): ETags, transactions, indexes. */
describe('InvitationRepository', () => {
  const storage = azuriteTable();
  let repository: InvitationRepository;
  beforeAll(() => {
    repository = new InvitationRepository(storage.table, 5000);
  });

  it('stores an invitation as it was given, found by its id and by its inviter', async () => {
    const created = await repository.create(newInvitation());
    expect(await repository.get(created.id)).toEqual(created);
    expect(await repository.listByInviter(inviter)).toContain(created.id);
    expect(await repository.get('inv-unknown-0000')).toBeUndefined();
  });

  it('of 10 redemptions racing on one read of the invitation exactly one counts itself, with its guest row', async () => {
    const invitation = await repository.create(newInvitation());
    const lease = new Date(Date.now() + 10_000);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, n) => repository.reserve(invitation, `key-${n}`, lease, new Date())),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await repository.get(invitation.id))?.redemptions).toBe(1);
    expect(await repository.listGuests(invitation.id)).toHaveLength(1);
  });

  it('refuses a second reservation of the same guest key even on a fresh ETag, and gives a reservation back', async () => {
    const invitation = await repository.create(newInvitation());
    expect(await repository.reserve(invitation, 'key', new Date(Date.now() + 10_000), new Date())).toBe(true);
    const fresh = (await repository.get(invitation.id))!;
    expect(await repository.reserve(fresh, 'key', new Date(), new Date())).toBe(false);
    const guest = (await repository.getGuest(invitation.id, 'key'))!;
    expect(await repository.release(fresh, guest)).toBe(true);
    expect((await repository.get(invitation.id))?.redemptions).toBe(0);
    expect(await repository.getGuest(invitation.id, 'key')).toBeUndefined();
  });

  it('takes a guest over and records its identity only on the ETag read', async () => {
    const invitation = await repository.create(newInvitation());
    await repository.reserve(invitation, 'key', new Date(Date.now() - 1), new Date());
    const stale = (await repository.getGuest(invitation.id, 'key'))!;
    const taken = (await repository.takeOver(invitation.id, stale, new Date(Date.now() + 10_000)))!;
    expect(taken).toBeDefined();
    expect(await repository.takeOver(invitation.id, stale, new Date())).toBeUndefined();
    expect(await repository.recordIdentity(invitation.id, stale, '8:acs:late')).toBe(false);
    expect(await repository.recordIdentity(invitation.id, taken, '8:acs:guest')).toBe(true);
    expect(await repository.getGuest(invitation.id, 'key')).toMatchObject({ communicationUserId: '8:acs:guest' });
  });

  it('schedules a clean-up at expiry and another at revocation; revoke is conditional on the ETag', async () => {
    const invitation = await repository.create(newInvitation({ expiresOn: new Date(Date.now() + 3_600_000) }));
    expect((await repository.listDueForCleanup(new Date())).map((due) => due.invitationId)).not.toContain(
      invitation.id,
    );
    const revoked = (await repository.revoke(invitation, new Date()))!;
    expect(revoked.revokedAt).toBeDefined();
    expect(await repository.revoke(invitation, new Date())).toBeUndefined(); // stale ETag
    const due = (await repository.listDueForCleanup(new Date(Date.now() + 1000))).filter(
      (entry) => entry.invitationId === invitation.id,
    );
    expect(due).toHaveLength(1);
    await repository.forgetDue(due[0]);
    expect(
      (await repository.listDueForCleanup(new Date(Date.now() + 1000))).map((entry) => entry.invitationId),
    ).not.toContain(invitation.id);
    expect(
      (await repository.listDueForCleanup(new Date(Date.now() + 7_200_000))).map((entry) => entry.invitationId),
    ).toContain(invitation.id);
  });
});
