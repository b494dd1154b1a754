import { createHash } from 'node:crypto';

import type { AppUser } from '../domain/model';
import type { IdentityGateway, IdentityGateways } from '../domain/ports';

/** Which users a secondary ACS resource takes (see ACS_RESOURCES). */
export interface ResourceRoute {
  name: string;
  gateway: IdentityGateway;
  /** Users of these issuers. */
  issuers?: readonly string[];
  /** Users whose token carries this claim with one of these values (e.g. `ctry` in `DE`, `FR`). */
  claim?: { name: string; values: readonly string[] };
  /** Also takes a stable share of the users no rule places (load spreading, with the primary). */
  spread?: boolean;
}

/**
 * Routes new identities to ACS resources: the first route whose issuer or claim rule matches the user, else a stable
 * hash of the user over the primary and the spreading routes, else the primary. Existing identities stay where their
 * mapping says: a resource is never chosen again for a user who has one.
 */
export class ResourceRouter implements IdentityGateways {
  private readonly byResource = new Map<string, IdentityGateway>();
  private readonly pool: IdentityGateway[];

  constructor(
    private readonly primary: IdentityGateway,
    private readonly routes: readonly ResourceRoute[] = [],
  ) {
    for (const gateway of [primary, ...routes.map((route) => route.gateway)])
      this.byResource.set(gateway.resource, gateway);
    this.pool = [primary, ...routes.filter((route) => route.spread).map((route) => route.gateway)];
  }

  forUser(user: AppUser & { attributes?: Readonly<Record<string, string>> }): IdentityGateway {
    for (const route of this.routes) {
      if (route.issuers?.includes(user.issuer)) return route.gateway;
      const value = route.claim ? user.attributes?.[route.claim.name] : undefined;
      if (value !== undefined && route.claim!.values.includes(value)) return route.gateway;
    }
    if (this.pool.length === 1) return this.primary;
    const bucket =
      createHash('sha256').update(`${user.issuer}\u0000${user.userId}`).digest().readUInt32BE(0) % this.pool.length;
    return this.pool[bucket];
  }

  forResource(resource: string | undefined): IdentityGateway | undefined {
    return resource === undefined ? this.primary : this.byResource.get(resource);
  }
}
