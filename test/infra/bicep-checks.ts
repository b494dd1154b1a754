import * as fs from 'node:fs';
import * as path from 'node:path';

import { settingNames } from '../../src/config/settings';
import { type BicepNode, parseBicepSources } from './bicep-syntax';
import {
  type Cloud,
  type FlexParameter,
  type FlexSite,
  flexForbiddenSettings,
  flexParameterProblems,
  flexSiteProblems,
  hostStorageProblems,
  hostStorageSettingNames,
  queueTriggeredFunctionNames,
  sitePaths,
  alwaysReadyProblems,
} from './flex-rules';

const functionsDir = path.resolve(__dirname, '../../src/functions');

/**
 * Offline structural checks over infra/*.bicep, on the syntax tree from tree-sitter-bicep (no Bicep CLI exists
 * on the build machines). They catch the mistakes that matter for this service (a key or connection string
 * leaking, shared-key storage, an unknown role, app settings drifting from src/config/settings.ts) but they do
 * not type-check or validate anything against ARM: `az deployment sub what-if` remains the real test.
 */

/**
 * Resource types and the API versions allowed for each, one version per type. Every version was looked up in
 * Azure/bicep-types-az `generated/<provider>/<namespace>/<version>/types.md`, and the Bicep CLI's own type data
 * knows each of them (test/infra/bicep-cli.test.ts: an unknown version is warning BCP081).
 */
export const allowedApiVersions: Readonly<Record<string, readonly string[]>> = {
  'Microsoft.Resources/resourceGroups': ['2024-03-01'],
  'Microsoft.ManagedIdentity/userAssignedIdentities': ['2023-01-31'],
  'Microsoft.Storage/storageAccounts': ['2024-01-01'],
  'Microsoft.Storage/storageAccounts/blobServices': ['2024-01-01'],
  'Microsoft.Storage/storageAccounts/blobServices/containers': ['2024-01-01'],
  'Microsoft.Storage/storageAccounts/queueServices': ['2024-01-01'],
  'Microsoft.Storage/storageAccounts/queueServices/queues': ['2024-01-01'],
  'Microsoft.Storage/storageAccounts/tableServices': ['2024-01-01'],
  'Microsoft.Storage/storageAccounts/tableServices/tables': ['2024-01-01'],
  'Microsoft.OperationalInsights/workspaces': ['2023-09-01'],
  'Microsoft.Insights/components': ['2020-02-02'],
  'Microsoft.Communication/communicationServices': ['2025-05-01'],
  'Microsoft.Web/serverfarms': ['2024-04-01'],
  'Microsoft.Web/sites': ['2024-04-01'],
  'Microsoft.Authorization/roleAssignments': ['2022-04-01'],
  'Microsoft.KeyVault/vaults': ['2025-05-01'],
  'Microsoft.KeyVault/vaults/secrets': ['2025-05-01'],
  'Microsoft.Insights/actionGroups': ['2023-01-01'],
  'Microsoft.Insights/scheduledQueryRules': ['2023-12-01'],
};

/** Built-in role definition ids documented in shared/reference/azure-infra.md; no other GUID may appear. */
export const roleDefinitionIds = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb',
  contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  communicationAndEmailServiceOwner: '09976791-48a7-449e-bb21-39d1a415f350',
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6',
} as const;

/** Roles the app cannot work without; the ACS role is one of {@link acsRoleIds}. */
const requiredRoleIds = [
  roleDefinitionIds.storageBlobDataOwner,
  roleDefinitionIds.storageQueueDataContributor,
  roleDefinitionIds.storageTableDataContributor,
  roleDefinitionIds.monitoringMetricsPublisher,
  roleDefinitionIds.keyVaultSecretsUser,
];
const acsRoleIds = [roleDefinitionIds.contributor, roleDefinitionIds.communicationAndEmailServiceOwner];

/** Settings read by the Functions host rather than by the app (so not in the app's schema). */
export const hostSettingNames = [
  ...hostStorageSettingNames,
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
] as const;

/**
 * What the Function App must set to run with its managed identity: the schema's requirements in that mode
 * (ACS_ENDPOINT, both IdentityStorage URIs, issuers, audiences), what selects the user-assigned identity for the
 * SDK clients and the queue trigger, the table/queue names the infra creates (EVENTS_QUEUE_NAME is also resolved
 * by the host as %EVENTS_QUEUE_NAME%), and the host's telemetry settings (its storage settings depend on the cloud:
 * flex-rules.ts, hostStorageProblems). test/infra proves the app-side part against the schema.
 */
