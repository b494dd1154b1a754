import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';

import { Webhook } from 'standardwebhooks';

import { type Artifact, buildArtifact, repositoryRoot } from '../../../dev/package';
import { readZip } from '../../../dev/package/zip';
import { startTestStack, type TestStack } from '../../helpers/stack';
import { waitFor } from '../../helpers/wait';

const webhookSecret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** The sample's settings, minus what the stack points at its own Azurite, ACS emulator and issuer. */
function sampleSettings(): Record<string, string> {
  const { Values } = JSON.parse(readFileSync(join(repositoryRoot, 'local.settings.sample.json'), 'utf8')) as {
    Values: Record<string, string>;
  };
  const replaced = new Set([
    'AzureWebJobsStorage',
    'IdentityStorage',
    'ACS_CONNECTION_STRING',
    'AUTH_ISSUERS',
    'FUNCTIONS_WORKER_RUNTIME',
  ]);
  return Object.fromEntries(Object.entries(Values).filter(([name]) => !replaced.has(name)));
}

/**
 * The deployable artifact (`npm run package`), unzipped into an empty folder outside the repository where no
 * node_modules can be reached, served by the local host against the local stack: what azd deploys must run alone.
 */
describe('deploy artifact', () => {
  let work: string;
  let artifact: Artifact;
  let deployed: string;
  let stack: TestStack;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'artifact-test-'));
    artifact = await buildArtifact(join(work, 'build'));
    deployed = join(work, 'wwwroot');
    for (const entry of readZip(readFileSync(artifact.zip))) {
      mkdirSync(dirname(join(deployed, entry.name)), { recursive: true });
      writeFileSync(join(deployed, entry.name), entry.data);
    }
    stack = await startTestStack(
      {
        ...sampleSettings(),
        OKTA_ISSUER: '{issuerUrl}',
        STANDARD_WEBHOOK_SECRETS: webhookSecret,
        STANDARD_WEBHOOK_ISSUER: '{issuerUrl}',
        AzureFunctionsJobHost__extensions__queues__visibilityTimeout: '00:00:00',
        // Telemetry on, as in Azure; nothing listens there and nothing is exported during the test (batches wait).
        APPLICATIONINSIGHTS_CONNECTION_STRING:
          'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:9/',
      },
      { appRoot: deployed },
    );
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('is small and holds only the bundles, host.json and package.json, whose main is the bundle', () => {
    expect(artifact.zippedSize).toBeLessThan(10 * 1024 * 1024);
    expect(artifact.files.map((file) => file.name).filter((name) => !name.endsWith('.LEGAL.txt'))).toEqual([
      'dist/identity.js',
      'dist/main.js',
      'dist/telemetry.js',
      'dist/vendor.js',
      'host.json',
      'package.json',
    ]);
    expect(JSON.parse(readFileSync(join(deployed, 'package.json'), 'utf8'))).toMatchObject({ main: 'dist/main.js' });
    expect(readFileSync(join(deployed, 'host.json'), 'utf8')).toBe(
      readFileSync(join(repositoryRoot, 'host.json'), 'utf8'),
    );
  });

  it("cannot reach the repository's node_modules from where it is deployed", () => {
    expect(() => require.resolve('@azure/functions', { paths: [deployed] })).toThrow();
    expect(() => require.resolve('standardwebhooks', { paths: [deployed] })).toThrow();
  });

  it('serves the health probe, with telemetry on (its own bundle loaded, the Functions instrumentation applied)', async () => {
    expect((await stack.api('/api/health')).status).toBe(200);
    expect(stack.output()).toMatch(/Capability WorkerOpenTelemetryEnabled set to true/);
  });

  it("answers bad input with zod's English messages, the only zod locale in the bundle", async () => {
    const bearer = await stack.token('artifact-carol');
    const response = await stack.api('/api/tokens', {
      method: 'POST',
      token: bearer,
      body: JSON.stringify({ scopes: ['chat'], expiresInMinutes: 5 }),
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { detail: string }).detail).toMatch(/^expiresInMinutes: Too small: expected/);
    // The German locale's word for a credit card number: in zod's package, not in what is deployed.
    expect(readFileSync(require.resolve('zod/v4/locales/de.cjs'), 'utf8')).toContain('Kreditkartennummer');
    expect(readFileSync(join(deployed, 'dist', 'main.js'), 'utf8')).not.toContain('Kreditkartennummer');
  });

  it('exports spans and metrics through its own telemetry bundle to the ingestion endpoint', async () => {
    // A stand-in for Application Insights ingestion, over HTTPS (the exporter upgrades every ingestion URL to https),
    // with a test certificate the child trusts; the bundle runs in a process of its own, as in the worker.
    const tls = join(repositoryRoot, 'test', 'fixtures', 'tls');
    const received: string[] = [];
    const tlsOptions = {
      key: readFileSync(join(tls, 'localhost-key.pem')),
      cert: readFileSync(join(tls, 'localhost-cert.pem')),
    };
    const ingestion = createServer(tlsOptions, (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks);
        received.push(
          `${request.method} ${request.url} ${(request.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body).toString('utf8')}`,
        );
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ itemsReceived: 1, itemsAccepted: 1, errors: [] }));
      });
    });
    await new Promise<void>((resolve) => ingestion.listen(0, '127.0.0.1', resolve));
    try {
      const script = `
        const { startTelemetry } = require(process.env.TELEMETRY_BUNDLE);
        const api = require(process.env.OTEL_API);
        const running = startTelemetry({ connectionString: process.env.CONNECTION_STRING });
        api.trace.getTracer('artifact-test').startSpan('bundle-span').end();
        api.metrics.getMeter('artifact-test').createCounter('bundle.counter').add(3);
        running.forceFlush().then(() => running.shutdown()).then(() => process.exit(0), (error) => { console.error(error); process.exit(1); });`;
      await promisify(execFile)(process.execPath, ['-e', script], {
        cwd: deployed,
        timeout: 20_000,
        env: {
          PATH: process.env['PATH'] ?? '',
          TELEMETRY_BUNDLE: join(deployed, 'dist', 'telemetry.js'),
          OTEL_API: require.resolve('@opentelemetry/api'),
          NODE_EXTRA_CA_CERTS: join(tls, 'localhost-cert.pem'),
          CONNECTION_STRING: `InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:${(ingestion.address() as AddressInfo).port}/`,
          APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL: 'true',
        },
      });
    } finally {
      await new Promise((resolve) => ingestion.close(resolve));
    }
    const tracked = received.filter((line) => line.startsWith('POST /v2.1/track ')).join('\n');
    expect(tracked).toContain('"bundle-span"');
    expect(tracked).toMatch(/"bundle\.counter"[^]*"value":3/);
  });

  it('walks first token -> refresh -> revoke -> delete', async () => {
    const bearer = await stack.token('artifact-alice');
    const first = await stack.api('/api/tokens', { method: 'POST', token: bearer });
    expect(first.status).toBe(201);
    const firstBody = (await first.json()) as { communicationUserId: string; token: string };
    expect((await stack.verifyAcsToken(firstBody.token)).valid).toBe(true);

    const refreshed = await stack.api('/api/tokens/refresh', { method: 'POST', token: bearer });
    expect(refreshed.status).toBe(200);
    expect(((await refreshed.json()) as { communicationUserId: string }).communicationUserId).toBe(
      firstBody.communicationUserId,
    );

    expect((await stack.api('/api/identities/me/revoke', { method: 'POST', token: bearer })).status).toBe(204);
    expect((await stack.verifyAcsToken(firstBody.token)).valid).toBe(false);

    expect((await stack.api('/api/identities/me', { method: 'DELETE', token: bearer })).status).toBe(204);
    expect((await stack.api('/api/identities/me', { token: bearer })).status).toBe(404);
  });

  it("a signed webhook goes through the queue worker and revokes the user's tokens", async () => {
    const bearer = await stack.token('artifact-bob');
    const { token } = (await (await stack.api('/api/tokens', { method: 'POST', token: bearer })).json()) as {
      token: string;
    };
    const body = JSON.stringify({
      type: 'user.password_changed',
      timestamp: new Date().toISOString(),
      data: { userId: 'artifact-bob' },
    });
    const timestamp = new Date();
    const headers = {
      'content-type': 'application/json',
      'webhook-id': 'msg_artifact_1',
      'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'webhook-signature': new Webhook(webhookSecret).sign('msg_artifact_1', timestamp, body),
    };
    expect((await stack.api('/api/webhooks/events', { method: 'POST', body, headers })).status).toBe(202);
    await waitFor('the worker to revoke the token', async () => !(await stack.verifyAcsToken(token)).valid);
    // The worker logs its outcome after the revocation: wait for the line rather than race it.
    await waitFor('the worker to log the outcome', async () =>
      /Event standard\/msg_artifact_1 \(revoke\): revoked/.test(stack.output()),
    );
  });
});
