import { randomBytes } from 'node:crypto';

import { CommunicationIdentityClient } from '@azure/communication-identity';

import { DEV_ACS_ACCESS_KEY, startAcsEmulator } from '../../../dev/acs-emulator';

describe('ACS emulator: startAcsEmulator options', () => {
  it('honours a custom access key and resource id, and refuses the development key then', async () => {
    const accessKey = randomBytes(64).toString('base64');
    const resourceId = '12345678-90ab-4cde-8f01-23456789abcd';
    const emulator = await startAcsEmulator({ port: 0, accessKey, resourceId });
    try {
      const user = await new CommunicationIdentityClient(emulator.connectionString, {
        allowInsecureConnection: true,
      }).createUser();
      const withDevKey = new CommunicationIdentityClient(`endpoint=${emulator.url};accesskey=${DEV_ACS_ACCESS_KEY}`, {
        allowInsecureConnection: true,
      });

      expect(emulator.connectionString).toBe(`endpoint=${emulator.url};accesskey=${accessKey}`);
      expect(user.communicationUserId.startsWith(`8:acs:${resourceId}_`)).toBe(true);
      await expect(withDevKey.createUser()).rejects.toMatchObject({ statusCode: 401 });
    } finally {
      await emulator.stop();
    }
  });

  it.each([
    [{ port: -1 }, 'port'],
    [{ port: 1.5 }, 'port'],
    [{ accessKey: 'not base64!' }, 'accessKey'],
    [{ resourceId: 'my-resource' }, 'resourceId'],
    [{ teamsJwksUrl: 'ftp://keys' }, 'teamsJwksUrl'],
  ])('refuses %j, naming %s', async (options, name) => {
    await expect(startAcsEmulator(options)).rejects.toThrow(name);
  });

  it('fails to start on a port already taken, and stops twice without error', async () => {
    const first = await startAcsEmulator({ port: 0 });
    try {
      await expect(startAcsEmulator({ port: first.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await first.stop();
      await first.stop();
    }
  });
});
