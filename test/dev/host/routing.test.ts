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

  it('needs as many path segments as the template has, none of them empty for a parameter', () => {
    expect(match('api/users/{userId}', '/api/users')).toBeUndefined();
    expect(match('api/users/{userId}', '/api/users/')).toBeUndefined();
    expect(match('api/users/{userId}', '/api/users/a/revoke')).toBeUndefined();
    expect(match('api/users/{userId}/revoke', '/api/users//revoke')).toBeUndefined();
  });

  it.each([
    ['api/users/{id:int}', /a route constraint \('\{id:int\}'\)/],
    ['api/users/{id?}', /an optional parameter \('\{id\?\}'\)/],
    ['api/pages/{page=1}', /a default value \('\{page=1\}'\)/],
    ['api/files/{*path}', /a catch-all parameter \('\{\*path\}'\)/],
    ['api/files/{name}.{ext}', /a complex segment .*\('\{name\}\.\{ext\}'\)/],
    ['api/files/v{version}', /a complex segment .*\('v\{version\}'\)/],
    ['api/{{literal}}', /an escaped brace/],
  ])('refuses %s, which the app does not use, naming the template', (template, reason) => {
    expect(() => parseRouteTemplate(template)).toThrow(reason);
    expect(() => parseRouteTemplate(template)).toThrow(`Route '${template}'`);
    expect(() => parseRouteTemplate(template)).toThrow(/is not supported by the local host/);
  });

  it('rejects malformed templates at parse time', () => {
    expect(() => parseRouteTemplate('x/{id')).toThrow(/unmatched brace/);
    expect(() => parseRouteTemplate('x/{}')).toThrow(/invalid parameter name/);
    expect(() => parseRouteTemplate('x//y')).toThrow(/empty segment/);
  });
});

describe('RouteTable', () => {
  const table = new RouteTable([
    { template: 'api/identities/{id}', methods: ['GET'], target: 'byId' },
    { template: 'api/identities/me', methods: ['GET', 'DELETE'], target: 'me' },
    { template: 'api/{area}/{id}', target: 'fallback' },
    { template: 'api/identities', methods: ['post'], target: 'create' },
  ]);

  it('prefers a literal over a parameter, segment by segment, whatever the order of registration', () => {
    expect(table.match('GET', '/api/identities/me')?.target).toBe('me');
    expect(table.match('GET', '/api/IDENTITIES/ME')?.target).toBe('me');
    expect(table.match('GET', '/api/identities/abc')).toEqual({ target: 'byId', params: { id: 'abc' } });
    expect(table.match('GET', '/api/something/else')).toEqual({
      target: 'fallback',
      params: { area: 'something', id: 'else' },
    });
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
