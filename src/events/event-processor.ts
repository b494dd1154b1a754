import { AppError } from '../errors/errors';
import type { IdentityService } from '../identity/identity-service';
import type { Logger } from '../identity/logger';
import type { ProcessedEventRepository } from '../storage/processed-events';
import type { IdentityEvent } from '../webhooks/types';

export type EventOutcome = 'revoked' | 'deleted' | 'no_mapping' | 'stale' | 'already_revoked' | 'duplicate';

/** Another delivery of the same event is being processed right now: retry this one later. */
export class EventBusyError extends AppError {
  constructor() {
    super(409, 'event_in_progress', 'Conflict', 'The same event is being processed by another delivery.');
  }
}

/**
 * Applies an identity-provider event to the user's ACS identity, at most once per `(source, eventId)`.
 * An event older than the identity (created after the event happened) or than the last revocation is skipped,
 * so a late or replayed event never undoes what came after it.
 */
export class EventProcessor {
  constructor(
    private readonly identities: IdentityService,
    private readonly processed: ProcessedEventRepository,
  ) {}

  async process(event: IdentityEvent, log: Logger): Promise<EventOutcome> {
    const claim = await this.processed.claim(event.source, event.eventId);
    if (claim.status === 'done') return 'duplicate';
    if (claim.status === 'busy') throw new EventBusyError();
    let outcome: EventOutcome;
    try {
      outcome = await this.apply(event, log);
    } catch (error) {
      await this.processed.release(event.source, event.eventId).catch(() => undefined);
      throw error;
    }
    await this.processed.complete(event.source, event.eventId, outcome);
    return outcome;
  }

  private async apply(event: IdentityEvent, log: Logger): Promise<EventOutcome> {
    const user = { issuer: event.issuer, userId: event.userId };
    const mapping = await this.identities.findMapping(user);
    if (!mapping) return 'no_mapping';
    const occurredAt = new Date(event.occurredAt);
    if (occurredAt < mapping.createdOn) return 'stale';
    const caller = { cause: { kind: 'webhook' as const, source: event.source, eventId: event.eventId, eventType: event.type }, log };
    if (event.action === 'delete') {
      await this.identities.deleteMapped(mapping, caller);
      return 'deleted';
    }
    if (mapping.state === 'deleting') return 'stale';
    if (mapping.revokedAt && occurredAt <= mapping.revokedAt) return 'already_revoked';
    await this.identities.revokeMapped(mapping, caller);
    return 'revoked';
  }
}