export const requiredSettingNames = [
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
  'ACS_ENDPOINT',
  'AZURE_CLIENT_ID',
  'IdentityStorage__tableServiceUri',
  'IdentityStorage__queueServiceUri',
  'IdentityStorage__credential',
  'IdentityStorage__clientId',
  'MAPPING_TABLE_NAME',
  'EVENTS_TABLE_NAME',
  'EVENTS_QUEUE_NAME',
  'JOBS_QUEUE_NAME',
  'AUTH_ISSUERS',
  'AUTH_AUDIENCES',
] as const;

/**
 * Settings this service must never set in Azure, with the reason given in the problem. What Flex Consumption
 * itself refuses is in test/infra/flex-rules.ts.
 */
const forbiddenSettings: Readonly<Record<string, string>> = {
  ACS_CONNECTION_STRING: 'carries an ACS access key; set ACS_ENDPOINT and use the managed identity',
  IdentityStorage: 'is the connection-string form; set IdentityStorage__tableServiceUri/__queueServiceUri',
  AzureWebJobsStorage: 'is the connection-string form; set AzureWebJobsStorage__* with the managed identity',
};

/**
 * The only names allowed to carry a connection string. The Application Insights connection string is an address
 * (instrumentation key + ingestion endpoint), not a credential: the component has DisableLocalAuth, so telemetry
 * must also carry an Entra token. It is recognised by where it comes from, the `properties.ConnectionString` of a
 * symbol declared as `Microsoft.Insights/components`, and by the setting it goes to.
 */
const appInsightsConnectionSettingName = 'APPLICATIONINSIGHTS_CONNECTION_STRING';
const connectionStringName = /connection_?string/i;
const secretInText = /AccountKey=|accesskey=|SharedAccessKey|SharedAccessSignature/i;
const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Parameter and app-setting names that hold a secret (the webhook secrets, Graph's clientState). */
const secretName = /secret|client_?state/i;
/** How an app setting takes its value from Key Vault (resolved by the platform with keyVaultReferenceIdentity). */
const keyVaultReference = /^'@Microsoft\.KeyVault\(SecretUri=/;

/**
 * The OpenTelemetry counters the app emits (customMetrics in Application Insights) that must each have an alert
 * rule: a message that went to the poison queue, and ACS answering 429.
 */
export const alertedMetricNames = ['identity.events.poison', 'identity.acs.throttled'] as const;

interface BicepFile {
  /** Path relative to the infra directory, with forward slashes. */
  name: string;
  fullPath: string;
  root: BicepNode;
}

interface Resource {
  file: BicepFile;
  node: BicepNode;
  symbol: string;
  /** Full type, e.g. Microsoft.Storage/storageAccounts/queueServices/queues. */
  type: string;
  version: string | undefined;
  existing: boolean;
  body: BicepNode | undefined;
}

/**
 * Runs every check over the Bicep files under `infraDir` (and its main.parameters.json).
 * @param infraDir - the infra folder, or a copy of it
 * @returns one line per problem, `file:line: message`; empty when all checks pass
 */
export function checkInfra(infraDir: string): string[] {
  const problems: string[] = [];
  const paths = listBicepFiles(infraDir);
  const roots = parseBicepSources(paths.map((fullPath) => fs.readFileSync(fullPath, 'utf8')));
  const files = paths.map((fullPath, index): BicepFile => ({
    name: path.relative(infraDir, fullPath).split(path.sep).join('/'),
    fullPath,
    root: roots[index],
  }));
  const report = (file: BicepFile, node: BicepNode, message: string) =>
    problems.push(`${file.name}:${node.row + 1}: ${message}`);

  if (!files.some((file) => file.name === 'main.bicep')) problems.push('main.bicep: missing');

  const resources = files.flatMap((file) => collectResources(file, report));
  const roleIdsSeen = new Set<string>();

  for (const file of files) {
    checkSyntax(file, problems);
    checkModules(file, report);
    checkSecretEmission(file, resources, report);
    checkSecureParameters(file, report);
    for (const id of checkGuids(file, report)) roleIdsSeen.add(id);
  }
  checkRoles(resources, roleIdsSeen, report, problems);
  checkStorage(resources, report, problems);
  checkKeyVault(files, resources, report, problems);
  checkAlerts(files, resources, problems);
  const site = checkFunctionApp(resources, report, problems);
  const parameters = flexParameters(files);
  problems.push(...flexParameterProblems(parameters));
  if (site) {
    problems.push(
      ...flexSiteProblems(site),
      ...hostStorageProblems(site),
      ...alwaysReadyProblems(site, parameters, queueTriggeredFunctionNames(functionsDir)),
    );
  }

  const main = files.find((file) => file.name === 'main.bicep');
  if (main) checkMain(main, infraDir, report, problems);
  return problems;
}

function listBicepFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return listBicepFiles(full);
      return entry.name.endsWith('.bicep') ? [full] : [];
    })
    .sort();
}

