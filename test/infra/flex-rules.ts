import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * What the Flex Consumption plan accepts, as data with the source of each rule, and the checks that hold a function
 * app to it. The checks read a neutral description of the site ({@link FlexSite}), so that the same rules run on the
 * Bicep source (test/infra/bicep-checks.ts) and on the ARM JSON `bicep build` compiles (test/infra/arm-checks.ts).
 */

/** A platform rule: why Flex refuses or ignores the thing, and where that is written down. */
export interface FlexRule {
  reason: string;
  source: string;
}

/**
 * Microsoft's table of site properties and app settings that are "deprecated and shouldn't be used when creating
 * function app resources" on Flex Consumption (the page as of its 2025-12-22 revision).
 */
const deprecations =
  'learn.microsoft.com/azure/azure-functions/functions-app-settings#flex-consumption-plan-deprecations';
/** The Considerations list of the Flex Consumption plan page. */
const considerations = 'learn.microsoft.com/azure/azure-functions/flex-consumption-plan#considerations';
/**
 * ARM's own answer to a site that sets them, error 51021 "The following list of ... site configuration properties
 * (Site.SiteConfig.FtpsState, Site.SiteConfig.Use32BitWorkerProcess, ...) for Flex Consumption sites is invalid".
 */
const error51021 = 'ARM error 51021 (microsoft/azure-pipelines-tasks#21032, Azure/azure-cli#31414)';

/**
 * Site properties Flex Consumption rejects, by name. The deprecations table writes most of them as
 * `properties.<name>` without saying whether they sit on the site or in its siteConfig, so the checks refuse each
 * name in both places, compared without case (ARM property names are case-insensitive, and the table writes
 * `LinuxFxVersion`, `IsXenon`).
 */
export const rejectedSiteProperties: Readonly<Record<string, FlexRule>> = {
  alwaysOn: { reason: 'is not valid on Flex Consumption', source: deprecations },
  containerSize: {
    reason: 'is replaced by functionAppConfig.scaleAndConcurrency.instanceMemoryMB',
    source: deprecations,
  },
  dnsConfiguration: { reason: 'is not used: DNS comes from the integrated virtual network', source: deprecations },
  ftpsState: { reason: 'is rejected: Flex Consumption has no FTP or FTPS', source: `${deprecations}; ${error51021}` },
  functionAppScaleLimit: {
    reason: 'is replaced by functionAppConfig.scaleAndConcurrency.maximumInstanceCount',
    source: deprecations,
  },
  // Not in the deprecations table, but named in both verbatim 51021 rejections; Azure/terraform-azurerm-avm-res-web-site#360
  // records that the evidence is mixed. Flex scales per function without it, so nothing is lost by refusing it.
  functionsRuntimeScaleMonitoringEnabled: { reason: 'is rejected on Flex Consumption', source: error51021 },
  isReserved: {
    reason: 'is not valid on a Flex Consumption site (the plan carries reserved: true)',
    source: deprecations,
  },
  isXenon: { reason: 'is not valid on Flex Consumption', source: deprecations },
  javaVersion: { reason: 'is replaced by functionAppConfig.runtime.version', source: deprecations },
  linuxFxVersion: {
    reason: 'is replaced by functionAppConfig.runtime',
    source: `${deprecations}; ARM error 51021 (Azure/terraform-azurerm-avm-res-web-site#283)`,
  },
  netFrameworkVersion: {
    reason: 'is replaced by functionAppConfig.runtime.version',
    source: `${deprecations}; ${error51021}`,
  },
  powerShellVersion: { reason: 'is replaced by functionAppConfig.runtime.version', source: deprecations },
  preWarmedInstanceCount: {
    reason: 'is replaced by functionAppConfig.scaleAndConcurrency.alwaysReady',
    source: `${deprecations}; ARM error 51021 (Azure/azure-cli#31414)`,
  },
  // The site's own `reserved` is what the table calls isReserved; the plan's (Microsoft.Web/serverfarms) is required.
  reserved: {
    reason: 'is not valid on a Flex Consumption site (the plan carries reserved: true)',
    source: deprecations,
  },
  use32BitWorkerProcess: { reason: 'is rejected: 32-bit is not supported', source: `${deprecations}; ${error51021}` },
  vnetBackupRestoreEnabled: { reason: 'is not used for networking in Flex Consumption', source: deprecations },
  vnetContentShareEnabled: { reason: 'is not used for networking in Flex Consumption', source: deprecations },
  vnetImagePullEnabled: { reason: 'is not used for networking in Flex Consumption', source: deprecations },
  vnetRouteAllEnabled: { reason: 'is not used for networking in Flex Consumption', source: deprecations },
  windowsFxVersion: { reason: 'is not valid on Flex Consumption (Linux only)', source: deprecations },
};

