import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { applySettings, getSetting, readLocalSettings, resolveBindingExpression } from '../../../dev/host/settings';

describe('local settings', () => {
  let appRoot: string;
  beforeEach(() => {
    appRoot = mkdtempSync(join(tmpdir(), 'host-settings-'));
  });
  afterEach(() => rmSync(appRoot, { recursive: true, force: true }));

  const write = (name: string, content: unknown): void => writeFileSync(join(appRoot, name), JSON.stringify(content));

  it('reads Values and Host from local.settings.json', () => {
    write('local.settings.json', {
      Values: { A: 'from file', PORT_AS_NUMBER: 60 },
      Host: { LocalHttpPort: 7072, CORS: 'http://a.example', CORSCredentials: true },
    });

    expect(readLocalSettings(appRoot)).toEqual({
      file: join(appRoot, 'local.settings.json'),
      values: { A: 'from file', PORT_AS_NUMBER: '60' },
      localHttpPort: 7072,
      cors: 'http://a.example',
      corsCredentials: true,
    });
  });

  it('falls back to local.settings.sample.json when local.settings.json does not exist', () => {
    write('local.settings.sample.json', { values: { A: 'from sample' }, host: { cors: '*' } });

    const settings = readLocalSettings(appRoot);

    expect(settings.file).toBe(join(appRoot, 'local.settings.sample.json'));
    expect(settings.values).toEqual({ A: 'from sample' });
    expect(settings.cors).toBe('*');
  });

  it('prefers local.settings.json over the sample', () => {
    write('local.settings.json', { Values: { A: 'real' } });
    write('local.settings.sample.json', { Values: { A: 'sample' } });

    expect(readLocalSettings(appRoot).values).toEqual({ A: 'real' });
  });

  it('reads nothing when neither file exists', () => {
    expect(readLocalSettings(appRoot)).toMatchObject({
      file: undefined,
      values: {},
      cors: undefined,
      corsCredentials: false,
    });
  });

  it('names the file when it is not valid JSON, and refuses encrypted settings', () => {
    writeFileSync(join(appRoot, 'local.settings.json'), '{ "Values": ');
    expect(() => readLocalSettings(appRoot)).toThrow(/local\.settings\.json is not valid JSON/);

    write('local.settings.json', { IsEncrypted: true, Values: {} });
    expect(() => readLocalSettings(appRoot)).toThrow(/encrypted settings/);
  });
});

describe('applySettings', () => {
  it('keeps variables already in the environment, and lets overrides win over everything', () => {
    const env: Record<string, string | undefined> = { A: 'env', B: 'env' };

    const skipped = applySettings(
      { A: 'file', B: 'file', C: 'file', D: 'file' },
      { B: 'override', D: 'override' },
      env,
    );

    expect(env).toEqual({ A: 'env', B: 'override', C: 'file', D: 'override' });
    expect(skipped).toEqual(['A', 'B']);
  });
});

describe('binding expressions', () => {
  const env = { EVENTS_QUEUE_NAME: 'identity-events', Prefix: 'dev' };

  it('resolves %SETTING% from app settings, case-insensitively', () => {
    expect(resolveBindingExpression('%EVENTS_QUEUE_NAME%', env)).toBe('identity-events');
    expect(resolveBindingExpression('%prefix%-items', env)).toBe('dev-items');
    expect(resolveBindingExpression('literal-name', env)).toBe('literal-name');
    expect(getSetting('events_queue_name', env)).toBe('identity-events');
  });

  it('names the missing setting', () => {
    expect(() => resolveBindingExpression('%MISSING%', env)).toThrow("app setting 'MISSING' is not set");
  });
});