type Report = (file: BicepFile, node: BicepNode, message: string) => void;

// ---------- Syntax-tree helpers ----------

/** The value of a string literal, or undefined for an interpolated string or a non-string. */
function literalString(node: BicepNode | undefined): string | undefined {
  if (!node || node.type !== 'string') return undefined;
  let value = '';
  for (const part of node.namedChildren) {
    if (part.type === 'interpolation') return undefined;
    if (part.type === 'string_content') value += part.text;
    else if (part.type === 'escape_sequence') value += part.text.slice(1);
  }
  return value;
}

/** The key of an object property: an identifier or a quoted string. */
function propertyKey(property: BicepNode): string | undefined {
  const key = property.namedChildren[0];
  if (!key) return undefined;
  return key.type === 'identifier' ? key.text : literalString(key);
}

/** The value of `key` in an object literal. */
function propertyValue(object: BicepNode | undefined, key: string): BicepNode | undefined {
  if (!object || object.type !== 'object') return undefined;
  for (const property of object.namedChildren) {
    if (property.type === 'object_property' && propertyKey(property) === key) return property.namedChildren[1];
  }
  return undefined;
}

/** Follows a path of keys through nested object literals. */
function valueAt(object: BicepNode | undefined, ...keys: string[]): BicepNode | undefined {
  return keys.reduce<BicepNode | undefined>((node, key) => propertyValue(node, key), object);
}

/** The declared name of a param/var/resource/module/output declaration. */
function declarationName(declaration: BicepNode): string {
  return declaration.namedChildren.find((child) => child.type === 'identifier')?.text ?? '';
}

/** The decorators written right above a declaration. */
function decoratorNames(declaration: BicepNode): string[] {
  const previous = declaration.previousNamedSibling;
  if (!previous || previous.type !== 'decorators') return [];
  return previous.namedChildren.map((decorator) => {
    const call = decorator.namedChildren[0];
    return call?.childForFieldName('function')?.text ?? call?.text ?? '';
  });
}

/** The decorators written right above a declaration, by name, with their arguments. */
function decoratorArguments(declaration: BicepNode): Map<string, BicepNode[]> {
  const previous = declaration.previousNamedSibling;
  const calls = previous?.type === 'decorators' ? previous.namedChildren.flatMap((d) => d.namedChildren) : [];
  return new Map(
    calls
      .filter((call) => call.type === 'call_expression')
      .map((call) => [
        call.childForFieldName('function')?.text ?? '',
        call.childForFieldName('arguments')?.namedChildren.filter((n) => n.type !== 'comment') ?? [],
      ]),
  );
}

/** A number or string literal's value; undefined for anything else. */
function literalValue(node: BicepNode | undefined): number | string | undefined {
  if (node?.type === 'number') return Number(node.text);
  return literalString(node);
}

/** The object literal of a resource/module body, looking through `[for ...]` and `if (...)`. */
function declarationBody(declaration: BicepNode): BicepNode | undefined {
  let node: BicepNode | undefined = declaration.namedChildren[declaration.namedChildren.length - 1];
  while (node && node.type !== 'object') {
    if (node.type === 'for_statement') node = node.childForFieldName('body');
    else if (node.type === 'if_statement') node = node.namedChildren.find((child) => child.type === 'object');
    else return undefined;
  }
  return node;
}

function calledFunctionName(call: BicepNode): string {
  const fn = call.childForFieldName('function');
  if (!fn) return '';
  return fn.type === 'member_expression' ? (fn.childForFieldName('property')?.text ?? '') : fn.text;
}

// ---------- Checks ----------

/**
 * Syntax errors in a parsed file: ERROR nodes (unparseable text) and MISSING nodes (tokens the parser invented).
 * @returns `line: message` for each, empty when the file parses cleanly
 */
export function syntaxProblems(root: BicepNode): string[] {
  const problems: string[] = [];
  if (!root.hasError) return problems;
  for (const node of root.descendants()) {
    const line = node.row + 1;
    if (node.type === 'ERROR')
      problems.push(`${line}: syntax error near '${node.text.slice(0, 40).replace(/\s+/g, ' ')}'`);
    else if (node.isMissing) problems.push(`${line}: syntax error: missing '${node.type}'`);
  }
  return problems;
}

