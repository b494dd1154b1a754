import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { checkArmTemplate } from './arm-checks';
import { armExpression, parseArmExpression } from './arm-expressions';
import { describeWithBicep, diagnostics, runBicep } from './bicep-cli';
import { type FlexMutation, entryMutations, ruleMutations } from './flex-mutations';
import { queueTriggeredFunctionNames } from './flex-rules';

const infraDir = path.resolve(__dirname, '../../infra');
const queueFunctions = queueTriggeredFunctionNames(path.resolve(__dirname, '../../src/functions'));

describe('parseArmExpression', () => {
  test('reads calls, quoted strings, numbers and property and index access', () => {
    expect(parseArmExpression("if(equals(environment().name, 'Azure''Cloud'), createArray(1, -2), x()[0].y)")).toEqual({
      kind: 'call',
      name: 'if',
      accessors: [],
      args: [
        {
          kind: 'call',
          name: 'equals',
          accessors: [],
          args: [
            { kind: 'call', name: 'environment', args: [], accessors: [{ kind: 'property', name: 'name' }] },
            { kind: 'string', value: "Azure'Cloud" },
          ],
        },
        {
          kind: 'call',
          name: 'createArray',
          accessors: [],
          args: [
            { kind: 'number', value: 1 },
            { kind: 'number', value: -2 },
          ],
        },
        {
          kind: 'call',
          name: 'x',
          args: [],
          accessors: [
            { kind: 'index', index: { kind: 'number', value: 0 } },
            { kind: 'property', name: 'y' },
          ],
        },
      ],
    });
  });

  test('treats unbracketed and [[-escaped strings as literals', () => {
    expect(armExpression('plain')).toBeUndefined();
    expect(armExpression("[[concat('a')]")).toBeUndefined();
    expect(armExpression("[concat('a')]")).toMatchObject({ kind: 'call', name: 'concat' });
  });

  test('says where text is not an expression', () => {
    expect(() => parseArmExpression("concat('a'")).toThrow(/expected ',' or '\)' at \d+ in concat\('a'$/);
  });
});

describe('checkArmTemplate on a template written by hand', () => {
  // The shape `bicep build` gives a module's site: app settings through concat/if/variables/createArray.
  const template = (siteConfig: Record<string, unknown>) => ({
    resources: {
      api: {
        type: 'Microsoft.Resources/deployments',
        name: 'api',
        properties: {
          template: {
            variables: {
              byName: [{ name: 'AzureWebJobsStorage__accountName', value: 'st' }],
              byUri:
                "[createArray(createObject('name', 'AzureWebJobsStorage__blobServiceUri', 'value', 'b'), createObject('name', 'AzureWebJobsStorage__queueServiceUri', 'value', 'q'), createObject('name', 'AzureWebJobsStorage__tableServiceUri', 'value', 't'))]",
            },
            resources: [
              {
                type: 'Microsoft.Web/sites',
                name: "[parameters('name')]",
                properties: {
                  functionAppConfig: { scaleAndConcurrency: { alwaysReady: "[parameters('alwaysReady')]" } },
                  siteConfig: {
                    appSettings:
                      "[concat(if(equals(environment().name, 'AzureCloud'), variables('byName'), variables('byUri')), createArray(createObject('name', 'AzureWebJobsStorage__credential', 'value', 'managedidentity'), createObject('name', 'AzureWebJobsStorage__clientId', 'value', 'c')))]",
                    ...siteConfig,
                  },
                },
              },
            ],
          },
        },
      },
    },
  });
  // The template declares no parameters: only what it says about the site is of interest here.
  const siteProblems = (problems: string[]) => problems.filter((problem) => problem.includes('Microsoft.Web/sites'));

  test('finds nothing wrong with a site Flex accepts', () => {
    expect(siteProblems(checkArmTemplate(template({}), queueFunctions))).toEqual([]);
  });

  test('reports a rejected siteConfig property in a nested deployment', () => {
    expect(siteProblems(checkArmTemplate(template({ ftpsState: 'Disabled' }), queueFunctions))).toEqual([
      expect.stringMatching(
        /^main\.json > module api > Microsoft\.Web\/sites \[parameters\('name'\)\]: properties\.siteConfig\.ftpsState is rejected/,
      ),
    ]);
  });
});

// Every platform rule on the JSON `bicep build` writes for a broken copy of infra/ (flex-mutations.ts) and for
// infra/ itself. All copies are compiled by one `bicep build --pattern`: one .NET start instead of one per copy.
describeWithBicep('the Flex Consumption rules on the compiled ARM JSON', (bicep) => {
  const configResource = (name: string, properties: string) =>
    `\nresource ${name}Config 'Microsoft.Web/sites/config@2024-04-01' = {\n  parent: functionApp\n  name: '${name}'\n  properties: {\n    ${properties}\n  }\n}\n`;
  // What only the compiled form shows: configuration applied by a child resource rather than the site.
  const compiledOnly: FlexMutation[] = [
    {
      name: "siteConfig set through a Microsoft.Web/sites/config 'web' resource",
      file: 'app/api.bicep',
      from: 'output name string = functionApp.name\n',
      to: `${configResource('web', 'use32BitWorkerProcess: false')}\noutput name string = functionApp.name\n`,
      reported: /properties\.siteConfig\.use32BitWorkerProcess is rejected: 32-bit is not supported/,
    },
    {
      name: "app settings set through a Microsoft.Web/sites/config 'appsettings' resource",
      file: 'app/api.bicep',
      from: 'output name string = functionApp.name\n',
      to: `${configResource('appsettings', "WEBSITE_RUN_FROM_PACKAGE: '1'")}\noutput name string = functionApp.name\n`,
      reported: /app setting WEBSITE_RUN_FROM_PACKAGE is not used/,
    },
  ];
  // One copy per rule; the entries of the platform lists share one copy per insertion point (each must be reported
  // there), which keeps the copies to compile at about twenty.
  const copyOf = new Map<FlexMutation, string>();
  const copies = new Map<string, FlexMutation | undefined>([['original', undefined]]);
  [...ruleMutations, ...compiledOnly].forEach((mutation, index) => {
    copies.set(`rule-${index}`, mutation);
    copyOf.set(mutation, `rule-${index}`);
  });
  [...new Set(entryMutations.map((mutation) => mutation.from))].forEach((from, index) => {
    const entries = entryMutations.filter((mutation) => mutation.from === from);
    const inserted = entries.map((mutation) => mutation.to.slice(from.length)).join('');
    copies.set(`entries-${index}`, { ...entries[0], name: `${entries.length} entries`, to: from + inserted });
    for (const mutation of entries) copyOf.set(mutation, `entries-${index}`);
  });
  let workDir: string;
  const compiled = new Map<string, { errors: string[]; template?: object }>();

  beforeAll(() => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'arm-checks-'));
    for (const [copy, mutation] of copies) {
      const dir = path.join(workDir, copy);
      fs.cpSync(infraDir, dir, { recursive: true });
      if (!mutation) continue;
      const file = path.join(dir, mutation.file);
      const source = fs.readFileSync(file, 'utf8');
      if (!source.includes(mutation.from)) throw new Error(`${mutation.name}: not found in ${mutation.file}`);
      fs.writeFileSync(file, source.replace(mutation.from, mutation.to));
    }
    const { errors } = diagnostics(
      runBicep(bicep, ['build', '--pattern', path.join(workDir, '*', 'main.bicep')]).output,
    );
    for (const copy of copies.keys()) {
      const json = path.join(workDir, copy, 'main.json');
      compiled.set(copy, {
        errors: errors.filter((line) => line.includes(`${path.sep}${copy}${path.sep}`)),
        template: fs.existsSync(json) ? (JSON.parse(fs.readFileSync(json, 'utf8')) as object) : undefined,
      });
    }
  }, 180_000);

  afterAll(() => {
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  const problemsOf = (copy: string) => {
    const { errors, template } = compiled.get(copy)!;

    expect({ errors, compiled: template !== undefined }).toEqual({ errors: [], compiled: true });
    return checkArmTemplate(template!, queueFunctions);
  };

  test('infra/ compiles to a template with no problem', () => {
    expect(problemsOf('original')).toEqual([]);
  });

  test.each([...ruleMutations, ...compiledOnly, ...entryMutations].map((m) => ({ ...m, copy: copyOf.get(m)! })))(
    'reports $name',
    ({ copy, reported }) => {
      expect(problemsOf(copy)).toEqual(
        expect.arrayContaining([expect.stringMatching(new RegExp(`^main\\.json.*?: ${reported.source}`))]),
      );
    },
  );
});
