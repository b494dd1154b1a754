import type { IdentityEvent } from '../../../src/domain/events';
import { EventBusyError, EventProcessor } from '../../../src/events/event-processor';
import { identityUseCases } from '../../support/identity-use-cases';
import { InMemoryProcessedEvents } from '../../support/services';

const log = { info: jest.fn(), warn: jest.fn(), error: jest.fn() };
const issuer = 'https://issuer.example.com';
const user = { issuer, userId: 'u1' };
const event = (overrides: Partial<IdentityEvent> = {}): IdentityEvent => ({
  source: 'okta',
  eventId: 'evt-1',
  issuer,
  userId: 'u1',
  action: 'revoke',
  occurredAt: '2026-06-01T12:00:00.000Z',
  type: 'user.account.update_password',
  ...overrides,
});

/** The processor over the real use cases, an in-memory store and a scripted ACS. */
async function setup(identityCreatedOn?: Date) {
  const { acs, live, store, identities } = identityUseCases();
  const processed = new InMemoryProcessedEvents();
  if (identityCreatedOn) {
    live.add('8:acs:x');
    await store.create(
      user,
      { communicationUserId: '8:acs:x', resource: acs.resource },
      { kind: 'caller' },
      identityCreatedOn,
    );
  }
  return { acs, live, store, processed, processor: new EventProcessor(identities, processed) };
}

describe('EventProcessor', () => {
  it('revokes, audits the webhook as the cause and records the outcome', async () => {
    const { acs, store, processed, processor } = await setup(new Date('2026-05-01T00:00:00Z'));
    expect(await processor.process(event(), log)).toBe('revoked');
    expect(acs.revokeTokens).toHaveBeenCalledWith('8:acs:x');
    expect(store.audit.at(-1)).toMatchObject({
      action: 'tokens_revoked',
      cause: { kind: 'webhook', source: 'okta', eventId: 'evt-1' },
    });
    expect(processed.records.get('okta/evt-1')).toBe('revoked');
  });

  it('acts once: a processed event is a duplicate, one in progress is retried later', async () => {
    const { acs, processed, processor } = await setup(new Date('2026-05-01T00:00:00Z'));
    await processor.process(event(), log);
    expect(await processor.process(event(), log)).toBe('duplicate');
    processed.records.set('okta/evt-2', 'processing');
    await expect(processor.process(event({ eventId: 'evt-2' }), log)).rejects.toBeInstanceOf(EventBusyError);
    expect(acs.revokeTokens).toHaveBeenCalledTimes(1);
  });

  it('keeps an identity created clearly after a delete event (a later user of the same id), but records the decision', async () => {
    const { live, store, processor } = await setup(new Date('2026-06-01T12:06:00Z'));
    expect(await processor.process(event({ action: 'delete' }), log)).toBe('kept_newer_identity');
    expect(live.has('8:acs:x')).toBe(true);
    expect((await store.read(user)).decision).toMatchObject({ kind: 'deleted' });
  });

  it('applies a delete whose time is within the clock tolerance of the identity creation (whole-second timestamps)', async () => {
    const { live, store, processor } = await setup(new Date('2026-06-01T12:00:00.900Z'));
    expect(await processor.process(event({ action: 'delete' }), log)).toBe('deleted');
    expect(live.size).toBe(0);
    expect(await store.get(user)).toBeUndefined();
  });

  it('always applies a revoke, even one timed before the identity or the last revocation (a revoke is never harmful)', async () => {
    const { acs, processor } = await setup(new Date('2026-06-01T12:00:00.900Z'));
    expect(await processor.process(event({ eventId: 'later', occurredAt: '2026-06-02T00:00:00Z' }), log)).toBe(
      'revoked',
    );
    expect(await processor.process(event({ eventId: 'earlier' }), log)).toBe('revoked');
    expect(acs.revokeTokens).toHaveBeenCalledTimes(2);
  });

  it('records a disable or delete even for a user without an identity (it blocks later creation); a revoke is then a no-op', async () => {
    const { store, processor } = await setup();
    expect(await processor.process(event({ action: 'delete' }), log)).toBe('blocked');
    expect((await store.read(user)).decision).toMatchObject({ kind: 'deleted', source: 'okta', eventId: 'evt-1' });
    expect(await processor.process(event({ action: 'revoke', eventId: 'evt-2' }), log)).toBe('no_mapping');
  });

  it('an enable event lifts a decision unless a later one is recorded', async () => {
    const { store, processor } = await setup();
    await processor.process(event({ action: 'disable', eventId: 'd1' }), log);
    expect(
      await processor.process(event({ action: 'enable', eventId: 'e0', occurredAt: '2026-06-01T11:00:00Z' }), log),
    ).toBe('stale');
    expect((await store.read(user)).decision?.kind).toBe('disabled');
    expect(
      await processor.process(event({ action: 'enable', eventId: 'e1', occurredAt: '2026-06-01T13:00:00Z' }), log),
    ).toBe('enabled');
    expect((await store.read(user)).decision?.kind).toBe('restored');
  });

  it('releases the claim when the action fails, so the retry can act', async () => {
    const { acs, processed, processor } = await setup(new Date('2026-05-01T00:00:00Z'));
    acs.revokeTokens.mockRejectedValueOnce(new Error('ACS down'));
    await expect(processor.process(event(), log)).rejects.toThrow('ACS down');
    expect(processed.records.has('okta/evt-1')).toBe(false);
    expect(await processor.process(event(), log)).toBe('revoked');
  });
});
