// Which folders of src/ each folder may import besides itself, so that arrows only point down. The use cases and the
// adapters stand side by side above the ports (src/domain): neither imports the other, and only the composition
// root (src/app) puts them together. Every kind of import counts: `import`, `export ... from`, `require('...')`
// (the composition root's lazy loads) and `typeof import('...')`. README "Project layout" shows the same picture.
const { dirname, relative, resolve, sep } = require('node:path');

const base = ['domain'];
const platform = ['config', 'telemetry', ...base];
const useCases = ['identity', 'events', 'jobs', 'teams', 'guests'];
const adapters = ['acs', 'storage', 'auth', 'webhooks'];
const edge = ['http', 'openapi'];

/** @type {Record<string, string[]>} */
const mayImport = {
  functions: ['app', 'handlers', ...platform], // registrations: what the Functions host loads
  app: ['handlers', ...edge, ...useCases, ...adapters, ...platform], // the composition root
  handlers: [...edge, ...useCases, 'webhooks', ...platform], // parse, call one use case, map (webhooks: verifiers)
  http: ['openapi', ...platform],
  openapi: ['http', ...platform],
  ...Object.fromEntries(useCases.map((name) => [name, [...useCases, ...platform]])),
  ...Object.fromEntries(adapters.map((name) => [name, platform])),
  telemetry: ['config', ...base],
  config: base,
  domain: [],
};

/** `src/<folder>/...` of a file, or undefined outside src. */
function srcFolder(file, root) {
  const path = relative(resolve(root, 'src'), file);
  if (path.startsWith('..') || path === '') return undefined;
  return path.split(sep)[0];
}

const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'Imports in src/ only point down the layers (tools/eslint/layers.cjs).' },
    messages: {
      up: 'src/{{from}} may not import src/{{to}} (it may import: {{allowed}}): arrows only point down.',
      unknown: 'src/{{folder}} is in no layer: add it to tools/eslint/layers.cjs.',
      outside: "src/ may not import from '{{source}}' (outside src).",
    },
    schema: [],
  },
  create(context) {
    const file = context.filename;
    const root = context.cwd;
    const from = srcFolder(file, root);
    if (from === undefined) return {};
    const check = (node, source) => {
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const target = resolve(dirname(file), source);
      const to = srcFolder(target, root);
      if (to === undefined) return context.report({ node, messageId: 'outside', data: { source } });
      if (to === from) return;
      const allowed = mayImport[from];
      if (allowed === undefined) return context.report({ node, messageId: 'unknown', data: { folder: from } });
      if (mayImport[to] === undefined) return context.report({ node, messageId: 'unknown', data: { folder: to } });
      if (!allowed.includes(to))
        context.report({ node, messageId: 'up', data: { from, to, allowed: allowed.join(', ') || 'nothing' } });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
      TSImportType: (node) => {
        const literal = node.argument?.literal ?? node.argument;
        check(node, literal?.value);
      },
      CallExpression: (node) => {
        if (
          node.callee.type === 'Identifier' &&
          node.callee.name === 'require' &&
          node.arguments[0]?.type === 'Literal'
        )
          check(node, node.arguments[0].value);
      },
    };
  },
};

module.exports = { mayImport, rules: { 'only-down': rule } };