/** App settings Flex Consumption deprecates, ignores or does not support. */
export const flexForbiddenSettings: Readonly<Record<string, FlexRule>> = {
  ENABLE_ORYX_BUILD: { reason: 'is replaced by the remoteBuild deployment parameter', source: deprecations },
  FUNCTIONS_EXTENSION_VERSION: { reason: 'is set by the platform', source: deprecations },
  FUNCTIONS_MAX_HTTP_CONCURRENCY: {
    reason: "is replaced by scaleAndConcurrency's trigger settings",
    source: deprecations,
  },
  FUNCTIONS_WORKER_DYNAMIC_CONCURRENCY_ENABLED: { reason: 'is not valid on Flex Consumption', source: deprecations },
  FUNCTIONS_WORKER_PROCESS_COUNT: { reason: 'is not valid on Flex Consumption', source: deprecations },
  FUNCTIONS_WORKER_RUNTIME: { reason: 'is replaced by functionAppConfig.runtime.name', source: deprecations },
  FUNCTIONS_WORKER_RUNTIME_VERSION: {
    reason: 'is replaced by functionAppConfig.runtime.version',
    source: deprecations,
  },
  SCM_DO_BUILD_DURING_DEPLOYMENT: {
    reason: 'is replaced by the remoteBuild deployment parameter',
    source: deprecations,
  },
  WEBSITE_CONTENTAZUREFILECONNECTIONSTRING: {
    reason: 'is replaced by functionAppConfig.deployment',
    source: deprecations,
  },
  WEBSITE_CONTENTOVERVNET: { reason: 'is not used for networking in Flex Consumption', source: deprecations },
  WEBSITE_CONTENTSHARE: { reason: 'is replaced by functionAppConfig.deployment', source: deprecations },
  WEBSITE_DNS_SERVER: { reason: 'is not used: DNS comes from the integrated virtual network', source: deprecations },
  WEBSITE_LOAD_CERTIFICATES: { reason: 'is not supported on Flex Consumption', source: considerations },
  WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT: {
    reason: 'is replaced by functionAppConfig.scaleAndConcurrency.maximumInstanceCount',
    source: deprecations,
  },
  WEBSITE_NODE_DEFAULT_VERSION: { reason: 'is replaced by functionAppConfig.runtime.version', source: deprecations },
  WEBSITE_RUN_FROM_PACKAGE: { reason: 'is not used: functionAppConfig.deployment is', source: deprecations },
  WEBSITE_SKIP_CONTENTSHARE_VALIDATION: { reason: 'is not used: there is no content share', source: deprecations },
  WEBSITE_TIME_ZONE: { reason: 'is not supported on Flex Consumption', source: considerations },
  WEBSITE_VNET_ROUTE_ALL: { reason: 'is not used for networking in Flex Consumption', source: deprecations },
  TZ: { reason: 'is not supported on Flex Consumption', source: considerations },
};

/** Which cloud an app setting applies in: under `environment().name == 'AzureCloud'` or its negation, or both. */
export type Cloud = 'public' | 'sovereign';

export const sitePaths = [
  'properties',
  'properties.siteConfig',
  'properties.functionAppConfig.scaleAndConcurrency',
] as const;
export type SitePath = (typeof sitePaths)[number];

/** A function app as the checks see it, whichever form (Bicep source or ARM JSON) it was read from. */
export interface FlexSite {
  /** Where the site is declared, e.g. `app/api.bicep:150` or `main.json > module api > Microsoft.Web/sites ...`. */
  where: string;
  /** Every key written directly under `properties`, `properties.siteConfig` and the scale settings. */
  keys: { path: SitePath; key: string; where: string }[];
  /** The app settings, each with the cloud it is limited to, if any. */
  settings: { name: string; where: string; cloud?: Cloud }[];
}

/**
 * Property keys and app settings of a site that Flex Consumption rejects or ignores.
 * @returns one `where: message` line per problem
 */
export function flexSiteProblems(site: FlexSite): string[] {
  const rejected = new Map(Object.entries(rejectedSiteProperties).map(([name, rule]) => [name.toLowerCase(), rule]));
  const problems: string[] = [];
  for (const { path, key, where } of site.keys) {
    const rule =
      path === 'properties' || path === 'properties.siteConfig' ? rejected.get(key.toLowerCase()) : undefined;
    if (rule) problems.push(`${where}: ${path}.${key} ${rule.reason} [${rule.source}]`);
  }
  for (const { name, where } of site.settings) {
    const rule = flexForbiddenSettings[name];
    if (rule) problems.push(`${where}: app setting ${name} ${rule.reason} [${rule.source}]`);
  }
  return problems;
}

