/**
 * Prompt emphasis syntax, parsed into (text span, weight) pairs. User documentation: docs/PROMPTS.md.
 *
 * Round brackets follow ComfyUI exactly (comfy/sd1_clip.py: escape_important, parse_parentheses,
 * token_weights, unescape_important):
 *   (word)        weight x 1.1, nested: ((word)) x 1.21
 *   (word:1.3)    weight exactly 1.3: an explicit number *replaces* the weight (it does not multiply
 *                 what encloses it); the number is whatever Python's float() accepts after the last ':'
 *   (a, b:0.8)    one group, every span inside at 0.8
 *   \( \)         literal brackets
 * Unbalanced brackets never throw; they are kept as literal text, with ComfyUI's exact quirks: a group
 * that is never closed is literal text (its inner groups included) unless the prompt ends with ')', and a
 * stray ')' at the top level makes the rest of the prompt literal.
 *
 * Square brackets, A1111's de-emphasis, are our addition (ComfyUI keeps them as literal text):
 *   [word]        weight x (1 / 1.1), nested: [[word]] x (1 / 1.1)^2
 *   \[ \]         literal brackets
 * Both kinds share one nesting counter, so a prompt without square brackets parses exactly as ComfyUI
 * parses it; `squareBrackets: false` turns the addition off (exact ComfyUI for every prompt).
 *
 * @example
 *   parsePromptWeights('a (red:1.3) [old] car')
 *   // [{ text: 'a ', weight: 1 }, { text: 'red', weight: 1.3 }, { text: ' ', weight: 1 },
 *   //  { text: 'old', weight: 0.9090909090909091 }, { text: ' car', weight: 1 }]
 */

/** One run of prompt text and the weight of every token it produces. */
export interface WeightedSpan {
  text: string;
  weight: number;
}

export interface PromptWeightOptions {
  /** Parse `[word]` as weight / 1.1 and `\[` `\]` as literal brackets (default true). */
  squareBrackets?: boolean;
}

/** Weight multiplier of one pair of round brackets (ComfyUI and A1111). */
export const ROUND_BRACKET_MULTIPLIER = 1.1;
/** Weight multiplier of one pair of square brackets (A1111's `1 / 1.1`). */
export const SQUARE_BRACKET_MULTIPLIER = 1 / 1.1;

// Escaped brackets become two-character placeholders while the brackets are parsed (ComfyUI's scheme).
const ESCAPES: ReadonlyArray<readonly [escaped: string, placeholder: string, literal: string]> = [
  ['\\)', '\0\u0001', ')'],
  ['\\(', '\0\u0002', '('],
  ['\\]', '\0\u0003', ']'],
  ['\\[', '\0\u0004', '['],
];

/**
 * Splits a prompt into spans with their emphasis weights, in prompt order. Never throws; spans are never
 * empty; a prompt without brackets gives one span of weight 1 (or none for "").
 */
export function parsePromptWeights(prompt: string, options: PromptWeightOptions = {}): WeightedSpan[] {
  const squareBrackets = options.squareBrackets ?? true;
  const escaped = escapeBrackets(prompt, squareBrackets);
  return parseEscaped(escaped, squareBrackets).map((span) => ({ text: unescapeBrackets(span.text), weight: span.weight }));
}

/** `\(` `\)` (and `\[` `\]` with square brackets on) -> placeholders the parser does not see as brackets. */
export function escapeBrackets(text: string, squareBrackets = true): string {
  let out = text;
  for (const [escaped, placeholder] of squareBrackets ? ESCAPES : ESCAPES.slice(0, 2)) out = out.replaceAll(escaped, placeholder);
  return out;
}

/** Placeholders back to the literal brackets they stand for. */
export function unescapeBrackets(text: string): string {
  let out = text;
  for (const [, placeholder, literal] of ESCAPES) out = out.replaceAll(placeholder, literal);
  return out;
}

/**
 * ComfyUI's token_weights over an escaped prompt. ComfyUI recurses: it cuts a string into top-level groups
 * (parse_parentheses), and re-parses the inside of each bracketed group at the group's weight. Done that
 * way, deep nesting costs O(depth x length) and can overflow the stack, so this version precomputes, in
 * one pass, the closing bracket of every opening one, and walks frames from an explicit stack: linear time
 * whatever the nesting, same result (the tests compare it with a literal transcription of ComfyUI's code).
 *
 * A frame is a [start, end) range of `text` at a weight. Its groups, as parse_parentheses defines them:
 * one nesting counter over every bracket kind; an opening bracket at depth 0 starts a group that ends at the
 * closing bracket bringing the depth back to 0 (to the end of the frame if none does); text between groups
 * is a literal group; a closing bracket at depth 0 drives the depth
 * negative, after which brackets are plain text until the depth is back to 0.
 */
