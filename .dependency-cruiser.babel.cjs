/**
 * How dependency-cruiser reads TypeScript (.dependency-cruiser.cjs names this file): TypeScript 7 has no
 * JS API, so Babel strips the types, after `keepTypeImports` has turned every type-only import and
 * re-export into a bare `import 'module'`, so that `import type` counts as a dependency too (a type
 * import the wrong way is still a layer leak).
 */
function keepTypeImports({ types: t }) {
  const bare = (source) => t.importDeclaration([], t.stringLiteral(source.value));
  return {
    name: 'keep-type-imports',
    visitor: {
      // Program.enter: preset-typescript removes type-only imports on entering Program, after plugins.
      Program(path) {
        for (const statement of path.get('body')) {
          const node = statement.node;
          const isImport = t.isImportDeclaration(node);
          const isReExport = (t.isExportNamedDeclaration(node) || t.isExportAllDeclaration(node)) && node.source;
          if (!isImport && !isReExport) continue;
          const typeOnly = isImport ? node.importKind === 'type' : node.exportKind === 'type';
          const someTypes = (node.specifiers ?? []).some((s) => s.importKind === 'type' || s.exportKind === 'type');
          if (typeOnly) statement.replaceWith(bare(node.source));
          else if (someTypes) statement.insertAfter(bare(node.source));
        }
      },
    },
  };
}

module.exports = {
  babelrc: false,
  configFile: false,
  presets: [['@babel/preset-typescript', { onlyRemoveTypeImports: true }]],
  plugins: [keepTypeImports],
};
