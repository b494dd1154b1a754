import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { decodeRequestTarget, parseQueryString } from '../../../dev/host/request-target';
import { RouteTable } from '../../../dev/host/routing';

/** What a real Kestrel (ASP.NET Core 10) made of each target: tools/kestrel-probe prints this file. */
interface ProbedTarget {
  target: string;
  status: number;
  host: {
    path: string;
    url: string;
    query: Record<string, string>;
    route: { template: string; values: Record<string, string> } | null;
  } | null;
}

const probed = JSON.parse(
  readFileSync(join(__dirname, '../../fixtures/kestrel/request-targets.json'), 'utf8'),
) as ProbedTarget[];
// The probe also routes a catch-all, 'api/things/{*rest}', which the local host refuses (the app has none): the rows
// it matched are still compared for path, URL and query, but not for their route.
const CATCH_ALL = 'api/things/{*rest}';
const templates = ['api/users/{userId}', 'api/users/{userId}/revoke'];
const routes = new RouteTable(templates.map((template) => ({ template, target: template })));
const lowerKeys = (record: Record<string, string>) =>
  Object.fromEntries(Object.entries(record).map(([name, value]) => [name.toLowerCase(), value]));

describe('decodeRequestTarget, against what Kestrel does', () => {
  it('has the probe output to compare with', () => {
    expect(probed.length).toBeGreaterThan(60);
  });

  it.each(probed.map((entry) => [entry.target, entry] as const))('%s', (_target, entry) => {
    const decoded = decodeRequestTarget(entry.target);
    if (entry.host === null) {
      expect(entry.status).toBe(400);
      expect(decoded).toBeUndefined();
      return;
    }
    expect(decoded).toBeDefined();
    expect(decoded?.path).toBe(entry.host.path);
    expect(`http://probe.example${decoded?.urlPath}${decoded?.queryString}`).toBe(entry.host.url);
    expect(lowerKeys(parseQueryString(decoded?.queryString ?? ''))).toEqual(lowerKeys(entry.host.query));
    if (entry.host.route?.template === CATCH_ALL) return;
    const match = routes.match('GET', decoded?.path ?? '');
    expect(match === undefined ? null : { template: match.target, values: match.params }).toEqual(entry.host.route);
  });
});

describe('what an app sees of an id with a literal %', () => {
  it('cannot tell a%2Fb from a%252Fb by the URL or the route value (so the app must not decode them again)', () => {
    const slash = decodeRequestTarget('/api/users/a%2Fb');
    const percent = decodeRequestTarget('/api/users/a%252Fb');
    expect(slash?.urlPath).toBe('/api/users/a%2Fb');
    expect(percent?.urlPath).toBe(slash?.urlPath);
    expect(routes.match('GET', percent?.path ?? '')?.params).toEqual({ userId: 'a%2Fb' });
  });

  it('hands the query over decoded exactly once', () => {
    expect(parseQueryString('?userId=a%252Fb')).toEqual({ userId: 'a%2Fb' });
    expect(parseQueryString('?userId=a%2Fb')).toEqual({ userId: 'a/b' });
  });
});
