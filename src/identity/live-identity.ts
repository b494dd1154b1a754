import { AcsUnauthorizedError, describeError } from '../domain/errors';
import { ConcurrentChangeError, type IdentityMapping } from '../domain/model';
import type { IdentityGateway, IdentityGateways, Logger, MappingStore } from '../domain/ports';
import type { Caller } from './types';

/** Marks a mapping that pointed at an identity ACS no longer has (removed; the caller decides what comes next). */
export const STALE = Symbol('stale');
/** The mapping read (possibly from the store's cache) is no longer the stored one: read again and retry. */
export const CHANGED = Symbol('changed');

/**
 * ACS answers 401 both for an identity it does not know and for credentials it refuses. This tells the two apart
 * before anything is removed: only when a throwaway identity can be created and deleted with the same credentials,
 * and the call fails again, is the mapped identity gone (deleted outside the service).
 */
export class LiveIdentity {
  constructor(
    private readonly mappings: MappingStore,
    private readonly gateways: IdentityGateways,
  ) {}

  /** Whether the mapping's ACS resource is one this deployment uses. */
  ownedHere(mapping: IdentityMapping): boolean {
    return this.gateways.forResource(mapping.resource) !== undefined;
  }

  /**
   * Runs an ACS call on the mapped identity. A mapping of another ACS resource, or an identity ACS answers 401 for
   * twice while our credentials demonstrably work, is stale: it is removed (audited) and STALE returned. On a 401
   * the stored record is read again first: when it differs from the one read, CHANGED is returned.
   */
  async call<T>(
    found: IdentityMapping,
    caller: Caller,
    call: (communicationUserId: string, acs: IdentityGateway) => Promise<T>,
  ): Promise<T | typeof STALE | typeof CHANGED> {
    const acs = this.gateways.forResource(found.resource);
    if (!acs) {
      await this.dropStale(found, caller);
      return STALE;
    }
    try {
      return await call(found.communicationUserId, acs);
    } catch (error) {
      if (!(error instanceof AcsUnauthorizedError)) throw error;
    }
    const { mapping } = await this.mappings.read(found.user, { fresh: true });
    if (!mapping || mapping.communicationUserId !== found.communicationUserId || mapping.state !== found.state)
      return CHANGED;
    if (!(await this.credentialsWork(acs, caller.log))) throw new AcsUnauthorizedError();
    try {
      return await call(mapping.communicationUserId, acs);
    } catch (again) {
      if (!(again instanceof AcsUnauthorizedError)) throw again;
    }
    await this.dropStale(mapping, caller);
    return STALE;
  }

  /** Removes a mapping whose identity is gone or lives in a resource this deployment no longer uses. */
  async dropStale(mapping: IdentityMapping, caller: Caller): Promise<void> {
    caller.log.warn(
      this.ownedHere(mapping)
        ? 'ACS no longer knows the mapped identity; removing the stale mapping.'
        : 'The mapped identity belongs to another ACS resource; removing the stale mapping.',
    );
    try {
      await this.mappings.remove(mapping, caller.cause, 'stale_removed');
    } catch (error) {
      if (!(error instanceof ConcurrentChangeError)) throw error; // changed meanwhile: the caller re-reads
    }
  }

  /** Deletes an ACS identity; one that ACS no longer knows (401 twice while our credentials work) counts as deleted. */
  async deleteIdentity(communicationUserId: string, log: Logger, acs: IdentityGateway): Promise<void> {
    try {
      await acs.deleteUser(communicationUserId);
      return;
    } catch (error) {
      // 401 means "no such identity" or "bad credentials": only when our credentials demonstrably work is it gone.
      if (!(error instanceof AcsUnauthorizedError) || !(await this.credentialsWork(acs, log))) throw error;
    }
    try {
      await acs.deleteUser(communicationUserId);
    } catch (again) {
      if (!(again instanceof AcsUnauthorizedError)) throw again;
      log.info('ACS no longer knows the identity being deleted.');
    }
  }

  /** Proves the ACS credentials work by creating and deleting a throwaway identity (only on the ambiguous-401 path). */
  private async credentialsWork(acs: IdentityGateway, log: Logger): Promise<boolean> {
    let probe: string;
    try {
      probe = await acs.createUser();
    } catch (error) {
      if (error instanceof AcsUnauthorizedError) return false;
      throw error;
    }
    await acs
      .deleteUser(probe)
      .catch((error: unknown) => log.warn(`Could not delete probe identity ${probe} (${describeError(error)}).`));
    return true;
  }
}
