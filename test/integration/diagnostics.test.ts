import { execFile } from 'node:child_process';
import * as path from 'node:path';

import { startTestStack, type TestStack } from '../helpers/stack';

const hook = path.resolve(__dirname, '../../scripts/postdeploy.mjs');

/** Runs the azd postdeploy hook against the local stack, as azd would with the environment's values. */
function runHook(env: Record<string, string>): Promise<{ code: number; output: string }> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(SMOKE_|FUNCTION_APP_URL|AZURE_|ACS_|API_IDENTITY)/.test(name)),
  );
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [hook],
      { env: { ...inherited, SMOKE_INTERVAL_SECONDS: '0.2', ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` });
      },
    );
  });
}

describe('the ACS diagnostic and the postdeploy smoke hook', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });
  afterEach(async () => {
    await fetch(`${stack.acsUrl}_emulator/faults`, { method: 'DELETE' });
  });

  describe('POST /api/diagnostics/acs', () => {
    it("creates and deletes a throwaway ACS identity with the app's credentials", async () => {
      const before = await stack.acsStats();
      const identitiesBefore = await stack.acsIdentities();

      const response = await stack.api('/api/diagnostics/acs', { method: 'POST' });

      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok', durationInMs: expect.any(Number) });
      const after = await stack.acsStats();
      expect([after['createUser'] - before['createUser'], after['deleteUser'] - before['deleteUser']]).toEqual([1, 1]);
      expect(await stack.acsIdentities()).toEqual(identitiesBefore);
    });

    it("answers 502 acs_rejected when ACS refuses the app's credentials", async () => {
      await stack.acsFault({ operation: 'createUser', status: 401, count: 1 });

      const response = await stack.api('/api/diagnostics/acs', { method: 'POST' });

      expect(response.status).toBe(502);
      expect(((await response.json()) as { code: string }).code).toBe('acs_rejected');
    });
  });

  describe('scripts/postdeploy.mjs', () => {
    it('passes when the app is healthy and its identity can use ACS, without printing the function key', async () => {
      const { code, output } = await runHook({
        FUNCTION_APP_URL: stack.functionsUrl,
        SMOKE_TIMEOUT_SECONDS: '10',
        SMOKE_FUNCTION_KEY: 'key-that-must-not-be-printed',
      });

      expect({ code, output }).toEqual({
        code: 0,
        output: expect.stringContaining("the app's identity created and deleted a throwaway ACS identity"),
      });
      expect(output).toContain('health: 200');
      expect(output).not.toContain('key-that-must-not-be-printed');
    });

    it('waits while a new role assignment applies (ACS refuses twice, then accepts)', async () => {
      await stack.acsFault({ operation: 'createUser', status: 401, count: 2 });

      const { code, output } = await runHook({ FUNCTION_APP_URL: stack.functionsUrl, SMOKE_TIMEOUT_SECONDS: '10' });

      expect(code).toBe(0);
      expect(output.match(/ACS check: 502 acs_rejected; retrying/g)).toHaveLength(2);
    });

    it("fails with what to assign when ACS keeps refusing the app's identity", async () => {
      await stack.acsFault({ operation: 'createUser', status: 403, count: 1000 });

      const { code, output } = await runHook({
        FUNCTION_APP_URL: stack.functionsUrl,
        SMOKE_TIMEOUT_SECONDS: '1',
        AZURE_RESOURCE_GROUP: 'rg-test',
        ACS_RESOURCE_NAME: 'acs-test',
        API_IDENTITY_PRINCIPAL_ID: '11111111-2222-3333-4444-555555555555',
      });

      expect(code).toBe(1);
      expect(output).toContain("postdeploy: FAILED: the app's identity lacks the ACS role");
      expect(output).toContain('--assignee-object-id 11111111-2222-3333-4444-555555555555');
      expect(output).toContain('az communication show -g rg-test -n acs-test');
    });

    it('fails clearly when the app does not answer', async () => {
      const { code, output } = await runHook({ FUNCTION_APP_URL: 'http://127.0.0.1:9', SMOKE_TIMEOUT_SECONDS: '0.5' });

      expect(code).toBe(1);
      expect(output).toMatch(/postdeploy: FAILED: GET http:\/\/127\.0\.0\.1:9\/api\/health: no answer/);
    });
  });
});
