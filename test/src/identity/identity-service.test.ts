import { AcsUnauthorizedError } from '../../../src/acs/identity-client';
import { UpstreamError } from '../../../src/domain/errors';
import { fakeResource as resource } from '../../support/fake-identity-gateway';
import { identityUseCases, openTokenPolicy, testCaller, testUser } from '../../support/identity-use-cases';

// The use-case logic over an in-memory store with the adapter's conditions and a scripted ACS gateway; the real
// adapters are exercised against Azurite and the ACS emulator in test/src/storage and test/integration.
const [user, caller] = [testUser, testCaller];
const setup = (options: { idempotentCreate?: boolean } = {}) => {
  const { identities: service, ...rest } = identityUseCases(options);
  return { service, ...rest };
};

beforeEach(() => jest.clearAllMocks());

describe('IdentityService.issueToken', () => {
  it('creates identity and token in one ACS call for a new user, under an intent that is then removed', async () => {
    const { acs, store, service } = setup();
    const result = await service.issueToken(user, { scopes: ['chat'] }, caller);
    expect(result).toMatchObject({ created: true, token: `t-${result.communicationUserId}` });
    expect(acs.createUserAndToken).toHaveBeenCalledTimes(1);
    expect(acs.getToken).not.toHaveBeenCalled();
    expect((await store.get(user))?.resource).toBe(resource);
    expect(store.intents.size).toBe(0);
  });

  it('costs one ACS call for an existing identity', async () => {
    const { acs, service } = setup();
    await service.issueToken(user, { scopes: ['chat'] }, caller);
    acs.createUserAndToken.mockClear();
    await service.issueToken(user, { scopes: ['voip'], expiresInMinutes: 60 }, caller);
    expect(acs.getToken).toHaveBeenCalledTimes(1);
    expect(acs.getToken.mock.calls[0]?.slice(1)).toEqual([['voip'], 60]);
    expect(acs.createUserAndToken).not.toHaveBeenCalled();
  });

  it('of 5 concurrent first requests one creates (one ACS create, no delete), the others get tokens for it', async () => {
    const { acs, store, service } = setup();
    const results = await Promise.all(
      Array.from({ length: 5 }, () => service.issueToken(user, { scopes: ['chat'] }, caller)),
    );
    expect(results.filter((result) => result.created)).toHaveLength(1);
    expect(new Set(results.map((result) => result.communicationUserId)).size).toBe(1);
    expect(acs.createUserAndToken).toHaveBeenCalledTimes(1);
    expect(acs.getToken).toHaveBeenCalledTimes(4);
    expect(acs.deleteUser).not.toHaveBeenCalled();
    expect(store.claims.size).toBe(1); // left in place: a user with a mapping has a claim row
  });

  it('takes over a claim whose lease ran out (its holder crashed), and waits for one that holds', async () => {
    const { acs, store, service, live } = setup();
    await store.claimCreation(user, new Date(Date.now() - 1));
    expect((await service.issueToken(user, { scopes: ['chat'] }, caller)).created).toBe(true);
    expect(acs.createUserAndToken).toHaveBeenCalledTimes(1);

    const other = { ...user, userId: 'u2' };
    const held = (await store.claimCreation(other, new Date(Date.now() + 60_000)))!;
    const waiting = service.issueToken(other, { scopes: ['chat'] }, caller);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(acs.createUserAndToken).toHaveBeenCalledTimes(1); // still waiting for the holder
    live.add('8:acs:holder');
    await store.create(other, { communicationUserId: '8:acs:holder', resource }, caller.cause);
    await store.releaseClaim(other, held);
    expect(await waiting).toMatchObject({ created: false, communicationUserId: '8:acs:holder' });
  });

  it('charges quotas for what happened: a failed first token gives its token and identity units back', async () => {
    const { Quotas } = await import('../../../src/identity/quotas');
    const { InMemoryQuotaStore } = await import('../../support/services');
    const quotaStore = new InMemoryQuotaStore();
    const { createIdentityUseCases } = await import('../../../src/identity/identity-service');
    const { acs, store } = setup();
    const { identities } = createIdentityUseCases({
      mappings: store,
      intents: store,
      acs,
      tokens: openTokenPolicy,
      idempotentCreate: false,
      reconcileAfterInMs: 600_000,
      claimLeaseInMs: 10_000,
      quotas: new Quotas(quotaStore, {
        tokensPerUser: { count: 5, windowInSeconds: 3600 },
        identitiesPerUser: { count: 1, windowInSeconds: 3600 },
      }),
    });
    acs.createUserAndToken.mockRejectedValueOnce(new UpstreamError('acs', 'throttled'));
    await expect(identities.issueToken(user, { scopes: ['chat'] }, caller)).rejects.toBeInstanceOf(UpstreamError);
    expect([...quotaStore.counts.values()].map((count) => count.used)).toEqual([0, 0]);
    expect((await identities.issueToken(user, { scopes: ['chat'] }, caller)).created).toBe(true);
    expect([...quotaStore.counts.values()].map((count) => count.used)).toEqual([1, 1]);
  });

  it('when it loses the race, deletes its own identity and answers with the winner', async () => {
    const { acs, store, service, live } = setup();
    const create = store.create.bind(store);
    jest.spyOn(store, 'create').mockImplementationOnce(async (u, identity, cause) => {
      await create(u, { communicationUserId: '8:acs:winner', resource }, cause);
      live.add('8:acs:winner');
      return create(u, identity, cause);
    });
    const result = await service.issueToken(user, { scopes: ['chat'] }, caller);
    expect(result).toMatchObject({ created: false, communicationUserId: '8:acs:winner' });
    expect(acs.deleteUser).toHaveBeenCalledWith('8:acs:new-1');
    expect(store.intents.size).toBe(0);
  });

  it('when the mapping cannot be saved, deletes the new identity and fails', async () => {
    const { acs, store, service, live } = setup();
    store.beforeCall = (method) => {
      if (method === 'create') throw new UpstreamError('storage', 'unavailable');
    };
    await expect(service.issueToken(user, { scopes: ['chat'] }, caller)).rejects.toMatchObject({
      service: 'storage',
      kind: 'unavailable',
    });
    expect(acs.deleteUser).toHaveBeenCalledWith('8:acs:new-1');
    expect(live.size).toBe(0);
  });

  it('treats a mapping write that timed out but was committed as saved (read back), not as a failure', async () => {
    const { acs, store, service } = setup();
    const create = store.create.bind(store);
    jest.spyOn(store, 'create').mockImplementationOnce(async (...args) => {
      await create(...args);
      throw new UpstreamError('storage', 'timeout');
    });
    const result = await service.issueToken(user, { scopes: ['chat'] }, caller);
    expect(result.created).toBe(true);
    expect(acs.deleteUser).not.toHaveBeenCalled();
    expect(store.intents.size).toBe(0);
  });

  it('leaves an identity whose mapping write timed out and cannot be read back to the reconciler', async () => {
    const { acs, store, service } = setup();
    store.beforeCall = (method) => {
      if (method === 'create') throw new UpstreamError('storage', 'timeout');
      if (method === 'get') throw new UpstreamError('storage', 'unavailable');
    };
    await expect(service.issueToken(user, { scopes: ['chat'] }, caller)).rejects.toMatchObject({ kind: 'timeout' });
    expect(acs.deleteUser).not.toHaveBeenCalled();
    expect([...store.intents.values()]).toEqual([
      expect.objectContaining({ kind: 'create', communicationUserId: expect.stringMatching(/^8:acs:new-/) }),
    ]);
  });

  it('records an identity it could not clean up in its intent, for the reconciler', async () => {
    const { acs, store, service } = setup();
    store.beforeCall = (method) => {
      if (method === 'create') throw new UpstreamError('storage', 'unavailable');
    };
    acs.deleteUser.mockRejectedValue(new UpstreamError('acs', 'unavailable'));
    await expect(service.issueToken(user, { scopes: ['chat'] }, caller)).rejects.toBeInstanceOf(UpstreamError);
    expect([...store.intents.values()]).toEqual([
      expect.objectContaining({ kind: 'create', communicationUserId: '8:acs:new-1' }),
    ]);
  });

  it('refuses tokens for an identity being deleted', async () => {
    const { store, service } = setup();
    await store.create(user, { communicationUserId: '8:acs:x', resource }, caller.cause);
    await store.markDeleting((await store.get(user))!);
    await expect(service.refreshToken(user, { scopes: ['chat'] }, caller)).rejects.toMatchObject({
      kind: 'conflict',
      code: 'deletion_in_progress',
    });
  });

  it('replaces a mapping whose identity ACS no longer has, in the same request', async () => {
    const { acs, store, service } = setup();
    await store.create(user, { communicationUserId: '8:acs:gone', resource }, caller.cause);
    const result = await service.issueToken(user, { scopes: ['chat'] }, caller);
    expect(result.created).toBe(true);
    expect(acs.createUser).toHaveBeenCalledTimes(1); // the credential probe
    expect(store.audit.map((entry) => entry.action)).toEqual(['created', 'stale_removed', 'created']);
  });

  it('treats a mapping of another ACS resource as stale without asking ACS', async () => {
    const { acs, store, service } = setup();
    await store.create(
      user,
      { communicationUserId: '8:acs:elsewhere', resource: 'https://old.communication.azure.com' },
      caller.cause,
    );
    await expect(service.refreshToken(user, { scopes: ['chat'] }, caller)).rejects.toMatchObject({ kind: 'not_found' });
    expect(acs.getToken).not.toHaveBeenCalled();
    expect(await store.get(user)).toBeUndefined();
  });

  it('keeps the mapping when a 401 cannot be told apart from bad credentials', async () => {
    const { acs, store, service } = setup();
    await store.create(user, { communicationUserId: '8:acs:x', resource }, caller.cause);
    acs.createUser.mockRejectedValue(new AcsUnauthorizedError());
    await expect(service.issueToken(user, { scopes: ['chat'] }, caller)).rejects.toBeInstanceOf(AcsUnauthorizedError);
    expect(await store.get(user)).toBeDefined();
  });
});

