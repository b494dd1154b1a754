import { ConcurrentChangeError } from '../../../src/domain/model';
import { MappingRepository } from '../../../src/storage/mapping-repository';
import { azuriteTable } from '../../support/azurite-table';

const issuer = 'https://issuer.example.com';
const caller = { kind: 'caller' as const };
const resource = 'https://acs.example.communication.azure.com';

/** The Table adapter against real Table storage (Azurite in memory): conditions, transactions, audit order. */
describe('MappingRepository', () => {
  const storage = azuriteTable();
  let repository: MappingRepository;
  let users = 0;
  const newUser = () => ({ issuer, userId: `user-${++users}/with#odd?chars` });

  beforeAll(() => {
    repository = new MappingRepository(storage.table, 5000);
  });

  it('creates a mapping create-only: of 10 racing creates exactly one wins, and only its audit record exists', async () => {
    const user = newUser();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        repository.create(user, { communicationUserId: `8:acs:${i}`, resource }, caller),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = `8:acs:${results.indexOf(true)}`;
    expect(await repository.get(user)).toMatchObject({ communicationUserId: winner, resource, state: 'active' });
    expect((await repository.listAudit(user)).map((entry) => [entry.action, entry.communicationUserId])).toEqual([
      ['created', winner],
    ]);
  });

  it('refuses a change on a stale ETag (markDeleting, remove) with ConcurrentChangeError', async () => {
    const user = newUser();
    await repository.create(user, { communicationUserId: '8:acs:a', resource }, caller);
    const read = (await repository.get(user))!;
    const deleting = await repository.markDeleting(read);
    await expect(repository.markDeleting(read)).rejects.toBeInstanceOf(ConcurrentChangeError);
    await expect(repository.remove(read, caller)).rejects.toBeInstanceOf(ConcurrentChangeError);
    await repository.remove(deleting, caller);
    expect(await repository.get(user)).toBeUndefined();
    await expect(repository.remove(deleting, caller)).rejects.toBeInstanceOf(ConcurrentChangeError);
  });

  it('re-creates over a tombstone, and a stale remove then cannot touch the new mapping', async () => {
    const user = newUser();
    await repository.create(user, { communicationUserId: '8:acs:old', resource }, caller);
    const old = (await repository.get(user))!;
    await repository.remove(old, caller);
    expect(await repository.create(user, { communicationUserId: '8:acs:new', resource, intentId: 'i-1' }, caller)).toBe(
      true,
    );
    await expect(repository.remove(old, caller)).rejects.toBeInstanceOf(ConcurrentChangeError);
    expect(await repository.get(user)).toMatchObject({ communicationUserId: '8:acs:new', intentId: 'i-1' });
    expect((await repository.listAudit(user)).map((entry) => `${entry.action} ${entry.communicationUserId}`)).toEqual([
      'created 8:acs:new',
      'deleted 8:acs:old',
      'created 8:acs:old',
    ]);
  });

  it('records a revocation on the current ETag, and not on a mapping that was replaced', async () => {
    const user = newUser();
    await repository.create(user, { communicationUserId: '8:acs:r', resource }, caller);
    const read = (await repository.get(user))!;
    expect(await repository.recordRevocation(read, caller)).toBe(true);
    expect(await repository.recordRevocation(read, caller)).toBe(true); // stale ETag, same identity: re-read and recorded
    expect((await repository.get(user))?.revokedAt).toBeInstanceOf(Date);
    await repository.remove((await repository.get(user))!, caller);
    expect(await repository.recordRevocation(read, caller)).toBe(false);
  });

  it('reads the mapping and the decision in one query; a later decision replaces an older one, never the reverse', async () => {
    const user = newUser();
    await repository.create(user, { communicationUserId: '8:acs:d', resource }, caller);
    const disabled = { kind: 'disabled' as const, at: new Date('2026-06-01T12:00:00Z'), source: 'okta', eventId: 'e1' };
    expect(await repository.recordDecision(user, disabled, undefined, caller)).toBe(true);
    await expect(
      repository.recordDecision(
        user,
        { ...disabled, eventId: 'e2', at: new Date('2026-06-01T13:00:00Z') },
        undefined,
        caller,
      ),
    ).rejects.toBeInstanceOf(ConcurrentChangeError);
    const record = await repository.read(user);
    expect(record).toMatchObject({
      mapping: { communicationUserId: '8:acs:d' },
      decision: { kind: 'disabled', eventId: 'e1' },
    });
    expect(
      await repository.recordDecision(
        user,
        { ...disabled, kind: 'restored', at: new Date('2026-06-01T11:00:00Z') },
        record.decision,
        caller,
      ),
    ).toBe(false);
    expect(
      await repository.recordDecision(
        user,
        { ...disabled, kind: 'restored', at: new Date('2026-06-01T14:00:00Z') },
        record.decision,
        caller,
      ),
    ).toBe(true);
    expect((await repository.read(user)).decision?.kind).toBe('restored');
  });

  it('lists the audit trail newest first, up to the limit', async () => {
    const user = newUser();
    await repository.create(
      user,
      { communicationUserId: '8:acs:t', resource },
      caller,
      new Date('2026-01-01T00:00:00Z'),
    );
    for (let i = 1; i <= 5; i += 1) {
      await repository.recordRevocation(
        (await repository.get(user))!,
        { kind: 'admin', actor: `ops-${i}` },
        new Date(`2026-01-0${i + 1}T00:00:00Z`),
      );
    }
    const trail = await repository.listAudit(user, 3);
    expect(trail.map((entry) => (entry.cause.kind === 'admin' ? entry.cause.actor : entry.cause.kind))).toEqual([
      'ops-5',
      'ops-4',
      'ops-3',
    ]);
  });
});
