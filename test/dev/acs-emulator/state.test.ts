import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CommunicationIdentityClient } from '@azure/communication-identity';

import { type AcsEmulator, startAcsEmulator } from '../../../dev/acs-emulator';
import { controlApi } from './control';

const clientOf = (emulator: AcsEmulator) =>
  new CommunicationIdentityClient(emulator.connectionString, {
    allowInsecureConnection: true,
    retryOptions: { maxRetries: 0 },
  });

describe('ACS emulator: state kept in a data file', () => {
  let folder: string;
  let dataFile: string;
  const running: AcsEmulator[] = [];
  const start = async (options: { dataFile?: string; revocationDelayInMs?: number } = { dataFile }) => {
    const emulator = await startAcsEmulator({ port: 0, ...options });
    running.push(emulator);
    return emulator;
  };
  const stop = async (emulator: AcsEmulator) => {
    await emulator.stop();
    running.splice(running.indexOf(emulator), 1);
  };

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'acs-emulator-state-'));
    dataFile = join(folder, 'acs-emulator.json');
  });

  afterEach(async () => {
    await Promise.all(running.map(async (emulator) => emulator.stop()));
    running.length = 0;
    rmSync(folder, { recursive: true, force: true });
  });

  it('keeps identities, tokens, revocations and deletions across a restart', async () => {
    const first = await start();
    const { user: kept, token: keptToken } = await clientOf(first).createUserAndToken(['chat']);
    const { user: revoked, token: revokedToken } = await clientOf(first).createUserAndToken(['voip']);
    await clientOf(first).revokeTokens(revoked);
    const deleted = await clientOf(first).createUser();
    await clientOf(first).deleteUser(deleted);
    await stop(first);

    const second = await start();
    const control = controlApi(second.url);

    expect(await control.identities()).toEqual(
      expect.arrayContaining([kept.communicationUserId, revoked.communicationUserId]),
    );
    expect(await control.identities()).not.toContain(deleted.communicationUserId);
    expect(await control.verify(keptToken)).toMatchObject({
      valid: true,
      communicationUserId: kept.communicationUserId,
    });
    expect(await control.verify(revokedToken)).toMatchObject({ valid: false, reason: 'revoked' });
    const fresh = await clientOf(second).getToken(kept, ['chat']);
    expect(await control.verify(fresh.token)).toMatchObject({ valid: true });
    await expect(clientOf(second).getToken(deleted, ['chat'])).rejects.toMatchObject({ statusCode: 401 });
  });

  it('forgets everything, in the file too, on reset', async () => {
    const first = await start();
    await clientOf(first).createUser();
    await controlApi(first.url).reset();
    await stop(first);

    const second = await start();

    expect(await controlApi(second.url).identities()).toEqual([]);
  });

  it('keeps nothing on disk without a data file', async () => {
    const inMemory = await start({});
    const user = await clientOf(inMemory).createUser();
    await stop(inMemory);

    const again = await start({});

    await expect(clientOf(again).getToken(user, ['chat'])).rejects.toMatchObject({ statusCode: 401 });
  });

  it('refuses to start on a file that is not emulator data, naming it', async () => {
    writeFileSync(dataFile, '{"hello":"world"}');

    await expect(start()).rejects.toThrow(`${dataFile} is not ACS emulator data`);
    expect(readFileSync(dataFile, 'utf8')).toBe('{"hello":"world"}');
  });
});

describe('ACS emulator: revocation propagation delay', () => {
  it('keeps revoked and deleted identities’ tokens verifying until the delay has passed', async () => {
    const emulator = await startAcsEmulator({ port: 0, revocationDelayInMs: 600 });
    try {
      const control = controlApi(emulator.url);
      const { user, token } = await clientOf(emulator).createUserAndToken(['chat']);
      const { user: gone, token: goneToken } = await clientOf(emulator).createUserAndToken(['chat']);

      await clientOf(emulator).revokeTokens(user);
      await clientOf(emulator).deleteUser(gone);

      expect(await control.verify(token)).toMatchObject({ valid: true });
      expect(await control.verify(goneToken)).toMatchObject({ valid: true });
      // The API itself refuses a deleted identity at once.
      await expect(clientOf(emulator).getToken(gone, ['chat'])).rejects.toMatchObject({ statusCode: 401 });

      await new Promise((resolve) => setTimeout(resolve, 700));

      expect(await control.verify(token)).toMatchObject({ valid: false, reason: 'revoked' });
      expect(await control.verify(goneToken)).toMatchObject({ valid: false, reason: 'identity_deleted' });
    } finally {
      await emulator.stop();
    }
  });

  it('revokes at once by default', async () => {
    const emulator = await startAcsEmulator({ port: 0 });
    try {
      const { user, token } = await clientOf(emulator).createUserAndToken(['chat']);
      await clientOf(emulator).revokeTokens(user);

      expect(await controlApi(emulator.url).verify(token)).toMatchObject({ valid: false, reason: 'revoked' });
    } finally {
      await emulator.stop();
    }
  });

  it('refuses a negative delay', async () => {
    await expect(startAcsEmulator({ port: 0, revocationDelayInMs: -1 })).rejects.toThrow(
      'revocationDelayInMs must be a non-negative integer',
    );
  });
});
