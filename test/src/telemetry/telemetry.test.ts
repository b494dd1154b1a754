import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { CommunicationIdentityClient } from '@azure/communication-identity';
import { createHttpHeaders, createPipelineRequest, type PipelineResponse, RestError } from '@azure/core-rest-pipeline';
import * as functions from '@azure/functions';
import { HttpRequest, InvocationContext } from '@azure/functions';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  PeriodicExportingMetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

import { AcsIdentityGateway } from '../../../src/acs/identity-client';
import { handle } from '../../../src/handlers/handler';
import {
  defaultMaxDequeueCount,
  disableTelemetry,
  enableTelemetry,
  instrumentNames,
  recordEventLag,
  recordPoisonIfLastAttempt,
  recordTokenIssued,
  recordWebhookEvents,
  startTelemetryFromSettings,
  storageTracingPolicy,
} from '../../../src/telemetry';
import { type RunningTelemetry, startTelemetry } from '../../../src/telemetry/setup';

const root = join(__dirname, '..', '..', '..');
const userId = 'telemetry-user-4711';
const acsToken = 'eyJhbGciOi.acs-token-secret';

/** Every attribute value of every span and metric point, to check that none carries a user id or a secret. */
const allAttributeValues = (spans: InMemorySpanExporter, metrics: ResourceMetrics[]) =>
  JSON.stringify([
    spans.getFinishedSpans().map((span) => [span.name, span.attributes]),
    metrics.flatMap((resource) =>
      resource.scopeMetrics.flatMap((scope) =>
        scope.metrics.flatMap((metric) => metric.dataPoints.map((point) => point.attributes)),
      ),
    ),
  ]);

