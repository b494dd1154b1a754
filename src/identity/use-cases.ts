import type { IdentityGateway, IdentityGateways, IntentStore, MappingStore } from '../domain/ports';
import { type CreationOptions, IdentityCreation } from './identity-creation';
import { IdentityDeletion } from './identity-deletion';
import { IdentityService } from './identity-service';
import { LiveIdentity } from './live-identity';
import type { Quotas } from './quotas';
import { Reconciler } from './reconciler';
import { ResourceRouter } from './resource-router';
import type { TokenPolicy } from './types';

export interface IdentityUseCaseOptions extends CreationOptions {
  mappings: MappingStore;
  intents: IntentStore;
  /** One gateway, or the router over several ACS resources. */
  acs: IdentityGateway | IdentityGateways;
  tokens: TokenPolicy;
  /** Per-caller quotas (none when absent). */
  quotas?: Quotas;
}

/** The identity use cases and the reconciler, over the same steps (one composition for production and tests). */
export function createIdentityUseCases(options: IdentityUseCaseOptions): {
  identities: IdentityService;
  reconciler: Reconciler;
} {
  const { mappings, intents } = options;
  const gateways = 'forUser' in options.acs ? options.acs : new ResourceRouter(options.acs);
  const live = new LiveIdentity(mappings, gateways);
  const creation = new IdentityCreation(mappings, intents, gateways, options);
  const deletion = new IdentityDeletion(mappings, intents, gateways, live);
  return {
    identities: new IdentityService({
      mappings,
      live,
      creation,
      deletion,
      tokens: options.tokens,
      quotas: options.quotas,
    }),
    reconciler: new Reconciler(mappings, intents, gateways, live, deletion, options),
  };
}
