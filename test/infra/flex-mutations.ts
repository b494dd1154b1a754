import { flexForbiddenSettings, flexRegions, rejectedSiteProperties } from './flex-rules';

/**
 * Broken copies of infra/ for the platform rules of test/infra/flex-rules.ts, shared by the two paths that apply
 * them: bicep-checks.test.ts (the Bicep source) and arm-checks.test.ts (the compiled ARM JSON). Each must compile,
 * so that the ARM path sees it too.
 */
export interface FlexMutation {
  /** What the broken copy gets wrong. */
  name: string;
  /** File under infra/ to edit. */
  file: string;
  /** Text that must be in the file, and what replaces it (the first occurrence). */
  from: string;
  to: string;
  /** The problem both checks must report, without its location. */
  reported: RegExp;
  /** The Bicep file the source checks report it in, when not {@link file}. */
  reportedIn?: string;
}

const siteConfigLine = "      minTlsVersion: '1.2'\n";
const siteSetting = "        { name: 'ACS_ENDPOINT', value: acsEndpoint }\n";
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Every entry of both platform lists once: the property in siteConfig, the setting in the app settings. Each inserts
 * text right after its `from`, so that several can share one copy (arm-checks.test.ts does, to compile fewer).
 */
export const entryMutations: FlexMutation[] = [
  ...Object.entries(rejectedSiteProperties).map(([key, rule]) => ({
    name: `siteConfig.${key}, which Flex Consumption rejects`,
    file: 'app/api.bicep',
    from: siteConfigLine,
    to: `${siteConfigLine}      ${key}: false\n`,
    reported: new RegExp(`properties\\.siteConfig\\.${key} ${escapeRegExp(rule.reason)}`),
  })),
  ...Object.entries(flexForbiddenSettings).map(([name, rule]) => ({
    name: `the app setting ${name}, which Flex Consumption deprecates or ignores`,
    file: 'app/api.bicep',
    from: siteSetting,
    to: `${siteSetting}        { name: '${name}', value: '1' }\n`,
    reported: new RegExp(`app setting ${name} ${escapeRegExp(rule.reason)}`),
  })),
];

