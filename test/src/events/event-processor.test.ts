import { EventBusyError, EventProcessor } from '../../../src/events/event-processor';
import type { IdentityService } from '../../../src/identity/identity-service';
import type { ProcessedEventRepository } from '../../../src/storage/processed-events';
import type { IdentityEvent } from '../../../src/webhooks/types';

const log = { info: jest.fn(), warn: jest.fn(), error: jest.fn() };
const event = (overrides: Partial<IdentityEvent> = {}): IdentityEvent => ({
  source: 'okta',
  eventId: 'evt-1',
  issuer: 'https://issuer.example.com',
  userId: 'u1',
  action: 'revoke',
  occurredAt: '2026-06-01T12:00:00.000Z',
  type: 'user.account.update_password',
  ...overrides,
});
const mapping = (overrides: Record<string, unknown> = {}) => ({ user: { issuer: 'i', userId: 'u1' }, communicationUserId: '8:acs:x', createdOn: new Date('2026-05-01T00:00:00Z'), state: 'active', etag: 'e', ...overrides });

function fakes() {
  const identities = {
    findMapping: jest.fn(async () => mapping() as never),
    revokeMapped: jest.fn(async () => 'revoked' as never),
    deleteMapped: jest.fn(async () => undefined),
    decide: jest.fn(async () => true),
  };
  const processed = { claim: jest.fn(async () => ({ status: 'claimed', etag: 'e' }) as never), complete: jest.fn(async () => undefined), release: jest.fn(async () => undefined) };
  return { identities, processed, processor: new EventProcessor(identities as unknown as IdentityService, processed as unknown as ProcessedEventRepository) };
}

describe('EventProcessor', () => {
  it('revokes and records the outcome', async () => {
    const { identities, processed, processor } = fakes();
    expect(await processor.process(event(), log)).toBe('revoked');
    expect(identities.revokeMapped).toHaveBeenCalledWith(expect.objectContaining({ communicationUserId: '8:acs:x' }), expect.objectContaining({ cause: { kind: 'webhook', source: 'okta', eventId: 'evt-1', eventType: 'user.account.update_password' } }));
    expect(processed.complete).toHaveBeenCalledWith('okta', 'evt-1', 'revoked');
  });

  it('acts once: a processed event is a duplicate, one in progress is retried later', async () => {
    const { identities, processed, processor } = fakes();
    processed.claim.mockResolvedValueOnce({ status: 'done' } as never);
    expect(await processor.process(event(), log)).toBe('duplicate');
    processed.claim.mockResolvedValueOnce({ status: 'busy' } as never);
    await expect(processor.process(event(), log)).rejects.toBeInstanceOf(EventBusyError);
    expect(identities.revokeMapped).not.toHaveBeenCalled();
  });

  it('keeps an identity created clearly after a delete event (a later user of the same id), but records the decision', async () => {
    const { identities, processor } = fakes();
    identities.findMapping.mockResolvedValue(mapping({ createdOn: new Date('2026-06-01T12:06:00Z') }) as never);
    expect(await processor.process(event({ action: 'delete' }), log)).toBe('kept_newer_identity');
    expect(identities.decide).toHaveBeenCalledWith(expect.anything(), expect.objectContaining({ kind: 'deleted' }), expect.anything());
    expect(identities.deleteMapped).not.toHaveBeenCalled();
  });

  it('applies a delete whose time is within the clock tolerance of the identity creation (whole-second timestamps)', async () => {
    const { identities, processor } = fakes();
    identities.findMapping.mockResolvedValue(mapping({ createdOn: new Date('2026-06-01T12:00:00.900Z') }) as never);
    expect(await processor.process(event({ action: 'delete' }), log)).toBe('deleted');
  });

  it('always applies a revoke, even one timed before the identity or the last revocation (a revoke is never harmful)', async () => {
    const { identities, processor } = fakes();
    identities.findMapping.mockResolvedValue(mapping({ createdOn: new Date('2026-06-01T12:00:00.900Z'), revokedAt: new Date('2026-06-02T00:00:00Z') }) as never);
    expect(await processor.process(event(), log)).toBe('revoked');
    expect(identities.revokeMapped).toHaveBeenCalledTimes(1);
  });

  it('records a disable or delete even for a user without an identity (it blocks later creation)', async () => {
    const { identities, processor } = fakes();
    identities.findMapping.mockResolvedValue(undefined as never);
    expect(await processor.process(event({ action: 'delete' }), log)).toBe('blocked');
    expect(identities.decide).toHaveBeenCalledTimes(1);
    expect(await processor.process(event({ action: 'revoke', eventId: 'evt-2' }), log)).toBe('no_mapping');
  });

  it('an enable event lifts a decision unless a later one is recorded', async () => {
    const { identities, processor } = fakes();
    expect(await processor.process(event({ action: 'enable' }), log)).toBe('enabled');
    identities.decide.mockResolvedValueOnce(false);
    expect(await processor.process(event({ action: 'enable', eventId: 'evt-3' }), log)).toBe('stale');
  });

  it('releases the claim when the action fails, so the retry can act', async () => {
    const { identities, processed, processor } = fakes();
    identities.revokeMapped.mockRejectedValue(new Error('ACS down'));
    await expect(processor.process(event(), log)).rejects.toThrow('ACS down');
    expect(processed.release).toHaveBeenCalledWith('okta', 'evt-1');
    expect(processed.complete).not.toHaveBeenCalled();
  });
});
