/** The global progress bar: the active run's share of nodes done, plus the running node and its step. */
import { useGraph } from '../graph/store.ts';
import { overallProgress } from '../run/run-state.ts';
import { useRun } from '../run/run-store.ts';

export function ProgressBar() {
  const active = useRun((s) => s.active);
  const fraction = useRun(overallProgress);
  const node = useRun((s) => (s.active?.node ? s.nodes[s.active.node] : undefined));
  const nodeType = useGraph((s) => (active?.node ? s.nodes.find((n) => n.id === active.node)?.data.nodeType : undefined));
  if (!active) return null;
  const label =
    active.phase === 'queued'
      ? `Run ${active.number !== undefined ? `#${active.number} ` : ''}queued`
      : active.phase === 'running'
        ? `${nodeType ?? 'Node'} #${active.node ?? '…'}${node?.progress ? ` · step ${node.progress.value}/${node.progress.max}` : ''}`
        : active.phase === 'success'
          ? `Done${active.startedAt && active.finishedAt ? ` in ${((active.finishedAt - active.startedAt) / 1000).toFixed(1)} s` : ''}`
          : active.phase === 'error'
            ? 'Failed'
            : 'Interrupted';
  return (
    <div className={`lf-progress lf-phase-${active.phase}`} data-phase={active.phase}>
      <div
        className="lf-progress-track"
        role="progressbar"
        aria-label="Run progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(fraction * 100)}
      >
        <div className="lf-progress-fill" style={{ width: `${fraction * 100}%` }} />
      </div>
      <span className="lf-progress-label" aria-live="polite">
        {label} · {Math.round(fraction * 100)}%
      </span>
    </div>
  );
}
