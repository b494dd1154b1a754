import type { AuditCause } from '../domain/model';
import { ServiceError } from '../domain/errors';
import type { Invitations } from '../guests/invitations';
import type { IdentityService } from '../identity/identity-service';
import type { Logger, ProcessedEventStore } from '../domain/ports';

import type { IdentityEvent } from '../domain/events';

export type EventOutcome =
  | 'revoked'
  | 'deleted'
  | 'disabled'
  | 'blocked'
  | 'enabled'
  | 'no_mapping'
  | 'deleting'
  | 'stale_mapping_removed'
  | 'stale'
  | 'kept_newer_identity'
  | 'duplicate';

/** Another delivery of the same event is being processed right now: retry this one later. */
export class EventBusyError extends ServiceError {
  constructor() {
    super('conflict', 'event_in_progress', 'The same event is being processed by another delivery.');
  }
}

/**
 * How far an identity's creation may follow a delete event and still be the identity that event was about:
 * providers' clocks and ours differ, and a provider's timestamp may have whole-second resolution.
 */
export const deleteClockToleranceInMs = 5 * 60_000;

/**
 * Applies an identity-provider event to the user, at most once per `(source, eventId)`:
 * - revoke: revokes the identity's tokens. Always applied: a revocation is never harmful, so no clock comparison
 *   can drop it.
 * - disable: records the decision (tokens issued before it are refused) and revokes.
 * - delete: records the decision and deletes the identity, unless the identity was created clearly after the event
 *   (beyond {@link deleteClockToleranceInMs}: a later user of the same id).
 * - disable or delete older than the decision already recorded: nothing is done to an identity created after
 *   that decision.
 * - enable: records a restoring decision, unless a later decision is recorded (a late enable undoes nothing newer).
 */
export class EventProcessor {
  constructor(
    private readonly identities: IdentityService,
    private readonly processed: ProcessedEventStore,
    /** When given, a disabled or deleted user's active invitations are revoked too. */
    private readonly invitations?: Pick<Invitations, 'revokeAllOf'>,
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
    const occurredAt = new Date(event.occurredAt);
    const cause: AuditCause = { kind: 'webhook', source: event.source, eventId: event.eventId, eventType: event.type };
    const caller = { cause, log };
    const decision = { at: occurredAt, source: event.source, eventId: event.eventId, eventType: event.type };

    if (event.action === 'enable')
      return (await this.identities.decide(user, { kind: 'restored', ...decision }, cause)) ? 'enabled' : 'stale';
    // An event older than the decision already recorded speaks for a time before it: an identity created after
    // that decision (the user signed in again once enabled) is none of its business.
    let newerDecisionAt: Date | undefined;
    if (event.action === 'disable' || event.action === 'delete') {
      const recorded = await this.identities.decide(
        user,
        { kind: event.action === 'delete' ? 'deleted' : 'disabled', ...decision },
        cause,
      );
      if (!recorded) newerDecisionAt = (await this.identities.findUser(user)).decision?.at;
      else await this.invitations?.revokeAllOf(user, cause, log);
    }

    const mapping = await this.identities.findMapping(user);
    if (!mapping) return event.action === 'revoke' ? 'no_mapping' : 'blocked';
    if (newerDecisionAt && mapping.createdOn.getTime() > newerDecisionAt.getTime()) return 'kept_newer_identity';
    if (event.action === 'delete') {
      if (mapping.createdOn.getTime() > occurredAt.getTime() + deleteClockToleranceInMs) return 'kept_newer_identity';
      await this.identities.deleteMapped(mapping, caller);
      return 'deleted';
    }
    const revoked = await this.identities.revokeMapped(mapping, caller);
    if (revoked === 'deleting') return 'deleting';
    if (revoked === 'stale_removed') return 'stale_mapping_removed';
    return event.action === 'disable' ? 'disabled' : 'revoked';
  }
}
