import { IntentRepository } from '../../../src/storage/intent-repository';
import { azuriteTable } from '../../support/azurite-table';

const issuer = 'https://issuer.example.com';

/** The intents' Table adapter against real Table storage (Azurite in memory). */
describe('IntentRepository', () => {
  const storage = azuriteTable();
  let repository: IntentRepository;
  let users = 0;
  const newUser = () => ({ issuer, userId: `user-${++users}/with#odd?chars` });

  beforeAll(() => {
    repository = new IntentRepository(storage.table, 5000);
  });

  it('lists intents older than a cutoff, oldest first, and forgets them', async () => {
    const user = newUser();
    const old = await repository.putIntent('create', user, undefined, new Date(Date.now() - 120_000));
    const recent = await repository.putIntent('delete', user, '8:acs:z');
    await repository.recordIntentIdentity(old, '8:acs:orphan');
    const listed = await repository.listIntentsBefore(new Date(Date.now() - 60_000));
    expect(listed.map((intent) => intent.id)).toContain(old.id);
    expect(listed.map((intent) => intent.id)).not.toContain(recent.id);
    expect(listed.find((intent) => intent.id === old.id)).toMatchObject({
      kind: 'create',
      user,
      communicationUserId: '8:acs:orphan',
    });
    await repository.deleteIntent(old);
    await repository.deleteIntent(old); // already gone is fine
    expect((await repository.listIntentsBefore(new Date(Date.now() + 1000))).map((intent) => intent.id)).not.toContain(
      old.id,
    );
  });
});
