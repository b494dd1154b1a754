import type { Config } from '../config/config';
import type { Authenticator, IdentityEventQueue, IdentityGateway, ProcessedEventStore } from '../domain/ports';
import type { EventProcessor } from '../events/event-processor';
import type { Invitations } from '../guests/invitations';
import type { IdentityService } from '../identity/identity-service';
import type { Reconciler } from '../identity/reconciler';
import type { RevocationJobs } from '../jobs/revocation-jobs';

/** What the handlers are given: built once per process by the composition root (src/app), by tests with fakes. */
export interface Services {
  config: Config;
  authenticator: Authenticator;
  identities: IdentityService;
  /** Finishes or undoes what a crash left unfinished (the reconcileIdentities timer). */
  reconciler: Reconciler;
  acs: IdentityGateway;
  eventQueue: IdentityEventQueue;
  events: EventProcessor;
  processedEvents: ProcessedEventStore;
  /** Guests: invitations, their redemption and clean-up. */
  invitations: Invitations;
  /** Revoke-all jobs. */
  revocations: RevocationJobs;
  /** Resolves once the tables and the queues exist (created on first use per process; a failure is retried). */
  ready(): Promise<void>;
}
