import { CommunicationIdentityClient, type CommunicationIdentityClientOptions } from '@azure/communication-identity';

import { type AcsEmulator, startAcsEmulator } from '../../../dev/acs-emulator';
import { controlApi } from './control';

describe('ACS emulator: injected faults as the SDK pipeline sees them', () => {
  let emulator: AcsEmulator;
  let control: ReturnType<typeof controlApi>;

  const clientWith = (options: CommunicationIdentityClientOptions = {}): CommunicationIdentityClient =>
    new CommunicationIdentityClient(emulator.connectionString, { allowInsecureConnection: true, ...options });
  /** Retries fast so exhausting them costs milliseconds, not the default ~6 s. */
  const quickRetries = { retryOptions: { maxRetries: 2, retryDelayInMs: 5, maxRetryDelayInMs: 10 } };

  beforeAll(async () => {
    emulator = await startAcsEmulator({ port: 0 });
    control = controlApi(emulator.url);
  });

  afterAll(async () => {
    await emulator.stop();
  });

  beforeEach(async () => {
    await control.reset();
  });

  it('when two 429s with Retry-After 1 are queued, then the SDK retries and the third attempt succeeds', async () => {
    const client = clientWith();
    const user = await client.createUser();
    await control.queueFaults({ operation: 'getToken', status: 429, count: 2, retryAfterSeconds: 1 });

    const started = Date.now();
    const { token } = await client.getToken(user, ['chat']);

    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    expect(await control.verify(token)).toMatchObject({ valid: true });
    expect(await control.stats()).toMatchObject({ createUser: 1, getToken: 3 });
    expect(await (await control.call('GET', 'faults')).json()).toEqual({ faults: [] });
  });

  it('answers a 429 with a Retry-After header and an ACS error body', async () => {
    await control.queueFaults({ status: 429, retryAfterSeconds: 7 });

    const response = await fetch(new URL('identities?api-version=2023-10-01', emulator.url), { method: 'POST' });

    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('7');
    expect(await response.json()).toEqual({ error: { code: 'TooManyRequests', message: expect.any(String) } });
  });

  it('when 429 comes without Retry-After, then the SDK does not retry it', async () => {
    await control.queueFaults({ status: 429, count: 3 });

    await expect(clientWith().createUser()).rejects.toMatchObject({
      name: 'RestError',
      statusCode: 429,
      code: 'TooManyRequests',
    });
    expect(await control.stats()).toMatchObject({ createUser: 1, identities: 0 });
  });

  it('when more 500s are queued than the SDK retries, then the 500 surfaces and the rest stay queued', async () => {
    await control.queueFaults({ status: 500, count: 5 });

    await expect(clientWith(quickRetries).createUser()).rejects.toMatchObject({
      name: 'RestError',
      statusCode: 500,
      code: 'InternalServerError',
      message: 'An internal error occurred.',
    });
    expect(await control.stats()).toMatchObject({ createUser: 3, identities: 0 });
    expect(await (await control.call('GET', 'faults')).json()).toEqual({
      faults: [expect.objectContaining({ status: 500, count: 2 })],
    });
  });

  it('when a fault names an operation, then other operations pass and faults are served in queue order', async () => {
    const client = clientWith({ retryOptions: { maxRetries: 0 } });
    await control.queueFaults([
      { operation: 'deleteUser', status: 503, code: 'ServiceUnavailable', message: 'Try later.' },
      { operation: 'deleteUser', status: 500 },
    ]);

    const user = await client.createUser();
    await expect(client.deleteUser(user)).rejects.toMatchObject({
      statusCode: 503,
      code: 'ServiceUnavailable',
      message: 'Try later.',
    });
    await expect(client.deleteUser(user)).rejects.toMatchObject({ statusCode: 500 });
    await client.deleteUser(user);

    expect(await control.stats()).toMatchObject({ createUser: 1, deleteUser: 3, identities: 0 });
  });

  it('when a fault has only a delay, then the call is slow but served normally', async () => {
    await control.queueFaults({ operation: 'createUserAndToken', delayMs: 300 });

    const started = Date.now();
    const { token } = await clientWith().createUserAndToken(['voip']);

    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(await control.verify(token)).toMatchObject({ valid: true });
  });

  it('refuses a fault it cannot serve with 400', async () => {
    for (const fault of [
      { status: 200 },
      { count: 2 },
      { status: 500, operation: 'listUsers' },
      { status: 500, count: 0 },
      { status: 500, retryAfter: 1 },
    ]) {
      const response = await control.call('POST', 'faults', fault);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: 'InvalidRequest', message: expect.any(String) } });
    }
  });

  it('when reset, then queued faults, stats and identities are gone', async () => {
    const client = clientWith({ retryOptions: { maxRetries: 0 } });
    await client.createUser();
    await control.queueFaults({ status: 500, count: 10 });

    await control.reset();
    await client.createUser();

    expect(await control.stats()).toEqual({
      createUser: 1,
      createUserAndToken: 0,
      getToken: 0,
      revokeTokens: 0,
      deleteUser: 0,
      exchangeTeamsToken: 0,
      identities: 1,
    });
  });
});
