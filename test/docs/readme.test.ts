import * as fs from 'node:fs';
import * as path from 'node:path';

import { settingNames } from '../../src/config/settings';
import { withoutFences } from './markdown-links';

const root = path.resolve(__dirname, '../..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');

/** Every HTTP function src/functions registers: name, methods and route (under the `api` prefix). */
const registrations = fs.readdirSync(path.join(root, 'src/functions')).flatMap((file) =>
  [
    ...read(`src/functions/${file}`).matchAll(
      /app\.http\('(\w+)',\s*\{\s*methods:\s*\[([^\]]*)\],\s*route:\s*'([^']+)'/g,
    ),
  ].map(([, name = '', methods = '', route = '']) => ({
    name,
    methods: [...methods.matchAll(/'([A-Z]+)'/g)].map((m) => m[1] ?? ''),
    route,
  })),
);

/** Whether `METHOD /api/<path>` is a registered route (route parameters match one segment). */
const registered = (method: string, apiPath: string) =>
  registrations.some(
    ({ methods, route }) =>
      methods.includes(method) &&
      new RegExp(`^${route.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/?]+')}$`).test(apiPath.split('?')[0] ?? ''),
  );

describe('README.md', () => {
  const readme = read('README.md');

  it('is a front door: under 200 lines', () => {
    expect(readme.split('\n').length - 1).toBeLessThan(200);
  });

  it('keeps the two commands, and package.json the scripts they run', () => {
    expect(readme).toContain('\nnpm ci && npm start   # ');
    expect(readme).toContain('\nnpm ci && npm test    # ');
    const { scripts } = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(Object.keys(scripts)).toEqual(expect.arrayContaining(['start', 'test', 'token']));
  });

  it('"Try it" calls registered routes with their methods', () => {
    const tryIt = /^### Try it[^\n]*\n+```bash\n([\s\S]*?)\n```/m.exec(readme)?.[1] ?? '';
    const calls = [...tryIt.matchAll(/curl (?:-s )?(?:-X ([A-Z]+) )?localhost:7071\/api\/(\S+)/g)].map(
      ([, method = 'GET', apiPath = '']) => `${method} ${apiPath}`,
    );

    expect(calls.length).toBeGreaterThanOrEqual(6);
    expect(calls.filter((call) => !registered(...(call.split(' ') as [string, string])))).toEqual([]);
    expect(tryIt).toContain('$(npm run -s token -- alice)');
  });

  it('names every registered route at a glance', () => {
    const glance = /^## The API at a glance\n([\s\S]*?)\n## /m.exec(withoutFences(readme))?.[1] ?? '';
    const missing = registrations.filter(({ route }) => {
      const last = route.split('/').pop() ?? '';
      return !glance.includes(`/api/${route}`) && !glance.includes(`.../${last}`) && !glance.includes(`/${last}\``);
    });

    expect(registrations.length).toBeGreaterThan(15);
    expect(missing).toEqual([]);
  });
});

describe('docs/api.md', () => {
  const rows = [...read('docs/api.md').matchAll(/^\| (\w+) \| (.+?) \| .* \|$/gm)].filter(
    ([, name]) => name !== 'function',
  );

  it('has a row for every HTTP function, with its methods and route', () => {
    const documented = new Map(rows.map(([, name = '', route = '']) => [name, route]));
    const escaped = (route: string) => route.replace(/[.{}]/g, (c) => `\\${c}`);
    const wrong = registrations.filter(({ name, methods, route }) => {
      // The webhooks share one row.
      const cell = documented.get(name) ?? (name.endsWith('Webhook') ? documented.get('webhooks') : undefined) ?? '';
      return !methods.every((method) => new RegExp(`\\b${method}\\b[^\`]*/api/${escaped(route)}(?![\\w/])`).test(cell));
    });

    expect(wrong.map(({ name }) => name)).toEqual([]);
  });

  it('documents no function that is not registered', () => {
    const names = registrations.map(({ name }) => name);
    const unknown = rows.map(([, name = '']) => name).filter((name) => name !== 'webhooks' && !names.includes(name));

    expect(unknown).toEqual([]);
  });
});

describe('docs/settings.md', () => {
  const settings = read('docs/settings.md');
  const tableNames = [...settings.matchAll(/^\| (.+?) \|/gm)].flatMap(([, cell = '']) =>
    [...cell.matchAll(/`([A-Za-z_]+)`/g)].map((m) => m[1] ?? ''),
  );

  it('names every setting of src/config/settings.ts in its tables', () => {
    expect(settingNames.filter((name) => !tableNames.includes(name))).toEqual([]);
  });
});
