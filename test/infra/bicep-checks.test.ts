import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { checkInfra } from './bicep-checks';
import { parseBicepSources } from './bicep-syntax';
import { flexMutations } from './flex-mutations';

const infraDir = path.resolve(__dirname, '../../infra');

interface Mutation {
  /** What the broken copy gets wrong. */
  name: string;
  /** File under infra/ to edit. */
  file: string;
  /** Text that must be in the file, and what replaces it. */
  from: string;
  to: string;
  /** Text put at the top of the file as well. */
  prepend?: string;
  /** A problem the checks must report. */
  reported: RegExp;
}

const siteSetting = "        { name: 'ACS_ENDPOINT', value: acsEndpoint }\n";
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const projectMutations: Mutation[] = [
  {
    name: 'a storage key read with listKeys()',
    file: 'core/storage.bicep',
    from: 'output name string = storage.name\n',
    to: 'output name string = storage.name\noutput key string = storage.listKeys().keys[0].value\n',
    reported: /core\/storage\.bicep:\d+: listKeys\(\) returns keys or secrets/,
  },
  {
    name: 'shared-key access to storage turned on',
    file: 'core/storage.bicep',
    from: 'allowSharedKeyAccess: false',
    to: 'allowSharedKeyAccess: true',
    reported: /properties\.allowSharedKeyAccess must be false \(found true\)/,
  },
  {
    name: 'an undocumented role id (Storage Queue Data Contributor swapped for Storage Blob Data Contributor)',
    file: 'app/rbac.bicep',
    from: "storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'",
    to: "storageQueueDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'",
    reported: /role definition id ba92f5b4-2d11-453d-a403-e96b0029c9fe is not one of the documented built-in roles/,
  },
  {
    name: 'a required app setting dropped',
    file: 'app/api.bicep',
    from: siteSetting,
    to: '',
    reported: /app\/api\.bicep:\d+: required app setting ACS_ENDPOINT is not set/,
  },
  {
    name: 'an app setting the app does not read',
    file: 'app/api.bicep',
    from: siteSetting,
    to: `${siteSetting}        { name: 'ACS_ENDPOINT_FALLBACK', value: acsEndpoint }\n`,
    reported: /app setting ACS_ENDPOINT_FALLBACK is read neither by the app/,
  },
  {
    name: 'a syntax error (an unclosed object)',
    file: 'core/identity.bicep',
    from: '  tags: tags\n}\n',
    to: '  tags: tags\n\n',
    reported: /core\/identity\.bicep:\d+: syntax error/,
  },
  {
    name: 'an API version that does not exist',
    file: 'core/communication.bicep',
    from: "'Microsoft.Communication/communicationServices@2025-05-01' = {",
    to: "'Microsoft.Communication/communicationServices@2099-01-01' = {",
    reported: /Microsoft\.Communication\/communicationServices@2099-01-01: API version not in the allow-list/,
  },
  {
    name: 'a resource type outside the allow-list',
    file: 'core/identity.bicep',
    from: "'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31'",
    to: "'Microsoft.Sql/servers@2023-08-01'",
    reported: /resource type Microsoft\.Sql\/servers is not in the allow-list/,
  },
  {
    name: 'the storage connection-string setting',
    file: 'app/api.bicep',
    from: siteSetting,
    to: `${siteSetting}        { name: 'IdentityStorage', value: 'DefaultEndpointsProtocol=https;AccountName=st;AccountKey=abc=' }\n`,
    reported: /app setting IdentityStorage is the connection-string form/,
  },
  {
    name: 'a key inside a string literal',
    file: 'app/api.bicep',
    from: siteSetting,
    to: `${siteSetting}        { name: 'TEAMS_APP_ID', value: 'endpoint=https://x.communication.azure.com/;accesskey=abc' }\n`,
    reported: /string literal contains a key or SAS/,
  },
  {
    name: 'a connection string passed through an output',
    file: 'main.bicep',
    from: 'output ACS_ENDPOINT string',
    to: 'output ACS_CONNECTION_STRING string = communication.outputs.endpoint\noutput ACS_ENDPOINT string',
    reported: /'ACS_CONNECTION_STRING' names a connection string/,
  },
  {
    name: 'a @secure() parameter in an output',
    file: 'core/keyvault.bicep',
    from: 'output name string = vault.name',
    to: 'output name string = vault.name\noutput state string = graphClientState',
    reported: /output state exposes the @secure\(\) parameter graphClientState/,
  },
  {
    name: 'a webhook secret parameter without @secure()',
    file: 'main.bicep',
    from: "@secure()\n@description('Microsoft Graph subscription clientState",
    to: "@description('Microsoft Graph subscription clientState",
    reported: /main\.bicep:\d+: parameter graphClientState holds a secret: mark it @secure\(\)/,
  },
  {
    name: 'a webhook secret value placed directly in the app settings',
    file: 'app/api.bicep',
    from: siteSetting,
    to: `${siteSetting}        { name: 'OKTA_WEBHOOK_SECRET', value: 'not-so-secret' }\n`,
    reported: /app setting OKTA_WEBHOOK_SECRET holds a secret: make it a Key Vault reference/,
  },
  {
    name: 'a @secure() parameter passed to the app settings instead of a Key Vault reference',
    file: 'app/api.bicep',
    from: "  { name: 'GRAPH_CLIENT_STATE', value: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${keyVaultSecretNames.graphClientState}/)' }",
    to: "  { name: 'GRAPH_CLIENT_STATE', value: graphClientState }",
    prepend: "@secure()\nparam graphClientState string = ''\n",
    reported: /functionApp uses the @secure\(\) parameter graphClientState: store it in Key Vault/,
  },
  {
    name: 'Key Vault references without keyVaultReferenceIdentity',
    file: 'app/api.bicep',
    from: '    keyVaultReferenceIdentity: identityId\n',
    to: '',
    reported: /Key Vault references need properties\.keyVaultReferenceIdentity/,
  },
  {
    name: 'a vault without purge protection',
    file: 'core/keyvault.bicep',
    from: 'enablePurgeProtection: true',
    to: 'enablePurgeProtection: false',
    reported: /vault: properties\.enablePurgeProtection must be true \(found false\)/,
  },
  {
    name: 'a vault without soft delete',
    file: 'core/keyvault.bicep',
    from: 'enableSoftDelete: true',
    to: 'enableSoftDelete: false',
    reported: /vault: properties\.enableSoftDelete must be true \(found false\)/,
  },
  {
    name: 'a vault with access policies',
    file: 'core/keyvault.bicep',
    from: 'accessPolicies: []',
    to: "accessPolicies: [\n      {\n        tenantId: tenant().tenantId\n        objectId: deployer().objectId\n        permissions: {\n          secrets: [\n            'get'\n          ]\n        }\n      }\n    ]",
    reported: /vault: properties\.accessPolicies must be empty/,
  },
  {
    name: 'a vault with access-policy authorization instead of RBAC',
    file: 'core/keyvault.bicep',
    from: 'enableRbacAuthorization: true',
    to: 'enableRbacAuthorization: false',
    reported: /vault: properties\.enableRbacAuthorization must be true/,
  },
  {
    name: 'a secret created even when its parameter is empty',
    file: 'core/keyvault.bicep',
    from: "resource graphClientStateSecret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = if (!empty(graphClientState)) {",
    to: "resource graphClientStateSecret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = {",
    reported: /graphClientStateSecret: create the secret only when graphClientState is set/,
  },
  {
    name: 'a secret whose value is a literal',
    file: 'core/keyvault.bicep',
    from: '    value: oktaWebhookSecret\n',
    to: "    value: 'hunter2'\n",
    reported: /oktaWebhookSecretSecret: properties\.value must be a @secure\(\) parameter/,
  },
  {
    name: 'the Key Vault Secrets User role swapped for another',
    file: 'app/rbac.bicep',
    from: "keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'",
    to: "keyVaultSecretsUser: 'b24988ac-6180-42a0-ab88-20f7382dd24c'",
    reported: /role keyVaultSecretsUser \(4633458b-17de-408a-b874-0445c86b69e6\) is never assigned/,
  },
  {
    name: 'the poison-message alert querying another metric',
    file: 'core/alerts.bicep',
    from: "var poisonMetricName = 'identity.events.poison'",
    to: "var poisonMetricName = 'identity.event.poison'",
    reported: /no alert rule \(Microsoft\.Insights\/scheduledQueryRules\) queries the metric identity\.events\.poison/,
  },
  {
    name: 'a registry module',
    file: 'main.bicep',
    from: "module identity './core/identity.bicep'",
    to: "module identity 'br/public:avm/res/managed-identity/user-assigned-identity:0.4.1'",
    reported: /main\.bicep:\d+: module 'br\/public:.*' comes from a registry/,
  },
  {
    name: 'a module path that does not exist',
    file: 'main.bicep',
    from: "module identity './core/identity.bicep'",
    to: "module identity './core/identities.bicep'",
    reported: /module '\.\/core\/identities\.bicep' does not exist/,
  },
  {
    name: 'a parameter file entry main.bicep does not declare',
    file: 'main.parameters.json',
    from: '"environmentName":',
    to: '"environmentNmae": { "value": "x" },\n    "environmentName":',
    reported: /main\.parameters\.json: parameter environmentNmae is not declared in main\.bicep/,
  },
  {
    name: 'CORS with credentials',
    file: 'app/api.bicep',
    from: 'supportCredentials: false',
    to: 'supportCredentials: true',
    reported: /siteConfig\.cors\.supportCredentials must be false/,
  },
];

