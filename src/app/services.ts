import type { TokenCredential } from '@azure/core-auth';

import type { Authenticator } from '../domain/ports';
import { type Config, type Connection, loadConfig } from '../config/config';
import type { Services } from '../handlers/services';

export type { Services };

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

type Clients = Omit<Services, 'config' | 'authenticator'>;

/** Builds the SDK clients and what uses them; required here so that no SDK loads before it is needed. */
function createClients(config: Config): Clients {
  const { acsEndpointOf, AcsIdentityGateway, createIdentityClient, resourceOf } =
    require('../acs/identity-client') as typeof import('../acs/identity-client');
  const { ResourceRouter } = require('../identity/resource-router') as typeof import('../identity/resource-router');
  const { EventProcessor } = require('../events/event-processor') as typeof import('../events/event-processor');
  const { IdentityService } = require('../identity/identity-service') as typeof import('../identity/identity-service');
  const { Quotas } = require('../identity/quotas') as typeof import('../identity/quotas');
  const { RevocationJobs } = require('../jobs/revocation-jobs') as typeof import('../jobs/revocation-jobs');
  const { CachedMappingStore } =
    require('../storage/cached-mapping-store') as typeof import('../storage/cached-mapping-store');
  const { createQueueClient, createTableClient } = require('../storage/clients') as typeof import('../storage/clients');
  const { storageCall } = require('../storage/errors') as typeof import('../storage/errors');
  const { EventQueue } = require('../storage/event-queue') as typeof import('../storage/event-queue');
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
  const mappingTable = createTableClient(
    config.storage.table,
    config.tables.mapping,
    credentialFactory(config.storage.table),
  );
  const eventsTable = createTableClient(
    config.storage.table,
    config.tables.events,
    credentialFactory(config.storage.table),
  );
  const queueClient = createQueueClient(
    config.storage.queue,
    config.eventsQueue,
    credentialFactory(config.storage.queue),
  );
  const gatewayFor = (connection: Connection) =>
    new AcsIdentityGateway(
      createIdentityClient(connection, credentialFactory(connection)),
      config.upstreamTimeoutInMs,
      resourceOf(acsEndpointOf(connection)),
    );
  const acs = gatewayFor(config.acs);
  const router = new ResourceRouter(
    acs,
    config.acsResources.map((resource) => ({ ...resource, gateway: gatewayFor(resource.connection) })),
  );
  const mappings = new MappingRepository(mappingTable, storageTimeoutInMs);
  const cached = config.mappingCache.maxAgeInMs > 0 ? new CachedMappingStore(mappings, config.mappingCache) : mappings;
  const quotas = new Quotas(new TableQuotaStore(mappingTable, storageTimeoutInMs), config.quotas);
  const identities = new IdentityService(cached, router, {
    idempotentCreate: config.idempotentCreate,
    reconcileAfterInMs: config.reconcileAfterInMs,
    quotas,
  });
  const processedEvents = new ProcessedEventRepository(eventsTable, storageTimeoutInMs);
  const jobsQueueClient = createQueueClient(
    config.storage.queue,
    config.jobsQueue,
    credentialFactory(config.storage.queue),
  );
  const revocations = new RevocationJobs(
    new RevocationJobRepository(mappingTable, storageTimeoutInMs),
    new StepQueue(jobsQueueClient, storageTimeoutInMs),
    identities,
    {
      ratePerSecond: config.revokeAllRatePerSecond,
      ...(config.auth.adminGlobalRole ? { globalRole: config.auth.adminGlobalRole } : {}),
    },
  );

  let readiness: Promise<void> | undefined;
  const ready = () => {
    readiness ??= storageCall(storageTimeoutInMs, async (abortSignal) => {
      await Promise.all([
        mappingTable.createTable({ abortSignal }),
        eventsTable.createTable({ abortSignal }),
        queueClient.createIfNotExists({ abortSignal }),
        jobsQueueClient.createIfNotExists({ abortSignal }),
      ]);
    }).catch((error: unknown) => {
      readiness = undefined;
      throw error;
    });
    return readiness;
  };

  return {
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

/**
 * The composition root: validated configuration now, every client once per process on first use. The SDKs (and
 * `@azure/identity` with managed identity) are not loaded at cold start; the first request that needs them does.
 */
export function createServices(config: Config): Services {
  let clients: Clients | undefined;
  let authenticator: Authenticator | undefined;
  const built = () => (clients ??= createClients(config));
  return {
    config,
    get authenticator() {
      authenticator ??=
        config.auth.mode === 'appservice'
          ? new (
              require('../auth/appservice-authenticator') as typeof import('../auth/appservice-authenticator')
            ).AppServiceAuthenticator(config.auth)
          : new (require('../auth/jwt-authenticator') as typeof import('../auth/jwt-authenticator')).JwtAuthenticator(
              config.auth,
            );
      return authenticator;
    },
    get identities() {
      return built().identities;
    },
    get mappings() {
      return built().mappings;
    },
    get acs() {
      return built().acs;
    },
    get eventQueue() {
      return built().eventQueue;
    },
    get events() {
      return built().events;
    },
    get processedEvents() {
      return built().processedEvents;
    },
    get revocations() {
      return built().revocations;
    },
    ready: () => built().ready(),
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
