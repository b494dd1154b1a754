import type { TokenCredential } from '@azure/core-auth';

import { acsEndpointOf, AcsIdentityGateway, createIdentityClient, type IdentityGateway, resourceOf } from '../acs/identity-client';
import { ResourceRouter } from '../acs/router';
import { AppServiceAuthenticator } from '../auth/appservice-authenticator';
import { JwtAuthenticator } from '../auth/jwt-authenticator';
import type { Authenticator } from '../auth/principal';
import { type Config, type Connection, loadConfig } from '../config/config';
import type { IdentityEventQueue, MappingStore, ProcessedEventStore } from '../domain/ports';
import { EventProcessor } from '../events/event-processor';
import { IdentityService } from '../identity/identity-service';
import { RevocationJobs } from '../jobs/revocation-jobs';
import { createQueueClient, createTableClient } from '../storage/clients';
import { storageCall } from '../storage/errors';
import { EventQueue } from '../storage/event-queue';
import { Quotas } from '../identity/quotas';
import { CachedMappingStore } from '../storage/cached-mapping-store';
import { TableQuotaStore } from '../storage/quota-store';
import { MappingRepository } from '../storage/mapping-repository';
import { ProcessedEventRepository } from '../storage/processed-events';
import { RevocationJobRepository } from '../storage/revocation-jobs';
import { StepQueue } from '../storage/step-queue';

export interface Services {
  config: Config;
  authenticator: Authenticator;
  identities: IdentityService;
  mappings: MappingStore;
  acs: IdentityGateway;
  eventQueue: IdentityEventQueue;
  events: EventProcessor;
  processedEvents: ProcessedEventStore;
  /** Revoke-all jobs. */
  revocations: RevocationJobs;
  /** Resolves once the tables and the queues exist (created on first use per process; a failure is retried). */
  ready(): Promise<void>;
}

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
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const identity = require('@azure/identity') as typeof import('@azure/identity');
      credential = clientId ? new identity.ManagedIdentityCredential({ clientId }) : new identity.DefaultAzureCredential();
      byClientId.set(clientId, credential);
    }
    return credential;
  };
}

/** The composition root: builds every client once per process from validated configuration. */
export function createServices(config: Config): Services {
  const storageTimeoutInMs = Math.min(config.upstreamTimeoutInMs, 5000);
  const credentialFactory = credentials();
  const mappingTable = createTableClient(config.storage.table, config.tables.mapping, credentialFactory(config.storage.table));
  const eventsTable = createTableClient(config.storage.table, config.tables.events, credentialFactory(config.storage.table));
  const queueClient = createQueueClient(config.storage.queue, config.eventsQueue, credentialFactory(config.storage.queue));
  const gatewayFor = (connection: Connection) =>
    new AcsIdentityGateway(createIdentityClient(connection, credentialFactory(connection)), config.upstreamTimeoutInMs, resourceOf(acsEndpointOf(connection)));
  const acs = gatewayFor(config.acs);
  const router = new ResourceRouter(
    acs,
    config.acsResources.map((resource) => ({ ...resource, gateway: gatewayFor(resource.connection) })),
  );
  const mappings = new MappingRepository(mappingTable, storageTimeoutInMs);
  const cached = config.mappingCache.maxAgeInMs > 0 ? new CachedMappingStore(mappings, config.mappingCache) : mappings;
  const quotas = new Quotas(new TableQuotaStore(mappingTable, storageTimeoutInMs), config.quotas);
  const identities = new IdentityService(cached, router, { idempotentCreate: config.idempotentCreate, reconcileAfterInMs: config.reconcileAfterInMs, quotas });
  const processedEvents = new ProcessedEventRepository(eventsTable, storageTimeoutInMs);
  const jobsQueueClient = createQueueClient(config.storage.queue, config.jobsQueue, credentialFactory(config.storage.queue));
  const revocations = new RevocationJobs(new RevocationJobRepository(mappingTable, storageTimeoutInMs), new StepQueue(jobsQueueClient, storageTimeoutInMs), identities, {
    ratePerSecond: config.revokeAllRatePerSecond,
    ...(config.auth.adminGlobalRole ? { globalRole: config.auth.adminGlobalRole } : {}),
  });

  let readiness: Promise<void> | undefined;
  const ready = () => {
    readiness ??= storageCall(storageTimeoutInMs, async (abortSignal) => {
      await Promise.all([mappingTable.createTable({ abortSignal }), eventsTable.createTable({ abortSignal }), queueClient.createIfNotExists({ abortSignal }), jobsQueueClient.createIfNotExists({ abortSignal })]);
    }).catch((error: unknown) => {
      readiness = undefined;
      throw error;
    });
    return readiness;
  };

  return {
    config,
    authenticator: config.auth.mode === 'appservice' ? new AppServiceAuthenticator(config.auth) : new JwtAuthenticator(config.auth),
    identities,
    mappings,
    acs,
    eventQueue: new EventQueue(queueClient, storageTimeoutInMs),
    events: new EventProcessor(identities, processedEvents),
    processedEvents,
    revocations,
    ready,
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
