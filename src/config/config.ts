import type { Limit } from '../domain/model';
import {
  acsResourcesSchema,
  type Settings,
  settingsSchema,
  type TokenScope,
  unresolvedKeyVaultReferences,
} from './settings';

/** A setting is missing or malformed. The message names every offending setting, never its value. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type Connection =
  | { kind: 'connectionString'; connectionString: string }
  | { kind: 'managedIdentity'; endpoint: string; clientId?: string };

export interface StorageConnection {
  table: Connection;
  queue: Connection;
}

export interface AuthConfig {
  mode: 'jwt' | 'appservice';
  issuers: string[];
  audiences: string[];
  jwksUri?: string;
  algorithms: string[];
  userIdClaims: string[];
  clockSkewInSeconds: number;
  requiredScope?: string;
  requiredRole?: string;
  adminRole: string;
  adminRoleClaim: string;
  /** Lets an admin act on every issuer's users in a revoke-all job; absent: admins act on their own issuer only. */
  adminGlobalRole?: string;
}

export interface WebhookConfig {
  graph?: { clientState: string; updatedAction: 'revoke' | 'ignore'; issuerTemplate: string };
  okta?: { secret: string; issuer: string };
  /** `allowedIssuers`: the issuers whose users these secrets may act on (the default issuer among them). */
  standard?: { secrets: string[]; defaultIssuer?: string; allowedIssuers: string[] };
  eventGrid?: { secret: string; graphIssuerTemplate: string };
}

/** A secondary ACS resource and which new users it takes (see ACS_RESOURCES). */
export interface AcsResourceConfig {
  name: string;
  connection: Connection;
  issuers?: string[];
  claim?: { name: string; values: string[] };
  spread?: boolean;
}

export interface Config {
  acs: Connection;
  /** Secondary ACS resources, in rule order. */
  acsResources: AcsResourceConfig[];
  storage: StorageConnection;
  tables: { mapping: string; events: string };
  eventsQueue: string;
  jobsQueue: string;
  /** Users per second a revoke-all job revokes or deletes. */
  revokeAllRatePerSecond: number;
  auth: AuthConfig;
  tokens: { allowedScopes: TokenScope[]; defaultScopes: TokenScope[] };
  upstreamTimeoutInMs: number;
  /** Send a `customId` with every create (see ACS_IDEMPOTENT_CREATE). */
  idempotentCreate: boolean;
  /** Per-caller quotas; an absent one is off. */
  quotas: {
    tokensPerUser?: Limit;
    identitiesPerUser?: Limit;
    identitiesPerClientIp?: Limit;
    invitationsPerUser?: Limit;
    guestRedemptionsPerClientIp?: Limit;
  };
  /** Invitations for people without an account. */
  guests: { invitationRole?: string; allowedScopes: TokenScope[]; defaultScopes: TokenScope[] };
  /** The instance's cache of user records (see MAPPING_CACHE_SECONDS). */
  mappingCache: { maxAgeInMs: number; maxEntries: number };
  /** How old an unfinished change must be before the reconciler finishes or undoes it. */
  reconcileAfterInMs: number;
  webhooks: WebhookConfig;
  teams?: { appId: string };
}

const deepFreeze = <T>(value: T): T => {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
};

