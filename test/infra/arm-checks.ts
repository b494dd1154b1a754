import { type ArmExpression, armExpression } from './arm-expressions';
import {
  type Cloud,
  type FlexParameter,
  type FlexSite,
  alwaysReadyProblems,
  flexParameterProblems,
  flexSiteProblems,
  hostStorageProblems,
  sitePaths,
} from './flex-rules';

/**
 * The Flex Consumption rules of test/infra/flex-rules.ts on the ARM JSON that `bicep build infra/main.bicep` writes:
 * what ARM itself receives, with every module inlined as a nested deployment. This path sees what the Bicep source
 * checks cannot (a property that reaches the site through a module or a `Microsoft.Web/sites/config` resource) and
 * needs the Bicep CLI; test/infra/bicep-checks.ts applies the same rules to the source without it.
 */

interface ArmTemplate {
  parameters?: Record<string, ArmParameter>;
  variables?: Record<string, unknown>;
  definitions?: Record<string, ArmType>;
  /** An array, or (languageVersion 2.0) an object keyed by symbolic name. */
  resources?: ArmResource[] | Record<string, ArmResource>;
}

interface ArmType {
  properties?: Record<string, ArmType>;
  allowedValues?: unknown[];
  items?: ArmType & { $ref?: string };
}

interface ArmParameter extends ArmType {
  minValue?: number;
  maxValue?: number;
  defaultValue?: unknown;
}

interface ArmResource {
  type?: string;
  name?: string;
  existing?: boolean;
  properties?: Record<string, unknown> & { template?: ArmTemplate };
}

/**
 * Checks a compiled template and the templates of its nested deployments.
 * @param template - the parsed main.json
 * @param queueFunctions - the app's queue-triggered functions (flex-rules.ts, queueTriggeredFunctionNames)
 * @returns one line per problem, `main.json <where>: message`
 */
export function checkArmTemplate(template: ArmTemplate, queueFunctions: readonly string[]): string[] {
  const found: Found = { sites: [], parameters: [], problems: [] };
  collect(template, 'main.json', true, found);
  const problems = [...found.problems, ...flexParameterProblems(found.parameters)];
  if (found.sites.length !== 1)
    problems.push(`main.json: expected one Microsoft.Web/sites, found ${found.sites.length}`);
  for (const site of found.sites) {
    problems.push(
      ...flexSiteProblems(site),
      ...hostStorageProblems(site),
      ...alwaysReadyProblems(site, found.parameters, queueFunctions),
    );
  }
  return problems;
}

