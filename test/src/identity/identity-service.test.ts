import type { TokenScope } from '@azure/communication-identity';

import { AcsUnauthorizedError, type IdentityGateway } from '../../../src/acs/identity-client';
import { UpstreamError } from '../../../src/errors/errors';
import { IdentityService } from '../../../src/identity/identity-service';
import type { IdentityMapping, MappingRepository } from '../../../src/storage/mapping-repository';

// Fakes for the use-case logic only; the real adapters are exercised against Azurite and the ACS emulator in test/integration.
const user = { issuer: 'https://issuer.example.com', userId: 'u1' };
const log = { info: jest.fn(), warn: jest.fn(), error: jest.fn() };
const caller = { cause: { kind: 'caller' as const }, log };
const mapping = (overrides: Partial<IdentityMapping> = {}): IdentityMapping => ({ user, communicationUserId: '8:acs:existing', createdOn: new Date(), state: 'active', etag: 'e1', ...overrides });

function fakes() {
  const acs: jest.Mocked<IdentityGateway> = {
    createUser: jest.fn(async () => '8:acs:probe'),
    createUserAndToken: jest.fn(async (_scopes: TokenScope[], _expiresInMinutes?: number) => ({ communicationUserId: '8:acs:new', token: 't-new', expiresOn: new Date() })),
    getToken: jest.fn(async (_id: string, _scopes: TokenScope[], _expiresInMinutes?: number) => ({ token: 't', expiresOn: new Date() })),
    revokeTokens: jest.fn(async (_id: string) => undefined),
    deleteUser: jest.fn(async (_id: string) => undefined),
    exchangeTeamsToken: jest.fn(),
  };
  const mappings = {
    get: jest.fn<Promise<IdentityMapping | undefined>, unknown[]>(async () => undefined),
    create: jest.fn(async () => true),
    putReverse: jest.fn(async () => undefined),
    deleteReverse: jest.fn(async () => undefined),
    markDeleting: jest.fn(async (m: IdentityMapping) => ({ ...m, state: 'deleting' as const })),
    remove: jest.fn(async () => undefined),
    recordRevocation: jest.fn(async () => undefined),
  };
  return { acs, mappings, service: new IdentityService(mappings as unknown as MappingRepository, acs) };
}

beforeEach(() => jest.clearAllMocks());

describe('IdentityService.issueToken', () => {
  it('creates identity and token in one ACS call for a new user', async () => {
    const { acs, mappings, service } = fakes();
    const result = await service.issueToken(user, { scopes: ['chat'] }, caller);
    expect(result).toMatchObject({ created: true, communicationUserId: '8:acs:new', token: 't-new' });
    expect(acs.createUserAndToken).toHaveBeenCalledTimes(1);
    expect(acs.getToken).not.toHaveBeenCalled();
    expect(mappings.putReverse).toHaveBeenCalledWith('8:acs:new', user);
  });

  it('costs one read and one ACS call for an existing identity', async () => {
    const { acs, mappings, service } = fakes();
    mappings.get.mockResolvedValue(mapping());
    await service.issueToken(user, { scopes: ['voip'], expiresInMinutes: 60 }, caller);
    expect(mappings.get).toHaveBeenCalledTimes(1);
    expect(acs.getToken).toHaveBeenCalledWith('8:acs:existing', ['voip'], 60);
    expect(acs.createUserAndToken).not.toHaveBeenCalled();
    expect(mappings.create).not.toHaveBeenCalled();
  });

  it('when it loses the race, deletes its own identity and answers with the winner', async () => {
    const { acs, mappings, service } = fakes();
    mappings.get.mockResolvedValueOnce(undefined).mockResolvedValueOnce(mapping({ communicationUserId: '8:acs:winner' }));
    mappings.create.mockResolvedValue(false);
    const result = await service.issueToken(user, { scopes: ['chat'] }, caller);
    expect(result).toMatchObject({ created: false, communicationUserId: '8:acs:winner' });
    expect(acs.deleteUser).toHaveBeenCalledWith('8:acs:new');
    expect(mappings.deleteReverse).toHaveBeenCalledWith('8:acs:new');
  });

  it('when the mapping cannot be saved, deletes the new identity and fails', async () => {
    const { acs, mappings, service } = fakes();
    mappings.create.mockRejectedValue(new UpstreamError('storage', 'unavailable'));
    await expect(service.issueToken(user, { scopes: ['chat'] }, caller)).rejects.toMatchObject({ status: 503 });
    expect(acs.deleteUser).toHaveBeenCalledWith('8:acs:new');
  });

  it('logs the id of an identity it could not clean up (for manual deletion)', async () => {
    const { acs, mappings, service } = fakes();
    mappings.putReverse.mockRejectedValue(new UpstreamError('storage', 'unavailable'));
    acs.deleteUser.mockRejectedValue(new UpstreamError('acs', 'unavailable'));
    await expect(service.issueToken(user, { scopes: ['chat'] }, caller)).rejects.toBeInstanceOf(UpstreamError);
    expect(log.error).toHaveBeenCalledWith(expect.stringContaining('8:acs:new'));
  });

  it('refuses tokens for an identity being deleted', async () => {
    const { mappings, service } = fakes();
    mappings.get.mockResolvedValue(mapping({ state: 'deleting' }));
    await expect(service.refreshToken(user, { scopes: ['chat'] })).rejects.toMatchObject({ status: 409, code: 'deletion_in_progress' });
  });
});

describe('IdentityService.deleteIdentity', () => {
  it('marks, deletes in ACS, then removes the mapping', async () => {
    const { acs, mappings, service } = fakes();
    mappings.get.mockResolvedValue(mapping());
    expect(await service.deleteIdentity(user, caller)).toBe(true);
    expect(mappings.markDeleting.mock.invocationCallOrder[0]).toBeLessThan(acs.deleteUser.mock.invocationCallOrder[0]!);
    expect(acs.deleteUser.mock.invocationCallOrder[0]).toBeLessThan(mappings.remove.mock.invocationCallOrder[0]!);
  });

  it('is a no-op when there is nothing to delete', async () => {
    const { acs, service } = fakes();
    expect(await service.deleteIdentity(user, caller)).toBe(false);
    expect(acs.deleteUser).not.toHaveBeenCalled();
  });

  it('keeps the mapping when a 401 cannot be told apart from bad credentials', async () => {
    const { acs, mappings, service } = fakes();
    mappings.get.mockResolvedValue(mapping());
    acs.deleteUser.mockRejectedValue(new AcsUnauthorizedError());
    acs.createUser.mockRejectedValue(new AcsUnauthorizedError());
    await expect(service.deleteIdentity(user, caller)).rejects.toBeInstanceOf(AcsUnauthorizedError);
    expect(mappings.remove).not.toHaveBeenCalled();
  });

  it('removes the mapping when ACS no longer knows the identity and the credentials demonstrably work', async () => {
    const { acs, mappings, service } = fakes();
    mappings.get.mockResolvedValue(mapping({ state: 'deleting' }));
    acs.deleteUser.mockImplementation(async (id) => {
      if (id === '8:acs:existing') throw new AcsUnauthorizedError();
    });
    expect(await service.deleteIdentity(user, caller)).toBe(true);
    expect(acs.createUser).toHaveBeenCalledTimes(1);
    expect(acs.deleteUser).toHaveBeenCalledWith('8:acs:probe');
    expect(mappings.markDeleting).not.toHaveBeenCalled();
    expect(mappings.remove).toHaveBeenCalled();
  });
});
