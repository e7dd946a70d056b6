// A NodeContext for calling a node's run() directly in tests: records progress, previews, stats and log lines.
import type { InputSpecs, InputValues, NodeContext, NodeDefinition, NodeResult, OutputSpecs } from '../../nodes/schema.ts';

export interface RecordedContext extends NodeContext {
  readonly progressed: Array<[number, number]>;
  readonly previews: number;
  readonly warnings: string[];
}

export function testContext(nodeType: string, nodeId = '1', signal: AbortSignal = new AbortController().signal): RecordedContext {
  const progressed: Array<[number, number]> = [];
  const warnings: string[] = [];
  let previews = 0;
  return {
    nodeId,
    nodeType,
    signal,
    progress: (value, max) => progressed.push([value, max]),
    preview: () => void previews++,
    stats() {},
    log: { debug() {}, info() {}, warn: (message) => void warnings.push(message), error() {} },
    services: {},
    progressed,
    get previews() {
      return previews;
    },
    warnings,
  };
}

/** testContext with every host folder (models, input, output, temp) at `dir`: for loader nodes on a test models folder. */
export function folderContext(nodeType: string, dir: string): RecordedContext {
  const c = testContext(nodeType);
  return { ...c, services: { ...c.services, paths: { models: dir, input: dir, output: dir, temp: dir } } };
}

/** Runs a node whose run() is synchronous (builders such as schedulers and conditioning nodes) with a test context. */
export function runNode<I extends InputSpecs, O extends OutputSpecs>(definition: NodeDefinition<I, O>, input: InputValues<I>, ctx: NodeContext = testContext(definition.type)): NodeResult<O> {
  const result = definition.run(input, ctx);
  if (result instanceof Promise) throw new Error(`${definition.type}: run() is asynchronous; await it instead.`);
  return result;
}