/**
 * Host storage through the managed identity. In Azure's public cloud by account name: Microsoft's form there
 * (functions-app-settings#azurewebjobsstorage__accountname), and the one that avoids the host's intermittent failure
 * to build its BlobServiceClient from `__blobServiceUri` at start-up on Flex (Azure/azure-functions-host#11787,
 * #11782). In other clouds by service URI: "For sovereign clouds or when using a custom DNS, you must instead use the
 * service-specific AzureWebJobsStorage__*ServiceUri settings" (same page). `__credential` and `__clientId` select
 * the user-assigned identity in both.
 */
const hostStorage: Readonly<Record<'public' | 'sovereign' | 'every', readonly string[]>> = {
  public: ['AzureWebJobsStorage__accountName'],
  sovereign: [
    'AzureWebJobsStorage__blobServiceUri',
    'AzureWebJobsStorage__queueServiceUri',
    'AzureWebJobsStorage__tableServiceUri',
  ],
  every: ['AzureWebJobsStorage__credential', 'AzureWebJobsStorage__clientId'],
};
export const hostStorageSettingNames = Object.values(hostStorage).flat();

const publicCloudTest = "environment().name == 'AzureCloud'";
const cloudNeeded: Readonly<Record<keyof typeof hostStorage, string>> = {
  public: `only in Azure's public cloud (where ${publicCloudTest})`,
  sovereign: `only outside Azure's public cloud (where not ${publicCloudTest})`,
  every: 'in every cloud, unconditionally',
};

/**
 * Each host storage setting present, and limited to the clouds it belongs to.
 * @returns one `where: message` line per problem
 */
export function hostStorageProblems(site: FlexSite): string[] {
  const problems: string[] = [];
  for (const [group, names] of Object.entries(hostStorage) as [keyof typeof hostStorage, string[]][]) {
    const expected = group === 'every' ? undefined : group;
    for (const name of names) {
      const found = site.settings.filter((setting) => setting.name === name);
      if (found.length === 0) problems.push(`${site.where}: host storage setting ${name} is not set`);
      for (const setting of found.filter((setting) => setting.cloud !== expected)) {
        problems.push(
          `${setting.where}: host storage setting ${name} belongs ${cloudNeeded[group]} [functions-app-settings#azurewebjobsstorage__accountname; Azure/azure-functions-host#11787]`,
        );
      }
    }
  }
  return problems;
}

/**
 * functionAppConfig.scaleAndConcurrency.maximumInstanceCount. flex-consumption-plan#considerations: "Scale: The lowest
 * maximum scale is currently 1. The highest currently supported value is 1000." (During the preview the floor was
 * 40, which Azure-Samples/azure-functions-flex-consumption-samples still declares.)
 */
export const maximumInstanceCountRange = { min: 1, max: 1000 } as const;

/** functionAppConfig.scaleAndConcurrency.instanceMemoryMB: flex-consumption-plan#instance-sizes, 512, 2048 or 4096. */
export const instanceMemorySizesInMB: readonly number[] = [512, 2048, 4096];

/**
 * The regions that offer Flex Consumption: `az functionapp list-flexconsumption-locations`, as Microsoft's Flex
 * templates allow them in `param location` (Azure-Samples/functions-quickstart-typescript-azd and
 * functions-quickstart-dotnet-azd infra/main.bicep, both at their 2026-02-24 commits; the list dates from
 * 2025-05-06). The CLI could not be run here (no network): compare with its output before adding a region.
 */
export const flexRegions: readonly string[] = [
  'australiaeast',
  'australiasoutheast',
  'brazilsouth',
  'canadacentral',
  'centralindia',
  'centralus',
  'eastasia',
  'eastus',
  'eastus2',
  'eastus2euap',
  'francecentral',
  'germanywestcentral',
  'italynorth',
  'japaneast',
  'koreacentral',
  'northcentralus',
  'northeurope',
  'norwayeast',
  'southafricanorth',
  'southcentralus',
  'southeastasia',
  'southindia',
  'spaincentral',
  'swedencentral',
  'uaenorth',
  'uksouth',
  'ukwest',
  'westcentralus',
  'westeurope',
  'westus',
  'westus2',
  'westus3',
];

/** A template parameter as the checks see it, with the constraints its decorators (or ARM keywords) set. */
export interface FlexParameter {
  name: string;
  where: string;
  /** Declared by the template a deployment starts from (main.bicep), not by a module. */
  entry: boolean;
  minValue?: number;
  maxValue?: number;
  allowedValues?: readonly unknown[];
  /** For an array of objects: the values the items' `name` may take. */
  itemNames?: readonly unknown[];
  /** The default value; `[]` for an empty array literal, the source text for other Bicep expressions. */
  defaultValue?: unknown;
}

