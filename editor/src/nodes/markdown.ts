/**
 * A small Markdown reader for MarkdownNote: text -> a tree of blocks and inline spans, rendered by
 * Markdown.tsx as React elements. Safe by construction: no HTML string is ever made (raw HTML in a note
 * stays text, escaped by React), and a link keeps its target only when it is http(s) or mailto
 * (`javascript:`, `data:` and relative URLs become plain text).
 * Covers what notes use: ATX headings, paragraphs, **strong**, *em* / _em_, `code`, fenced code blocks,
 * - / * / 1. lists, > quotes, --- rules, [links](https://...), backslash escapes. Images show their alt text.
 *
 * @example
 *   parseMarkdown('# Hi\nSee [docs](https://x.org)');
 *   // [{ kind: 'heading', level: 1, children: [{ kind: 'text', text: 'Hi' }] }, { kind: 'paragraph', children: [...] }]
 */

export type Inline =
  | { kind: 'text'; text: string }
  | { kind: 'code'; text: string }
  | { kind: 'strong'; children: Inline[] }
  | { kind: 'em'; children: Inline[] }
  | { kind: 'link'; href: string | null; children: Inline[] };

export type Block =
  | { kind: 'heading'; level: number; children: Inline[] }
  | { kind: 'paragraph'; children: Inline[] }
  | { kind: 'code'; text: string }
  | { kind: 'list'; ordered: boolean; items: Inline[][] }
  | { kind: 'quote'; children: Block[] }
  | { kind: 'rule' };

const SAFE_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);

/** The link target when it is an absolute http(s) or mailto URL, else null (shown as text). */
export function safeHref(raw: string): string | null {
  try {
    const url = new URL(raw.trim());
    return SAFE_PROTOCOLS.has(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
const FENCE = /^\s*(```|~~~)/;
const RULE = /^\s*([-*_])(\s*\1){2,}\s*$/;
const BULLET = /^\s*[-*+]\s+(.*)$/;
const ORDERED = /^\s*\d+[.)]\s+(.*)$/;
const QUOTE = /^\s*>\s?(.*)$/;

/** The blocks of a Markdown text. */
export function parseMarkdown(text: string): Block[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (line.trim() === '') {
      i++;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const body: string[] = [];
      for (i++; i < lines.length && !lines[i].trim().startsWith(fence[1]); i++) body.push(lines[i]);
      i++; // the closing fence (or the end)
      blocks.push({ kind: 'code', text: body.join('\n') });
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      blocks.push({ kind: 'heading', level: heading[1].length, children: parseInline(heading[2]) });
      i++;
      continue;
    }
    if (RULE.test(line)) {
      blocks.push({ kind: 'rule' });
      i++;
      continue;
    }
    if (QUOTE.test(line)) {
      const body: string[] = [];
      for (; i < lines.length && QUOTE.test(lines[i]); i++) body.push(QUOTE.exec(lines[i])![1]);
      blocks.push({ kind: 'quote', children: parseMarkdown(body.join('\n')) });
      continue;
    }
    const listItem = BULLET.test(line) ? BULLET : ORDERED.test(line) ? ORDERED : null;
    if (listItem) {
      const items: Inline[][] = [];
      for (; i < lines.length && listItem.test(lines[i]); i++) items.push(parseInline(listItem.exec(lines[i])![1]));
      blocks.push({ kind: 'list', ordered: listItem === ORDERED, items });
      continue;
    }
    const body: string[] = [];
    for (; i < lines.length && lines[i].trim() !== '' && !FENCE.test(lines[i]) && !HEADING.test(lines[i]) && !QUOTE.test(lines[i]) && !BULLET.test(lines[i]) && !ORDERED.test(lines[i]); i++) {
      body.push(lines[i].trim());
    }
    if (body.length === 0) {
      // A line no rule above took (e.g. "---" after text): keep it as text.
      body.push(line.trim());
      i++;
    }
    blocks.push({ kind: 'paragraph', children: parseInline(body.join(' ')) });
  }
  return blocks;
}

/** Inline spans: escapes, code, links (and images, as their alt text), strong, em. Unclosed markers are text. */
export function parseInline(text: string): Inline[] {
  const out: Inline[] = [];
  let plain = '';
  const flush = () => {
    if (plain !== '') out.push({ kind: 'text', text: plain });
    plain = '';
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length && /[\\`*_[\]()#+\-.!>~<]/.test(text[i + 1])) {
      plain += text[i + 1];
      i += 2;
      continue;
    }
    if (c === '`') {
      const end = text.indexOf('`', i + 1);
      if (end > i) {
        flush();
        out.push({ kind: 'code', text: text.slice(i + 1, end) });
        i = end + 1;
        continue;
      }
    }
    if (c === '[' || (c === '!' && text[i + 1] === '[')) {
      const image = c === '!';
      const open = image ? i + 1 : i;
      const close = matching(text, open, '[', ']');
      if (close > 0 && text[close + 1] === '(') {
        const end = matching(text, close + 1, '(', ')');
        if (end > 0) {
          flush();
          const label = text.slice(open + 1, close);
          const target = text.slice(close + 2, end).trim().split(/\s+/)[0] ?? '';
          if (image) out.push({ kind: 'text', text: label });
          else out.push({ kind: 'link', href: safeHref(target), children: parseInline(label) });
          i = end + 1;
          continue;
        }
      }
    }
    if ((c === '*' || c === '_') && text[i + 1] === c) {
      const end = text.indexOf(c + c, i + 2);
      if (end > i + 2) {
        flush();
        out.push({ kind: 'strong', children: parseInline(text.slice(i + 2, end)) });
        i = end + 2;
        continue;
      }
    }
    if (c === '*' || c === '_') {
      const end = text.indexOf(c, i + 1);
      // `snake_case_words` are not emphasis: an underscore opens only at a word start.
      const opens = c === '*' || i === 0 || !/\w/.test(text[i - 1]);
      if (opens && end > i + 1 && text[i + 1] !== ' ') {
        flush();
        out.push({ kind: 'em', children: parseInline(text.slice(i + 1, end)) });
        i = end + 1;
        continue;
      }
    }
    plain += c;
    i++;
  }
  flush();
  return out;
}

/** The index of the bracket closing the one at `open` (nesting counted), or -1. */
function matching(text: string, open: number, left: string, right: string): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === left) depth++;
    else if (text[i] === right && --depth === 0) return i;
  }
  return -1;
}
