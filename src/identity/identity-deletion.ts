import { conflict } from '../domain/errors';
import { type AuditCause, ConcurrentChangeError, type IdentityMapping, type Intent } from '../domain/model';
import type { IdentityGateways, IntentStore, MappingStore } from '../domain/ports';
import { forgetIntent } from './identity-creation';
import type { LiveIdentity } from './live-identity';
import type { Caller } from './types';

/**
 * Deletes an identity and its mapping so that the step that is interrupted is finished by the next attempt or by
 * the reconciler: an intent first, then the mapping marked `deleting` on its ETag, then ACS, then the mapping
 * removed on its ETag (a tombstone, so that a stale delete cannot remove a newer identity's mapping).
 */
export class IdentityDeletion {
  constructor(
    private readonly mappings: MappingStore,
    private readonly intents: IntentStore,
    private readonly gateways: IdentityGateways,
    private readonly live: LiveIdentity,
  ) {}

  /** Deletes an identity whose mapping the caller has just read. */
  async deleteMapped(found: IdentityMapping, caller: Caller, existingIntent?: Intent): Promise<void> {
    const intent =
      existingIntent ??
      (await this.intents.putIntent('delete', found.user, found.communicationUserId, undefined, found.resource));
    const mapping = await this.markDeleting(found);
    if (mapping) {
      const acs = this.gateways.forResource(mapping.resource);
      if (acs) await this.live.deleteIdentity(mapping.communicationUserId, caller.log, acs);
      else
        caller.log.warn(
          'The identity belongs to an ACS resource this deployment no longer uses; only its mapping is removed.',
        );
      await this.removeMapping(mapping, caller.cause, 'deleted');
    }
    await forgetIntent(this.intents, intent, caller.log);
  }

  /** Marks the mapping `deleting` on its ETag; undefined when it was deleted or replaced meanwhile. */
  private async markDeleting(found: IdentityMapping): Promise<IdentityMapping | undefined> {
    let mapping = found;
    for (let attempt = 0; attempt < 5; attempt += 1) {
      if (mapping.state === 'deleting') return mapping;
      try {
        return await this.mappings.markDeleting(mapping);
      } catch (error) {
        if (!(error instanceof ConcurrentChangeError)) throw error;
      }
      const current = await this.mappings.get(found.user);
      if (!current || current.communicationUserId !== found.communicationUserId) return undefined;
      mapping = current;
    }
    throw raceLost();
  }

  /** Removes the mapping on its ETag; when it changed meanwhile, retries while it still maps the same identity. */
  private async removeMapping(
    found: IdentityMapping,
    cause: AuditCause,
    action: 'deleted' | 'stale_removed',
  ): Promise<void> {
    let mapping = found;
    for (let attempt = 0; attempt < 5; attempt += 1) {
      try {
        await this.mappings.remove(mapping, cause, action);
        return;
      } catch (error) {
        if (!(error instanceof ConcurrentChangeError)) throw error;
      }
      const current = await this.mappings.get(found.user);
      if (!current || current.communicationUserId !== found.communicationUserId) return; // someone else finished
      mapping = current;
    }
    throw raceLost();
  }
}

export const raceLost = () => conflict('identity_conflict', 'The identity changed concurrently; retry the request.', 1);
