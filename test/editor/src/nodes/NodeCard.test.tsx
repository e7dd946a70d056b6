// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { ReactFlow, ReactFlowProvider } from '@xyflow/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { parseCatalog } from '../../../../protocol/index.ts';
import { fromSaved } from '../../../../editor/src/graph/convert.ts';
import { graphStore, useGraph } from '../../../../editor/src/graph/store.ts';
import { nodeTypes } from '../../../../editor/src/nodes/node-types.ts';
import { useRun } from '../../../../editor/src/run/run-store.ts';
import { OBJECT_INFO } from '../../catalog-fixture.ts';
import { TXT2IMG } from '../../workflow-fixture.ts';

const catalog = parseCatalog(OBJECT_INFO);

function Canvas() {
  const nodes = useGraph((s) => s.nodes);
  const edges = useGraph((s) => s.edges);
  return (
    <div style={{ width: 1600, height: 1000 }}>
      <ReactFlow nodes={nodes} edges={edges} nodeTypes={nodeTypes} onNodesChange={graphStore.getState().onNodesChange} />
    </div>
  );
}

const node = (id: string) => document.querySelector(`[data-node-id="${id}"]`) as HTMLElement;

beforeEach(() => {
  graphStore.getState().setCatalog(catalog);
  graphStore.getState().load(fromSaved(TXT2IMG, catalog), { name: 'txt2img', revision: 1 });
  useRun.setState({ active: null, waiting: {}, nodes: {}, issues: [], issuesByNode: {} });
  render(
    <ReactFlowProvider>
      <Canvas />
    </ReactFlowProvider>,
  );
});
afterEach(cleanup);

describe('NodeCard', () => {
  it('draws sockets coloured by type and widgets by kind', () => {
    const ks = node('3');
    expect(ks.getAttribute('data-node-type')).toBe('KSampler');
    const model = ks.querySelector('[data-input="model"] .react-flow__handle') as HTMLElement;
    expect(model.getAttribute('data-socket-type')).toBe('MODEL');
    expect(model.style.background).toMatch(/b39ddb|179, 157, 219/);
    expect((ks.querySelector('[data-input="seed"] input') as HTMLInputElement).value).toBe('42');
    expect((ks.querySelector('select[aria-label="sampler_name"]') as HTMLSelectElement).value).toBe('euler');
    expect((ks.querySelector('select[aria-label="attention"]') as HTMLSelectElement).value).toBe('auto');
    expect(ks.querySelector('select[aria-label="seed before each run"]')).toBeTruthy();
    expect(node('6').querySelector('textarea')!.value).toBe('a large yellow square on a purple background');
    expect(node('9').querySelector('input[type="checkbox"]')).toBeTruthy();
    expect(node('4').querySelector('.react-flow__handle-right[data-socket-type="VAE"]')).toBeTruthy();
  });

  it('editing a widget goes to the store and is undoable', () => {
    const steps = node('3').querySelector('[data-input="steps"] input') as HTMLInputElement;
    fireEvent.focus(steps);
    fireEvent.change(steps, { target: { value: '500' } });
    fireEvent.keyDown(steps, { key: 'Enter' });
    expect(graphStore.getState().nodes.find((n) => n.id === '3')!.data.widgets.steps).toBe(150);
    act(() => graphStore.getState().undo());
    expect((node('3').querySelector('[data-input="steps"] input') as HTMLInputElement).value).toBe('4');
  });

  it('a linked widget input shows a socket instead of the widget', () => {
    act(() => {
      graphStore.setState({
        edges: [...graphStore.getState().edges, { id: '3:seed', source: '5', sourceHandle: '0', target: '3', targetHandle: 'seed', data: { socketType: 'INT' } }],
      });
    });
    const row = node('3').querySelector('[data-input="seed"]')!;
    expect(row.querySelector('input')).toBeNull();
    expect(row.querySelector('.react-flow__handle')).toBeTruthy();
    expect(row.textContent).toContain('(linked)');
  });

  it('shows run state: progress, cached, stats, images, and issues on the node and input', () => {
    act(() => {
      useRun.getState().queued('r1', 1, ['4', '3', '9']);
      useRun.getState().apply({ runId: 'r1', type: 'execution_start', timestamp: 1 });
      useRun.getState().apply({ runId: 'r1', type: 'execution_cached', nodes: ['4'] });
      useRun.getState().apply({ runId: 'r1', type: 'executing', node: '3', nodeType: 'KSampler' });
      useRun.getState().apply({ runId: 'r1', type: 'progress', node: '3', value: 3, max: 4 });
    });
    expect(node('3').getAttribute('data-status')).toBe('running');
    expect(node('3').querySelector('[role="progressbar"]')!.textContent).toContain('step 3/4');
    expect(node('4').textContent).toContain('cached');
    act(() => {
      useRun.getState().apply({ runId: 'r1', type: 'stats', node: '3', nodeType: 'KSampler', ms: 1534, peakBytes: 3 * 1024 * 1024, extra: {} });
      useRun.getState().apply({ runId: 'r1', type: 'executed', node: '9', nodeType: 'SaveImage', cached: false, output: { images: [{ filename: 'lf_00001_.png', subfolder: '', type: 'output' }] } });
    });
    expect(node('3').textContent).toContain('1.53 s');
    expect(node('3').textContent).toContain('3.0 MiB peak');
    const img = node('9').querySelector('img') as HTMLImageElement;
    expect(img.getAttribute('src')).toBe('/view?filename=lf_00001_.png&subfolder=&type=output');
    act(() => {
      useRun.getState().rejected([
        { code: 'input_missing', message: 'KSampler #3: input "model" is not connected.', nodeId: '3', input: 'model' },
        { code: 'node_failed', message: 'SaveImage #9: disk full.', nodeId: '9' },
      ]);
    });
    expect(node('3').className).toContain('lf-has-issue');
    expect(node('3').querySelector('[data-input="model"]')!.textContent).toContain('is not connected');
    expect(node('9').querySelector('.lf-node-issue')!.textContent).toBe('SaveImage #9: disk full.');
  });

  it('keeps a node of an unknown type with its values', () => {
    act(() => {
      graphStore.getState().load(
        fromSaved({ version: 1, name: 'x', nodes: [{ id: '1', type: 'Gone/Node', position: { x: 0, y: 0 }, widgets: { strength: 0.5 } }], edges: [] }, catalog),
        { name: null, revision: null },
      );
    });
    expect(node('1').className).toContain('lf-missing');
    expect(node('1').textContent).toContain('not installed');
    expect(node('1').textContent).toContain('0.5');
    expect(document.querySelectorAll('[data-node-id]')).toHaveLength(1);
  });
});
