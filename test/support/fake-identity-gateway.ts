import { AcsUnauthorizedError } from '../../src/domain/errors';
import type { TokenScope } from '../../src/domain/model';
import type { IdentityGateway } from '../../src/domain/ports';

export const fakeResource = 'https://acs.example.communication.azure.com';

/**
 * A scripted ACS identity gateway over a set of live ids: unknown or deleted ids answer 401, as ACS does. For unit
 * and in-process tests only; the real SDK is exercised against the ACS emulator in test/integration.
 */
export function fakeIdentityGateway() {
  let next = 0;
  const live = new Set<string>();
  const acs: jest.Mocked<IdentityGateway> = {
    resource: fakeResource,
    createUser: jest.fn(async () => {
      const id = `8:acs:probe-${++next}`;
      live.add(id);
      return id;
    }),
    createUserAndToken: jest.fn(async (_scopes: TokenScope[]) => {
      const id = `8:acs:new-${++next}`;
      live.add(id);
      return { communicationUserId: id, token: `t-${id}`, expiresOn: new Date() };
    }),
    getToken: jest.fn(async (id: string, _scopes: TokenScope[], _expiresInMinutes?: number) => {
      if (!live.has(id)) throw new AcsUnauthorizedError();
      return { token: `t-${id}`, expiresOn: new Date() };
    }),
    revokeTokens: jest.fn(async (id: string) => {
      if (!live.has(id)) throw new AcsUnauthorizedError();
    }),
    deleteUser: jest.fn(async (id: string) => {
      if (!live.delete(id)) throw new AcsUnauthorizedError();
    }),
    exchangeTeamsToken: jest.fn(async (_token: string, _clientId: string, _userObjectId: string) => ({
      token: 'teams-token',
      expiresOn: new Date(),
    })),
  };
  return { acs, live };
}
