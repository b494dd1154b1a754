import type { TokenCredential } from '@azure/core-auth';

import { type Config, type Connection, loadConfig } from '../config/config';
import type { InvitationStore } from '../domain/invitations';
import type {
  Authenticator,
  IdentityEventQueue,
  IdentityGateway,
  IdentityGateways,
  IntentStore,
  MappingStore,
  ProcessedEventStore,
  QuotaStore,
  RevocationJobStore,
  RevocationStepQueue,
} from '../domain/ports';
import type { Services } from '../handlers/services';

export type { Services };

/** What the use cases are built on: the SDK clients behind the ports in production, fakes in tests. */
export interface Adapters {
  authenticator: Authenticator;
  mappings: MappingStore;
  intents: IntentStore;
  /** The primary ACS resource. */
  acs: IdentityGateway;
  /** Every ACS resource, routing new identities (defaults to the primary alone). */
  gateways: IdentityGateways;
  quotaStore: QuotaStore;
  processedEvents: ProcessedEventStore;
  eventQueue: IdentityEventQueue;
  revocationJobs: RevocationJobStore;
  revocationSteps: RevocationStepQueue;
  invitationStore: InvitationStore;
  /** Resolves once the tables and the queues exist. */
  ready(): Promise<void>;
}

/* eslint-disable @typescript-eslint/no-require-imports -- the SDK clients load on first use, not at cold start (bench/cold-start.ts) */

/**
 * One credential per managed identity per process, so that ACS and Storage share its token cache. Loaded lazily so
 * that `@azure/identity` (about 100 ms to import) costs nothing when connection strings are used.
 */
function credentials(): (connection: Connection) => () => TokenCredential {
  const byClientId = new Map<string, TokenCredential>();
  return (connection) => () => {
    const clientId = connection.kind === 'managedIdentity' ? (connection.clientId ?? '') : '';
    let credential = byClientId.get(clientId);
    if (!credential) {
      const identity = require('@azure/identity') as typeof import('@azure/identity');
      credential = clientId
        ? new identity.ManagedIdentityCredential({ clientId })
        : new identity.DefaultAzureCredential();
      byClientId.set(clientId, credential);
    }
    return credential;
  };
}

type StorageAdapters = Omit<Adapters, 'authenticator'>;

/** Builds the SDK clients behind the ports; required here so that no SDK loads before it is needed. */
function createStorageAdapters(config: Config): StorageAdapters {
  const { acsEndpointOf, AcsIdentityGateway, createIdentityClient, resourceOf } =
    require('../acs/identity-client') as typeof import('../acs/identity-client');
  const { ResourceRouter } = require('../identity/resource-router') as typeof import('../identity/resource-router');
  const { CachedMappingStore } =
    require('../storage/cached-mapping-store') as typeof import('../storage/cached-mapping-store');
  const { createQueueClient, createTableClient } = require('../storage/clients') as typeof import('../storage/clients');
  const { storageCall } = require('../storage/errors') as typeof import('../storage/errors');
  const { EventQueue } = require('../storage/event-queue') as typeof import('../storage/event-queue');
  const { IntentRepository } = require('../storage/intent-repository') as typeof import('../storage/intent-repository');
  const { InvitationRepository } =
    require('../storage/invitation-repository') as typeof import('../storage/invitation-repository');
  const { MappingRepository } =
    require('../storage/mapping-repository') as typeof import('../storage/mapping-repository');
  const { ProcessedEventRepository } =
    require('../storage/processed-events') as typeof import('../storage/processed-events');
  const { TableQuotaStore } = require('../storage/quota-store') as typeof import('../storage/quota-store');
  const { RevocationJobRepository } =
    require('../storage/revocation-jobs') as typeof import('../storage/revocation-jobs');
  const { StepQueue } = require('../storage/step-queue') as typeof import('../storage/step-queue');

  const storageTimeoutInMs = Math.min(config.upstreamTimeoutInMs, 5000);
  const credentialFactory = credentials();
  const table = (name: string) =>
    createTableClient(config.storage.table, name, credentialFactory(config.storage.table));
  const queue = (name: string) =>
    createQueueClient(config.storage.queue, name, credentialFactory(config.storage.queue));
  const mappingTable = table(config.tables.mapping);
  const eventsTable = table(config.tables.events);
  const eventsQueue = queue(config.eventsQueue);
  const jobsQueue = queue(config.jobsQueue);
  const gatewayFor = (connection: Connection) =>
    new AcsIdentityGateway(
      createIdentityClient(connection, credentialFactory(connection)),
      config.upstreamTimeoutInMs,
      resourceOf(acsEndpointOf(connection)),
    );
  const acs = gatewayFor(config.acs);
  const mappings = new MappingRepository(mappingTable, storageTimeoutInMs);

  let readiness: Promise<void> | undefined;
  const ready = () => {
    readiness ??= storageCall(storageTimeoutInMs, async (abortSignal) => {
      await Promise.all([
        mappingTable.createTable({ abortSignal }),
        eventsTable.createTable({ abortSignal }),
        eventsQueue.createIfNotExists({ abortSignal }),
        jobsQueue.createIfNotExists({ abortSignal }),
      ]);
    }).catch((error: unknown) => {
      readiness = undefined;
      throw error;
    });
    return readiness;
  };

  return {
    mappings: config.mappingCache.maxAgeInMs > 0 ? new CachedMappingStore(mappings, config.mappingCache) : mappings,
    intents: new IntentRepository(mappingTable, storageTimeoutInMs),
    acs,
    gateways: new ResourceRouter(
      acs,
      config.acsResources.map((resource) => ({ ...resource, gateway: gatewayFor(resource.connection) })),
    ),
    quotaStore: new TableQuotaStore(mappingTable, storageTimeoutInMs),
    processedEvents: new ProcessedEventRepository(eventsTable, storageTimeoutInMs),
    eventQueue: new EventQueue(eventsQueue, storageTimeoutInMs),
    revocationJobs: new RevocationJobRepository(mappingTable, storageTimeoutInMs),
    revocationSteps: new StepQueue(jobsQueue, storageTimeoutInMs),
    invitationStore: new InvitationRepository(mappingTable, storageTimeoutInMs),
    ready,
  };
}

