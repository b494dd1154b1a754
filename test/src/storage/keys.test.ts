import { auditRowKey, eventRowKey, userPartitionKey } from '../../../src/storage/keys';

// Table keys forbid / \ # ? and control characters, and are limited to 1 KiB.
// eslint-disable-next-line no-control-regex -- the control characters are what the test looks for
const forbidden = /[/\\#?\u0000-\u001f\u007f-\u009f]/;

describe('table keys', () => {
  it('are safe and bounded for any issuer and user id', () => {
    for (const userId of ['a/b\\c#d?e', 'tab\there\u0001', 'x'.repeat(4096), '用户']) {
      const key = userPartitionKey({ issuer: 'https://issuer.example.com/', userId });
      expect(key).not.toMatch(forbidden);
      expect(key.length).toBeLessThanOrEqual(46);
    }
    expect(eventRowKey('evt/1#?')).not.toMatch(forbidden);
  });

  it('keep the same user id at two issuers apart', () => {
    expect(userPartitionKey({ issuer: 'https://a.example.com', userId: 'u1' })).not.toBe(
      userPartitionKey({ issuer: 'https://b.example.com', userId: 'u1' }),
    );
    // The separator cannot be forged by moving characters between issuer and user id.
    expect(userPartitionKey({ issuer: 'https://a.example.com/x', userId: 'y' })).not.toBe(
      userPartitionKey({ issuer: 'https://a.example.com/', userId: 'xy' }),
    );
  });

  it('are stable', () => {
    expect(userPartitionKey({ issuer: 'i', userId: 'u' })).toBe(userPartitionKey({ issuer: 'i', userId: 'u' }));
  });

  it('sort audit rows newest first', () => {
    const older = auditRowKey(new Date('2026-01-01T00:00:00Z'));
    const newer = auditRowKey(new Date('2026-06-01T00:00:00Z'));
    expect([older, newer].sort()).toEqual([newer, older]);
    expect(newer.startsWith('audit-')).toBe(true);
  });
});