/**
 * Reads and validates every setting once. Throws a {@link ConfigError} naming each missing or malformed setting.
 * @param env - the process environment (Functions app settings)
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const unresolved = unresolvedKeyVaultReferences(env);
  if (unresolved.length > 0) {
    throw new ConfigError(
      `Invalid configuration: ${unresolved.map((name) => `${name}: a Key Vault reference that did not resolve (check the app identity's Key Vault Secrets User role and the secret's name)`).join('; ')}`,
    );
  }
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(settings)'}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  return deepFreeze(toConfig(parsed.data));
}

function toConfig(s: Settings): Config {
  const clientId = s.IdentityStorage__clientId ?? s.AZURE_CLIENT_ID;
  const storage: StorageConnection = s.IdentityStorage
    ? {
        table: { kind: 'connectionString', connectionString: s.IdentityStorage },
        queue: { kind: 'connectionString', connectionString: s.IdentityStorage },
      }
    : {
        table: {
          kind: 'managedIdentity',
          endpoint: s.IdentityStorage__tableServiceUri!,
          ...(clientId ? { clientId } : {}),
        },
        queue: {
          kind: 'managedIdentity',
          endpoint: s.IdentityStorage__queueServiceUri!,
          ...(clientId ? { clientId } : {}),
        },
      };
  const acs: Connection = s.ACS_CONNECTION_STRING
    ? { kind: 'connectionString', connectionString: s.ACS_CONNECTION_STRING }
    : {
        kind: 'managedIdentity',
        endpoint: s.ACS_ENDPOINT!,
        ...(s.AZURE_CLIENT_ID ? { clientId: s.AZURE_CLIENT_ID } : {}),
      };

  const webhooks: WebhookConfig = {};
  if (s.GRAPH_CLIENT_STATE) {
    webhooks.graph = {
      clientState: s.GRAPH_CLIENT_STATE,
      updatedAction: s.GRAPH_UPDATED_ACTION,
      issuerTemplate: s.GRAPH_ISSUER_TEMPLATE,
    };
  }
  if (s.OKTA_WEBHOOK_SECRET && s.OKTA_ISSUER) webhooks.okta = { secret: s.OKTA_WEBHOOK_SECRET, issuer: s.OKTA_ISSUER };
  if (s.STANDARD_WEBHOOK_SECRETS.length > 0) {
    webhooks.standard = {
      secrets: s.STANDARD_WEBHOOK_SECRETS,
      ...(s.STANDARD_WEBHOOK_ISSUER ? { defaultIssuer: s.STANDARD_WEBHOOK_ISSUER } : {}),
      allowedIssuers: [
        ...new Set([
          ...(s.STANDARD_WEBHOOK_ISSUER ? [s.STANDARD_WEBHOOK_ISSUER] : []),
          ...s.STANDARD_WEBHOOK_ALLOWED_ISSUERS,
        ]),
      ],
    };
  }
  if (s.EVENTGRID_WEBHOOK_SECRET) {
    webhooks.eventGrid = { secret: s.EVENTGRID_WEBHOOK_SECRET, graphIssuerTemplate: s.GRAPH_ISSUER_TEMPLATE };
  }

  const acsResources: AcsResourceConfig[] = s.ACS_RESOURCES
    ? acsResourcesSchema.parse(JSON.parse(s.ACS_RESOURCES)).map((resource) => ({
        name: resource.name,
        connection: resource.connectionString
          ? { kind: 'connectionString', connectionString: resource.connectionString }
          : {
              kind: 'managedIdentity',
              endpoint: resource.endpoint!,
              ...(s.AZURE_CLIENT_ID ? { clientId: s.AZURE_CLIENT_ID } : {}),
            },
        ...(resource.issuers ? { issuers: resource.issuers } : {}),
        ...(resource.claim ? { claim: resource.claim } : {}),
        ...(resource.spread ? { spread: true } : {}),
      }))
    : [];

  return {
    acs,
    acsResources,
    storage,
    tables: { mapping: s.MAPPING_TABLE_NAME, events: s.EVENTS_TABLE_NAME },
    eventsQueue: s.EVENTS_QUEUE_NAME,
    jobsQueue: s.JOBS_QUEUE_NAME,
    revokeAllRatePerSecond: s.REVOKE_ALL_RATE_PER_SECOND,
    auth: {
      mode: s.AUTH_MODE,
      issuers: s.AUTH_ISSUERS,
      audiences: s.AUTH_AUDIENCES,
      ...(s.AUTH_JWKS_URI ? { jwksUri: s.AUTH_JWKS_URI } : {}),
      algorithms: s.AUTH_ALGORITHMS,
      userIdClaims: s.AUTH_USER_ID_CLAIMS,
      clockSkewInSeconds: s.AUTH_CLOCK_SKEW_SECONDS,
      ...(s.AUTH_REQUIRED_SCOPE ? { requiredScope: s.AUTH_REQUIRED_SCOPE } : {}),
      ...(s.AUTH_REQUIRED_ROLE ? { requiredRole: s.AUTH_REQUIRED_ROLE } : {}),
      adminRole: s.ADMIN_ROLE,
      adminRoleClaim: s.ADMIN_ROLE_CLAIM,
      ...(s.ADMIN_GLOBAL_ROLE ? { adminGlobalRole: s.ADMIN_GLOBAL_ROLE } : {}),
    },
    tokens: { allowedScopes: s.TOKEN_ALLOWED_SCOPES, defaultScopes: s.TOKEN_DEFAULT_SCOPES },
    upstreamTimeoutInMs: s.UPSTREAM_TIMEOUT_MS,
    idempotentCreate: s.ACS_IDEMPOTENT_CREATE,
    reconcileAfterInMs: s.RECONCILE_AFTER_SECONDS * 1000,
    quotas: {
      ...limitOf('tokensPerUser', s.QUOTA_TOKENS_PER_USER),
      ...limitOf('identitiesPerUser', s.QUOTA_IDENTITIES_PER_USER),
      ...limitOf('identitiesPerClientIp', s.QUOTA_IDENTITIES_PER_CLIENT_IP),
      ...limitOf('invitationsPerUser', s.QUOTA_INVITATIONS_PER_USER),
      ...limitOf('guestRedemptionsPerClientIp', s.QUOTA_GUEST_REDEMPTIONS_PER_CLIENT_IP),
    },
    guests: {
      ...(s.INVITATION_ROLE ? { invitationRole: s.INVITATION_ROLE } : {}),
      allowedScopes: s.GUEST_ALLOWED_SCOPES,
      defaultScopes: s.GUEST_DEFAULT_SCOPES,
    },
    mappingCache: { maxAgeInMs: s.MAPPING_CACHE_SECONDS * 1000, maxEntries: s.MAPPING_CACHE_SIZE },
    webhooks,
    ...(s.TEAMS_APP_ID ? { teams: { appId: s.TEAMS_APP_ID } } : {}),
  };
}

function limitOf<K extends string>(name: K, value: string): Partial<Record<K, Limit>> {
  if (value === 'off') return {};
  const [count, windowInSeconds] = value.split('/').map(Number) as [number, number];
  return { [name]: { count, windowInSeconds } } as Partial<Record<K, Limit>>;
}
