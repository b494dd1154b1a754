import type { Attributes, Counter, Histogram, Tracer } from '@opentelemetry/api';
import type { TokenCredential } from '@azure/core-auth';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';

import { version } from '../config/version';
import { UpstreamError } from '../domain/errors';

/* eslint-disable @typescript-eslint/no-require-imports -- telemetry loads only when it is turned on */

/** The instruments operators (and the alert rules in infra/) rely on: renaming one breaks them. */
export const instrumentNames = {
  tokensIssued: 'identity.tokens.issued',
  acsDuration: 'identity.acs.duration',
  acsThrottled: 'identity.acs.throttled',
  webhookEvents: 'identity.webhook.events',
  eventsLag: 'identity.events.lag',
  eventsPoison: 'identity.events.poison',
} as const;

/** host.json `extensions.queues.maxDequeueCount`, or its app-setting override as the host reads it. */
export const defaultMaxDequeueCount = 5;
export const maxDequeueCount = (env: NodeJS.ProcessEnv = process.env): number =>
  Number(env['AzureFunctionsJobHost__extensions__queues__maxDequeueCount'] ?? defaultMaxDequeueCount) ||
  defaultMaxDequeueCount;

export const telemetryScope = 'acs-identity-token-service';

interface Instruments {
  api: typeof import('@opentelemetry/api');
  tracer: Tracer;
  tokensIssued: Counter;
  acsDuration: Histogram;
  acsThrottled: Counter;
  webhookEvents: Counter;
  eventsLag: Histogram;
  eventsPoison: Counter;
}

/** Undefined while telemetry is off: every hook below is then a plain call, and no OpenTelemetry code is loaded. */
let instruments: Instruments | undefined;

/**
 * Creates the instruments on the global OpenTelemetry providers (registered by `./setup`, or by a test with
 * in-memory exporters). Attributes never carry user ids, tokens or secrets: only kinds, scopes, operations, outcomes.
 */
export function enableTelemetry(): void {
  const api = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
  const meter = api.metrics.getMeter(telemetryScope, version);
  instruments = {
    api,
    tracer: api.trace.getTracer(telemetryScope, version),
    tokensIssued: meter.createCounter(instrumentNames.tokensIssued, {
      description: 'ACS access tokens issued (kind: created, refresh, existing)',
      unit: '{token}',
    }),
    acsDuration: meter.createHistogram(instrumentNames.acsDuration, {
      description: 'Duration of ACS identity calls',
      unit: 'ms',
    }),
    acsThrottled: meter.createCounter(instrumentNames.acsThrottled, {
      description: 'ACS identity calls answered 429',
      unit: '{call}',
    }),
    webhookEvents: meter.createCounter(instrumentNames.webhookEvents, {
      description: 'Identity-provider webhook events by outcome',
      unit: '{event}',
    }),
    eventsLag: meter.createHistogram(instrumentNames.eventsLag, {
      description: 'From the event time to its processing by the queue worker',
      unit: 'ms',
    }),
    eventsPoison: meter.createCounter(instrumentNames.eventsPoison, {
      description: 'Queue messages that failed on their last allowed dequeue',
      unit: '{message}',
    }),
  };
}

/** For tests: back to plain calls. */
export function disableTelemetry(): void {
  instruments = undefined;
}

/**
 * Turns telemetry on when APPLICATIONINSIGHTS_CONNECTION_STRING is set: the OpenTelemetry SDK, the Azure Monitor
 * exporters (Entra authentication with the managed identity of APPLICATIONINSIGHTS_AUTHENTICATION_STRING's
 * ClientId, else AZURE_CLIENT_ID) and the Azure Functions instrumentation. Must run while the app loads (hooks).
 */
export function startTelemetryFromSettings(
  functions: typeof import('@azure/functions'),
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  const connectionString = env['APPLICATIONINSIGHTS_CONNECTION_STRING'];
  if (!connectionString) return false;
  const clientId =
    /(?:^|;)\s*ClientId=([^;]+)/i.exec(env['APPLICATIONINSIGHTS_AUTHENTICATION_STRING'] ?? '')?.[1] ??
    env['AZURE_CLIENT_ID'];
  let credential: TokenCredential | undefined;
  // The credential (and @azure/identity) loads on the first export, not at cold start.
  const lazyCredential: TokenCredential = {
    getToken: (scopes, options) => {
      if (!credential) {
        const identity = require('@azure/identity') as typeof import('@azure/identity');
        credential = clientId
          ? new identity.ManagedIdentityCredential({ clientId })
          : new identity.DefaultAzureCredential();
      }
      return credential.getToken(scopes, options);
    },
  };
  const { startTelemetry } = require('./setup') as typeof import('./setup');
  startTelemetry({ connectionString, credential: lazyCredential, functions });
  enableTelemetry();
  return true;
}

