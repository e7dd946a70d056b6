/** Renders parsed Markdown (markdown.ts) as React elements: text is escaped by React, links open in a new tab with rel="noopener noreferrer". */
import { memo, useMemo, type ReactNode } from 'react';

import { type Block, type Inline, parseMarkdown } from './markdown.ts';

export const Markdown = memo(function Markdown({ text }: { text: string }) {
  const blocks = useMemo(() => parseMarkdown(text), [text]);
  return <div className="lf-markdown">{blocks.map(renderBlock)}</div>;
});

function renderBlock(block: Block, key: number): ReactNode {
  switch (block.kind) {
    case 'heading': {
      const Tag = (['h3', 'h4', 'h5', 'h6', 'h6', 'h6'] as const)[block.level - 1];
      return <Tag key={key}>{block.children.map(renderInline)}</Tag>;
    }
    case 'paragraph':
      return <p key={key}>{block.children.map(renderInline)}</p>;
    case 'code':
      return (
        <pre key={key}>
          <code>{block.text}</code>
        </pre>
      );
    case 'list': {
      const items = block.items.map((item, i) => <li key={i}>{item.map(renderInline)}</li>);
      return block.ordered ? <ol key={key}>{items}</ol> : <ul key={key}>{items}</ul>;
    }
    case 'quote':
      return <blockquote key={key}>{block.children.map(renderBlock)}</blockquote>;
    case 'rule':
      return <hr key={key} />;
  }
}

function renderInline(span: Inline, key: number): ReactNode {
  switch (span.kind) {
    case 'text':
      return span.text;
    case 'code':
      return <code key={key}>{span.text}</code>;
    case 'strong':
      return <strong key={key}>{span.children.map(renderInline)}</strong>;
    case 'em':
      return <em key={key}>{span.children.map(renderInline)}</em>;
    case 'link':
      return span.href === null ? (
        <span key={key} className="lf-unsafe-link" title="Only http(s) and mailto links open">
          {span.children.map(renderInline)}
        </span>
      ) : (
        <a key={key} href={span.href} target="_blank" rel="noopener noreferrer">
          {span.children.map(renderInline)}
        </a>
      );
  }
}
