import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

import { build, type BuildOptions, type Plugin } from 'esbuild';

import { writeZip } from './zip';

/** The repository's root, from dev/package (ts-jest) or dist/dev/package (compiled). */
export const repositoryRoot = ((folder: string): string => {
  while (!existsSync(join(folder, 'host.json')) && dirname(folder) !== folder) folder = dirname(folder);
  return folder;
})(resolve(__dirname));

/** What `npm run package` deploys: the folder azd zips (azure.yaml `dist`) and the same files as a zip. */
export interface Artifact {
  folder: string;
  zip: string;
  files: Array<{ name: string; size: number }>;
  unzippedSize: number;
  zippedSize: number;
}

/** The bundle the host loads (package.json `main`), the one loaded only with managed identity, and the telemetry one. */
export const mainBundle = 'dist/main.js';
export const identityBundle = 'dist/identity.js';
export const telemetryBundle = 'dist/telemetry.js';
export const vendorBundle = 'dist/vendor.js';

/**
 * Packages the app requires only on first use (src/app/services.ts composes the clients lazily). V8 compiles a whole
 * file when it is required, used or not, so they live in vendor.js, each behind a getter: the cold start compiles
 * main.js only (@azure/functions, zod, the app's code). zod and zod-to-openapi stay in main.js (one zod instance).
 */
export const vendorPackages = [
  '@azure/communication-identity',
  '@azure/core-rest-pipeline',
  '@azure/data-tables',
  '@azure/storage-queue',
  'jose',
];

const vendorApart: Plugin = {
  name: 'vendor-apart',
  setup(builder) {
    const filter = new RegExp(`^(${vendorPackages.map((name) => name.replace(/[/.]/g, '\\$&')).join('|')})$`);
    builder.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'vendor' }));
    builder.onResolve({ filter: /^\.\/vendor\.js$/ }, () => ({ path: './vendor.js', external: true }));
    builder.onLoad({ filter: /.*/, namespace: 'vendor' }, (args) => ({
      contents: `module.exports = require('./vendor.js')[${JSON.stringify(args.path)}];`,
      loader: 'js',
      resolveDir: repositoryRoot,
    }));
  },
};

/**
 * `@azure/identity` (about 100 ms to import, a third of the bundle) goes in a bundle of its own, required only when a
 * connection uses managed identity (src/app/services.ts); `@azure/functions-core` is the worker's, never bundled.
 */
const identityApart: Plugin = {
  name: 'identity-apart',
  setup(builder) {
    builder.onResolve({ filter: /^@azure\/identity$/ }, () => ({ path: './identity.js', external: true }));
  },
};

/**
 * zod's classic API re-exports all of its 50 locales (`z.locales`, about 250 KB minified, compiled at every cold
 * start). The app's messages are zod's default English, and nothing selects another locale, so in the bundle
 * `z.locales` holds `en` alone.
 */