/** The other broken copies, one rule each. */
export const ruleMutations: FlexMutation[] = [
  {
    name: "ftpsState put back as it was (ARM error 51021: 'Site.SiteConfig.FtpsState ... is invalid')",
    file: 'app/api.bicep',
    from: siteConfigLine,
    to: `${siteConfigLine}      ftpsState: 'Disabled'\n`,
    reported: /properties\.siteConfig\.ftpsState is rejected: Flex Consumption has no FTP.*51021/,
  },
  {
    name: 'a rejected property on the site itself, in another case (LinuxFxVersion)',
    file: 'app/api.bicep',
    from: '    httpsOnly: true\n',
    to: "    httpsOnly: true\n    LinuxFxVersion: 'NODE|22'\n",
    reported: /properties\.LinuxFxVersion is replaced by functionAppConfig\.runtime/,
  },
  {
    name: 'a forbidden setting reaching the site through a variable (the public-cloud host storage)',
    file: 'app/api.bicep',
    from: "  { name: 'AzureWebJobsStorage__accountName', value: storageAccountName }\n",
    to: "  { name: 'AzureWebJobsStorage__accountName', value: storageAccountName }\n  { name: 'WEBSITE_CONTENTSHARE', value: 'app' }\n",
    reported: /app setting WEBSITE_CONTENTSHARE is replaced by functionAppConfig\.deployment/,
  },
  {
    name: 'host storage by service URI in the public cloud and by account name elsewhere (branches swapped)',
    file: 'app/api.bicep',
    from: "== 'AzureCloud' ? hostStorageByAccountName : hostStorageByServiceUris",
    to: "== 'AzureCloud' ? hostStorageByServiceUris : hostStorageByAccountName",
    reported: /host storage setting AzureWebJobsStorage__blobServiceUri belongs only outside Azure's public cloud/,
  },
  {
    name: 'host storage by service URI in every cloud (the start-up race of Azure/azure-functions-host#11787)',
    file: 'app/api.bicep',
    from: 'appSettings: concat(hostStorageSettings, [',
    to: 'appSettings: concat(hostStorageByServiceUris, [',
    reported: /host storage setting AzureWebJobsStorage__accountName is not set/,
  },
  {
    name: 'host storage by account name in every cloud, sovereign clouds included',
    file: 'app/api.bicep',
    from: 'appSettings: concat(hostStorageSettings, [',
    to: 'appSettings: concat(hostStorageByAccountName, [',
    reported: /host storage setting AzureWebJobsStorage__accountName belongs only in Azure's public cloud/,
  },
  {
    name: 'host storage without the identity to use',
    file: 'app/api.bicep',
    from: "        { name: 'AzureWebJobsStorage__clientId', value: identityClientId }\n",
    to: '',
    reported: /host storage setting AzureWebJobsStorage__clientId is not set/,
  },
  {
    name: 'maximumInstanceCount allowed below the Flex floor',
    file: 'main.bicep',
    from: '@minValue(1)\n@maxValue(1000)\nparam maximumInstanceCount',
    to: '@minValue(0)\n@maxValue(1000)\nparam maximumInstanceCount',
    reported: /parameter maximumInstanceCount must carry @minValue\(1\) and @maxValue\(1000\)/,
  },
  {
    name: 'maximumInstanceCount without an upper bound in the module',
    file: 'app/api.bicep',
    from: '@maxValue(1000)\nparam maximumInstanceCount',
    to: 'param maximumInstanceCount',
    reported: /parameter maximumInstanceCount must carry @minValue\(1\) and @maxValue\(1000\)/,
  },
  {
    name: 'an instance size Flex does not offer',
    file: 'app/api.bicep',
    from: '@allowed([512, 2048, 4096])\nparam instanceMemoryMB',
    to: '@allowed([512, 1024, 2048, 4096])\nparam instanceMemoryMB',
    reported: /parameter instanceMemoryMB must carry @allowed\(\[512, 2048, 4096\]\)/,
  },
  {
    name: 'a region without Flex Consumption allowed (francesouth)',
    file: 'main.bicep',
    from: "  'francecentral'\n",
    to: "  'francecentral'\n  'francesouth'\n",
    reported: /parameter location must carry @allowed\(\) with exactly the \d+ Flex Consumption regions/,
  },
  {
    name: 'any region allowed (no @allowed on location)',
    file: 'main.bicep',
    from: `@allowed([\n${flexRegions.map((region) => `  '${region}'\n`).join('')}])\n`,
    to: '',
    reported: /parameter location must carry @allowed\(\)/,
  },
  {
    name: 'an always-ready name that is no queue-triggered function (the http group)',
    file: 'app/api.bicep',
    from: "name: 'function:processIdentityEvent' | 'function:processRevocationStep'",
    to: "name: 'function:processIdentityEvent' | 'function:processRevocationStep' | 'http'",
    reported:
      /parameter alwaysReady must allow exactly the names function:processIdentityEvent, function:processRevocationStep, .*found .*http/,
  },
  {
    name: 'a queue-triggered function missing from the always-ready names',
    file: 'app/api.bicep',
    from: "name: 'function:processIdentityEvent' | 'function:processRevocationStep'",
    to: "name: 'function:processIdentityEvent'",
    reported: /parameter alwaysReady must allow exactly the names/,
    reportedIn: 'main.bicep',
  },
  {
    name: 'an untyped alwaysReady in the module',
    file: 'app/api.bicep',
    from: 'param alwaysReady alwaysReadyInstance[] = []',
    to: 'param alwaysReady array = []',
    reported: /parameter alwaysReady must allow exactly the names .*\(found no name constraint\)/,
  },
  {
    name: 'an always-ready instance by default',
    file: 'main.bicep',
    from: 'param alwaysReady alwaysReadyInstance[] = []',
    to: "param alwaysReady alwaysReadyInstance[] = [\n  {\n    name: 'function:processIdentityEvent'\n    instanceCount: 1\n  }\n]",
    reported: /parameter alwaysReady must default to \[\]/,
  },
  {
    name: 'alwaysReady not passed on to the site',
    file: 'app/api.bicep',
    from: '        alwaysReady: alwaysReady\n',
    to: '',
    reported: /properties\.functionAppConfig\.scaleAndConcurrency\.alwaysReady is not set/,
  },
];

export const flexMutations: FlexMutation[] = [...ruleMutations, ...entryMutations];