function checkSyntax(file: BicepFile, problems: string[]): void {
  for (const problem of syntaxProblems(file.root)) problems.push(`${file.name}:${problem}`);
}

function collectResources(file: BicepFile, report: Report): Resource[] {
  // Document order puts every parent before its nested (child) resources.
  const byStart = new Map<number, Resource>();
  for (const node of file.root.descendantsOfType('resource_declaration')) {
    let ancestor = node.parent;
    while (ancestor && ancestor.type !== 'resource_declaration') ancestor = ancestor.parent;
    const parent = ancestor ? byStart.get(ancestor.startIndex) : undefined;
    const raw = literalString(node.namedChildren.find((n) => n.type === 'string')) ?? '';
    const [ownType = '', ownVersion] = raw.split('@');
    const resource: Resource = {
      file,
      node,
      symbol: declarationName(node),
      type: parent ? `${parent.type}/${ownType}` : ownType,
      version: ownVersion ?? parent?.version,
      existing: node.children.some((token) => token.type === 'existing'),
      body: declarationBody(node),
    };
    byStart.set(node.startIndex, resource);
    checkApiVersion(resource, report);
  }
  return [...byStart.values()];
}

function checkApiVersion(resource: Resource, report: Report): void {
  const allowed = allowedApiVersions[resource.type];
  if (!allowed) {
    report(resource.file, resource.node, `resource type ${resource.type} is not in the allow-list`);
  } else if (!resource.version || !allowed.includes(resource.version)) {
    report(
      resource.file,
      resource.node,
      `${resource.type}@${resource.version ?? '(none)'}: API version not in the allow-list (${allowed.join(', ')})`,
    );
  }
}

function checkModules(file: BicepFile, report: Report): void {
  for (const module of file.root.descendantsOfType('module_declaration')) {
    const target = literalString(module.namedChildren.find((n) => n.type === 'string'));
    if (target === undefined) {
      report(file, module, 'module path must be a string literal');
    } else if (/^(br|ts)[:/]/.test(target)) {
      report(file, module, `module '${target}' comes from a registry; keep modules local under infra/`);
    } else if (!fs.existsSync(path.resolve(path.dirname(file.fullPath), target))) {
      report(file, module, `module '${target}' does not exist`);
    }
  }
}

function checkSecretEmission(file: BicepFile, resources: Resource[], report: Report): void {
  const insightsSymbols = new Set(
    resources.filter((r) => r.file === file && r.type === 'Microsoft.Insights/components').map((r) => r.symbol),
  );
  for (const node of file.root.descendantsOfType(['call_expression', 'member_expression', 'identifier', 'string'])) {
    if (node.type === 'call_expression') {
      const name = calledFunctionName(node);
      if (/^list/i.test(name)) report(file, node, `${name}() returns keys or secrets; use the managed identity`);
    } else if (node.type === 'member_expression') {
      const property = node.childForFieldName('property');
      if (!property || !connectionStringName.test(property.text)) continue;
      const object = node.childForFieldName('object');
      const owner =
        object?.type === 'member_expression' && object.childForFieldName('property')?.text === 'properties'
          ? object.childForFieldName('object')?.text
          : undefined;
      if (!owner || !insightsSymbols.has(owner)) report(file, node, `'${node.text}' reads a connection string`);
    } else if (node.type === 'identifier' && connectionStringName.test(node.text)) {
      report(
        file,
        node,
        `'${node.text}' names a connection string; only ${appInsightsConnectionSettingName} may carry one`,
      );
    } else if (node.type === 'string') {
      const value = literalString(node);
      if (value === undefined) continue;
      if (connectionStringName.test(value) && value !== appInsightsConnectionSettingName) {
        report(
          file,
          node,
          `'${value}' names a connection string; only ${appInsightsConnectionSettingName} may carry one`,
        );
      }
      if (secretInText.test(value)) report(file, node, 'string literal contains a key or SAS');
    }
  }
}

function secureParameterNames(file: BicepFile): Set<string> {
  return new Set(
    file.root.namedChildren
      .filter((node) => node.type === 'parameter_declaration' && decoratorNames(node).includes('secure'))
      .map(declarationName),
  );
}

