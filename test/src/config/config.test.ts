import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { ConfigError, loadConfig } from '../../../src/config/config';
import { settingNames } from '../../../src/config/settings';

const sample = (
  JSON.parse(readFileSync(join(__dirname, '../../../local.settings.sample.json'), 'utf8')) as {
    Values: Record<string, string>;
  }
).Values;
const hostSettings = ['FUNCTIONS_WORKER_RUNTIME', 'AzureWebJobsStorage'];

const managedIdentity = {
  ACS_ENDPOINT: 'https://contoso.communication.azure.com/',
  IdentityStorage__tableServiceUri: 'https://contoso.table.core.windows.net',
  IdentityStorage__queueServiceUri: 'https://contoso.queue.core.windows.net',
  IdentityStorage__credential: 'managedidentity',
  IdentityStorage__clientId: '11111111-1111-1111-1111-111111111111',
  AZURE_CLIENT_ID: '11111111-1111-1111-1111-111111111111',
  AUTH_ISSUERS: 'https://login.microsoftonline.com/84bd8158-6d4d-4958-8b9f-9d6445542f95/v2.0',
  AUTH_AUDIENCES: 'api://acs-token-service',
};

const messageOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('loadConfig', () => {
  it('accepts the local sample and lists every setting the app reads in it', () => {
    const config = loadConfig(sample);
    expect(config.acs.kind).toBe('connectionString');
    expect(config.tokens.defaultScopes).toEqual(['chat', 'voip']);
    expect(config.tokens.allowedScopes).toHaveLength(5);
    expect(
      Object.keys(sample)
        .filter((name) => !hostSettings.includes(name))
        .sort(),
    ).toEqual([...settingNames].sort());
  });

  it('accepts the managed-identity form used in Azure, with no secrets', () => {
    const config = loadConfig(managedIdentity);
    expect(config.acs).toEqual({
      kind: 'managedIdentity',
      endpoint: managedIdentity.ACS_ENDPOINT,
      clientId: managedIdentity.AZURE_CLIENT_ID,
    });
    expect(config.storage.table).toEqual({
      kind: 'managedIdentity',
      endpoint: managedIdentity.IdentityStorage__tableServiceUri,
      clientId: managedIdentity.IdentityStorage__clientId,
    });
    expect(config.webhooks).toEqual({});
    expect(config.teams).toBeUndefined();
  });

  it('names every missing setting', () => {
    const message = messageOf({});
    for (const name of ['ACS_CONNECTION_STRING', 'IdentityStorage', 'AUTH_ISSUERS', 'AUTH_AUDIENCES'])
      expect(message).toContain(name);
  });

  it('names malformed settings without echoing their values', () => {
    const message = messageOf({
      ...managedIdentity,
      ACS_ENDPOINT: 'not a url',
      TOKEN_DEFAULT_SCOPES: 'chat,bogus',
      AUTH_CLOCK_SKEW_SECONDS: '9000',
    });
    expect(message).toMatch(/ACS_ENDPOINT/);
    expect(message).toMatch(/TOKEN_DEFAULT_SCOPES/);
    expect(message).toMatch(/AUTH_CLOCK_SKEW_SECONDS/);
    expect(message).not.toContain('not a url');
  });

  it('refuses plain http except on loopback', () => {
    expect(messageOf({ ...managedIdentity, ACS_ENDPOINT: 'http://contoso.communication.azure.com/' })).toMatch(
      /ACS_ENDPOINT.*https/,
    );
    expect(messageOf({ ...managedIdentity, AUTH_ISSUERS: 'http://issuer.example.com' })).toMatch(/AUTH_ISSUERS/);
    expect(
      messageOf({
        ...managedIdentity,
        ACS_ENDPOINT: undefined as never,
        ACS_CONNECTION_STRING: 'endpoint=http://10.0.0.1/;accesskey=abc=',
      }),
    ).toMatch(/ACS_CONNECTION_STRING/);
    expect(() => loadConfig({ ...managedIdentity, AUTH_ISSUERS: 'http://127.0.0.1:7090' })).not.toThrow();
  });

  it('refuses default scopes that are not allowed, and a JWKS URI with several issuers', () => {
    expect(messageOf({ ...managedIdentity, TOKEN_ALLOWED_SCOPES: 'chat', TOKEN_DEFAULT_SCOPES: 'chat,voip' })).toMatch(
      /TOKEN_DEFAULT_SCOPES: not in TOKEN_ALLOWED_SCOPES: voip/,
    );
    expect(
      messageOf({
        ...managedIdentity,
        AUTH_ISSUERS: 'https://a.example.com https://b.example.com',
        AUTH_JWKS_URI: 'https://a.example.com/keys',
      }),
    ).toMatch(/AUTH_JWKS_URI/);
  });

  it('enables a webhook only when its secret is set, and Okta only with its issuer', () => {
    expect(messageOf({ ...managedIdentity, OKTA_WEBHOOK_SECRET: 's' })).toMatch(/OKTA_ISSUER/);
    expect(
      messageOf({ ...managedIdentity, STANDARD_WEBHOOK_SECRETS: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }),
    ).toMatch(/STANDARD_WEBHOOK_ISSUER: required/);
    const config = loadConfig({
      ...managedIdentity,
      GRAPH_CLIENT_STATE: 'state',
      STANDARD_WEBHOOK_SECRETS: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      STANDARD_WEBHOOK_ISSUER: 'https://a.example.com',
      STANDARD_WEBHOOK_ALLOWED_ISSUERS: 'https://b.example.com,https://a.example.com',
    });
    expect(Object.keys(config.webhooks).sort()).toEqual(['graph', 'standard']);
    expect(config.webhooks.standard?.allowedIssuers).toEqual(['https://a.example.com', 'https://b.example.com']);
    expect(config.webhooks.graph?.updatedAction).toBe('revoke');
  });

  it('refuses algorithms outside the asymmetric allow-list', () => {
    expect(messageOf({ ...managedIdentity, AUTH_ALGORITHMS: 'RS256,HS256' })).toMatch(/AUTH_ALGORITHMS/);
    expect(messageOf({ ...managedIdentity, AUTH_ALGORITHMS: 'none' })).toMatch(/AUTH_ALGORITHMS/);
  });

  it('returns frozen configuration', () => {
    const config = loadConfig(managedIdentity);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.auth.issuers)).toBe(true);
  });

  it('refuses a Key Vault reference that App Service could not resolve, naming the setting only', () => {
    const message = messageOf({
      ...managedIdentity,
      OKTA_ISSUER: 'https://okta.example.com',
      OKTA_WEBHOOK_SECRET: '@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/okta/)',
    });
    expect(message).toMatch(/OKTA_WEBHOOK_SECRET: a Key Vault reference that did not resolve/);
    expect(message).not.toContain('kv.vault.azure.net');
  });

  it('reads ACS_RESOURCES and refuses entries without one endpoint or without a rule', () => {
    const resources = [
      { name: 'eu', endpoint: 'https://eu.communication.azure.com', claim: { name: 'ctry', values: ['DE'] } },
    ];
    const config = loadConfig({ ...managedIdentity, ACS_RESOURCES: JSON.stringify(resources) });
    expect(config.acsResources).toEqual([
      {
        name: 'eu',
        connection: {
          kind: 'managedIdentity',
          endpoint: 'https://eu.communication.azure.com',
          clientId: managedIdentity.AZURE_CLIENT_ID,
        },
        claim: { name: 'ctry', values: ['DE'] },
      },
    ]);
    expect(messageOf({ ...managedIdentity, ACS_RESOURCES: JSON.stringify([{ name: 'x', spread: true }]) })).toMatch(
      /ACS_RESOURCES: .*exactly one of endpoint and connectionString/,
    );
    expect(
      messageOf({
        ...managedIdentity,
        ACS_RESOURCES: JSON.stringify([{ name: 'x', endpoint: 'https://x.communication.azure.com' }]),
      }),
    ).toMatch(/ACS_RESOURCES: .*a rule/);
    expect(messageOf({ ...managedIdentity, ACS_RESOURCES: 'not json' })).toMatch(/ACS_RESOURCES/);
    expect(
      messageOf({
        ...managedIdentity,
        ACS_RESOURCES: JSON.stringify([{ name: 'x', endpoint: 'http://x.example.com', spread: true }]),
      }),
    ).toMatch(/ACS_RESOURCES: endpoints must use https/);
  });
});
