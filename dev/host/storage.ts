import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';

import { getSetting, resolveBindingExpression } from './settings';

type Environment = Record<string, string | undefined>;

export const DEFAULT_CONNECTION = 'AzureWebJobsStorage';

/**
 * The connection string a binding's `connection` names, looked up as the real host does:
 * the setting `<name>`, then `AzureWebJobs<name>`; `AzureWebJobsStorage` when unset.
 *
 * @throws naming the setting when it is missing (identity-based `<name>__queueServiceUri`
 * connections are not supported locally).
 */
export function resolveConnectionString(connection: string | undefined, env: Environment = process.env): string {
  const name = connection === undefined || connection.trim() === '' ? DEFAULT_CONNECTION : connection;
  for (const candidate of [name, `AzureWebJobs${name}`]) {
    const value = getSetting(candidate, env);
    if (value !== undefined && value.trim() !== '') {
      return value;
    }
  }
  const serviceUri = getSetting(`${name}__queueServiceUri`, env) ?? getSetting(`${name}__serviceUri`, env);
  if (serviceUri !== undefined && serviceUri.trim() !== '') {
    throw new Error(
      `Connection '${name}' is identity-based (${name}__queueServiceUri); the local host needs a connection string in the app setting '${name}'.`,
    );
  }
  throw new Error(
    `Storage account connection string '${name}' does not exist. Make sure that it is a defined App Setting.`,
  );
}

/**
 * A queue name from a binding: `%SETTING%` expressions resolved, lower-cased and validated
 * as the storage extension does.
 */
export function resolveQueueName(queueName: unknown, env: Environment = process.env): string {
  if (typeof queueName !== 'string' || queueName.trim() === '') {
    throw new Error('The binding has no queueName.');
  }
  const name = resolveBindingExpression(queueName, env).toLowerCase();
  if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(name)) {
    throw new Error(
      `Invalid queue name '${name}': 3-63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit.`,
    );
  }
  return name;
}

/** One `QueueServiceClient` per connection string, as clients are meant to be built once. */
export class QueueClients {
  readonly #services = new Map<string, QueueServiceClient>();

  get(connectionString: string, queueName: string): QueueClient {
    let service = this.#services.get(connectionString);
    if (service === undefined) {
      // One quick retry: the listeners back off on their own, and a local emulator answers fast.
      service = QueueServiceClient.fromConnectionString(connectionString, {
        retryOptions: { maxTries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 1_000 },
      });
      this.#services.set(connectionString, service);
    }
    return service.getQueueClient(queueName);
  }
}