describe('telemetry', () => {
  const spans = new InMemorySpanExporter();
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
  let telemetry: RunningTelemetry;
  const savedEnv = { ...process.env };

  beforeAll(() => {
    const { Values } = JSON.parse(readFileSync(join(root, 'local.settings.sample.json'), 'utf8')) as {
      Values: Record<string, string>;
    };
    Object.assign(process.env, Values);
    telemetry = startTelemetry({ spanProcessors: [new SimpleSpanProcessor(spans)], metricReaders: [reader] });
    enableTelemetry();
  });
  afterAll(async () => {
    disableTelemetry();
    await telemetry.shutdown();
    process.env = savedEnv;
  });

  /** Collects the metrics so far and returns the points of one instrument. */
  const points = async (name: string) => {
    await reader.forceFlush();
    const exported = metricExporter.getMetrics();
    const latest = exported[exported.length - 1];
    return (latest?.scopeMetrics ?? [])
      .flatMap((scope) => scope.metrics)
      .filter((metric) => metric.descriptor.name === name)
      .flatMap((metric) => metric.dataPoints as Array<{ attributes: Record<string, unknown>; value: unknown }>);
  };

  it('is off without APPLICATIONINSIGHTS_CONNECTION_STRING', () => {
    expect(startTelemetryFromSettings(functions, {})).toBe(false);
  });

  it('host.json turns on OpenTelemetry mode, and its maxDequeueCount is the one the poison counter uses', () => {
    const hostJson = JSON.parse(readFileSync(join(root, 'host.json'), 'utf8')) as {
      telemetryMode: string;
      extensions: { queues: { maxDequeueCount: number } };
    };
    expect(hostJson.telemetryMode).toBe('OpenTelemetry');
    expect(hostJson.extensions.queues.maxDequeueCount).toBe(defaultMaxDequeueCount);
  });

  it('traces an HTTP function invocation with its status', async () => {
    const handler = handle(async () => ({ status: 201, jsonBody: { token: acsToken } }))({} as never);
    const request = new HttpRequest({
      method: 'POST',
      url: 'http://localhost/api/tokens',
      headers: { authorization: `Bearer ${acsToken}` },
    });
    const response = await handler(request, new InvocationContext({ functionName: 'issueToken' }));
    expect(response.status).toBe(201);
    const span = spans.getFinishedSpans().find((finished) => finished.name === 'function issueToken');
    expect(span?.attributes).toMatchObject({
      'faas.name': 'issueToken',
      'http.request.method': 'POST',
      'http.response.status_code': 201,
    });
  });

  it('traces ACS calls, records their duration by operation and outcome, and counts 429s', async () => {
    const throttled = new RestError('Too many requests', {
      statusCode: 429,
      response: {
        status: 429,
        headers: createHttpHeaders({ 'retry-after': '1' }),
        request: createPipelineRequest({ url: 'https://acs.example.com/' }),
      },
    });
    const client = {
      getToken: async () => ({ token: acsToken, expiresOn: new Date() }),
      revokeTokens: async () => {
        throw throttled;
      },
    } as unknown as CommunicationIdentityClient;
    const gateway = new AcsIdentityGateway(client, 5000, 'https://acs.example.com');

    await gateway.getToken(`8:acs:${userId}`, ['chat']);
    await expect(gateway.revokeTokens(`8:acs:${userId}`)).rejects.toMatchObject({ code: 'acs_throttled' });

    expect(spans.getFinishedSpans().map((span) => span.name)).toEqual(
      expect.arrayContaining(['ACS getToken', 'ACS revokeTokens']),
    );
    const durations = await points(instrumentNames.acsDuration);
    expect(durations.map((point) => point.attributes)).toEqual(
      expect.arrayContaining([
        { operation: 'getToken', outcome: 'success' },
        { operation: 'revokeTokens', outcome: 'throttled' },
      ]),
    );
    expect(await points(instrumentNames.acsThrottled)).toEqual([
      expect.objectContaining({ attributes: { operation: 'revokeTokens' }, value: 1 }),
    ]);
  });

  it('traces Table calls with method, host and status, never the path (it holds partition keys)', async () => {
    const request = createPipelineRequest({
      url: `https://account.table.core.windows.net/IdentityMappings(PartitionKey='${userId}',RowKey='m')`,
      method: 'GET',
    });
    const answer: PipelineResponse = { status: 200, headers: createHttpHeaders(), request };
    await storageTracingPolicy('table').sendRequest(request, async () => answer);
    const span = spans.getFinishedSpans().find((finished) => finished.name === 'Table GET');
    expect(span?.attributes).toEqual({
      'db.system.name': 'azure.storage.table',
      'http.request.method': 'GET',
      'server.address': 'account.table.core.windows.net',
      'http.response.status_code': 200,
    });
  });

  it('counts tokens issued by kind and scope, webhook events by source and outcome, event lag and poison messages', async () => {
    recordTokenIssued('created', ['voip', 'chat']);
    recordTokenIssued('refresh', ['chat', 'voip']);
    recordTokenIssued('existing', ['chat']);
    recordWebhookEvents('standard', 'accepted', 2);
    recordWebhookEvents('okta', 'unauthorized');
    recordWebhookEvents('graph', 'ignored', 0);
    recordEventLag('standard', new Date(Date.now() - 1500).toISOString());
    recordPoisonIfLastAttempt(defaultMaxDequeueCount - 1, 'okta');
    recordPoisonIfLastAttempt(defaultMaxDequeueCount, 'okta');

    expect(
      (await points(instrumentNames.tokensIssued)).map(({ attributes, value }) => ({ ...attributes, value })),
    ).toEqual(
      expect.arrayContaining([
        { kind: 'created', scope: 'chat,voip', value: 1 },
        { kind: 'refresh', scope: 'chat,voip', value: 1 },
        { kind: 'existing', scope: 'chat', value: 1 },
      ]),
    );
    expect(
      (await points(instrumentNames.webhookEvents)).map(({ attributes, value }) => ({ ...attributes, value })),
    ).toEqual([
      { source: 'standard', outcome: 'accepted', value: 2 },
      { source: 'okta', outcome: 'unauthorized', value: 1 },
    ]);
    const lag = (await points(instrumentNames.eventsLag))[0]?.value as { count: number; sum: number };
    expect(lag.count).toBe(1);
    expect(lag.sum).toBeGreaterThanOrEqual(1500);
    expect(await points(instrumentNames.eventsPoison)).toEqual([
      expect.objectContaining({ attributes: { source: 'okta' }, value: 1 }),
    ]);
  });

  it('puts no user id, token or secret in any span or metric attribute', async () => {
    await reader.forceFlush();
    const values = allAttributeValues(spans, metricExporter.getMetrics());
    expect(values).not.toContain(userId);
    expect(values).not.toContain(acsToken);
    expect(values.toLowerCase()).not.toMatch(/accesskey|whsec_|bearer|secret/);
  });
});