/** Secret-named parameters must be @secure() (kept out of deployment history), and never reach an output. */
function checkSecureParameters(file: BicepFile, report: Report): void {
  const secureParams = secureParameterNames(file);
  for (const param of file.root.namedChildren.filter((node) => node.type === 'parameter_declaration')) {
    const name = declarationName(param);
    // Only string parameters hold a secret value (an object of secret *names* does not).
    const isString = param.namedChildren[1]?.text === 'string';
    if (secretName.test(name) && isString && !secureParams.has(name))
      report(file, param, `parameter ${name} holds a secret: mark it @secure()`);
  }
  for (const output of file.root.descendantsOfType('output_declaration')) {
    const value = output.namedChildren[output.namedChildren.length - 1];
    const leaked = value?.descendantsOfType('identifier').find((id) => secureParams.has(id.text));
    if (leaked)
      report(file, output, `output ${declarationName(output)} exposes the @secure() parameter ${leaked.text}`);
  }
}

/** Reports GUID literals that are not documented role ids; returns the documented ones seen. */
function checkGuids(file: BicepFile, report: Report): string[] {
  const documented: string[] = Object.values(roleDefinitionIds);
  const seen: string[] = [];
  for (const node of file.root.descendantsOfType('string')) {
    const value = literalString(node)?.toLowerCase();
    if (value === undefined || !guidPattern.test(value)) continue;
    if (documented.includes(value)) seen.push(value);
    else report(file, node, `role definition id ${value} is not one of the documented built-in roles`);
  }
  return seen;
}

function checkRoles(resources: Resource[], roleIdsSeen: Set<string>, report: Report, problems: string[]): void {
  for (const id of requiredRoleIds) {
    if (!roleIdsSeen.has(id)) {
      const role = Object.entries(roleDefinitionIds).find(([, value]) => value === id)?.[0];
      problems.push(`role ${role} (${id}) is never assigned`);
    }
  }
  if (!acsRoleIds.some((id) => roleIdsSeen.has(id)))
    problems.push('no ACS role (Contributor or Communication and Email Service Owner) is assigned');

  for (const assignment of resources.filter(
    (r) => r.type === 'Microsoft.Authorization/roleAssignments' && !r.existing,
  )) {
    const properties = valueAt(assignment.body, 'properties');
    const roleDefinitionId = propertyValue(properties, 'roleDefinitionId');
    const byBuiltInId =
      roleDefinitionId?.type === 'call_expression' &&
      calledFunctionName(roleDefinitionId) === 'subscriptionResourceId' &&
      literalString(roleDefinitionId.childForFieldName('arguments')?.namedChildren[0]) ===
        'Microsoft.Authorization/roleDefinitions';
    if (!byBuiltInId) {
      report(
        assignment.file,
        assignment.node,
        `${assignment.symbol}: roleDefinitionId must be subscriptionResourceId('Microsoft.Authorization/roleDefinitions', <documented id>)`,
      );
    }
    if (!propertyValue(properties, 'principalType')) {
      report(
        assignment.file,
        assignment.node,
        `${assignment.symbol}: set principalType (a new identity may not have replicated yet)`,
      );
    }
  }
}

function expectLiteral(resource: Resource, report: Report, keys: string[], expected: string): void {
  const node = valueAt(resource.body, ...keys);
  const actual = node?.type === 'string' ? literalString(node) : node?.text;
  if (actual !== expected) {
    report(
      resource.file,
      node ?? resource.node,
      `${resource.symbol}: ${keys.join('.')} must be ${expected} (found ${node ? node.text : 'nothing'})`,
    );
  }
}

function checkStorage(resources: Resource[], report: Report, problems: string[]): void {
  const accounts = resources.filter((r) => r.type === 'Microsoft.Storage/storageAccounts' && !r.existing);
  if (accounts.length === 0) problems.push('no storage account is declared');
  for (const account of accounts) {
    expectLiteral(account, report, ['properties', 'allowSharedKeyAccess'], 'false');
    expectLiteral(account, report, ['properties', 'allowBlobPublicAccess'], 'false');
    expectLiteral(account, report, ['properties', 'minimumTlsVersion'], 'TLS1_2');
  }
}

/**
 * The project's own rules for the site; returns the site as {@link FlexSite} for the platform rules, or undefined
 * when there is no single site or its app settings cannot be read.
 */
