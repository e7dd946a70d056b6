/**
 * The import rules of the layers (docs/ARCHITECTURE.md), checked by `npm run check:imports` (part of
 * `npm test`): a wrong-way import fails the run, naming the file, the import and the rule.
 *
 *   editor --HTTP--> server --> server/runner --> nodes --> native
 *      \___________________ all import protocol/ ___________________/
 *
 * test/dependency-cruiser.test.ts proves each rule fires on a file that breaks it. Paths are relative to
 * the repository root (or the cruise's baseDir).
 */
const PRODUCTION = '^(protocol|editor|server|nodes|native|bin|examples|scripts|fuzz)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'protocol-imports-zod-only',
      comment: 'protocol/ holds the contracts every layer shares: it imports zod and itself, nothing else.',
      severity: 'error',
      from: { path: '^protocol/' },
      to: { pathNot: ['^protocol/', '^node_modules/zod/'] },
    },
    {
      name: 'editor-imports-only-protocol',
      comment: 'The editor talks to the server over HTTP: of the project it imports only protocol/ and itself (npm packages are fine).',
      severity: 'error',
      from: { path: '^editor/' },
      to: { pathNot: ['^editor/', '^protocol/', '^node_modules/'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'runner-not-server',
      comment: 'The runner knows nothing of HTTP (the CLI uses it directly): never server/api, the server above it, express or socket.io.',
      severity: 'error',
      from: { path: '^server/runner/' },
      to: { path: ['^server/(?!runner/)', '^node_modules/(express|socket\\.io|ws)/'] },
    },
    {
      name: 'nodes-not-runner-or-server',
      comment: 'Node types know tensors and models, never the runner or the server: pass a callback or a service in ctx instead.',
      severity: 'error',
      from: { path: '^nodes/' },
      to: { path: ['^server/', '^editor/', '^node_modules/(express|socket\\.io|ws)/'] },
    },
    {
      name: 'native-imports-nothing-above',
      comment: 'native/ is the bottom layer: it imports only itself (and npm packages / Node built-ins).',
      severity: 'error',
      from: { path: '^native/' },
      to: { path: '^(protocol|editor|server|nodes|bench|test|bin|examples|scripts|fuzz)/' },
    },
    {
      name: 'production-not-bench-or-test',
      comment: 'bench/ and test/ may import anything; production code never imports them.',
      severity: 'error',
      from: { path: PRODUCTION },
      to: { path: '^(bench|test)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^native/build/', '^editor/dist/'] },
    // TypeScript 7 has no JS API: Babel strips the types, keeping type-only imports as dependencies.
    babelConfig: { fileName: '.dependency-cruiser.babel.cjs' },
    enhancedResolveOptions: {
      extensions: ['.ts', '.tsx', '.js', '.cjs', '.mjs', '.json'],
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
