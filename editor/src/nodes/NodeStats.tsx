/** A node's last wall time and peak memory (from the run's `stats` events). */
import { memo } from 'react';

import type { NodeRun } from '../run/run-state.ts';

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

function NodeStatsImpl({ stats }: { stats: NodeRun['stats'] }) {
  if (!stats) return null;
  return (
    <div className="lf-node-stats" title="Last run of this node: wall time and peak memory">
      <span className="lf-stat-time">{formatMs(stats.ms)}</span>
      {stats.peakBytes !== null && <span className="lf-stat-peak">{formatBytes(stats.peakBytes)} peak</span>}
    </div>
  );
}

export const NodeStats = memo(NodeStatsImpl);
