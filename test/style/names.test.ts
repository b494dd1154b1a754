import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

// The app (src/) and the local stack (dev/) are read side by side; a name that means one thing in each (the
// emulator's identity API vs the app's identity service) sends a reader to the wrong file.
const root = join(__dirname, '..', '..');
const declaration =
  /^(?:export\s+)?(?:default\s+)?(?:async\s+)?(?:function\*?|class|interface|type|enum|const|let)\s+([A-Za-z_$][\w$]*)/gm;

function declaredNames(folder: string): Map<string, string[]> {
  const names = new Map<string, string[]>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        for (const match of readFileSync(path, 'utf8').matchAll(declaration)) {
          const name = match[1];
          names.set(name, [...(names.get(name) ?? []), relative(root, path)]);
        }
      }
    }
  };
  walk(join(root, folder));
  return names;
}

describe('names across src/ and dev/', () => {
  it('finds the declarations it compares (the scan is not empty)', () => {
    const app = declaredNames('src');
    expect(app.get('IdentityService')).toEqual(['src/identity/identity-service.ts']);
    expect(declaredNames('dev').get('EmulatedIdentityApi')).toEqual(['dev/acs-emulator/service.ts']);
  });

  it('gives no top-level declaration the same name in both', () => {
    const app = declaredNames('src');
    const collisions = [...declaredNames('dev')]
      .filter(([name]) => app.has(name))
      .map(([name, files]) => `${name}: ${[...(app.get(name) ?? []), ...files].join(', ')}`);
    expect(collisions).toEqual([]);
  });
});