function checkFunctionApp(resources: Resource[], report: Report, problems: string[]): FlexSite | undefined {
  for (const config of resources.filter((r) => r.type.startsWith('Microsoft.Web/sites/config'))) {
    report(
      config.file,
      config.node,
      "set app settings in the site's siteConfig.appSettings, where the checks read them",
    );
  }
  for (const plan of resources.filter((r) => r.type === 'Microsoft.Web/serverfarms' && !r.existing)) {
    expectLiteral(plan, report, ['sku', 'name'], 'FC1');
  }
  const sites = resources.filter((r) => r.type === 'Microsoft.Web/sites' && !r.existing);
  if (sites.length !== 1) {
    problems.push(`expected exactly one Function App (Microsoft.Web/sites), found ${sites.length}`);
    return;
  }
  const site = sites[0];
  expectLiteral(site, report, ['properties', 'httpsOnly'], 'true');
  expectLiteral(site, report, ['properties', 'siteConfig', 'minTlsVersion'], '1.2');
  expectLiteral(site, report, ['properties', 'siteConfig', 'cors', 'supportCredentials'], 'false');
  expectLiteral(site, report, ['properties', 'functionAppConfig', 'runtime', 'name'], 'node');
  expectLiteral(site, report, ['properties', 'functionAppConfig', 'runtime', 'version'], '22');

  const appSettings = valueAt(site.body, 'properties', 'siteConfig', 'appSettings');
  const entries = appSettings ? settingEntries(site.file, appSettings) : undefined;
  if (!appSettings || !entries) {
    report(
      site.file,
      appSettings ?? site.node,
      'properties.siteConfig.appSettings must be an array literal of { name, value }, or concat()/filter()/?: of such arrays and variables',
    );
    return;
  }
  const known = new Set<string>([...settingNames, ...hostSettingNames]);
  const secureParams = secureParameterNames(site.file);
  const names = new Set<string>();
  const flexSettings: FlexSite['settings'] = [];
  let referencesKeyVault = false;
  for (const { node: entry, cloud } of entries) {
    const name = literalString(propertyValue(entry, 'name'));
    if (name === undefined) {
      report(site.file, entry, 'app setting without a literal name');
      continue;
    }
    if (names.has(name)) report(site.file, entry, `app setting ${name} is set twice`);
    names.add(name);
    flexSettings.push({ name, where: `${site.file.name}:${entry.row + 1}`, cloud });
    const forbidden = forbiddenSettings[name];
    if (forbidden) report(site.file, entry, `app setting ${name} ${forbidden}`);
    else if (!known.has(name) && !(name in flexForbiddenSettings))
      report(
        site.file,
        entry,
        `app setting ${name} is read neither by the app (src/config/settings.ts) nor by the host`,
      );
    const value = propertyValue(entry, 'value');
    const isReference = value?.type === 'string' && keyVaultReference.test(value.text);
    referencesKeyVault ||= isReference;
    if (secretName.test(name) && !isReference) {
      report(
        site.file,
        entry,
        `app setting ${name} holds a secret: make it a Key Vault reference (@Microsoft.KeyVault(SecretUri=...)), not a value`,
      );
    }
  }
  // A secret value anywhere in the site's definition (app settings, connection strings, ...) is readable by anyone
  // who can read the site's configuration: secrets go to Key Vault and the site only references them.
  const siteTexts = [site.body, ...entries.map((entry) => entry.node)].filter(
    (node): node is BicepNode => node !== undefined,
  );
  for (const leaked of new Set(
    siteTexts
      .flatMap((node) => node.descendantsOfType('identifier'))
      .filter((id) => secureParams.has(id.text))
      .map((id) => id.text),
  )) {
    report(
      site.file,
      site.node,
      `${site.symbol} uses the @secure() parameter ${leaked}: store it in Key Vault and reference it`,
    );
  }
  if (referencesKeyVault && !valueAt(site.body, 'properties', 'keyVaultReferenceIdentity')) {
    report(
      site.file,
      site.node,
      `${site.symbol}: Key Vault references need properties.keyVaultReferenceIdentity (the user-assigned identity's resource id)`,
    );
  }
  for (const name of requiredSettingNames) {
    if (!names.has(name)) report(site.file, appSettings, `required app setting ${name} is not set`);
  }
  return { where: `${site.file.name}:${site.node.row + 1}`, keys: flexSiteKeys(site, report), settings: flexSettings };
}

/** The keys written under the site's {@link sitePaths}, which must be object literals. */
function flexSiteKeys(site: Resource, report: Report): FlexSite['keys'] {
  const keys: FlexSite['keys'] = [];
  for (const path of sitePaths) {
    const object = valueAt(site.body, ...path.split('.'));
    if (object?.type !== 'object') {
      report(
        site.file,
        object ?? site.node,
        `${site.symbol}: ${path} must be an object literal, which the checks read`,
      );
      continue;
    }
    for (const property of object.namedChildren.filter((node) => node.type === 'object_property')) {
      keys.push({ path, key: propertyKey(property) ?? '', where: `${site.file.name}:${property.row + 1}` });
    }
  }
  return keys;
}

interface SettingEntry {
  /** The `{ name, value }` object. */
  node: BicepNode;
  /** Set when the entry sits in a branch of `environment().name == 'AzureCloud' ? ... : ...`. */
  cloud?: Cloud;
}

