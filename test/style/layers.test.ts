import { join } from 'node:path';

import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

const root = join(__dirname, '../..');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the rule is CommonJS so that eslint.config.mjs and jest both load it
const layers: ESLint.Plugin = require('../../tools/eslint/layers.cjs');

/** Lints `code` as if it were the file `path` of src/, with the layers rule alone. */
async function lintAs(path: string, code: string): Promise<string[]> {
  const eslint = new ESLint({
    cwd: root,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tseslint.parser },
        plugins: { layers },
        rules: { 'layers/only-down': 'error' },
      },
    ],
  });
  const [result] = await eslint.lintText(code, { filePath: join(root, path) });
  return (result?.messages ?? []).map((message) => message.message);
}

describe('arrows only point down (tools/eslint/layers.cjs, in npm run lint)', () => {
  it.each([
    ['src/domain/model.ts', "import type { Services } from '../handlers/services';"],
    ['src/telemetry/index.ts', "import { version } from '../app/version';"],
    ['src/identity/identity-service.ts', "export { AcsIdentityGateway } from '../acs/identity-client';"],
    ['src/identity/identity-service.ts', "import type { MappingRepository } from '../storage/mapping-repository';"],
    ['src/handlers/tokens.ts', "import { AcsIdentityGateway } from '../acs/identity-client';"],
    ['src/http/problem.ts', "import type { Services } from '../handlers/services';"],
    ['src/newfolder/x.ts', "import type { AppUser } from '../domain/model';"],
    ['src/storage/clients.ts', "const x = require('../identity/quotas') as typeof import('../identity/quotas');"],
    ['src/handlers/health.ts', "import { getServices } from '../app/services';"],
    ['src/config/config.ts', "import { x } from '../../dev/host';"],
  ])('refuses in %s: %s', async (path, code) => {
    expect(await lintAs(path, code)).not.toEqual([]);
  });

  it.each([
    ['src/app/services.ts', "const x = require('../storage/clients') as typeof import('../storage/clients');"],
    ['src/handlers/tokens.ts', "import { IdentityService } from '../identity/identity-service';"],
    ['src/handlers/webhooks.ts', "type Verifiers = typeof import('../webhooks');"],
    ['src/storage/clients.ts', "import type { Connection } from '../config/config';"],
    ['src/events/event-processor.ts', "import type { IdentityService } from '../identity/identity-service';"],
    ['src/acs/identity-client.ts', "import { something } from './retry';"],
    ['src/identity/quotas.ts', "import type { TokenScope } from '@azure/communication-identity';"],
  ])('allows in %s: %s', async (path, code) => {
    expect(await lintAs(path, code)).toEqual([]);
  });

  it('says what the folder may import instead', async () => {
    const [message] = await lintAs('src/identity/quotas.ts', "import { x } from '../storage/quota-store';");
    expect(message).toBe(
      'src/identity may not import src/storage (it may import: identity, events, jobs, teams, guests, config, telemetry, domain): arrows only point down.',
    );
  });
});
