import { processIdentityEvent } from '../../../src/handlers/events';
import { reconcileIdentities } from '../../../src/handlers/maintenance';
import { issueToken } from '../../../src/handlers/tokens';
import { context, issuer, request, testServices } from '../../support/services';

describe('queue and timer handlers (in process)', () => {
  const event = {
    source: 'okta',
    eventId: 'evt-1',
    issuer,
    userId: 'alice',
    action: 'delete',
    occurredAt: new Date().toISOString(),
    type: 'user.lifecycle.delete.initiated',
  };

  it('applies a queued event once, and throws a malformed message back to the host (retry, then poison)', async () => {
    const { services, live } = testServices();
    await issueToken(services)(
      request('POST', '/api/tokens', { token: 'user:alice;iat=2020-01-01T00:00:00Z' }),
      context(),
    );
    const log = context();
    await processIdentityEvent(services)(event, log);
    await processIdentityEvent(services)(event, log);
    expect(live.size).toBe(0);
    expect(log.lines.filter((line) => line.includes('Event okta/evt-1 (delete)'))).toEqual([
      expect.stringContaining(': deleted'),
      expect.stringContaining(': duplicate'),
    ]);
    await expect(processIdentityEvent(services)({ not: 'an event' }, context())).rejects.toThrow(
      'Malformed identity event',
    );
  });

  it('the reconciler deletes the identity of a create that never saved its mapping', async () => {
    const { services, mappings, live } = testServices({ RECONCILE_AFTER_SECONDS: '5' });
    const intent = await mappings.putIntent(
      'create',
      { issuer, userId: 'crashed' },
      undefined,
      new Date(Date.now() - 60_000),
    );
    live.add('8:acs:orphan');
    await mappings.recordIntentIdentity(intent, '8:acs:orphan');
    const log = context();
    await reconcileIdentities(services)({} as never, log);
    expect(live.has('8:acs:orphan')).toBe(false);
    expect(mappings.intents.size).toBe(0);
    expect(log.lines.join('\n')).toMatch(/Reconciled 1 unfinished change\(s\).*"orphan_deleted":1/);
  });
});