function createAuthenticator(config: Config): Authenticator {
  return config.auth.mode === 'appservice'
    ? new (
        require('../auth/appservice-authenticator') as typeof import('../auth/appservice-authenticator')
      ).AppServiceAuthenticator(config.auth)
    : new (require('../auth/jwt-authenticator') as typeof import('../auth/jwt-authenticator')).JwtAuthenticator(
        config.auth,
      );
}

type UseCases = Pick<Services, 'identities' | 'reconciler' | 'events' | 'revocations' | 'invitations'>;

/** The use cases over the adapters: the one wiring, for production and for tests alike. */
function composeUseCases(config: Config, adapter: <K extends keyof Adapters>(key: K) => Adapters[K]): UseCases {
  const { createIdentityUseCases } =
    require('../identity/identity-service') as typeof import('../identity/identity-service');
  const { Quotas } = require('../identity/quotas') as typeof import('../identity/quotas');
  const { EventProcessor } = require('../events/event-processor') as typeof import('../events/event-processor');
  const { RevocationJobs } = require('../jobs/revocation-jobs') as typeof import('../jobs/revocation-jobs');

  const { Invitations } = require('../guests/invitations') as typeof import('../guests/invitations');

  const anyQuota = Object.values(config.quotas).some((limit) => limit !== undefined);
  const quotas = anyQuota ? new Quotas(adapter('quotaStore'), config.quotas) : undefined;
  const { identities, reconciler } = createIdentityUseCases({
    mappings: adapter('mappings'),
    intents: adapter('intents'),
    acs: adapter('gateways'),
    tokens: config.tokens,
    idempotentCreate: config.idempotentCreate,
    reconcileAfterInMs: config.reconcileAfterInMs,
    claimLeaseInMs: config.upstreamTimeoutInMs,
    ...(quotas ? { quotas } : {}),
  });
  const revocations = new RevocationJobs(adapter('revocationJobs'), adapter('revocationSteps'), identities, {
    ratePerSecond: config.revokeAllRatePerSecond,
    ...(config.auth.adminGlobalRole ? { globalRole: config.auth.adminGlobalRole } : {}),
  });
  const invitations = new Invitations(
    adapter('invitationStore'),
    adapter('mappings'),
    adapter('acs'),
    {
      ...(config.guests.invitationRole ? { invitationRole: config.guests.invitationRole } : {}),
      adminRole: config.auth.adminRole,
      allowedScopes: config.guests.allowedScopes,
      defaultScopes: config.guests.defaultScopes,
      idempotentCreate: config.idempotentCreate,
      leaseInMs: config.upstreamTimeoutInMs,
    },
    quotas,
  );
  const events = new EventProcessor(identities, adapter('processedEvents'), invitations);
  return { identities, reconciler, events, revocations, invitations };
}

/**
 * The composition root: validated configuration now, every client once per process on first use. The SDKs (and
 * `@azure/identity` with managed identity) are not loaded at cold start; the first request that needs them does.
 * Tests pass their own adapters as `overrides` (an adapter not overridden is the real one).
 */
export function createServices(config: Config, overrides: Partial<Adapters> = {}): Services {
  let storage: StorageAdapters | undefined;
  let authenticator: Authenticator | undefined;
  let useCases: UseCases | undefined;
  const adapter = <K extends keyof Adapters>(key: K): Adapters[K] => {
    const given = overrides[key];
    if (given !== undefined) return given;
    if (key === 'authenticator') return (authenticator ??= createAuthenticator(config)) as Adapters[K];
    // A test that brings its own ACS gateway and no router routes every user to that gateway.
    if (key === 'gateways' && overrides.acs !== undefined) {
      const { ResourceRouter } = require('../identity/resource-router') as typeof import('../identity/resource-router');
      const router: IdentityGateways = new ResourceRouter(overrides.acs);
      return router as Adapters[K];
    }
    const built: Partial<Adapters> = (storage ??= createStorageAdapters(config));
    return built[key] as Adapters[K];
  };
  const useCasesBuilt = () => (useCases ??= composeUseCases(config, adapter));
  return {
    config,
    get authenticator() {
      return adapter('authenticator');
    },
    get identities() {
      return useCasesBuilt().identities;
    },
    get reconciler() {
      return useCasesBuilt().reconciler;
    },
    get acs() {
      return adapter('acs');
    },
    get eventQueue() {
      return adapter('eventQueue');
    },
    get events() {
      return useCasesBuilt().events;
    },
    get processedEvents() {
      return adapter('processedEvents');
    },
    get revocations() {
      return useCasesBuilt().revocations;
    },
    get invitations() {
      return useCasesBuilt().invitations;
    },
    ready: () => adapter('ready')(),
  };
}

let services: Services | undefined;

/**
 * The process-wide services, built on first use from the app settings. A missing or malformed setting throws a
 * ConfigError naming it, and the function answers 500 with a generic problem while the log names the setting.
 */
export function getServices(): Services {
  services ??= createServices(loadConfig(process.env));
  return services;
}
