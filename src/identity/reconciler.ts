import { describeError } from '../domain/errors';
import type { Intent } from '../domain/model';
import type { IdentityGateways, IntentStore, Logger, MappingStore } from '../domain/ports';
import type { CreationOptions } from './identity-creation';
import type { IdentityDeletion } from './identity-deletion';
import type { LiveIdentity } from './live-identity';
import type { Caller } from './types';

export type ReconcileOutcome = 'completed' | 'orphan_deleted' | 'orphan_unknown' | 'delete_finished';

export interface ReconcileSummary {
  cutoff: Date;
  found: number;
  outcomes: Partial<Record<ReconcileOutcome, number>>;
  failed: number;
}

/**
 * Finishes or undoes the multi-step changes a crash left unfinished longer than the bound (RECONCILE_AFTER_SECONDS,
 * well past the function timeout, so their requests have ended): deletes the ACS identity a create left without a
 * mapping, and finishes deletes whose mapping is stuck in `deleting`.
 */
export class Reconciler {
  constructor(
    private readonly mappings: MappingStore,
    private readonly intents: IntentStore,
    private readonly gateways: IdentityGateways,
    private readonly live: LiveIdentity,
    private readonly deletion: IdentityDeletion,
    private readonly options: CreationOptions,
  ) {}

  /** One run over the intents older than the bound; each is handled on its own, one failure does not stop the rest. */
  async run(log: Logger, now = new Date()): Promise<ReconcileSummary> {
    const cutoff = new Date(now.getTime() - this.options.reconcileAfterInMs);
    const intents = await this.intents.listIntentsBefore(cutoff);
    const summary: ReconcileSummary = { cutoff, found: intents.length, outcomes: {}, failed: 0 };
    for (const intent of intents) {
      try {
        const outcome = await this.reconcile(intent, log);
        summary.outcomes[outcome] = (summary.outcomes[outcome] ?? 0) + 1;
      } catch (error) {
        summary.failed += 1;
        log.warn(
          `Reconciling ${intent.kind} intent ${intent.id} failed (${describeError(error)}); the next run retries.`,
        );
      }
    }
    return summary;
  }

  /**
   * Finishes or undoes one change: a create whose mapping was saved is complete; otherwise the identity it created,
   * if any, is deleted (found by the id recorded in the intent, or again through its customId). A delete is finished.
   */
  async reconcile(intent: Intent, log: Logger): Promise<ReconcileOutcome> {
    const caller: Caller = { cause: { kind: 'reconciler' }, log };
    const mapping = await this.mappings.get(intent.user);
    if (intent.kind === 'delete') {
      if (mapping && mapping.communicationUserId === intent.communicationUserId)
        await this.deletion.deleteMapped(mapping, caller, intent);
      else await this.intents.deleteIntent(intent);
      return 'delete_finished';
    }
    if (mapping?.intentId === intent.id) {
      await this.intents.deleteIntent(intent);
      return 'completed';
    }
    const acs = this.gateways.forResource(intent.resource);
    let orphan = intent.communicationUserId;
    if (!orphan && acs && this.options.idempotentCreate) orphan = await acs.createUser({ customId: intent.id });
    if (!orphan || !acs) {
      log.warn(
        `Create intent ${intent.id} ended without a mapping; an identity created by it cannot be found (ACS_IDEMPOTENT_CREATE is off).`,
      );
      await this.intents.deleteIntent(intent);
      return 'orphan_unknown';
    }
    // With a customId this may create the identity now (the crashed call never reached ACS): deleted all the same.
    if (mapping?.communicationUserId !== orphan) await this.live.deleteIdentity(orphan, log, acs);
    await this.intents.deleteIntent(intent);
    return 'orphan_deleted';
  }
}
