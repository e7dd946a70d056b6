/**
 * One node on the canvas: title, typed sockets, widgets, run status (running step, cached, error),
 * the step preview, output images and the last wall time / peak memory. Memoized; it reads only its
 * own slices of the stores, so editing one node does not re-render the others.
 */
import { Handle, Position, type NodeProps } from '@xyflow/react';
import { memo, useCallback } from 'react';

import { askText } from '../app/ui-store.ts';
import { isWidgetInput, type InputDef, type NodeSpec } from '../../../protocol/index.ts';
import { socketColor } from '../graph/connection.ts';
import { graphStore, useGraph } from '../graph/store.ts';
import type { FlowNode, SeedControl } from '../graph/types.ts';
import { useRun } from '../run/run-store.ts';
import { linkedInputsKey, usedOutputsKey } from './linked-inputs.ts';
import { colorStyles, modeLook } from './node-look.ts';
import { ImageUpload } from './ImageUpload.tsx';
import { NodeImages } from './NodeImages.tsx';
import { NodeStats } from './NodeStats.tsx';
import { Widget } from './widgets/Widget.tsx';

function NodeCardImpl({ id, data, selected }: NodeProps<FlowNode>) {
  const spec = useGraph((s) => s.catalog.get(data.nodeType));
  const linkedKey = useGraph((s) => linkedInputsKey(s.edges, id));
  const usedOutputsKeyValue = useGraph((s) => (spec ? '' : usedOutputsKey(s.edges, id)));
  const run = useRun((s) => s.nodes[id]);
  const issues = useRun((s) => s.issuesByNode[id]);
  const linked = new Set(linkedKey === '' ? [] : linkedKey.split('\n'));

  const setWidget = useCallback((input: string, value: unknown) => graphStore.getState().setWidget(id, input, value), [id]);
  const setControl = useCallback((input: string, control: SeedControl) => graphStore.getState().setControl(id, input, control), [id]);
  const rename = useCallback(async () => {
    const title = await askText('Rename node', 'Title (empty: the type name)', data.title ?? spec?.displayName ?? data.nodeType, 'Rename');
    if (title !== null) graphStore.getState().setTitle(id, title);
  }, [id, data.title, data.nodeType, spec]);

  const title = data.title ?? spec?.displayName ?? data.nodeType;
  const status = run?.status;
  const nodeIssues = issues?.filter((i) => i.input === undefined || !spec?.inputs.some((input) => input.name === i.input)) ?? [];
  const mode = modeLook(data.mode);
  const colors = colorStyles(data);
  const classes = ['lf-node', selected ? 'lf-selected' : '', status ? `lf-status-${status}` : '', issues?.length ? 'lf-has-issue' : '', spec ? '' : 'lf-missing', mode.className]
    .filter(Boolean)
    .join(' ');

  return (
    <div className={classes} style={colors.card} data-node-id={id} data-node-type={data.nodeType} data-status={status ?? 'idle'} data-mode={mode.name} role="group" aria-label={`${title} #${id}`}>
      <div className="lf-node-header" style={colors.header} title={spec?.description || data.nodeType} onDoubleClick={rename}>
        <span className="lf-node-title">{title}</span>
        <span className="lf-node-id">#{id}</span>
        {status === 'cached' && <span className="lf-badge lf-badge-cached" title="Outputs reused from the cache: inputs unchanged">cached</span>}
        {status === 'pending' && <span className="lf-badge" title="Waiting to run">queued</span>}
        {status === 'interrupted' && <span className="lf-badge lf-badge-error">interrupted</span>}
      </div>
      {status === 'running' && (
        <div className="lf-node-progress" role="progressbar" aria-label={`${title} progress`} aria-valuemin={0} aria-valuemax={run?.progress?.max ?? 1} aria-valuenow={run?.progress?.value ?? 0}>
          <div className="lf-node-progress-fill" style={{ width: run?.progress ? `${(100 * run.progress.value) / Math.max(1, run.progress.max)}%` : '100%' }} data-indeterminate={!run?.progress || undefined} />
          {run?.progress && (
            <span className="lf-node-progress-text">
              step {run.progress.value}/{run.progress.max}
            </span>
          )}
        </div>
      )}
      <div className="lf-node-body">
        {spec ? <Outputs spec={spec} /> : <MissingOutputs keyValue={usedOutputsKeyValue} />}
        {spec ? (
          spec.inputs.map((input) => (
            <InputRow
              key={input.name}
              nodeId={id}
              input={input}
              linked={linked.has(input.name)}
              value={data.widgets[input.name]}
              control={data.controls?.[input.name]}
              issue={issues?.find((i) => i.input === input.name)?.message}
              setWidget={setWidget}
              setControl={setControl}
            />
          ))
        ) : (
          <MissingInputs nodeType={data.nodeType} linked={[...linked]} widgets={data.widgets} />
        )}
      </div>
      {spec?.inputs.some(isImagePicker) && !linked.has('image') && <ImageUpload nodeId={id} input="image" value={data.widgets.image} />}
      {nodeIssues.map((issue, i) => (
        <div key={i} className="lf-node-issue" role="alert">
          {issue.message}
        </div>
      ))}
      <NodeImages nodeId={id} preview={run?.preview} images={run?.images} running={status === 'running'} />
      <NodeStats stats={run?.stats} />
    </div>
  );
}

