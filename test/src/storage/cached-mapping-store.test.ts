import { CachedMappingStore } from '../../../src/storage/cached-mapping-store';
import { InMemoryMappingStore } from '../../support/in-memory-mapping-store';

const user = { issuer: 'https://issuer.example.com', userId: 'u1' };
const cause = { kind: 'caller' as const };
const resource = 'https://acs.example.communication.azure.com';

describe('CachedMappingStore', () => {
  const setup = (maxAgeInMs = 30_000, maxEntries = 100) => {
    let now = 1_000_000;
    const inner = new InMemoryMappingStore();
    const read = jest.spyOn(inner, 'read');
    const store = new CachedMappingStore(inner, { maxAgeInMs, maxEntries, now: () => now });
    return { inner, read, store, advance: (ms: number) => (now += ms) };
  };

  it('serves a repeated read from memory until it is maxAge old', async () => {
    const { inner, read, store, advance } = setup();
    await inner.create(user, { communicationUserId: '8:acs:a', resource }, cause);
    await store.read(user);
    await store.read(user);
    expect(read).toHaveBeenCalledTimes(1);
    advance(30_000);
    await store.read(user);
    expect(read).toHaveBeenCalledTimes(2);
  });

  it('drops the entry on every write through it, and reads the table when asked for a fresh record', async () => {
    const { read, store } = setup();
    await store.read(user);
    await store.create(user, { communicationUserId: '8:acs:a', resource }, cause);
    expect((await store.read(user)).mapping?.communicationUserId).toBe('8:acs:a');
    await store.read(user, { fresh: true });
    expect(read).toHaveBeenCalledTimes(3);
  });

  it('sees a change made elsewhere only after maxAge (the documented bound)', async () => {
    const { inner, store, advance } = setup(10_000);
    await inner.create(user, { communicationUserId: '8:acs:a', resource }, cause);
    await store.read(user);
    await inner.recordDecision(
      user,
      { kind: 'disabled', at: new Date(), source: 'okta', eventId: 'e' },
      undefined,
      cause,
    );
    expect((await store.read(user)).decision).toBeUndefined();
    advance(10_000);
    expect((await store.read(user)).decision?.kind).toBe('disabled');
  });

  it('is bounded: the least recently used user is dropped first', async () => {
    const { read, store } = setup(30_000, 2);
    const other = (id: string) => ({ ...user, userId: id });
    await store.read(other('a'));
    await store.read(other('b'));
    await store.read(other('a'));
    await store.read(other('c')); // drops b
    expect(store.size).toBe(2);
    await store.read(other('a'));
    await store.read(other('b'));
    expect(read.mock.calls.map(([u]) => u.userId)).toEqual(['a', 'b', 'c', 'b']);
  });

  it('with maxAge 0 caches nothing', async () => {
    const { read, store } = setup(0);
    await store.read(user);
    await store.read(user);
    expect(read).toHaveBeenCalledTimes(2);
    expect(store.size).toBe(0);
  });

  it('hands out copies: a caller cannot change the cached record', async () => {
    const { inner, store } = setup();
    await inner.create(user, { communicationUserId: '8:acs:a', resource }, cause);
    const first = await store.read(user);
    first.mapping!.communicationUserId = 'tampered';
    expect((await store.read(user)).mapping?.communicationUserId).toBe('8:acs:a');
  });
});
