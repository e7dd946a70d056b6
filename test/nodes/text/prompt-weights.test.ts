import { describe, expect, it } from 'vitest';

import {
  parsePromptWeights,
  parsePythonFloat,
  SQUARE_BRACKET_MULTIPLIER as SQUARE,
} from '../../../nodes/text/prompt-weights.ts';

type Case = [prompt: string, expected: Array<[text: string, weight: number]>];

// Expected weights are written as the double arithmetic ComfyUI's Python performs (1.1 * 1.1 is 1.2100000000000002).
const cases: Case[] = [
  ['a photo of a cat', [['a photo of a cat', 1]]],
  ['', []],
  ['(cat)', [['cat', 1.1]]],
  ['((cat))', [['cat', 1.1 * 1.1]]],
  ['(((cat)))', [['cat', 1.1 * 1.1 * 1.1]]],
  ['a (red:1.3) car', [['a ', 1], ['red', 1.3], [' car', 1]]],
  ['(red:.5)', [['red', 0.5]]],
  ['(red:0)', [['red', 0]]],
  ['(red:2.)', [['red', 2]]],
  ['(red:-0.5)', [['red', -0.5]]],
  ['(red:1e-1)', [['red', 0.1]]],
  ['(red:1_0)', [['red', 10]]],
  // Spaces around ':' : float() strips them; the space before ':' stays in the text.
  ['(red : 1.3)', [['red ', 1.3]]],
  ['(red:  1.3  )', [['red', 1.3]]],
  ['(a, b:0.8)', [['a, b', 0.8]]],
  ['(blue sky, white clouds:1.2), sun', [['blue sky, white clouds', 1.2], [', sun', 1]]],
  // An explicit weight replaces the enclosing weight (ComfyUI), inner brackets multiply it.
  ['((a:1.5))', [['a', 1.5]]],
  ['(a (b) c:1.5)', [['a ', 1.5], ['b', 1.5 * 1.1], [' c', 1.5]]],
  ['(a (b:0.5) c)', [['a ', 1.1], ['b', 0.5], [' c', 1.1]]],
  // Only the text after the last ':' is a weight, and only if it is a number and not at the very start.
  ['(a:1.2:0.8)', [['a:1.2', 0.8]]],
  ['(time: noon)', [['time: noon', 1.1]]],
  ['(:1.2)', [[':1.2', 1.1]]],
  ['(a:1.3)b(c)', [['a', 1.3], ['b', 1], ['c', 1.1]]],
  ['()', []],
  ['(a\nb:1.2)', [['a\nb', 1.2]]],
  // Escaped brackets are literal text.
  ['\\(cat\\)', [['(cat)', 1]]],
  ['\\((cat)\\)', [['(', 1], ['cat', 1.1], [')', 1]]],
  ['(smile \\(happy\\):1.2)', [['smile (happy)', 1.2]]],
  ['\\[cat\\]', [['[cat]', 1]]],
  // Unbalanced brackets: literal text, with ComfyUI's quirks.
  ['a (b c', [['a ', 1], ['(b c', 1]]],
  ['a (b (c) d', [['a ', 1], ['(b (c) d', 1]]],
  // ComfyUI only checks the first and last character: an unclosed group that ends with ')' is a group.
  ['a (b (c)', [['a ', 1], ['b ', 1.1], ['(c', 1.1]]],
  ['a) (b)', [['a) (b)', 1]]],
  ['x) ( (y)', [['x) ( ', 1], ['y', 1.1]]],
  ['(a]', [['(a]', 1]]],
  [')(', [[')(', 1]]],
  // Square brackets: A1111's de-emphasis, x (1 / 1.1) per pair, no explicit weight.
  ['[cat]', [['cat', SQUARE]]],
  ['[[cat]]', [['cat', SQUARE * SQUARE]]],
  ['a [b (c) d] e', [['a ', 1], ['b ', SQUARE], ['c', SQUARE * 1.1], [' d', SQUARE], [' e', 1]]],
  ['[cat:1.5]', [['cat:1.5', SQUARE]]],
  ['[a (b:1.4)]', [['a ', SQUARE], ['b', 1.4]]],
  ['[unclosed', [['[unclosed', 1]]],
  // The examples of docs/PROMPTS.md.
  ['(a castle (at night) on a hill:1.2)', [['a castle ', 1.2], ['at night', 1.2 * 1.1], [' on a hill', 1.2]]],
  ['a portrait, (smiling \\(slightly\\):1.1)', [['a portrait, ', 1], ['smiling (slightly)', 1.1]]],
  ['(cat)s', [['cat', 1.1], ['s', 1]]],
];