/** An input that picks a file from the server's input folder (LoadImage's `image`). */
function isImagePicker(input: InputDef): boolean {
  return input.kind === 'choice' && input.name === 'image';
}

const Outputs = memo(function Outputs({ spec }: { spec: NodeSpec }) {
  return (
    <>
      {spec.outputs.map((output) => (
        <div key={output.index} className="lf-row lf-row-output" title={output.tooltip || output.type}>
          <span className="lf-row-label">{output.name}</span>
          <Handle
            type="source"
            position={Position.Right}
            id={String(output.index)}
            className="lf-handle"
            style={{ background: socketColor(output.type) }}
            data-socket-type={output.type}
            aria-label={`output ${output.name} (${output.type})`}
          />
        </div>
      ))}
    </>
  );
});

interface InputRowProps {
  nodeId: string;
  input: InputDef;
  linked: boolean;
  value: unknown;
  control?: SeedControl;
  issue?: string;
  setWidget(input: string, value: unknown): void;
  setControl(input: string, control: SeedControl): void;
}

const InputRow = memo(function InputRow({ nodeId, input, linked, value, control, issue, setWidget, setControl }: InputRowProps) {
  const widget = isWidgetInput(input);
  const socketType = widget ? undefined : input.type;
  const fieldId = `lf-${nodeId}-${input.name}`;
  const onChange = useCallback((v: unknown) => setWidget(input.name, v), [setWidget, input.name]);
  const onControlChange = useCallback((c: SeedControl) => setControl(input.name, c), [setControl, input.name]);
  return (
    <div className={`lf-row lf-row-input${widget ? ' lf-row-widget' : ''}${issue ? ' lf-row-issue' : ''}`} data-input={input.name} title={input.tooltip}>
      {(!widget || linked) && (
        <Handle
          type="target"
          position={Position.Left}
          id={input.name}
          className="lf-handle"
          style={{ background: socketColor(socketType ?? 'STRING') }}
          data-socket-type={socketType}
          aria-label={`input ${input.name}${socketType ? ` (${socketType})` : ''}`}
        />
      )}
      {widget && !linked ? (
        <>
          <label className="lf-row-label" htmlFor={fieldId}>
            {input.name}
          </label>
          <div className="lf-widget">
            <Widget id={fieldId} spec={input} value={value} control={control} onChange={onChange} onControlChange={onControlChange} />
          </div>
        </>
      ) : (
        <span className="lf-row-label">
          {input.name}
          {input.optional && <span className="lf-optional"> (optional)</span>}
          {widget && <span className="lf-optional"> (linked)</span>}
        </span>
      )}
      {issue && (
        <div className="lf-row-issue-text" role="alert">
          {issue}
        </div>
      )}
    </div>
  );
});

/** Outputs of a node whose type the server does not have: one handle per output index in use. */
function MissingOutputs({ keyValue }: { keyValue: string }) {
  if (keyValue === '') return null;
  return (
    <>
      {keyValue.split('\n').map((index) => (
        <div key={index} className="lf-row lf-row-output">
          <span className="lf-row-label">output {index}</span>
          <Handle type="source" position={Position.Right} id={index} className="lf-handle" />
        </div>
      ))}
    </>
  );
}

/** Inputs of a node whose type the server does not have: its links and raw widget values, kept as they were. */
function MissingInputs({ nodeType, linked, widgets }: { nodeType: string; linked: string[]; widgets: Record<string, unknown> }) {
  return (
    <>
      <div className="lf-node-issue">Node type "{nodeType}" is not installed on this server; it is kept but cannot run.</div>
      {linked.map((name) => (
        <div key={name} className="lf-row lf-row-input">
          <Handle type="target" position={Position.Left} id={name} className="lf-handle" />
          <span className="lf-row-label">{name}</span>
        </div>
      ))}
      {Object.entries(widgets).map(([name, value]) => (
        <div key={name} className="lf-row lf-row-widget">
          <span className="lf-row-label">{name}</span>
          <code className="lf-raw">{JSON.stringify(value)}</code>
        </div>
      ))}
    </>
  );
}

export const NodeCard = memo(NodeCardImpl);
