/**
 * Links in ComfyUI's execution form: an input value `[nodeId, outputIndex]`.
 *
 * @example
 *   asLink(['4', 0]);   // ['4', 0]
 *   asLink([4, 0]);     // ['4', 0]  (numeric ids become strings)
 *   asLink([4, -1]);    // null      (a widget value, not a link)
 */

/** A link to output `outputIndex` of node `nodeId`. */
export type Link = [nodeId: string, outputIndex: number];

/**
 * The link in an input value, or null when the value is not a well-formed link. Numeric ids become
 * strings. Ids and indices must be safe integers: the saved form cannot hold 2^53 and beyond exactly
 * (found by the identity property in test/protocol/workflow/convert.property.test.ts: [0, 2^53] was taken as a
 * link that the saved form then refused).
 */
export function asLink(value: unknown): Link | null {
  if (!Array.isArray(value) || value.length !== 2) return null;
  const [node, output] = value as unknown[];
  const nodeOk = (typeof node === 'string' && node !== '') || (typeof node === 'number' && Number.isSafeInteger(node));
  if (!nodeOk || typeof output !== 'number' || !Number.isSafeInteger(output) || output < 0) return null;
  return [String(node), output];
}
