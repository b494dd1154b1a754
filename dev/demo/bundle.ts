import { build } from 'esbuild';

/**
 * Bundles the demo page's script with the browser sample and `@azure/communication-common` (browser build)
 * into one ES module, in memory.
 *
 * @param entryFile - the page script, e.g. dev/demo/page.js.
 */
export async function bundlePageScript(entryFile: string): Promise<string> {
  const result = await build({
    entryPoints: [entryFile],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'silent',
  });
  const [output] = result.outputFiles;
  if (output === undefined) throw new Error(`esbuild produced no output for ${entryFile}`);
  return output.text;
}
