import { DEFAULT_ACS_EMULATOR_PORT, startAcsEmulator } from './index';

/**
 * Runs the emulator standalone: `node dist/dev/acs-emulator/cli.js` (port from ACS_EMULATOR_PORT, default 7080;
 * ACS_EMULATOR_REVOCATION_DELAY_MS, ACS_EMULATOR_DATA_FILE as the options of the same meaning).
 */
async function main(): Promise<void> {
  const rawPort = process.env['ACS_EMULATOR_PORT'];
  const port = rawPort === undefined || rawPort.trim() === '' ? DEFAULT_ACS_EMULATOR_PORT : Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error('ACS_EMULATOR_PORT must be an integer in 0..65535');
  }
  const rawDelay = process.env['ACS_EMULATOR_REVOCATION_DELAY_MS'];
  const revocationDelayInMs = rawDelay === undefined || rawDelay.trim() === '' ? undefined : Number(rawDelay);
  const dataFile = process.env['ACS_EMULATOR_DATA_FILE'] || undefined;
  const emulator = await startAcsEmulator({
    port,
    log: (line) => console.log(`[acs-emulator] ${line}`),
    ...(revocationDelayInMs === undefined ? {} : { revocationDelayInMs }),
    ...(dataFile === undefined ? {} : { dataFile }),
  });
  // The URL only: the connection string holds the access key (the documented DEV_ACS_ACCESS_KEY unless changed).
  console.log(
    `ACS identity emulator listening on ${emulator.url} (access key: DEV_ACS_ACCESS_KEY; control API: ${emulator.url}_emulator/stats)`,
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    console.log(`[acs-emulator] ${signal}: stopping`);
    emulator.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`[acs-emulator] stop failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`[acs-emulator] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
