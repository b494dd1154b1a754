import { startAcsEmulator } from '../../dev/acs-emulator';
import { startAzurite } from '../../dev/azurite';
import { startDevIssuer } from '../../dev/oidc/issuer';
import { send, serveParent } from './ipc';

/**
 * Child process: what the function app talks to (Azurite in memory, the ACS emulator, the development OIDC issuer),
 * on free ports, wired as dev/stack/stack.ts wires them. Kept out of the host's process so that the host's CPU and
 * memory figures are its own.
 */
async function main(): Promise<void> {
  const azurite = await startAzurite({ blobPort: 0, queuePort: 0, tablePort: 0 });
  const issuer = await startDevIssuer({ port: 0 });
  const acs = await startAcsEmulator({ port: 0, teamsJwksUrl: `${issuer.url}/jwks` });
  serveParent(async () => {
    await acs.stop();
    await issuer.stop();
    await azurite.stop();
  });
  send({
    type: 'ready',
    endpoints: {
      acsUrl: acs.url,
      acsConnectionString: acs.connectionString,
      issuerUrl: issuer.url,
      storageConnectionString: azurite.connectionString,
    },
  });
}

main().catch((error: unknown) => {
  send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