async function inSpan<T>(
  name: string,
  kind: 'internal' | 'client',
  attributes: Attributes,
  run: () => Promise<T>,
  after?: (result: T) => Attributes,
): Promise<T> {
  const current = instruments;
  if (!current) return run();
  const { api, tracer } = current;
  return tracer.startActiveSpan(
    name,
    { kind: kind === 'client' ? api.SpanKind.CLIENT : api.SpanKind.INTERNAL, attributes },
    async (span) => {
      try {
        const result = await run();
        if (after) span.setAttributes(after(result));
        return result;
      } catch (error) {
        span.setStatus({ code: api.SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
        if (error instanceof UpstreamError) span.setAttribute('error.type', error.code);
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/** The HTTP handler wrapper: one span per invocation, with the answer's status (5xx marks the span as failed). */
export function traceInvocation<T extends { status?: number }>(
  functionName: string,
  method: string,
  run: () => Promise<T>,
): Promise<T> {
  if (!instruments) return run();
  return inSpan(
    `function ${functionName}`,
    'internal',
    { 'faas.name': functionName, 'http.request.method': method },
    async () => {
      const response = await run();
      const status = response.status ?? 200;
      const span = instruments?.api.trace.getActiveSpan();
      span?.setAttribute('http.response.status_code', status);
      if (status >= 500) span?.setStatus({ code: instruments!.api.SpanStatusCode.ERROR });
      return response;
    },
  );
}

/** The ACS gateway: a client span and `identity.acs.duration` per call; `identity.acs.throttled` when ACS answered 429. */
export async function traceAcsCall<T>(operation: string, run: () => Promise<T>): Promise<T> {
  const current = instruments;
  if (!current) return run();
  const started = performance.now();
  let outcome = 'success';
  try {
    return await inSpan(`ACS ${operation}`, 'client', { 'rpc.system': 'acs', 'rpc.method': operation }, run);
  } catch (error) {
    outcome = error instanceof UpstreamError ? error.kind : 'error';
    if (error instanceof UpstreamError && error.kind === 'throttled' && error.upstreamStatus === 429)
      current.acsThrottled.add(1, { operation });
    throw error;
  } finally {
    current.acsDuration.record(performance.now() - started, { operation, outcome });
  }
}

/**
 * A pipeline policy for the Storage SDK clients: a client span per HTTP call to Table or Queue storage, with the
 * method, host and status only (the path holds partition keys, so it is left out).
 */
export function storageTracingPolicy(service: 'table' | 'queue'): PipelinePolicy {
  return {
    name: `telemetry-${service}`,
    sendRequest: (request, next) => {
      if (!instruments) return next(request);
      return inSpan(
        `${service === 'table' ? 'Table' : 'Queue'} ${request.method}`,
        'client',
        {
          'db.system.name': `azure.storage.${service}`,
          'http.request.method': request.method,
          'server.address': new URL(request.url).host,
        },
        () => next(request),
        (response) => ({ 'http.response.status_code': response.status }),
      );
    },
  };
}

/** `identity.tokens.issued`: scopes sorted and joined (e.g. "chat,voip"). */
export function recordTokenIssued(kind: 'created' | 'refresh' | 'existing', scopes: readonly string[]): void {
  instruments?.tokensIssued.add(1, { kind, scope: [...scopes].sort().join(',') });
}

/** `identity.webhook.events`: how many events of a delivery ended how (accepted, ignored, rejected, unauthorized, invalid, handshake). */
export function recordWebhookEvents(source: string, outcome: string, count = 1): void {
  if (count > 0) instruments?.webhookEvents.add(count, { source, outcome });
}

/** `identity.events.lag`: from the event's time to now, when the worker picks it up. */
export function recordEventLag(source: string, occurredAt: string | Date): void {
  const lag = Date.now() - new Date(occurredAt).getTime();
  if (Number.isFinite(lag)) instruments?.eventsLag.record(Math.max(0, lag), { source });
}

/** `identity.events.poison`: the message failed on its last allowed dequeue; the host moves it to the poison queue. */
export function recordPoisonIfLastAttempt(dequeueCount: number, source = 'unknown'): void {
  if (dequeueCount >= maxDequeueCount()) instruments?.eventsPoison.add(1, { source });
}
