import { describe, expect, it } from 'vitest';

import { parseInline, parseMarkdown, safeHref } from '../../../../editor/src/nodes/markdown.ts';

describe('markdown (MarkdownNote)', () => {
  it('reads headings, paragraphs, lists, quotes, code and rules', () => {
    const blocks = parseMarkdown('# Title\nline one\nline two\n\n- a\n- **b**\n\n1. x\n2. y\n\n> quoted\n\n```\n<b>raw</b>\n```\n---');
    expect(blocks.map((b) => b.kind)).toEqual(['heading', 'paragraph', 'list', 'list', 'quote', 'code', 'rule']);
    expect(blocks[0]).toEqual({ kind: 'heading', level: 1, children: [{ kind: 'text', text: 'Title' }] });
    expect(blocks[1]).toEqual({ kind: 'paragraph', children: [{ kind: 'text', text: 'line one line two' }] });
    expect(blocks[2]).toEqual({ kind: 'list', ordered: false, items: [[{ kind: 'text', text: 'a' }], [{ kind: 'strong', children: [{ kind: 'text', text: 'b' }] }]] });
    expect(blocks[3]).toMatchObject({ kind: 'list', ordered: true });
    expect(blocks[5]).toEqual({ kind: 'code', text: '<b>raw</b>' });
  });

  it('keeps http(s) and mailto links and turns every other target into text', () => {
    expect(parseInline('see [docs](https://example.org/a?b=1) now')).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', href: 'https://example.org/a?b=1', children: [{ kind: 'text', text: 'docs' }] },
      { kind: 'text', text: ' now' },
    ]);
    for (const bad of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', ' javascript:alert(1)', 'java\tscript:alert(1)', 'data:text/html,<script>x</script>', 'vbscript:x', '/relative', '#top']) {
      expect(safeHref(bad), bad).toBeNull();
    }
    expect(safeHref('mailto:a@b.org')).toBe('mailto:a@b.org');
    expect(parseInline('[x](javascript:alert(1))')).toEqual([{ kind: 'link', href: null, children: [{ kind: 'text', text: 'x' }] }]);
  });

  it('leaves raw HTML as text and images as their alt text', () => {
    expect(parseMarkdown('<script>alert(1)</script>')).toEqual([{ kind: 'paragraph', children: [{ kind: 'text', text: '<script>alert(1)</script>' }] }]);
    expect(parseInline('![a cat](https://x.org/cat.png)')).toEqual([{ kind: 'text', text: 'a cat' }]);
  });

  it('reads emphasis, code and escapes, and leaves unclosed markers and snake_case alone', () => {
    expect(parseInline('*em* _em_ `a*b` \\*not\\* snake_case_name 2 * 3')).toEqual([
      { kind: 'em', children: [{ kind: 'text', text: 'em' }] },
      { kind: 'text', text: ' ' },
      { kind: 'em', children: [{ kind: 'text', text: 'em' }] },
      { kind: 'text', text: ' ' },
      { kind: 'code', text: 'a*b' },
      { kind: 'text', text: ' *not* snake_case_name 2 * 3' },
    ]);
  });
});
