import { HttpRequest, InvocationContext } from '@azure/functions';

import { decodeRequestTarget, parseQueryString } from '../../dev/host/request-target';
import { RouteTable } from '../../dev/host/routing';
import { type Adapters, createServices, type Services } from '../../src/app/services';
import { loadConfig } from '../../src/config/config';
import type { IdentityEvent } from '../../src/domain/events';
import { unauthenticated } from '../../src/domain/errors';
import type { Principal } from '../../src/domain/model';
import type { Claim, ProcessedEventStore, QuotaDecision, QuotaStore } from '../../src/domain/ports';
import { fakeIdentityGateway } from './fake-identity-gateway';
import { InMemoryInvitationStore } from './in-memory-invitation-store';
import { InMemoryJobStore, InMemoryStepQueue } from './in-memory-job-store';
import { InMemoryMappingStore } from './in-memory-mapping-store';

export const issuer = 'https://issuer.example.com';

/** Settings for in-process tests: every webhook on, fake endpoints that nothing calls. */
export const testSettings: Record<string, string> = {
  ACS_CONNECTION_STRING: 'endpoint=https://acs.example.communication.azure.com/;accesskey=a2V5',
  IdentityStorage: 'UseDevelopmentStorage=true',
  AUTH_ISSUERS: issuer,
  AUTH_AUDIENCES: 'api://test',
  GRAPH_CLIENT_STATE: 'graph-state',
  GRAPH_ISSUER_TEMPLATE: issuer,
  OKTA_WEBHOOK_SECRET: 'okta-secret',
  OKTA_ISSUER: issuer,
  STANDARD_WEBHOOK_SECRETS: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  STANDARD_WEBHOOK_ISSUER: issuer,
  EVENTGRID_WEBHOOK_SECRET: 'eventgrid-secret',
  TEAMS_APP_ID: '00000000-0000-0000-0000-00000000a11d',
  QUOTA_TOKENS_PER_USER: 'off',
  QUOTA_IDENTITIES_PER_USER: 'off',
  QUOTA_IDENTITIES_PER_CLIENT_IP: 'off',
};

/**
 * Bearer tokens of in-process tests: `user:<id>`, `admin:<id>` or `global:<id>` (admin and Identity.GlobalAdmin)
 * (optionally `;iat=<ISO time>`). Real JWT
 * verification is tested in test/src/auth and through the OIDC issuer in test/integration.
 */
export const fakeAuthenticator = {
  async authenticate(headers: { get(name: string): string | null }): Promise<Principal> {
    const match = /^Bearer (user|admin|global):([^;]+)(?:;iat=(.+))?$/.exec(headers.get('authorization') ?? '');
    if (!match) throw unauthenticated('A bearer token is required.', 'invalid_request');
    const issuedAt = match[3] ? new Date(match[3]) : new Date();
    return {
      issuer,
      userId: decodeURIComponent(match[2]),
      roles:
        match[1] === 'admin'
          ? ['Identity.Admin']
          : match[1] === 'global'
            ? ['Identity.Admin', 'Identity.GlobalAdmin']
            : [],
      scopes: [],
      objectId: 'oid-1',
      issuedAt,
    };
  },
};

export class InMemoryProcessedEvents implements ProcessedEventStore {
  readonly records = new Map<string, string>();
  async claim(source: string, eventId: string): Promise<Claim> {
    const key = `${source}/${eventId}`;
    if (this.records.get(key) === 'processing') return { status: 'busy' };
    if (this.records.has(key)) return { status: 'done' };
    this.records.set(key, 'processing');
    return { status: 'claimed', etag: '*' };
  }
  async complete(source: string, eventId: string, outcome: string) {
    this.records.set(`${source}/${eventId}`, outcome);
  }
  async release(source: string, eventId: string) {
    this.records.delete(`${source}/${eventId}`);
  }
  async purgeOlderThan() {
    return 0;
  }
}

/**
 * Services for in-process handler tests, composed by the production factory (createServices) over in-memory
 * adapters: store and queues in memory, scripted ACS, a fake authenticator.
 */