describe('access decisions', () => {
  const at = new Date('2026-06-01T12:00:00.500Z');
  const disabled = { kind: 'disabled' as const, at, source: 'okta', eventId: 'e1' };

  it('refuses a token issued before a disable decision, accepts one issued after it', async () => {
    const { store, service } = setup();
    await service.decide(user, disabled, caller.cause);
    await expect(
      service.issueToken({ ...user, issuedAt: new Date('2026-06-01T11:00:00Z') }, { scopes: ['chat'] }, caller),
    ).rejects.toMatchObject({
      kind: 'forbidden',
      code: 'user_disabled',
    });
    // iat has whole seconds: the decision's own second counts as before it.
    await expect(
      service.createIdentity({ ...user, issuedAt: new Date('2026-06-01T12:00:00Z') }, caller),
    ).rejects.toMatchObject({ code: 'user_disabled' });
    await expect(
      service.issueToken({ ...user, issuedAt: new Date('2026-06-01T12:00:01Z') }, { scopes: ['chat'] }, caller),
    ).resolves.toMatchObject({ created: true });
    expect(store.audit.map((entry) => entry.action)).toEqual(['access_blocked', 'created']);
  });

  it('refuses a caller whose token has no iat while a decision stands', async () => {
    const { service } = setup();
    await service.decide(user, disabled, caller.cause);
    await expect(service.issueToken(user, { scopes: ['chat'] }, caller)).rejects.toMatchObject({
      code: 'user_disabled',
    });
  });

  it('a later restore lifts the decision; an older one arriving late does not', async () => {
    const { service } = setup();
    await service.decide(user, disabled, caller.cause);
    expect(
      await service.decide(
        user,
        { kind: 'restored', at: new Date('2026-06-01T11:00:00Z'), source: 'okta', eventId: 'e0' },
        caller.cause,
      ),
    ).toBe(false);
    expect(
      await service.decide(
        user,
        { kind: 'restored', at: new Date('2026-06-01T13:00:00Z'), source: 'admin', eventId: 'a1' },
        caller.cause,
      ),
    ).toBe(true);
    await expect(
      service.issueToken({ ...user, issuedAt: new Date('2026-06-01T11:00:00Z') }, { scopes: ['chat'] }, caller),
    ).resolves.toMatchObject({ created: true });
  });
});

