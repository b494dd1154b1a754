import { tokenScopes } from '../../src/domain/model';
import { createIdentityUseCases } from '../../src/identity/identity-service';
import { fakeIdentityGateway } from './fake-identity-gateway';
import { InMemoryMappingStore } from './in-memory-mapping-store';

/** Every scope allowed, `chat` and `voip` by default: the settings' defaults. */
export const openTokenPolicy = { allowedScopes: tokenScopes, defaultScopes: ['chat', 'voip'] as const };

/**
 * The identity use cases as the composition root wires them (createIdentityUseCases), over an in-memory store with
 * the Table adapter's conditions (it holds the intents too) and a scripted ACS gateway.
 */
export function identityUseCases(options: { idempotentCreate?: boolean } = {}) {
  const { acs, live } = fakeIdentityGateway();
  const store = new InMemoryMappingStore();
  const { identities, reconciler } = createIdentityUseCases({
    mappings: store,
    intents: store,
    acs,
    tokens: openTokenPolicy,
    idempotentCreate: options.idempotentCreate ?? false,
    reconcileAfterInMs: 600_000,
    claimLeaseInMs: 10_000,
  });
  return { acs, live, store, identities, reconciler };
}

/** The user, the log and the caller the identity use-case tests act as. */
export const testUser = { issuer: 'https://issuer.example.com', userId: 'u1' };
export const testLog = { info: jest.fn(), warn: jest.fn(), error: jest.fn() };
export const testCaller = { cause: { kind: 'caller' as const }, log: testLog };
