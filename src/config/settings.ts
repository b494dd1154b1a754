import { z } from 'zod';

import { tokenScopes, type TokenScope } from '../domain/model';
import { acsConnectionStringEndpoint, isSecureOrLoopback, storageConnectionStringEndpoints } from './urls';

export { tokenScopes, type TokenScope } from '../domain/model';

/** Asymmetric JWS algorithms a caller's token may be signed with. `none` and HMAC are never accepted. */
export const asymmetricAlgorithms = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

const list = (value: string | undefined): string[] =>
  (value ?? '')
    .split(/[,\s]+/)
    .map((item) => item.trim())
    .filter((item) => item.length > 0);

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

const httpUrl = z.url({ protocol: /^https?$/ });

/** `<count>/<seconds>` or `off`. */
const limit = z
  .string()
  .trim()
  .regex(/^(off|[1-9]\d{0,6}\/[1-9]\d{0,6})$/, 'expected <count>/<seconds> (e.g. 60/3600) or off');

const csvOf = <T extends z.ZodType<unknown, string>>(item: T) =>
  z
    .string()
    .optional()
    .transform((value) => list(value))
    .pipe(z.array(item));

/**
 * Every application setting the service reads, by name. Names follow the Azure Functions convention so that
 * `IdentityStorage` serves both the app's own Table/Queue clients and the queue trigger's connection.
 * Keep this list, local.settings.sample.json, infra/app/api.bicep and docs/settings.md in step: tests check them.
 */
