import {
  Batch,
  hashId,
  issuerFromTemplate,
  loggable,
  parseJson,
  secretsMatch,
  toIsoTime,
} from '../../../src/webhooks/shared';

describe('secretsMatch', () => {
  it('matches only the identical string', () => {
    expect(secretsMatch('s3cret-value', 's3cret-value')).toBe(true);
    expect(secretsMatch('s3cret-valuf', 's3cret-value')).toBe(false);
    expect(secretsMatch('s3cret-value ', 's3cret-value')).toBe(false);
    expect(secretsMatch('s3cret', 's3cret-value')).toBe(false);
  });

  it('never matches a missing value or an empty configured secret', () => {
    expect(secretsMatch(null, 's3cret')).toBe(false);
    expect(secretsMatch(undefined, 's3cret')).toBe(false);
    expect(secretsMatch('', '')).toBe(false);
  });
});

describe('issuerFromTemplate', () => {
  const template = 'https://login.microsoftonline.com/{tenantId}/v2.0';

  it('fills a GUID tenant id, lower-cased like the tid claim', () => {
    expect(issuerFromTemplate(template, '84BD8158-6D4D-4958-8B9F-9D6445542F95')).toBe(
      'https://login.microsoftonline.com/84bd8158-6d4d-4958-8b9f-9d6445542f95/v2.0',
    );
  });

  it.each([undefined, '', 'contoso.onmicrosoft.com', '84bd8158-6d4d-4958-8b9f-9d6445542f95/../x'])(
    'refuses %p',
    (tenantId) => {
      expect(issuerFromTemplate(template, tenantId)).toBeUndefined();
    },
  );
});

describe('parseJson', () => {
  it('reports failure instead of throwing', () => {
    expect(parseJson('{"a":1}')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseJson('{a:1}')).toEqual({ ok: false });
  });
});

describe('toIsoTime', () => {
  it.each([
    ['2022-05-24T22:24:31.3062901Z', '2022-05-24T22:24:31.306Z'],
    ['2022-05-24T23:21:19.3554403+00:00', '2022-05-24T23:21:19.355Z'],
    [1654012591835, '2022-05-31T15:56:31.835Z'],
    ['yesterday', undefined],
    [undefined, undefined],
  ])('%p -> %p', (value, expected) => {
    expect(toIsoTime(value)).toBe(expected);
  });
});

describe('hashId', () => {
  it('is stable, base64url, and does not confuse part boundaries', () => {
    expect(hashId(['a', 'b'])).toBe(hashId(['a', 'b']));
    expect(hashId(['a', 'b'])).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(hashId(['ab', ''])).not.toBe(hashId(['a', 'b']));
  });
});

describe('loggable', () => {
  it('passes ids and types, and hides anything else', () => {
    expect(loggable('user.lifecycle.deactivate')).toBe('user.lifecycle.deactivate');
    expect(loggable('line\nbreak')).toBe('(unloggable)');
    expect(loggable({ toString: () => 'x' })).toBe('(unloggable)');
  });
});

describe('Batch', () => {
  it('collects decisions into an accepted outcome with levelled notes', () => {
    const batch = new Batch();
    batch.ignore();
    batch.ignore('a lifecycle event', 'warning');
    batch.reject('a forged entry');
    expect(batch.toOutcome()).toEqual({
      kind: 'accepted',
      events: [],
      ignored: 2,
      rejected: 1,
      notes: ['warning: a lifecycle event', 'warning: a forged entry'],
    });
  });
});
