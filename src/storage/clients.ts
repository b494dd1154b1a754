import type { TokenCredential } from '@azure/core-auth';
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';

import type { Connection } from '../config/config';
import { isLoopbackHttp, storageConnectionStringEndpoints } from '../config/urls';
import { storageTracingPolicy } from '../telemetry';

/** Storage fails fast: a few quick retries, then the caller gets a 503 and retries itself. */
const retryOptions = { maxRetries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 1000 };
/** A span per Table call when telemetry is on (src/telemetry). */
const additionalPolicies = [{ policy: storageTracingPolicy('table'), position: 'perCall' as const }];

export function createTableClient(
  connection: Connection,
  tableName: string,
  credential: () => TokenCredential,
): TableClient {
  if (connection.kind === 'connectionString') {
    const insecure = storageConnectionStringEndpoints(connection.connectionString).every(isLoopbackHttp);
    return TableClient.fromConnectionString(connection.connectionString, tableName, {
      retryOptions,
      additionalPolicies,
      ...(insecure ? { allowInsecureConnection: true } : {}),
    });
  }
  return new TableClient(connection.endpoint, tableName, credential(), { retryOptions, additionalPolicies });
}

export function createQueueClient(
  connection: Connection,
  queueName: string,
  credential: () => TokenCredential,
): QueueClient {
  const options = { retryOptions: { maxTries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 1000, tryTimeoutInMs: 5000 } };
  if (connection.kind === 'connectionString') return new QueueClient(connection.connectionString, queueName, options);
  return new QueueClient(`${connection.endpoint.replace(/\/$/, '')}/${queueName}`, credential(), options);
}
