/**
 * Node packs: code packs (a folder or npm package whose package.json has a `latentflow` field) and
 * pure-JSON subgraph packs (a saved workflow fragment exposed as one node type).
 *
 * @example
 *   const registry = new NodeRegistry();
 *   registry.registerAll(coreNodes);
 *   const report = await loadPacks(defaultPackDirs(dataDir), registry);   // issues name pack and reason
 *   await executeGraph(workflow, registry, options);                      // expands subgraph nodes itself
 */
export { loadPacks, defaultPackDirs, type LoadedPack, type PackLoadReport } from './load.ts';
export {
  checkSubgraph,
  resolveInnerType,
  subgraphDefinition,
  subgraphOf,
  type Subgraph,
} from './subgraph.ts';
export { expandSubgraphs, hasSubgraphNodes, mapIssueToOuter, type ExpandLimits, type ExpandResult, type SubgraphOrigin, type SubgraphOrigins } from './expand.ts';
export { checkSubgraphTypes, exportSubgraph, saveSubgraph, type ExportSubgraphOptions, type SavedSubgraph, type SaveSubgraphOptions } from './save.ts';
export { SubgraphError } from './subgraph-error.ts';
