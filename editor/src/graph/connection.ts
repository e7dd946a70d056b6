/**
 * The connection rule, pure: which output may feed which input. The server's validation applies the
 * same rule (a link joins sockets of the same type), so a link the editor accepts is never a type_mismatch.
 */

/** One end of a prospective link. */
export interface SocketRef {
  nodeId: string;
  /** The socket type, e.g. `LATENT`; widget types (`INT`, `STRING`, ...) for a widget input. */
  type: string;
}

/** `*` accepts anything (reserved for generic inputs; no core node uses it). */
const ANY = '*';

/**
 * Whether `source` (an output) may feed `target` (an input): same type, and not a node into itself.
 *
 * @example
 *   canConnect({ nodeId: '4', type: 'LATENT' }, { nodeId: '3', type: 'LATENT' }); // true
 *   canConnect({ nodeId: '4', type: 'LATENT' }, { nodeId: '3', type: 'MODEL' });  // false
 */
export function canConnect(source: SocketRef, target: SocketRef): boolean {
  return connectionProblem(source, target) === null;
}

/** Why a link cannot be made (one sentence for the user), or null when it can. */
export function connectionProblem(source: SocketRef, target: SocketRef): string | null {
  if (source.nodeId === target.nodeId) return 'A node cannot feed itself.';
  if (source.type === ANY || target.type === ANY) return null;
  if (source.type !== target.type) return `Cannot connect ${source.type} to ${target.type}: the types differ.`;
  return null;
}

/**
 * Whether adding a link source -> target would close a loop: true when `source` is reachable from
 * `target` following existing links downstream.
 */
export function wouldCreateCycle(edges: ReadonlyArray<{ source: string; target: string }>, source: string, target: string): boolean {
  if (source === target) return true;
  const downstream = new Map<string, string[]>();
  for (const edge of edges) {
    const list = downstream.get(edge.source);
    if (list) list.push(edge.target);
    else downstream.set(edge.source, [edge.target]);
  }
  const seen = new Set<string>([target]);
  const stack = [target];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (id === source) return true;
    for (const next of downstream.get(id) ?? []) {
      if (!seen.has(next)) {
        seen.add(next);
        stack.push(next);
      }
    }
  }
  return false;
}

/** ComfyUI's socket colours, so the canvas reads the same. */
export const SOCKET_COLORS: Record<string, string> = {
  MODEL: '#b39ddb',
  CLIP: '#ffd500',
  VAE: '#ff6e6e',
  CONDITIONING: '#ffa931',
  LATENT: '#ff9cf9',
  IMAGE: '#64b5f6',
  MASK: '#81c784',
  CONTROL_NET: '#00d78d',
  INT: '#8bc34a',
  FLOAT: '#4db6ac',
  STRING: '#e0e0e0',
  BOOLEAN: '#90a4ae',
};

/** The colour of a socket type; unknown types get a stable hue from their name. */
export function socketColor(type: string): string {
  const known = SOCKET_COLORS[type];
  if (known) return known;
  let hash = 0;
  for (let i = 0; i < type.length; i++) hash = (hash * 31 + type.charCodeAt(i)) >>> 0;
  return `hsl(${hash % 360} 60% 65%)`;
}
