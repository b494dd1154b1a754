import { UpstreamError } from '../../../src/domain/errors';
import { fakeResource as resource } from '../../support/fake-identity-gateway';
import { identityUseCases, testCaller, testLog, testUser } from '../../support/identity-use-cases';

// The use-case logic over an in-memory store with the adapter's conditions and a scripted ACS gateway; the real
// adapters are exercised against Azurite and the ACS emulator in test/src/storage and test/integration.
const [user, log, caller] = [testUser, testLog, testCaller];
const setup = (options: { idempotentCreate?: boolean } = {}) => {
  const { identities: service, ...rest } = identityUseCases(options);
  return { service, ...rest };
};

beforeEach(() => jest.clearAllMocks());

describe('Reconciler.reconcile', () => {
  it('deletes the identity of a create that never saved its mapping (found again through its customId)', async () => {
    const { acs, store, service, reconciler, live } = setup({ idempotentCreate: true });
    store.beforeCall = (method) => {
      if (method === 'create') throw new Error('host crashed');
    };
    acs.createUserAndToken.mockImplementationOnce(async () => {
      throw new UpstreamError('acs', 'timeout');
    });
    await expect(service.issueToken(user, { scopes: ['chat'] }, caller)).rejects.toBeInstanceOf(UpstreamError);
    store.beforeCall = () => undefined;
    const [intent] = await store.listIntentsBefore(new Date(Date.now() + 1));
    expect(await reconciler.reconcile(intent, log)).toBe('orphan_deleted');
    expect(acs.createUser).toHaveBeenCalledWith({ customId: intent.id });
    expect(live.size).toBe(0);
    expect(store.intents.size).toBe(0);
  });

  it('only forgets the intent of a create that completed', async () => {
    const { acs, store, reconciler } = setup();
    const intent = await store.putIntent('create', user);
    await store.create(user, { communicationUserId: '8:acs:done', resource, intentId: intent.id }, caller.cause);
    expect(await reconciler.reconcile(intent, log)).toBe('completed');
    expect(acs.deleteUser).not.toHaveBeenCalled();
  });

  it('finishes a delete stuck in deleting', async () => {
    const { store, service, reconciler, live } = setup();
    const { communicationUserId } = await service.issueToken(user, { scopes: ['chat'] }, caller);
    const intent = await store.putIntent('delete', user, communicationUserId);
    await store.markDeleting((await store.get(user))!);
    expect(await reconciler.reconcile(intent, log)).toBe('delete_finished');
    expect(await store.get(user)).toBeUndefined();
    expect(live.has(communicationUserId)).toBe(false);
  });
});
