import type { TokenCredential } from '@azure/core-auth';
import { AzureFunctionsInstrumentation } from '@azure/functions-opentelemetry-instrumentation';
import {
  AzureMonitorLogExporter,
  AzureMonitorMetricExporter,
  AzureMonitorTraceExporter,
} from '@azure/monitor-opentelemetry-exporter';
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { type MetricReader, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';

export interface TelemetryOptions {
  /** APPLICATIONINSIGHTS_CONNECTION_STRING (no key: ingestion is authenticated with `credential`). */
  connectionString?: string;
  credential?: TokenCredential;
  /** The app's own `@azure/functions`, patched by the Azure Functions instrumentation (it is bundled, so not hooked by require). */
  functions?: typeof import('@azure/functions');
  /** Tests pass in-memory exporters here instead of the Azure Monitor ones. */
  spanProcessors?: SpanProcessor[];
  metricReaders?: MetricReader[];
  logProcessors?: LogRecordProcessor[];
}

export interface RunningTelemetry {
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * OpenTelemetry as Azure Functions recommends for Node.js v4 (host.json `"telemetryMode": "OpenTelemetry"`): global
 * tracer, meter and logger providers, W3C propagation, the Azure Functions instrumentation (host trace context onto
 * every invocation, logs sent from the worker), and the Azure Monitor exporters with Entra authentication.
 */
export function startTelemetry(options: TelemetryOptions): RunningTelemetry {
  const resource = resourceFromAttributes({
    'service.name':
      process.env['OTEL_SERVICE_NAME'] ?? process.env['WEBSITE_SITE_NAME'] ?? 'acs-identity-token-service',
  });
  const exporterOptions = {
    connectionString: options.connectionString,
    ...(options.credential ? { credential: options.credential } : {}),
  };
  const azure = options.connectionString !== undefined;

  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());

  const spanProcessors = [
    ...(options.spanProcessors ?? []),
    ...(azure ? [new BatchSpanProcessor(new AzureMonitorTraceExporter(exporterOptions))] : []),
  ];
  const tracerProvider = new BasicTracerProvider({ resource, spanProcessors });
  trace.setGlobalTracerProvider(tracerProvider);

  const readers = [
    ...(options.metricReaders ?? []),
    ...(azure
      ? [
          new PeriodicExportingMetricReader({
            exporter: new AzureMonitorMetricExporter(exporterOptions),
            exportIntervalMillis: 60_000,
          }),
        ]
      : []),
  ];
  const meterProvider = new MeterProvider({ resource, readers });
  metrics.setGlobalMeterProvider(meterProvider);

  const processors = [
    ...(options.logProcessors ?? []),
    ...(azure ? [new BatchLogRecordProcessor(new AzureMonitorLogExporter(exporterOptions))] : []),
  ];
  const loggerProvider = new LoggerProvider({ resource, processors });

  if (options.functions) {
    const instrumentation = new AzureFunctionsInstrumentation({ enabled: false });
    instrumentation.setTracerProvider(tracerProvider);
    instrumentation.setLoggerProvider(loggerProvider);
    // The patch the instrumentation applies when it sees `require('@azure/functions')`: the app is bundled, so apply it here.
    (instrumentation as unknown as { _patch(functions: unknown): unknown })._patch(options.functions);
  }

  return {
    forceFlush: async () => {
      await Promise.all([tracerProvider.forceFlush(), meterProvider.forceFlush(), loggerProvider.forceFlush()]);
    },
    shutdown: async () => {
      await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown(), loggerProvider.shutdown()]);
      trace.disable();
      metrics.disable();
      context.disable();
      propagation.disable();
    },
  };
}