export const settingsSchema = z
  .object({
    // --- Azure Communication Services (one of the two) ---
    ACS_CONNECTION_STRING: optionalText,
    ACS_ENDPOINT: optionalText.pipe(httpUrl.optional()),

    /**
     * More ACS resources (data residency, more capacity), as JSON: `[{"name","endpoint" | "connectionString",
     * "issuers"?, "claim"?: {"name","values"}, "spread"?}]`. New identities go to the first whose rule matches the
     * user, else are spread by a stable hash over the primary and the `spread` ones; existing ones stay put.
     */
    ACS_RESOURCES: optionalText.pipe(z.string().optional()),

    // --- Storage for the mapping, the audit trail, processed events and the event queue (one of the two forms) ---
    IdentityStorage: optionalText,
    IdentityStorage__tableServiceUri: optionalText.pipe(httpUrl.optional()),
    IdentityStorage__queueServiceUri: optionalText.pipe(httpUrl.optional()),
    IdentityStorage__clientId: optionalText,
    IdentityStorage__credential: optionalText.pipe(z.enum(['managedidentity']).optional()),

    /** Client id of the user-assigned managed identity used for ACS and Storage in Azure. */
    AZURE_CLIENT_ID: optionalText,

    MAPPING_TABLE_NAME: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9]{2,62}$/)
      .default('IdentityMappings'),
    EVENTS_TABLE_NAME: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9]{2,62}$/)
      .default('ProcessedEvents'),
    EVENTS_QUEUE_NAME: z
      .string()
      .regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,55}[a-z0-9]$/)
      .default('identity-events'),
    /** Queue of revoke-all job steps (one message per page of users; poison queue `<name>-poison`). */
    JOBS_QUEUE_NAME: z
      .string()
      .regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,55}[a-z0-9]$/)
      .default('identity-jobs'),
    /**
     * Users per second a revoke-all job revokes or deletes. ACS allows 500 per 30 s per resource, shared with every
     * other revocation: the default (300 per 30 s) leaves room for webhooks and users. Above 16 only for emulators.
     */
    REVOKE_ALL_RATE_PER_SECOND: z.coerce.number().int().min(1).max(1000).default(10),

    // --- Caller authentication ---
    AUTH_MODE: z.enum(['jwt', 'appservice']).default('jwt'),
    AUTH_ISSUERS: csvOf(httpUrl),
    AUTH_AUDIENCES: csvOf(z.string().min(1)),
    /** Optional: skip OIDC discovery and use this JWKS (only with a single issuer). */
    AUTH_JWKS_URI: optionalText.pipe(httpUrl.optional()),
    AUTH_ALGORITHMS: csvOf(z.enum(asymmetricAlgorithms)).transform((algs) =>
      algs.length > 0 ? algs : ['RS256', 'PS256', 'ES256'],
    ),
    AUTH_USER_ID_CLAIMS: csvOf(z.string().min(1)).transform((claims) => (claims.length > 0 ? claims : ['oid', 'sub'])),
    AUTH_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(300).default(60),
    /** Optional delegated scope the caller's token must carry in `scp` (e.g. Entra `access_as_user`). */
    AUTH_REQUIRED_SCOPE: optionalText,
    /** Optional app role the caller's token must carry in `roles`. */
    AUTH_REQUIRED_ROLE: optionalText,
    ADMIN_ROLE: z.string().min(1).default('Identity.Admin'),
    ADMIN_ROLE_CLAIM: z.string().min(1).default('roles'),
    /** A second role (in ADMIN_ROLE_CLAIM) that lets an admin revoke all users of another issuer or of every issuer; unset: nobody may. */
    ADMIN_GLOBAL_ROLE: optionalText,

    // --- Tokens ---
    TOKEN_ALLOWED_SCOPES: csvOf(z.enum(tokenScopes)).transform((scopes) =>
      scopes.length > 0 ? scopes : [...tokenScopes],
    ),
    TOKEN_DEFAULT_SCOPES: csvOf(z.enum(tokenScopes)).transform((scopes) =>
      scopes.length > 0 ? scopes : (['chat', 'voip'] as TokenScope[]),
    ),
    /** Upper bound for one upstream call including the SDK's own retries. */
    UPSTREAM_TIMEOUT_MS: z.coerce.number().int().min(1000).max(60000).default(10000),
    /**
     * Create identities with a `customId` (the identity API's preview 2025-03-02-preview) so that an identity whose
     * create answer was lost in a crash can be found again and deleted by the reconciler. Off: GA API versions only.
     */
    ACS_IDEMPOTENT_CREATE: z
      .enum(['true', 'false', ''])
      .optional()
      .transform((value) => value === 'true'),
    /** How long an instance may serve a user's mapping and access decision from memory (0 = always read the table). */
    MAPPING_CACHE_SECONDS: z.coerce.number().int().min(0).max(300).default(30),
    MAPPING_CACHE_SIZE: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
    /** Per-caller quotas as `<count>/<seconds>` (a fixed window), or `off`. Admin and webhook paths are not limited. */
    QUOTA_TOKENS_PER_USER: limit.default('60/3600'),
    QUOTA_IDENTITIES_PER_USER: limit.default('10/86400'),
    // Off unless set: behind one NAT address a whole organisation shares an IP (README, "Quotas per caller").
    QUOTA_IDENTITIES_PER_CLIENT_IP: limit.default('off'),
    QUOTA_INVITATIONS_PER_USER: limit.default('100/86400'),
    /** New guest identities per client IP: a leaked invitation code cannot spend the ACS budget from one address. */
    QUOTA_GUEST_REDEMPTIONS_PER_CLIENT_IP: limit.default('30/3600'),

    // --- Guests (invitations) ---
    /** When set, only callers with this role (in ADMIN_ROLE_CLAIM) may invite. */
    INVITATION_ROLE: optionalText,
    GUEST_ALLOWED_SCOPES: csvOf(z.enum(tokenScopes)).transform((scopes) =>
      scopes.length > 0 ? scopes : (['voip', 'chat'] as TokenScope[]),
    ),
    GUEST_DEFAULT_SCOPES: csvOf(z.enum(tokenScopes)).transform((scopes) =>
      scopes.length > 0 ? scopes : (['voip'] as TokenScope[]),
    ),
    /** The reconciler finishes or undoes a change left unfinished this long (well past functionTimeout). */
    RECONCILE_AFTER_SECONDS: z.coerce.number().int().min(5).max(86400).default(600),

    // --- Webhooks (each is enabled only when its secret is set) ---
    GRAPH_CLIENT_STATE: optionalText.pipe(z.string().max(128).optional()),
    GRAPH_UPDATED_ACTION: z.enum(['revoke', 'ignore']).default('revoke'),
    /** The issuer of Entra users' tokens; `{tenantId}` is replaced by the notification's tenant (a fixed issuer suits single-tenant apps). */
    GRAPH_ISSUER_TEMPLATE: z.string().min(1).default('https://login.microsoftonline.com/{tenantId}/v2.0'),
    OKTA_WEBHOOK_SECRET: optionalText,
    OKTA_ISSUER: optionalText.pipe(httpUrl.optional()),
    STANDARD_WEBHOOK_SECRETS: csvOf(
      z.string().regex(/^(whsec_)?[A-Za-z0-9+/=]+$/, 'expected whsec_<base64> secrets separated by spaces or commas'),
    ),
    STANDARD_WEBHOOK_ISSUER: optionalText.pipe(httpUrl.optional()),
    /** Issuers, besides STANDARD_WEBHOOK_ISSUER, whose users Standard Webhooks events may name in `data.issuer`. */
    STANDARD_WEBHOOK_ALLOWED_ISSUERS: csvOf(httpUrl),
    EVENTGRID_WEBHOOK_SECRET: optionalText,

    // --- Teams users: the Entra app id whose tokens may be exchanged (POST /api/tokens/teams); off when unset ---
    TEAMS_APP_ID: optionalText,
  })
  .superRefine((s, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (!s.ACS_CONNECTION_STRING && !s.ACS_ENDPOINT)
      issue('ACS_CONNECTION_STRING', 'set ACS_CONNECTION_STRING (local) or ACS_ENDPOINT (managed identity)');
    if (s.ACS_CONNECTION_STRING && !/endpoint=[^;]+;accesskey=[^;]+/i.test(s.ACS_CONNECTION_STRING)) {
      issue('ACS_CONNECTION_STRING', 'expected endpoint=https://<resource>.communication.azure.com/;accesskey=<key>');
    }
    if (s.ACS_RESOURCES) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(s.ACS_RESOURCES);
      } catch {
        parsed = undefined;
      }
      const resources = acsResourcesSchema.safeParse(parsed);
      if (!resources.success)
        issue(
          'ACS_RESOURCES',
          `expected a JSON array of resources: ${resources.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
        );
      else {
        const endpoints = resources.data.map(
          (resource) => resource.endpoint ?? acsConnectionStringEndpoint(resource.connectionString!) ?? '',
        );
        if (endpoints.some((url) => !isSecureOrLoopback(url)))
          issue('ACS_RESOURCES', 'endpoints must use https (http only on loopback)');
      }
    }
    const acsEndpoint = s.ACS_CONNECTION_STRING ? acsConnectionStringEndpoint(s.ACS_CONNECTION_STRING) : s.ACS_ENDPOINT;
    if (acsEndpoint && !isSecureOrLoopback(acsEndpoint))
      issue(
        s.ACS_CONNECTION_STRING ? 'ACS_CONNECTION_STRING' : 'ACS_ENDPOINT',
        'the endpoint must use https (http only on loopback)',
      );
    const storageEndpoints = s.IdentityStorage
      ? storageConnectionStringEndpoints(s.IdentityStorage)
      : [s.IdentityStorage__tableServiceUri, s.IdentityStorage__queueServiceUri].filter((url): url is string => !!url);
    if (storageEndpoints.some((url) => !isSecureOrLoopback(url)))
      issue('IdentityStorage', 'storage endpoints must use https (http only on loopback)');
    if (s.AUTH_ISSUERS.some((url) => !isSecureOrLoopback(url)))
      issue('AUTH_ISSUERS', 'issuers must use https (http only on loopback)');
    if (s.AUTH_JWKS_URI && !isSecureOrLoopback(s.AUTH_JWKS_URI))
      issue('AUTH_JWKS_URI', 'must use https (http only on loopback)');
    if (!s.IdentityStorage && !(s.IdentityStorage__tableServiceUri && s.IdentityStorage__queueServiceUri)) {
      issue(
        'IdentityStorage',
        'set IdentityStorage (connection string) or IdentityStorage__tableServiceUri and IdentityStorage__queueServiceUri',
      );
    }
    if (s.AUTH_MODE === 'jwt') {
      if (s.AUTH_ISSUERS.length === 0) issue('AUTH_ISSUERS', 'at least one trusted issuer is required');
      if (s.AUTH_AUDIENCES.length === 0) issue('AUTH_AUDIENCES', 'at least one audience is required');
    }
    if (s.AUTH_JWKS_URI && s.AUTH_ISSUERS.length !== 1)
      issue('AUTH_JWKS_URI', 'only valid with exactly one issuer in AUTH_ISSUERS');
    const notAllowed = s.TOKEN_DEFAULT_SCOPES.filter((scope) => !s.TOKEN_ALLOWED_SCOPES.includes(scope));
    if (notAllowed.length > 0) issue('TOKEN_DEFAULT_SCOPES', `not in TOKEN_ALLOWED_SCOPES: ${notAllowed.join(', ')}`);
    if (
      s.STANDARD_WEBHOOK_SECRETS.length > 0 &&
      !s.STANDARD_WEBHOOK_ISSUER &&
      s.STANDARD_WEBHOOK_ALLOWED_ISSUERS.length === 0
    ) {
      issue(
        'STANDARD_WEBHOOK_ISSUER',
        'required when STANDARD_WEBHOOK_SECRETS is set: the issuer(s) whose users the webhook may act on',
      );
    }
    if (s.OKTA_WEBHOOK_SECRET && !s.OKTA_ISSUER)
      issue('OKTA_ISSUER', 'required when OKTA_WEBHOOK_SECRET is set (the issuer of your Okta users’ tokens)');
  });

export type Settings = z.output<typeof settingsSchema>;

/** One entry of ACS_RESOURCES. */
export const acsResourceSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/),
    endpoint: httpUrl.optional(),
    connectionString: z
      .string()
      .regex(/endpoint=[^;]+;accesskey=[^;]+/i, 'expected endpoint=...;accesskey=...')
      .optional(),
    issuers: z.array(httpUrl).optional(),
    claim: z.strictObject({ name: z.string().min(1), values: z.array(z.string().min(1)).min(1) }).optional(),
    spread: z.boolean().optional(),
  })
  .refine(
    (resource) => (resource.endpoint === undefined) !== (resource.connectionString === undefined),
    'set exactly one of endpoint and connectionString',
  )
  .refine(
    (resource) => resource.issuers || resource.claim || resource.spread,
    'give the resource a rule: issuers, claim or spread',
  );

export const acsResourcesSchema = z.array(acsResourceSchema).max(20);

/**
 * App Service hands the app the reference text itself when a Key Vault reference cannot be resolved (no access, no
 * such secret): such a value must never be taken for a secret or an endpoint.
 */
export function unresolvedKeyVaultReferences(env: Record<string, string | undefined>): string[] {
  return settingNames.filter((name) => env[name]?.trim().startsWith('@Microsoft.KeyVault('));
}

/** The names of every setting the app reads (the schema's keys). */
export const settingNames = Object.keys(settingsSchema.shape) as ReadonlyArray<keyof Settings>;