describe('IdentityService.deleteIdentity', () => {
  it('marks, deletes in ACS, then removes the mapping, and forgets its intent', async () => {
    const { acs, store, service, live } = setup();
    const { communicationUserId } = await service.issueToken(user, { scopes: ['chat'] }, caller);
    const markDeleting = jest.spyOn(store, 'markDeleting');
    const remove = jest.spyOn(store, 'remove');
    expect(await service.deleteIdentity(user, caller)).toBe(true);
    expect(markDeleting.mock.invocationCallOrder[0]).toBeLessThan(acs.deleteUser.mock.invocationCallOrder[0]);
    expect(acs.deleteUser.mock.invocationCallOrder[0]).toBeLessThan(remove.mock.invocationCallOrder[0]);
    expect(live.has(communicationUserId)).toBe(false);
    expect(store.intents.size).toBe(0);
  });

  it('is a no-op when there is nothing to delete', async () => {
    const { acs, service } = setup();
    expect(await service.deleteIdentity(user, caller)).toBe(false);
    expect(acs.deleteUser).not.toHaveBeenCalled();
  });

  it('keeps the mapping when a 401 cannot be told apart from bad credentials', async () => {
    const { acs, store, service } = setup();
    await store.create(user, { communicationUserId: '8:acs:x', resource }, caller.cause);
    acs.createUser.mockRejectedValue(new AcsUnauthorizedError());
    await expect(service.deleteIdentity(user, caller)).rejects.toBeInstanceOf(AcsUnauthorizedError);
    expect(await store.get(user)).toMatchObject({ state: 'deleting' });
    expect(store.intents.size).toBe(1); // the reconciler finishes it
  });

  it('never removes a mapping that was replaced after it was read (a stale delete)', async () => {
    const { store, service } = setup();
    await service.issueToken(user, { scopes: ['chat'] }, caller);
    const stale = (await store.get(user))!;
    await service.deleteIdentity(user, caller);
    const fresh = await service.issueToken(user, { scopes: ['chat'] }, caller);
    await service.deleteMapped(stale, caller);
    expect(await store.get(user)).toMatchObject({ communicationUserId: fresh.communicationUserId, state: 'active' });
  });
});