const zodEnglishOnly: Plugin = {
  name: 'zod-english-only',
  setup(builder) {
    builder.onResolve({ filter: /^\.\.\/locales\/index\.c?js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)
        ? { path: join(dirname(args.importer), '..', 'locales', 'index.cjs'), namespace: 'zod-locales' }
        : undefined,
    );
    builder.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: "exports.en = require('./en.cjs');",
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};

interface PackageJson {
  name: string;
  version: string;
  description?: string;
  license?: string;
  devDependencies?: Record<string, string>;
}

/**
 * The OpenTelemetry SDK and the Azure Monitor exporters (src/telemetry/setup.ts) go in a bundle of their own, required
 * only when APPLICATIONINSIGHTS_CONNECTION_STRING is set. The two bundles share state through OpenTelemetry's globals.
 */
const telemetryApart: Plugin = {
  name: 'telemetry-apart',
  setup(builder) {
    builder.onResolve({ filter: /^\.\/setup$/ }, (args) =>
      args.resolveDir.endsWith(join('src', 'telemetry')) ? { path: './telemetry.js', external: true } : undefined,
    );
  },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  legalComments: 'external',
  logLevel: 'warning',
} as const;

/**
 * Packages resolved to their ES module builds, so that esbuild drops what nothing imports: the OpenTelemetry and
 * Azure Monitor packages' CommonJS builds pull in whole tables (e.g. all of `@opentelemetry/semantic-conventions`);
 * their ES module builds halve telemetry.js (0.66 -> 0.36 MB) and its load time. Only for bundles that share no
 * state with main.js but through OpenTelemetry's globals: zod stays CommonJS in main.js, one instance.
 */
const treeShaken: Pick<BuildOptions, 'mainFields' | 'conditions'> = {
  mainFields: ['module', 'main'],
  conditions: ['import', 'module'],
};

/**
 * Builds the deployable function app from src/ into `outDir` (default `artifact/`): `app/` holds host.json, a
 * package.json whose `main` is the bundle, and the bundles with every production dependency inside (no
 * node_modules); `app.zip` is the same. Bundles tsc's output: run `npm run build` first.
 */
export async function buildArtifact(outDir = join(repositoryRoot, 'artifact')): Promise<Artifact> {
  const folder = join(outDir, 'app');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(join(folder, 'dist'), { recursive: true });
  // tsc's CommonJS output, so that every package resolves to its `require` (CommonJS) build, as when run unbundled.
  const functionsFolder = join(repositoryRoot, 'dist', 'src', 'functions');
  if (!existsSync(functionsFolder)) throw new Error(`${functionsFolder} is missing: run "npm run build" first.`);
  const entryFiles = readdirSync(functionsFolder)
    .filter((name) => name.endsWith('.js'))
    .sort();
  const appPackage = JSON.parse(readFileSync(join(repositoryRoot, 'package.json'), 'utf8')) as PackageJson;
  // A devDependency stays out of the bundle, so that code importing one fails when the artifact runs (test/dev/package).
  const devDependencies = Object.keys(appPackage.devDependencies ?? {});
  await build({
    ...common,
    stdin: {
      contents: entryFiles.map((name) => `require('./${name}');`).join('\n'),
      resolveDir: functionsFolder,
      loader: 'js',
      sourcefile: 'main.js',
    },
    outfile: join(folder, mainBundle),
    external: ['@azure/functions-core', ...devDependencies, ...devDependencies.map((name) => `${name}/*`)],
    plugins: [identityApart, telemetryApart, vendorApart, zodEnglishOnly],
  });
  await build({
    ...common,
    stdin: {
      contents: vendorPackages
        .map(
          (name) =>
            `Object.defineProperty(exports, ${JSON.stringify(name)}, { enumerable: true, get: () => require(${JSON.stringify(name)}) });`,
        )
        .join('\n'),
      resolveDir: repositoryRoot,
      loader: 'js',
      sourcefile: 'vendor.js',
    },
    outfile: join(folder, vendorBundle),
  });
  await build({
    ...common,
    ...treeShaken,
    entryPoints: [join(repositoryRoot, 'dist', 'src', 'telemetry', 'setup.js')],
    outfile: join(folder, telemetryBundle),
    external: ['@azure/functions-core'],
    plugins: [identityApart],
  });
  await build({
    ...common,
    stdin: {
      contents: "module.exports = require('@azure/identity');",
      resolveDir: repositoryRoot,
      loader: 'js',
      sourcefile: 'identity.js',
    },
    outfile: join(folder, identityBundle),
  });
  writeFileSync(
    join(folder, 'package.json'),
    `${JSON.stringify({ name: appPackage.name, version: appPackage.version, description: appPackage.description, license: appPackage.license, private: true, main: mainBundle }, null, 2)}\n`,
  );
  copyFileSync(join(repositoryRoot, 'host.json'), join(folder, 'host.json'));

  const files = listFiles(folder).map((file) => ({
    name: relative(folder, file).split(sep).join('/'),
    size: statSync(file).size,
  }));
  const zip = join(outDir, 'app.zip');
  writeFileSync(zip, writeZip(files.map(({ name }) => ({ name, data: readFileSync(join(folder, name)) }))));
  return {
    folder,
    zip,
    files,
    unzippedSize: files.reduce((sum, file) => sum + file.size, 0),
    zippedSize: statSync(zip).size,
  };
}

function listFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? listFiles(join(folder, entry.name)) : [join(folder, entry.name)]))
    .sort();
}