/**
 * The `{ name, value }` objects of an appSettings expression: an array literal, `concat(...)` of such
 * expressions, `filter(<expression>, ...)` (conditional settings), `<condition> ? <expression> : <expression>`
 * (both branches), or a variable of the same file holding one.
 * @returns undefined when the expression has another shape, which the checks cannot read
 */
function settingEntries(
  file: BicepFile,
  node: BicepNode,
  cloud?: Cloud,
  seen = new Set<string>(),
): SettingEntry[] | undefined {
  const all = (parts: [BicepNode | undefined, Cloud | undefined][]) => {
    const entries = parts.map(([part, partCloud]) => (part ? settingEntries(file, part, partCloud, seen) : undefined));
    return entries.every((e) => e !== undefined) ? entries.flat() : undefined;
  };
  if (node.type === 'array')
    return node.namedChildren.filter((n) => n.type !== 'comment').map((n) => ({ node: n, cloud }));
  if (node.type === 'call_expression') {
    const args = node.childForFieldName('arguments')?.namedChildren.filter((n) => n.type !== 'comment') ?? [];
    const name = calledFunctionName(node);
    const parts = name === 'concat' ? args : name === 'filter' ? args.slice(0, 1) : undefined;
    return parts ? all(parts.map((part) => [part, cloud])) : undefined;
  }
  if (node.type === 'ternary_expression') {
    const byCloud = isPublicCloudTest(node.childForFieldName('condition'));
    return all([
      [node.childForFieldName('consequence'), byCloud ? 'public' : cloud],
      [node.childForFieldName('alternative'), byCloud ? 'sovereign' : cloud],
    ]);
  }
  if (node.type === 'identifier' && !seen.has(node.text)) {
    seen.add(node.text);
    const variable = file.root.namedChildren.find(
      (n) => n.type === 'variable_declaration' && declarationName(n) === node.text,
    );
    return all([[variable?.namedChildren[variable.namedChildren.length - 1], cloud]]);
  }
  return undefined;
}

/** `environment().name == 'AzureCloud'`, either way round: true in Azure's public cloud only. */
function isPublicCloudTest(condition: BicepNode | undefined): boolean {
  const text = condition?.text.replace(/\s+/g, '');
  return text === "environment().name=='AzureCloud'" || text === "'AzureCloud'==environment().name";
}

/**
 * The webhook secrets' vault: RBAC authorization (no access policies), soft delete and purge protection; each
 * secret's value comes from a @secure() parameter and the secret exists only when that parameter is non-empty.
 */
function checkKeyVault(files: BicepFile[], resources: Resource[], report: Report, problems: string[]): void {
  const vaults = resources.filter((r) => r.type === 'Microsoft.KeyVault/vaults' && !r.existing);
  if (vaults.length === 0) problems.push('no Key Vault is declared (the webhook secrets belong in one)');
  for (const vault of vaults) {
    expectLiteral(vault, report, ['properties', 'enableRbacAuthorization'], 'true');
    expectLiteral(vault, report, ['properties', 'enableSoftDelete'], 'true');
    expectLiteral(vault, report, ['properties', 'enablePurgeProtection'], 'true');
    const policies = valueAt(vault.body, 'properties', 'accessPolicies');
    if (policies && !(policies.type === 'array' && policies.namedChildren.every((n) => n.type === 'comment'))) {
      report(
        vault.file,
        policies,
        `${vault.symbol}: properties.accessPolicies must be empty (RBAC authorization decides who reads secrets)`,
      );
    }
  }
  for (const secret of resources.filter((r) => r.type === 'Microsoft.KeyVault/vaults/secrets' && !r.existing)) {
    const secureParams = secureParameterNames(files.find((file) => file === secret.file)!);
    const value = valueAt(secret.body, 'properties', 'value');
    if (value?.type !== 'identifier' || !secureParams.has(value.text)) {
      report(secret.file, value ?? secret.node, `${secret.symbol}: properties.value must be a @secure() parameter`);
      continue;
    }
    const condition = secret.node.namedChildren.find((n) => n.type === 'if_statement')?.namedChildren[0];
    const guarded = condition
      ?.descendantsOfType('call_expression')
      .some(
        (call) =>
          calledFunctionName(call) === 'empty' &&
          call.childForFieldName('arguments')?.namedChildren[0]?.text === value.text,
      );
    if (!guarded)
      report(
        secret.file,
        secret.node,
        `${secret.symbol}: create the secret only when ${value.text} is set: if (!empty(${value.text}))`,
      );
  }
}