const sameSet = (actual: readonly unknown[] | undefined, expected: readonly unknown[]) =>
  actual !== undefined && actual.length === expected.length && expected.every((value) => actual.includes(value));

/**
 * The scale and region parameters constrained to what Flex Consumption accepts, so that a deployment with another
 * value fails at validation, before anything is created.
 * @returns one `where: message` line per problem
 */
export function flexParameterProblems(parameters: readonly FlexParameter[]): string[] {
  const problems: string[] = [];
  const { min, max } = maximumInstanceCountRange;
  const rules: { name: string; entryOnly?: boolean; holds: (p: FlexParameter) => boolean; expected: string }[] = [
    {
      name: 'maximumInstanceCount',
      holds: (p) => p.minValue === min && p.maxValue === max,
      expected: `@minValue(${min}) and @maxValue(${max}), the documented Flex range [flex-consumption-plan#considerations]`,
    },
    {
      name: 'instanceMemoryMB',
      holds: (p) => sameSet(p.allowedValues, instanceMemorySizesInMB),
      expected: `@allowed([${instanceMemorySizesInMB.join(', ')}]), the Flex instance sizes [flex-consumption-plan#instance-sizes]`,
    },
    {
      name: 'location',
      entryOnly: true,
      holds: (p) => sameSet(p.allowedValues, flexRegions),
      expected: `@allowed() with exactly the ${flexRegions.length} Flex Consumption regions of test/infra/flex-rules.ts [az functionapp list-flexconsumption-locations]`,
    },
  ];
  for (const rule of rules) {
    const declared = parameters.filter((p) => p.name === rule.name && (p.entry || !rule.entryOnly));
    if (!declared.some((p) => p.entry)) problems.push(`main template: parameter ${rule.name} is not declared`);
    for (const parameter of declared.filter((p) => !rule.holds(p))) {
      problems.push(`${parameter.where}: parameter ${rule.name} must carry ${rule.expected}`);
    }
  }
  return problems;
}

/**
 * The app's queue-triggered functions, as src/functions registers them (`app.storageQueue('<name>', ...)`): the
 * functions an always-ready instance is worth keeping for, each scaled in instances of its own.
 */
export function queueTriggeredFunctionNames(functionsDir: string): string[] {
  return fs
    .readdirSync(functionsDir)
    .filter((file) => file.endsWith('.ts'))
    .flatMap((file) => [
      ...fs.readFileSync(path.join(functionsDir, file), 'utf8').matchAll(/app\.storageQueue\(\s*'([^']+)'/g),
    ])
    .map((match) => match[1] ?? '')
    .sort();
}

/**
 * The alwaysReady parameter: it reaches functionAppConfig.scaleAndConcurrency.alwaysReady, it may name exactly the
 * queue-triggered functions, as `function:<name>` (flex-consumption-plan#per-function-scaling: functions outside
 * the http, blob and durable groups "are scaled individually ... referenced using the convention
 * function:<NAMED_FUNCTION>"), and it defaults to none, because always-ready instances are billed for their memory
 * around the clock, executing or not (flex-consumption-plan#billing: the always ready "baseline").
 * @returns one `where: message` line per problem
 */
export function alwaysReadyProblems(
  site: FlexSite,
  parameters: readonly FlexParameter[],
  queueFunctions: readonly string[],
): string[] {
  const problems: string[] = [];
  const scale = 'properties.functionAppConfig.scaleAndConcurrency';
  if (!site.keys.some((key) => key.path === scale && key.key === 'alwaysReady'))
    problems.push(`${site.where}: ${scale}.alwaysReady is not set from the alwaysReady parameter`);
  const declared = parameters.filter((p) => p.name === 'alwaysReady');
  if (!declared.some((p) => p.entry)) problems.push('main template: parameter alwaysReady is not declared');
  const expected = queueFunctions.map((name) => `function:${name}`);
  for (const parameter of declared) {
    if (!sameSet(parameter.itemNames, expected))
      problems.push(
        `${parameter.where}: parameter alwaysReady must allow exactly the names ${expected.join(', ')}, the queue-triggered functions of src/functions (found ${parameter.itemNames?.join(', ') ?? 'no name constraint'})`,
      );
    if (!(Array.isArray(parameter.defaultValue) && parameter.defaultValue.length === 0))
      problems.push(
        `${parameter.where}: parameter alwaysReady must default to [] (always-ready instances are billed around the clock)`,
      );
  }
  return problems;
}
