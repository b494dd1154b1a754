import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

interface PackageJson {
  main?: unknown;
  type?: unknown;
}

function readPackageJson(appRoot: string): PackageJson {
  const file = join(appRoot, 'package.json');
  if (!existsSync(file)) {
    throw new Error(`${file} not found: the app root must hold the package.json whose "main" names the entry files.`);
  }
  return JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
}

/**
 * The entry files named by `main` of `<appRoot>/package.json`, which may be a file or a glob
 * with `*` / `?` in its last path segment (e.g. `dist/src/functions/*.js`), sorted.
 *
 * @throws when `main` is missing or matches no file, as the Node.js worker fails then.
 */
export function resolveEntryFiles(appRoot: string): string[] {
  const main = readPackageJson(appRoot).main;
  if (typeof main !== 'string' || main.trim() === '') {
    throw new Error(`${join(appRoot, 'package.json')} has no "main": set it to the compiled entry file(s).`);
  }
  const pattern = resolve(appRoot, main);
  const folder = dirname(pattern);
  const name = pattern.slice(folder.length + 1);
  if (/[*?[\]{}]/.test(folder)) {
    throw new Error(`"main": "${main}": only the last path segment may hold wildcards.`);
  }
  let files: string[];
  if (/[*?]/.test(name)) {
    const matcher = new RegExp(
      `^${name
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
    );
    files = existsSync(folder)
      ? readdirSync(folder)
          .filter((entry) => matcher.test(entry))
          .map((entry) => join(folder, entry))
          .filter((file) => statSync(file).isFile())
          .sort()
      : [];
  } else {
    files = existsSync(pattern) ? [pattern] : [];
  }
  if (files.length === 0) {
    throw new Error(`"main": "${main}" matches no file under ${appRoot}${sep}: build the app first.`);
  }
  return files;
}

/** Loads entry files as the worker does: `import()` for ES modules, `require` otherwise. */
export async function loadEntryFiles(appRoot: string, files: readonly string[]): Promise<void> {
  const isModulePackage = readPackageJson(appRoot).type === 'module';
  for (const file of files) {
    const extension = extname(file);
    if (extension === '.mjs' || (extension === '.js' && isModulePackage)) {
      await import(pathToFileURL(file).href);
    } else {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS entry files load as Core Tools loads them
      require(file);
    }
  }
}

/**
 * Forgets the app's own modules (everything under `appRoot` outside node_modules), so that a
 * later host in the same process registers the functions again.
 */
export function unloadApp(appRoot: string): void {
  const root = resolve(appRoot) + sep;
  for (const id of Object.keys(require.cache)) {
    if (id.startsWith(root) && !id.slice(root.length).split(sep).includes('node_modules')) {
      delete require.cache[id];
    }
  }
}