export function testServices(settings: Record<string, string> = {}, overrides: Partial<Adapters> = {}) {
  const config = loadConfig({ ...testSettings, ...settings });
  const { acs, live } = fakeIdentityGateway();
  const mappings = new InMemoryMappingStore();
  const queued: IdentityEvent[] = [];
  const processedEvents = new InMemoryProcessedEvents();
  const jobs = new InMemoryJobStore(mappings);
  const steps = new InMemoryStepQueue();
  const invitationStore = new InMemoryInvitationStore();
  const services: Services = createServices(config, {
    authenticator: fakeAuthenticator,
    mappings,
    intents: mappings,
    acs,
    quotaStore: new InMemoryQuotaStore(),
    processedEvents,
    eventQueue: { enqueue: async (events) => void queued.push(...events) },
    revocationJobs: jobs,
    revocationSteps: steps,
    invitationStore: invitationStore,
    ready: async () => undefined,
    ...overrides,
  });
  return { services, acs, live, mappings, queued, jobs, steps, invitationStore };
}

/** Fixed-window counters in memory, as the Table adapter counts them. */
export class InMemoryQuotaStore implements QuotaStore {
  readonly counts = new Map<string, { windowStart: number; used: number }>();
  async consume(key: string, limit: number, windowInMs: number, now = Date.now()): Promise<QuotaDecision> {
    const windowStart = Math.floor(now / windowInMs) * windowInMs;
    const current = this.counts.get(key);
    const used = current?.windowStart === windowStart ? current.used : 0;
    const resetInSeconds = Math.ceil((windowStart + windowInMs - now) / 1000);
    if (used >= limit) return { allowed: false, remaining: 0, resetInSeconds };
    this.counts.set(key, { windowStart, used: used + 1 });
    return { allowed: true, remaining: limit - used - 1, resetInSeconds };
  }
  async refund(key: string, windowInMs: number, takenAt: number) {
    const current = this.counts.get(key);
    if (current?.windowStart === Math.floor(takenAt / windowInMs) * windowInMs && current.used > 0) current.used -= 1;
  }
}

/** A real `HttpRequest` as the Functions library builds it. */
export function request(
  method: string,
  path: string,
  options: {
    token?: string;
    json?: unknown;
    body?: string;
    headers?: Record<string, string>;
    params?: Record<string, string>;
  } = {},
): HttpRequest {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers['authorization'] = `Bearer ${options.token}`;
  let body = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  }
  return new HttpRequest({
    method,
    url: `https://app.example.com${path}`,
    headers,
    ...(options.params ? { params: options.params } : {}),
    ...(body !== undefined ? { body: { string: body } } : {}),
  });
}

/** A real `InvocationContext` whose log lines are kept. */
export function context(): InvocationContext & { lines: string[] } {
  const lines: string[] = [];
  const invocation = new InvocationContext({
    invocationId: 'test-invocation',
    functionName: 'test',
    logHandler: (level, ...args) => lines.push(`${level} ${args.join(' ')}`),
  });
  return Object.assign(invocation, { lines });
}

/** The body of a response built by a handler (`jsonBody` or a JSON string body). */
export function bodyOf(response: { jsonBody?: unknown; body?: unknown }): Record<string, unknown> {
  if (response.jsonBody !== undefined) return response.jsonBody as Record<string, unknown>;
  return JSON.parse(String(response.body)) as Record<string, unknown>;
}

/**
 * A request as the real Functions host hands it to the app for `target` sent on the wire to the function with
 * route `template` (under the `api` prefix): the path decoded as Kestrel decodes it, route values from that path, the URL re-escaped and
 * the query decoded once (dev/host/request-target, pinned against a real Kestrel).
 */
export function routedRequest(
  method: string,
  template: string,
  target: string,
  options: { token?: string; json?: unknown } = {},
): HttpRequest {
  const decoded = decodeRequestTarget(target);
  if (decoded === undefined) throw new Error(`The host answers 400 to ${target}.`);
  const match = new RouteTable([{ template: `api/${template}`, target: template }]).match(method, decoded.path);
  if (match === undefined) throw new Error(`The host routes ${target} to no function with route ${template}.`);
  const routed = request(method, `${decoded.urlPath}${decoded.queryString}`, { ...options, params: match.params });
  return new HttpRequest({
    method,
    url: routed.url,
    headers: Object.fromEntries(routed.headers),
    params: match.params,
    query: parseQueryString(decoded.queryString),
    ...(options.json !== undefined ? { body: { string: JSON.stringify(options.json) } } : {}),
  });
}
