import { EmulatedIdentityApi } from '../../../dev/acs-emulator/service';
import { EmulatorState } from '../../../dev/acs-emulator/state';

// The use cases take the clock as an argument, so ordering within one millisecond can be pinned down exactly.
describe('ACS emulator: EmulatedIdentityApi with a fixed clock', () => {
  const RESOURCE_ID = '11111111-2222-4333-8444-555555555555';
  const NOW = Date.UTC(2030, 0, 1, 12, 0, 0, 500);
  let state: EmulatorState;
  let service: EmulatedIdentityApi;

  const createIdentity = (): string =>
    (service.create(undefined, NOW).body as { identity: { id: string } }).identity.id;
  const issue = (id: string, atMs: number): string =>
    (service.issueToken(id, { scopes: ['chat'] }, atMs).body as { token: string }).token;

  beforeEach(() => {
    state = new EmulatorState();
    service = new EmulatedIdentityApi(state, RESOURCE_ID);
  });

  it('when a token is issued in the same millisecond as a revocation but after it, then it stays valid', () => {
    const id = createIdentity();
    const before = issue(id, NOW);

    service.revokeTokens(id, NOW);
    const after = issue(id, NOW);

    expect(service.verify(before, NOW)).toMatchObject({ valid: false, reason: 'revoked' });
    expect(service.verify(after, NOW)).toMatchObject({ valid: true, communicationUserId: id });
  });

  it('when a token outlives its expiresInMinutes, then it verifies as expired', () => {
    const id = createIdentity();
    const { token, expiresOn } = service.issueToken(id, { scopes: ['chat'], expiresInMinutes: 60 }, NOW).body as {
      token: string;
      expiresOn: string;
    };
    const expiresAtMs = Date.parse(expiresOn);

    // JWT exp has whole seconds: the token ends at most a second before NOW + 60 minutes.
    expect(NOW + 60 * 60_000 - expiresAtMs).toBeGreaterThanOrEqual(0);
    expect(NOW + 60 * 60_000 - expiresAtMs).toBeLessThan(1000);
    expect(service.verify(token, expiresAtMs - 1)).toMatchObject({ valid: true });
    expect(service.verify(token, expiresAtMs)).toEqual({ valid: false, reason: 'expired', communicationUserId: id });
  });

  it('when a token is tampered with or is not a JWT, then it verifies as bad_signature or malformed', () => {
    const token = issue(createIdentity(), NOW);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const forged = Buffer.from(payload, 'base64url').toString('utf8').replace('"chat"', '"voip"');

    expect(service.verify(`${header}.${Buffer.from(forged).toString('base64url')}.${signature}`, NOW)).toEqual({
      valid: false,
      reason: 'bad_signature',
    });
    expect(service.verify(`${header}.${payload}.${signature.slice(0, -2)}xx`, NOW)).toEqual({
      valid: false,
      reason: 'bad_signature',
    });
    expect(service.verify(`${header}.${payload}`, NOW)).toEqual({ valid: false, reason: 'malformed' });
    expect(service.verify('not a token', NOW)).toEqual({ valid: false, reason: 'malformed' });
  });

  it('when the state is reset, then earlier tokens no longer verify', () => {
    const token = issue(createIdentity(), NOW);

    state.reset();

    expect(service.verify(token, NOW)).toMatchObject({ valid: false, reason: 'unknown_identity' });
    expect(state.stats()).toMatchObject({ identities: 0 });
  });

  it('when a token comes from another emulator instance, then its signature is rejected', () => {
    const other = new EmulatedIdentityApi(new EmulatorState(), RESOURCE_ID);
    const foreign = (other.create({ createTokenWithScopes: ['chat'] }, NOW).body as { accessToken: { token: string } })
      .accessToken.token;

    expect(service.verify(foreign, NOW)).toEqual({ valid: false, reason: 'bad_signature' });
  });
});