describe('parsePromptWeights', () => {
  it.each(cases)('%j', (prompt, expected) => {
    const spans = parsePromptWeights(prompt);
    expect(spans.map((span) => [span.text, span.weight])).toEqual(expected);
  });

  it('treats (word:nan) as Python does (float("nan") is a number)', () => {
    const [span] = parsePromptWeights('(cat:nan)');
    expect(span.text).toBe('cat');
    expect(Number.isNaN(span.weight)).toBe(true);
  });

  it('with squareBrackets off, parses exactly as ComfyUI: [ ] and \\[ \\] are plain text', () => {
    const spans = parsePromptWeights('[cat] \\[x\\] (dog) \\(y\\)', { squareBrackets: false });
    expect(spans.map((span) => [span.text, span.weight])).toEqual([['[cat] \\[x\\] ', 1], ['dog', 1.1], [' (y)', 1]]);
  });

  it('survives 5000 levels of nesting without overflowing the stack', () => {
    const prompt = '('.repeat(5000) + 'x' + ')'.repeat(5000);
    const spans = parsePromptWeights(prompt);
    expect(spans.length).toBe(1);
    expect(spans[0].text).toBe('x');
    expect(spans[0].weight).toBeGreaterThan(1e200);
  });

  it('equals a line-by-line transcription of ComfyUI on 3000 random bracket soups, and never throws', () => {
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const alphabet = ['(', ')', '[', ']', ':', '\\', ' ', 'a', 'b', '1', '.', '5', ','];
    for (let n = 0; n < 3000; n++) {
      const length = Math.floor(random() * 24);
      let prompt = '';
      for (let i = 0; i < length; i++) prompt += alphabet[Math.floor(random() * alphabet.length)];
      const ours = parsePromptWeights(prompt, { squareBrackets: false });
      expect(ours).toEqual(comfyTokenWeights(prompt));
      const withSquare = parsePromptWeights(prompt);
      for (const span of withSquare) expect(span.text.length).toBeGreaterThan(0);
      if (!/[[\]]/.test(prompt)) expect(withSquare).toEqual(ours);
    }
  });
});

describe('parsePythonFloat (what ComfyUI accepts after the colon)', () => {
  it.each([
    ['1.3', 1.3], [' 1.3 ', 1.3], ['.5', 0.5], ['5.', 5], ['+2', 2], ['-0.25', -0.25], ['1e3', 1000],
    ['1.5E-2', 0.015], ['1_000.5', 1000.5], ['00012', 12], ['inf', Infinity], ['-Infinity', -Infinity],
    ['\uff11.\uff15', 1.5], ['\u0663', 3], ['\t2\n', 2],
  ] as const)('%j -> %d', (text, value) => {
    expect(parsePythonFloat(text)).toBe(value);
  });

  it.each(['', ' ', '.', '1.3)', 'a', '1__0', '_1', '1_', '1e', 'e5', '1.2.3', '0x10', '1,5', '--1', 'in f'])(
    '%j is not a number',
    (text) => {
      expect(parsePythonFloat(text)).toBeUndefined();
    },
  );
});

/**
 * comfy/sd1_clip.py's escape_important / parse_parentheses / token_weights / unescape_important,
 * transcribed as literally as possible, as the reference for the random comparison above.
 */
function comfyTokenWeights(prompt: string): Array<{ text: string; weight: number }> {
  const escaped = prompt.replaceAll('\\)', '\0\u0001').replaceAll('\\(', '\0\u0002');
  const parseParentheses = (string: string): string[] => {
    const result: string[] = [];
    let currentItem = '';
    let nestingLevel = 0;
    for (const char of string) {
      if (char === '(') {
        if (nestingLevel === 0) {
          if (currentItem) result.push(currentItem);
          currentItem = '(';
        } else {
          currentItem += char;
        }
        nestingLevel += 1;
      } else if (char === ')') {
        nestingLevel -= 1;
        if (nestingLevel === 0) {
          result.push(currentItem + ')');
          currentItem = '';
        } else {
          currentItem += char;
        }
      } else {
        currentItem += char;
      }
    }
    if (currentItem) result.push(currentItem);
    return result;
  };
  const tokenWeights = (string: string, currentWeight: number): Array<[string, number]> => {
    const out: Array<[string, number]> = [];
    for (let x of parseParentheses(string)) {
      let weight = currentWeight;
      if (x.length >= 2 && x[x.length - 1] === ')' && x[0] === '(') {
        x = x.slice(1, -1);
        const xx = x.lastIndexOf(':');
        weight *= 1.1;
        if (xx > 0) {
          const parsed = parsePythonFloat(x.slice(xx + 1));
          if (parsed !== undefined) {
            weight = parsed;
            x = x.slice(0, xx);
          }
        }
        out.push(...tokenWeights(x, weight));
      } else {
        out.push([x, currentWeight]);
      }
    }
    return out;
  };
  return tokenWeights(escaped, 1.0).map(([text, weight]) => ({
    text: text.replaceAll('\0\u0001', ')').replaceAll('\0\u0002', '('),
    weight,
  }));
}