function parseEscaped(text: string, squareBrackets: boolean): WeightedSpan[] {
  const isOpening = (char: string) => char === '(' || (squareBrackets && char === '[');
  const isClosing = (char: string) => char === ')' || (squareBrackets && char === ']');

  // closingOf[i]: for an opening bracket, the closing bracket that returns the counter to its level, or -1.
  // lastColonAt[i]: index of the last ':' at or before i, or -1. bracketFrom[i]: first bracket at or after i.
  const length = text.length;
  const closingOf = new Int32Array(length).fill(-1);
  const lastColonAt = new Int32Array(length);
  const bracketFrom = new Int32Array(length + 1);
  const open: number[] = [];
  let lastColon = -1;
  for (let i = 0; i < length; i++) {
    const char = text[i];
    if (isOpening(char)) open.push(i);
    else if (isClosing(char) && open.length > 0) closingOf[open.pop()!] = i;
    if (char === ':') lastColon = i;
    lastColonAt[i] = lastColon;
  }
  bracketFrom[length] = length;
  for (let i = length - 1; i >= 0; i--) bracketFrom[i] = isOpening(text[i]) || isClosing(text[i]) ? i : bracketFrom[i + 1];

  type Work = { kind: 'parse'; start: number; end: number; weight: number } | { kind: 'emit'; span: WeightedSpan };
  const out: WeightedSpan[] = [];
  const stack: Work[] = [{ kind: 'parse', start: 0, end: length, weight: 1.0 }];
  while (stack.length > 0) {
    const work = stack.pop()!;
    if (work.kind === 'emit') {
      out.push(work.span);
      continue;
    }
    const { start, end, weight } = work;
    const children: Work[] = [];
    const literal = (from: number, to: number) => {
      if (to > from) children.push({ kind: 'emit', span: { text: text.slice(from, to), weight } });
    };
    let literalStart = start;
    let depth = 0;
    for (let i = start; i < end; i++) {
      const char = text[i];
      if (isClosing(char)) {
        depth -= 1; // only reachable at depth <= 0: groups that start at depth 0 are skipped whole below
      } else if (isOpening(char)) {
        if (depth !== 0) {
          depth += 1;
          continue;
        }
        literal(literalStart, i);
        // Never closed: the rest of the frame is one group, literal text with its inner groups, unless it
        // happens to end with a closing bracket: ComfyUI's token_weights only looks at the first and last
        // characters, so "(a (b)" is the group "a (b" at x 1.1.
        const closing = closingOf[i] >= 0 && closingOf[i] < end ? closingOf[i] : end - 1;
        if (closing > i && char === '(' && text[closing] === ')') children.push(roundGroup(i + 1, closing, weight));
        else if (closing > i && char === '[' && text[closing] === ']') children.push({ kind: 'parse', start: i + 1, end: closing, weight: weight * SQUARE_BRACKET_MULTIPLIER });
        else literal(i, closing + 1); // unclosed, or mismatched kinds: "(a]"
        literalStart = closing + 1;
        i = closing;
      }
    }
    literal(literalStart, end);
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]); // LIFO: keep prompt order
  }
  return out;

  /**
   * The inside [start, end) of "( ... )": weight x 1.1, unless the text after its last ':' (not at the
   * very start) is a number, which then *is* the weight and is cut off the text.
   */
  function roundGroup(start: number, end: number, weight: number): Work {
    const colon = end > start ? lastColonAt[end - 1] : -1;
    // A number has no brackets: checking that first keeps nested "(((x:...)))" linear.
    if (colon > start && bracketFrom[colon + 1] >= end) {
      const explicit = parsePythonFloat(text.slice(colon + 1, end));
      if (explicit !== undefined) return { kind: 'parse', start, end: colon, weight: explicit };
    }
    return { kind: 'parse', start, end, weight: weight * ROUND_BRACKET_MULTIPLIER };
  }
}

// Python's str.isspace() characters, which float() strips and skips.
const PYTHON_SPACE = /^[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/gu;
// Python float literal grammar (digits may be grouped by single underscores), plus inf/infinity/nan.
const PYTHON_FLOAT = /^[+-]?(?:(?:\d(?:_?\d)*)?\.\d(?:_?\d)*|\d(?:_?\d)*\.?)(?:[eE][+-]?\d(?:_?\d)*)?$/;
const PYTHON_SPECIAL_FLOAT = /^[+-]?(?:inf|infinity|nan)$/i;
const DECIMAL_DIGIT = /^\p{Nd}$/u;

/**
 * Python's `float(s)`, or undefined where Python raises ValueError: " 1.3 " -> 1.3, ".5", "5.", "1e-1",
 * "1_0" -> 10, "inf", "nan", and Unicode decimal digits ("１.５" -> 1.5); "1.3)" or "" -> undefined.
 */
export function parsePythonFloat(text: string): number | undefined {
  let ascii = '';
  for (const char of text) ascii += DECIMAL_DIGIT.test(char) ? String(decimalDigitValue(char)) : char;
  const trimmed = ascii.replace(PYTHON_SPACE, '');
  if (PYTHON_SPECIAL_FLOAT.test(trimmed)) {
    const negative = trimmed.startsWith('-');
    if (/nan/i.test(trimmed)) return NaN;
    return negative ? -Infinity : Infinity;
  }
  if (!PYTHON_FLOAT.test(trimmed)) return undefined;
  return Number(trimmed.replaceAll('_', ''));
}

/**
 * Value of a Unicode decimal digit (category Nd). Unicode assigns them in contiguous runs of complete
 * 0..9 sets, so the value is the distance to the start of the run, modulo 10.
 */
function decimalDigitValue(char: string): number {
  const codePoint = char.codePointAt(0)!;
  let runStart = codePoint;
  while (runStart > 0 && DECIMAL_DIGIT.test(String.fromCodePoint(runStart - 1))) runStart--;
  return (codePoint - runStart) % 10;
}