interface Found {
  sites: FlexSite[];
  parameters: FlexParameter[];
  problems: string[];
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function collect(template: ArmTemplate, label: string, entry: boolean, found: Found): void {
  for (const [name, parameter] of Object.entries(template.parameters ?? {})) {
    found.parameters.push({
      name,
      where: `${label} parameter ${name}`,
      entry,
      minValue: parameter.minValue,
      maxValue: parameter.maxValue,
      allowedValues: parameter.allowedValues,
      itemNames: itemType(parameter, template)?.properties?.['name']?.allowedValues,
      defaultValue: parameter.defaultValue,
    });
  }
  const resources = Array.isArray(template.resources) ? template.resources : Object.values(template.resources ?? {});
  for (const resource of resources.filter((r) => !r.existing)) {
    const where = `${label} > ${resource.type} ${resource.name}`;
    if (resource.type === 'Microsoft.Resources/deployments' && resource.properties?.template) {
      collect(resource.properties.template, `${label} > module ${resource.name}`, false, found);
    } else if (resource.type === 'Microsoft.Web/sites') {
      const site = readSite(resource, template, where, found.problems);
      if (site) found.sites.push(site);
    } else if (resource.type === 'Microsoft.Web/sites/config') {
      found.problems.push(...configProblems(resource, where));
    }
  }
}

/** The item type of an array parameter, inline or by `$ref` to the template's definitions. */
function itemType(parameter: ArmParameter, template: ArmTemplate): ArmType | undefined {
  const ref = parameter.items?.$ref?.replace(/^#\/definitions\//, '');
  return ref === undefined ? parameter.items : template.definitions?.[ref];
}

function readSite(site: ArmResource, template: ArmTemplate, where: string, problems: string[]): FlexSite | undefined {
  const keys: FlexSite['keys'] = [];
  for (const path of sitePaths) {
    const object = path
      .split('.')
      .reduce<unknown>((value, key) => (isObject(value) ? value[key] : undefined), site as unknown);
    if (!isObject(object)) {
      problems.push(`${where}: ${path} is not an object the checks can read (${JSON.stringify(object)})`);
      continue;
    }
    keys.push(...Object.keys(object).map((key) => ({ path, key, where })));
  }
  const siteConfig = site.properties?.['siteConfig'];
  const entries = settingEntries(isObject(siteConfig) ? siteConfig['appSettings'] : undefined, template, undefined);
  if (!entries) {
    problems.push(`${where}: properties.siteConfig.appSettings is not an array or expression the checks can read`);
    return undefined;
  }
  return { where, keys, settings: entries.map((entry) => ({ ...entry, where: `${where} app settings` })) };
}

/**
 * A `Microsoft.Web/sites/config` resource: `web` carries siteConfig properties and `appsettings` app settings, so
 * the platform rules apply to it as to the site; and this project keeps both in the site itself (bicep-checks.ts).
 */
function configProblems(config: ArmResource, where: string): string[] {
  const name = configName(config.name ?? '');
  const properties = Object.keys(config.properties ?? {});
  const site: FlexSite = {
    where,
    keys: name === 'web' ? properties.map((key) => ({ path: 'properties.siteConfig', key, where })) : [],
    settings: name === 'appsettings' ? properties.map((setting) => ({ name: setting, where })) : [],
  };
  return [
    `${where}: site configuration belongs in the site's siteConfig, where both infra checks read it`,
    ...flexSiteProblems(site),
  ];
}

/** The last segment of a child resource's name, `'app/web'` or `"[format('{0}/{1}', parameters('name'), 'web')]"`. */
function configName(name: string): string {
  const expression = armExpression(name);
  if (!expression) return name.split('/').pop() ?? name;
  const literals = expression.kind === 'call' ? expression.args.filter((arg) => arg.kind === 'string') : [];
  const last = literals[literals.length - 1];
  return last?.kind === 'string' ? last.value : '';
}

type Entry = { name: string; cloud?: Cloud };

/**
 * The `{ name, value }` entries of an appSettings value: a JSON array, or an expression built from `concat`,
 * `createArray(createObject('name', ..., 'value', ...))`, `filter` (its input), `if` (both branches; the cloud of
 * each when the condition is `equals(environment().name, 'AzureCloud')`) and `variables(...)`.
 * @returns undefined when the value has another shape
 */
function settingEntries(value: unknown, template: ArmTemplate, cloud: Cloud | undefined): Entry[] | undefined {
  if (Array.isArray(value)) {
    const names = value.map((item) => (isObject(item) && typeof item['name'] === 'string' ? item['name'] : undefined));
    if (!names.every((name) => name !== undefined) || names.some((name) => armExpression(name))) return undefined;
    return names.map((name) => ({ name, cloud }));
  }
  const expression = typeof value === 'string' ? armExpression(value) : undefined;
  return expression ? expressionEntries(expression, template, cloud) : undefined;
}

function expressionEntries(expression: ArmExpression, template: ArmTemplate, cloud: Cloud | undefined) {
  if (expression.kind !== 'call' || expression.accessors.length > 0) return undefined;
  const all = (parts: [ArmExpression | undefined, Cloud | undefined][]): Entry[] | undefined => {
    const entries = parts.map(([part, partCloud]) => (part ? expressionEntries(part, template, partCloud) : undefined));
    return entries.every((e) => e !== undefined) ? entries.flat() : undefined;
  };
  const [first, second, third] = expression.args;
  switch (expression.name.toLowerCase()) {
    case 'concat':
      return all(expression.args.map((arg) => [arg, cloud]));
    case 'filter':
      return all([[first, cloud]]);
    case 'if': {
      const byCloud = isPublicCloudTest(first);
      return all([
        [second, byCloud ? 'public' : cloud],
        [third, byCloud ? 'sovereign' : cloud],
      ]);
    }
    case 'createarray': {
      const names = expression.args.map(objectName);
      return names.every((name) => name !== undefined) ? names.map((name) => ({ name, cloud })) : undefined;
    }
    case 'variables': {
      const name = first?.kind === 'string' ? first.value : undefined;
      return name !== undefined && template.variables && name in template.variables
        ? settingEntries(template.variables[name], template, cloud)
        : undefined;
    }
    default:
      return undefined;
  }
}

/** The literal `name` of `createObject('name', '<name>', 'value', ...)`. */
function objectName(expression: ArmExpression): string | undefined {
  if (expression.kind !== 'call' || expression.name.toLowerCase() !== 'createobject') return undefined;
  const index = expression.args.findIndex((arg, i) => i % 2 === 0 && arg.kind === 'string' && arg.value === 'name');
  const value = index < 0 ? undefined : expression.args[index + 1];
  return value?.kind === 'string' ? value.value : undefined;
}

/** `equals(environment().name, 'AzureCloud')`, either way round. */
function isPublicCloudTest(condition: ArmExpression | undefined): boolean {
  if (condition?.kind !== 'call' || condition.name.toLowerCase() !== 'equals' || condition.args.length !== 2)
    return false;
  const isEnvironmentName = (arg: ArmExpression) =>
    arg.kind === 'call' &&
    arg.name.toLowerCase() === 'environment' &&
    arg.args.length === 0 &&
    arg.accessors.length === 1 &&
    arg.accessors[0]?.kind === 'property' &&
    arg.accessors[0].name === 'name';
  const isAzureCloud = (arg: ArmExpression) => arg.kind === 'string' && arg.value === 'AzureCloud';
  const [a, b] = condition.args as [ArmExpression, ArmExpression];
  return (isEnvironmentName(a) && isAzureCloud(b)) || (isEnvironmentName(b) && isAzureCloud(a));
}
