/**
 * protocol/: the contracts every layer shares (editor, server, runner, nodes), as zod schemas with their
 * types, plus the pure algorithms over them. It imports zod only, so every layer may import it and it
 * imports none of them (checked by .dependency-cruiser.cjs in `npm test`).
 *
 * - issues.ts        the one Issue shape of every problem that reaches a person
 * - events.ts        run events and the queue state (socket.io and ComfyUI's /ws)
 * - jobs.ts          job status and the JobError both queues record
 * - http.ts          our HTTP requests and answers (and ComfyUI's POST /prompt body)
 * - catalog.ts       socket and widget types, the object_info catalog and its reading
 * - link.ts          links `[nodeId, outputIndex]`
 * - workflow/        the execution form, ComfyUI's UI format, latentflow's saved form, the converters, the column layout, parsing
 * - subgraph.ts      subgraph JSON (a fragment exposed as a node type)
 * - subgraph-cut.ts  cutting a selection out of a workflow as a subgraph
 * - graph.ts         walks over the execution form (what output nodes need)
 */
export * from './issues.ts';
export * from './events.ts';
export * from './jobs.ts';
export * from './http.ts';
export * from './catalog.ts';
export * from './link.ts';
export * from './workflow/execution.ts';
export * from './workflow/saved.ts';
export * from './workflow/convert.ts';
export * from './workflow/layout.ts';
export * from './workflow/parse.ts';
export * from './workflow/ui.ts';
export * from './workflow/ui-widgets.ts';
export * from './workflow/ui-execution.ts';
export * from './workflow/ui-saved.ts';
export * from './subgraph.ts';
export * from './subgraph-cut.ts';
export * from './graph.ts';
