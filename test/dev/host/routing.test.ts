import { matchRouteTemplate, parseRouteTemplate, RouteTable } from '../../../dev/host/routing';

const match = (template: string, path: string): Record<string, string> | undefined =>
  matchRouteTemplate(parseRouteTemplate(template), path);

describe('route templates', () => {
  it('matches literals case-insensitively and ignores one trailing slash', () => {
    expect(match('api/Identities/me', '/API/identities/ME/')).toEqual({});
    expect(match('api/identities/me', '/api/identities/me/extra')).toBeUndefined();
    expect(match('api/identities/me', '/api/identities')).toBeUndefined();
  });

  it('captures parameters from the decoded path as they are (an escaped / stays %2F, as in TemplateMatcher)', () => {
    expect(match('api/users/{userId}/audit', '/api/users/a@b%2Fc/audit')).toEqual({ userId: 'a@b%2Fc' });
  });

  it('treats an optional parameter as absent and a default as its value', () => {
    expect(match('api/items/{id?}', '/api/items')).toEqual({});
    expect(match('api/items/{id?}', '/api/items/5')).toEqual({ id: '5' });
    expect(match('api/pages/{page=1}', '/api/pages')).toEqual({ page: '1' });
  });

  it('captures the rest of the path with a catch-all', () => {
    expect(match('files/{*path}', '/files/a/b c/d.txt')).toEqual({ path: 'a/b c/d.txt' });
    expect(match('files/{*path}', '/files')).toEqual({});
  });

  it('matches complex segments', () => {
    expect(match('files/{name}.{ext}', '/files/report.final.pdf')).toEqual({ name: 'report.final', ext: 'pdf' });
    expect(match('files/{name}.{ext}', '/files/report')).toBeUndefined();
  });

  it.each([
    ['{id:int}', '42', true],
    ['{id:int}', '-7', true],
    ['{id:int}', '4.2', false],
    ['{id:int}', '2147483648', false],
    ['{id:long}', '2147483648', true],
    ['{code:alpha}', 'abcXYZ', true],
    ['{code:alpha}', 'abc1', false],
    ['{flag:bool}', 'TRUE', true],
    ['{flag:bool}', 'yes', false],
    ['{id:guid}', '3f2504e0-4f89-11d3-9a0c-0305e82c3301', true],
    ['{id:guid}', 'not-a-guid', false],
    ['{n:double}', '1.5e3', true],
    ['{n:range(1,10)}', '10', true],
    ['{n:range(1,10)}', '11', false],
    ['{n:min(5)}', '4', false],
    ['{n:max(5)}', '5', true],
    ['{s:length(2,3)}', 'abcd', false],
    ['{s:minlength(2)}', 'ab', true],
    ['{s:maxlength(2)}', 'abc', false],
    ['{s:regex(^[a-z]{{2}}\\d$)}', 'AB1', true],
    ['{s:regex(^[a-z]{{2}}\\d$)}', 'abc', false],
    ['{id:int:min(10)}', '9', false],
  ])('constraint %s on %s: %s', (parameter, value, expected) => {
    expect(match(`x/${parameter}`, `/x/${value}`) !== undefined).toBe(expected);
  });

  it('rejects unknown constraints and malformed templates at parse time', () => {
    expect(() => parseRouteTemplate('x/{id:nope}')).toThrow(/unknown constraint 'nope'/);
    expect(() => parseRouteTemplate('x/{id')).toThrow(/unclosed/);
    expect(() => parseRouteTemplate('x//y')).toThrow(/empty segment/);
  });
});

describe('RouteTable', () => {
  const table = new RouteTable([
    { template: 'api/identities/{id}', methods: ['GET'], target: 'byId' },
    { template: 'api/identities/me', methods: ['GET', 'DELETE'], target: 'me' },
    { template: 'api/identities/{id:int}', methods: ['GET'], target: 'byNumber' },
    { template: 'api/{*rest}', target: 'fallback' },
    { template: 'api/identities', methods: ['post'], target: 'create' },
  ]);

  it('prefers literals, then constrained parameters, then parameters, then catch-alls', () => {
    expect(table.match('GET', '/api/identities/me')?.target).toBe('me');
    expect(table.match('GET', '/api/identities/12')?.target).toBe('byNumber');
    expect(table.match('GET', '/api/identities/abc')).toEqual({ target: 'byId', params: { id: 'abc' } });
    expect(table.match('GET', '/api/something/else')?.target).toBe('fallback');
  });

  it('matches methods case-insensitively and falls through to routes that take the method', () => {
    expect(table.match('post', '/api/identities')?.target).toBe('create');
    expect(table.match('PATCH', '/api/identities/me')?.target).toBe('fallback');
  });

  it('finds nothing when no route takes the method', () => {
    const strict = new RouteTable([{ template: 'api/tokens', methods: ['POST'], target: 'issue' }]);
    expect(strict.match('GET', '/api/tokens')).toBeUndefined();
  });
});
