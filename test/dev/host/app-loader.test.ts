import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { resolveEntryFiles } from '../../../dev/host/app-loader';

describe('entry files from package.json "main"', () => {
  let appRoot: string;
  beforeEach(() => {
    appRoot = mkdtempSync(join(tmpdir(), 'host-app-'));
    mkdirSync(join(appRoot, 'dist', 'functions'), { recursive: true });
    for (const file of ['b.js', 'a.js', 'a.js.map', 'notes.txt']) {
      writeFileSync(join(appRoot, 'dist', 'functions', file), '');
    }
  });
  afterEach(() => rmSync(appRoot, { recursive: true, force: true }));

  const withMain = (main: unknown): void => writeFileSync(join(appRoot, 'package.json'), JSON.stringify({ main }));

  it('expands * in the last segment, sorted', () => {
    withMain('dist/functions/*.js');

    expect(resolveEntryFiles(appRoot)).toEqual([
      join(appRoot, 'dist/functions/a.js'),
      join(appRoot, 'dist/functions/b.js'),
    ]);
  });

  it('takes a single file as it is', () => {
    withMain('dist/functions/b.js');

    expect(resolveEntryFiles(appRoot)).toEqual([join(appRoot, 'dist/functions/b.js')]);
  });

  it('fails when nothing matches, when main is missing, or with wildcards in folders', () => {
    withMain('dist/other/*.js');
    expect(() => resolveEntryFiles(appRoot)).toThrow(/matches no file/);
    withMain(undefined);
    expect(() => resolveEntryFiles(appRoot)).toThrow(/has no "main"/);
    withMain('dist/*/index.js');
    expect(() => resolveEntryFiles(appRoot)).toThrow(/only the last path segment/);
  });
});
