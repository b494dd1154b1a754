import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { anchorsOf, brokenLinks, linksOf, markdownFiles, slugOf } from './markdown-links';

const root = path.resolve(__dirname, '../..');

/** The documents a reader follows links through. */
const documents = [
  'README.md',
  'CONTRIBUTING.md',
  'docs/*.md',
  'dev/**/README.md',
  'bench/README.md',
  'samples/**/README.md',
];

describe('links in the documentation', () => {
  const files = markdownFiles(root, documents);

  it('finds the documents it checks (the scan is not empty)', () => {
    expect(files).toEqual(expect.arrayContaining(['README.md', 'docs/deploy.md', 'bench/README.md']));
    expect(files).toEqual(expect.arrayContaining(['dev/host/README.md', 'samples/README.md']));
    expect(linksOf(fs.readFileSync(path.join(root, 'README.md'), 'utf8')).length).toBeGreaterThan(5);
  });

  it('every relative link names an existing file, and every #anchor a heading of it; every URL is well-formed', () => {
    expect(brokenLinks(root, files)).toEqual([]);
  });
});

describe('the link checker', () => {
  let dir: string;
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  };
  const check = (text: string) => {
    write('docs/page.md', text);
    return brokenLinks(dir, ['docs/page.md']);
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'links-'));
    write('README.md', '# Front door\n\n## Two commands\n\n## Try it (with `npm start` running)\n\n## Two commands\n');
    write('src/code.ts', 'one\ntwo\nthree\n');
    write('dist/built.js', '');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('accepts links to files, folders, headings and lines that exist', () => {
    const text = [
      '[up](../README.md), [anchor](../README.md#try-it-with-npm-start-running), [folder](../src/)',
      '[repeated heading](../README.md#two-commands-1), [line](../src/code.ts#L2-L3), [self](#here)',
      '## Here',
      '<https://learn.microsoft.com/azure/>, [local](http://127.0.0.1:7071/api/health), [ref]',
      '',
      '[ref]: ../src/code.ts',
    ].join('\n');

    expect(check(text)).toEqual([]);
  });

  it('reports a missing file, a missing heading, a missing line and a build output, with their lines', () => {
    const text = [
      'See [the design](design.md).',
      'And [the API](../README.md#the-api).',
      '[line](../src/code.ts#L9) [built](../dist/built.js)',
    ].join('\n');

    expect(check(text)).toEqual([
      'docs/page.md:1: design.md: no such file: docs/design.md',
      'docs/page.md:2: ../README.md#the-api: no heading #the-api in README.md',
      'docs/page.md:3: ../src/code.ts#L9: src/code.ts has no line 9 (4 lines)',
      'docs/page.md:3: ../dist/built.js: points into dist/, a build output that a fresh clone does not have',
    ]);
  });

  it('reports malformed URLs and links leaving the repository, and fetches nothing', () => {
    const text =
      '[a](https//example.com) [b](https://exa mple.com) [c](http://) [d](../../elsewhere.md) [e](/README.md)';

    expect(check(text).map((problem) => problem.replace(/^[^:]+:\d+: /, ''))).toEqual([
      'https//example.com: no such file: docs/https/example.com',
      'https://exa mple.com: not a link Markdown renders (a space or an unbalanced parenthesis in the target?)',
      'http://: malformed URL',
      '../../elsewhere.md: points outside the repository',
      '/README.md: absolute path: GitHub resolves it against the site, write it relative',
    ]);
  });

  it('ignores links shown as code, in fences and in spans', () => {
    expect(check('```md\n[x](missing.md)\n```\n\n`[y](missing.md)` and ``[z](missing.md)``\n')).toEqual([]);
  });

  it('makes the slugs GitHub makes', () => {
    expect(slugOf('2a. Deploy with azd')).toBe('2a-deploy-with-azd');
    expect(slugOf('After a deployment: the smoke test and what to check')).toBe(
      'after-a-deployment-the-smoke-test-and-what-to-check',
    );
    expect(slugOf('Access decisions (disable and delete that hold)')).toBe(
      'access-decisions-disable-and-delete-that-hold',
    );
    expect(slugOf('The `MAPPING_CACHE_SECONDS` cache, [linked](x.md) & **bold**')).toBe(
      'the-mapping_cache_seconds-cache-linked--bold',
    );
    expect([...anchorsOf('# A\n## A\n```\n# A\n```\n## A\n<a id="custom"></a>')]).toEqual([
      'a',
      'a-1',
      'a-2',
      'custom',
    ]);
  });
});