// The platform rules' broken copies, reported at a line of the Bicep file.
const mutations: Mutation[] = [
  ...projectMutations,
  ...flexMutations.map(({ reported, reportedIn, ...mutation }) => ({
    ...mutation,
    reported: new RegExp(`^${escapeRegExp(reportedIn ?? mutation.file)}:\\d+: ${reported.source}`),
  })),
];

const mutated = ({ file, from, to, prepend = '' }: Pick<Mutation, 'file' | 'from' | 'to' | 'prepend'>) =>
  prepend + fs.readFileSync(path.join(infraDir, file), 'utf8').replace(from, to);

describe('checkInfra on a broken copy of infra/', () => {
  let workDir: string;

  // One child process parses the original files and every broken variant up front (parses are cached by source
  // text), instead of one child process per test.
  beforeAll(() => {
    const originals = (fs.readdirSync(infraDir, { recursive: true }) as string[])
      .filter((file) => file.endsWith('.bicep'))
      .map((file) => fs.readFileSync(path.join(infraDir, file), 'utf8'));
    parseBicepSources([...originals, ...mutations.filter((mutation) => mutation.file.endsWith('.bicep')).map(mutated)]);
  });

  beforeEach(() => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'infra-check-'));
    fs.cpSync(infraDir, workDir, { recursive: true });
  });

  afterEach(() => {
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  test('reports nothing for an unmodified copy', () => {
    expect(checkInfra(workDir)).toEqual([]);
  });

  test.each(mutations)('reports $name', ({ file, from, to, prepend, reported }) => {
    const target = path.join(workDir, file);
    expect(fs.readFileSync(target, 'utf8')).toContain(from);
    fs.writeFileSync(target, mutated({ file, from, to, prepend }));

    const problems = checkInfra(workDir);

    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(reported)]));
  });
});
