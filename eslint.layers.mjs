// The repository's layering, enforced by ESLint (local plugin `layers`). Each top-level folder
// lists the folders its code may import; the table must be acyclic, so folders never import each
// other in a circle. Test files (*.test.ts) and testing/ helpers follow the same table, plus
// test-support/. Production code never imports a testing/ folder, and only stacks/ (and its
// tests) may load CDKTF.
import { dirname, relative, resolve, sep } from 'node:path';

const ROOT = dirname(new URL(import.meta.url).pathname);

export const ALLOWED = {
  contracts: [],
  config: ['contracts'],
  sql: [],
  'cf-functions': ['contracts'],
  // GET /usage reads the key registry document (keys/registry.ts: types and parsing, no I/O).
  lambdas: ['contracts', 'keys'],
  // Customers and keys as data: the registry, API Gateway keys, the edge key store, the keys CLI.
  keys: ['contracts', 'config'],
  // The usage job reads its customers from the key registry (keys/registry.ts).
  'usage-job': ['contracts', 'config', 'sql', 'keys'],
  stacks: ['contracts', 'config', 'sql', 'lambdas', 'cf-functions'],
  local: ['contracts', 'config', 'sql', 'cf-functions', 'lambdas', 'keys', 'usage-job'],
  delivery: ['contracts', 'config', 'stacks'],
  // The repository's rules for its workflows and composite actions (actionlint, the rule checks,
  // their broken fixtures) and its supply-chain promises; only tests run them.
  'workflow-checks': ['contracts', 'config', 'stacks', 'delivery'],
  // What each deploy identity may do: the evaluator, the map from AWS calls to IAM actions, the
  // resource-type permission table and the escalation matrix; judges the synthesized stacks.
  permissions: ['contracts', 'config', 'stacks'],
  bench: ['contracts', 'config', 'sql', 'cf-functions', 'lambdas', 'keys', 'usage-job', 'stacks', 'local'],
  'test-support': [],
  // The engine check (npm run verify:terraform): synthesizes the stacks, applies them with Terraform
  // against moto and runs the usage job there, so it may import everything, testing/ helpers too.
  'terraform-check': ['contracts', 'config', 'sql', 'cf-functions', 'lambdas', 'usage-job', 'stacks', 'permissions', 'test-support'],
};

/** Tools that may import testing/ helpers from production code (benchmarks, the engine check). */
const TOOL_FOLDERS = new Set(['bench', 'terraform-check']);

const CDKTF_PACKAGES = /^(?:cdktf|constructs)(?:\/|$)|^@cdktf\//;

export function assertAcyclic(graph) {
  const state = new Map();
  const visit = (node, path) => {
    if (state.get(node) === 'done') return;
    if (state.get(node) === 'open') throw new Error(`eslint.layers.mjs: import cycle ${[...path, node].join(' -> ')}`);
    state.set(node, 'open');
    for (const next of graph[node] ?? []) visit(next, [...path, node]);
    state.set(node, 'done');
  };
  for (const node of Object.keys(graph)) visit(node, []);
}
assertAcyclic(ALLOWED);

function topFolder(absolute) {
  const rel = relative(ROOT, absolute);
  if (rel.startsWith('..')) return undefined;
  const parts = rel.split(sep);
  return parts.length > 1 ? parts[0] : undefined;
}

/** A test, or a test helper in a testing/ folder (judged on the path inside the repository). */
const isTestFile = (file) => /\.test\.ts$/.test(file) || relative(ROOT, file).split(sep).includes('testing');

const importRule = {
  meta: { type: 'problem', schema: [], docs: { description: 'Keeps imports within the layering of eslint.layers.mjs' } },
  create(context) {
    const file = context.filename;
    const from = topFolder(file);
    const test = isTestFile(file);
    const check = (node, source) => {
      if (typeof source !== 'string') return;
      if (CDKTF_PACKAGES.test(source)) {
        if (from !== 'stacks') context.report({ node, message: `only stacks/ may import ${source} (the one CDKTF importer)` });
        return;
      }
      if (!source.startsWith('.')) return;
      const target = resolve(dirname(file), source);
      const to = topFolder(target);
      // Benchmarks and the engine check drive the platform the way the tests do, so they may use its test helpers.
      if (!test && !TOOL_FOLDERS.has(from) && (relative(ROOT, target).split(sep).includes('testing') || /\.test(\.ts)?$/.test(target))) {
        context.report({ node, message: `production code may not import test helpers (${source}); move the helper out of testing/` });
      }
      if (from === undefined || to === undefined || to === from) return;
      const allowed = [...(ALLOWED[from] ?? []), ...(test ? ['test-support'] : [])];
      if (!allowed.includes(to)) {
        context.report({ node, message: `${from}/ may not import ${to}/ (allowed: ${allowed.join(', ') || 'none'}; see eslint.layers.mjs)` });
      }
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
    };
  },
};

export const layersPlugin = { rules: { imports: importRule } };