/** Each counter in {@link alertedMetricNames} is queried by a scheduled query rule. */
function checkAlerts(files: BicepFile[], resources: Resource[], problems: string[]): void {
  const ruleFiles = new Set(
    resources.filter((r) => r.type === 'Microsoft.Insights/scheduledQueryRules' && !r.existing).map((r) => r.file),
  );
  const texts = files
    .filter((file) => ruleFiles.has(file))
    .flatMap((file) => file.root.descendantsOfType('string').map((node) => literalString(node)));
  for (const metric of alertedMetricNames) {
    if (!texts.includes(metric))
      problems.push(`no alert rule (Microsoft.Insights/scheduledQueryRules) queries the metric ${metric}`);
  }
}

/** Every file's parameters, with the constraints their @minValue, @maxValue and @allowed decorators set. */
function flexParameters(files: BicepFile[]): FlexParameter[] {
  return files.flatMap((file) =>
    file.root.namedChildren
      .filter((node) => node.type === 'parameter_declaration')
      .map((param): FlexParameter => {
        const decorators = decoratorArguments(param);
        const number = (name: string) => {
          const value = literalValue(decorators.get(name)?.[0]);
          return typeof value === 'number' ? value : undefined;
        };
        const allowed = decorators.get('allowed')?.[0];
        const defaultValue = param.namedChildren[2];
        return {
          name: declarationName(param),
          where: `${file.name}:${param.row + 1}`,
          entry: file.name === 'main.bicep',
          minValue: number('minValue'),
          maxValue: number('maxValue'),
          allowedValues:
            allowed?.type === 'array'
              ? allowed.namedChildren.filter((n) => n.type !== 'comment').map(literalValue)
              : undefined,
          itemNames: itemNameValues(file, files, param),
          defaultValue:
            defaultValue?.type === 'array' && defaultValue.namedChildren.every((n) => n.type === 'comment')
              ? []
              : defaultValue?.text,
        };
      }),
  );
}

/**
 * For a parameter typed `T[]`, where T is a type declared in the file or imported from another one
 * (`import { T } from './x.bicep'`) as an object whose `name` is a union of strings: those strings.
 */
function itemNameValues(file: BicepFile, files: BicepFile[], param: BicepNode): string[] | undefined {
  const itemType = param.namedChildren[1]?.descendantsOfType('array_type')[0]?.namedChildren[0]?.text;
  if (!itemType) return undefined;
  const imported = file.root
    .descendantsOfType('import_functionality')
    .find((node) => node.namedChildren.some((child) => child.type === 'identifier' && child.text === itemType));
  const importPath = literalString(imported?.namedChildren.find((child) => child.type === 'string'));
  const source = importPath
    ? files.find((other) => path.resolve(other.fullPath) === path.resolve(path.dirname(file.fullPath), importPath))
    : file;
  const declaration = source?.root
    .descendantsOfType('type_declaration')
    .find((node) => declarationName(node) === itemType);
  const names = propertyValue(
    declaration?.namedChildren.find((child) => child.type === 'object'),
    'name',
  );
  return names?.type === 'union_type' ? names.namedChildren.map((n) => literalString(n) ?? n.text) : undefined;
}

function checkMain(main: BicepFile, infraDir: string, report: Report, problems: string[]): void {
  const scope = main.root.namedChildren.find((node) => node.type === 'target_scope_assignment');
  if (literalString(scope?.namedChildren[0]) !== 'subscription')
    report(main, scope ?? main.root, "targetScope must be 'subscription'");

  const params = main.root.namedChildren.filter((node) => node.type === 'parameter_declaration');
  const declared = new Set(params.map(declarationName));
  const parametersPath = path.join(infraDir, 'main.parameters.json');
  if (!fs.existsSync(parametersPath)) {
    problems.push('main.parameters.json: missing');
    return;
  }
  let supplied: string[];
  try {
    supplied = Object.keys(
      (JSON.parse(fs.readFileSync(parametersPath, 'utf8')) as { parameters?: object }).parameters ?? {},
    );
  } catch (error) {
    problems.push(`main.parameters.json: not valid JSON (${(error as Error).message})`);
    return;
  }
  for (const name of supplied) {
    if (!declared.has(name)) problems.push(`main.parameters.json: parameter ${name} is not declared in main.bicep`);
  }
  for (const param of params) {
    const hasDefault = param.namedChildren.length > 2; // identifier, type, default value
    const name = declarationName(param);
    if (!hasDefault && !supplied.includes(name))
      report(main, param, `parameter ${name} has no default and is not in main.parameters.json`);
  }
}
