/** The queue: the running job (with interrupt), queued jobs (removable), and recent history with thumbnails. */
import { imageUrl } from '../api/client.ts';
import type { JobView } from '../../../protocol/index.ts';
import { formatMs } from '../nodes/NodeStats.tsx';
import { imagesOf } from '../run/run-state.ts';
import { cancelJob, interrupt } from './run.ts';
import { useUi } from './ui-store.ts';

function time(value: number | null): number | undefined {
  return value !== null && Number.isFinite(value) ? value : undefined;
}

function JobImages({ job }: { job: JobView }) {
  const images = Object.values(job.outputs ?? {}).flatMap((o) => imagesOf(o) ?? []);
  if (images.length === 0) return null;
  return (
    <div className="lf-job-images">
      {images.slice(0, 4).map((image, index) => (
        <button key={index} type="button" className="lf-thumb" aria-label={`Enlarge ${image.filename}`} onClick={() => useUi.setState({ lightbox: { images, index } })}>
          <img src={imageUrl(image)} alt={image.filename} loading="lazy" />
        </button>
      ))}
    </div>
  );
}

function JobRow({ job }: { job: JobView }) {
  const started = time(job.startedAt);
  const finished = time(job.finishedAt);
  const error = job.error?.message;
  return (
    <li className={`lf-job lf-job-${job.status}`} data-status={job.status}>
      <div className="lf-job-head">
        <span className="lf-job-number">#{job.number}</span>
        <span className="lf-job-status">{job.status}</span>
        {started !== undefined && finished !== undefined && <span className="lf-job-time">{formatMs(finished - started)}</span>}
        {job.status === 'queued' && (
          <button type="button" className="lf-icon-button" aria-label={`Remove queued run #${job.number}`} onClick={() => void cancelJob(job.id)}>
            ✕
          </button>
        )}
        {job.status === 'running' && (
          <button type="button" className="lf-icon-button" aria-label={`Interrupt run #${job.number}`} onClick={() => void interrupt(job.id)}>
            ■
          </button>
        )}
      </div>
      {error && <div className="lf-job-error">{error}</div>}
      <JobImages job={job} />
    </li>
  );
}

export function QueuePanel() {
  const jobs = useUi((s) => s.jobs);
  const live = new Set([...jobs.running, ...jobs.queued].map((j) => j.id));
  const history = jobs.history.filter((j) => !live.has(j.id));
  return (
    <section className="lf-queue" aria-label="Queue">
      <h2>Running</h2>
      <ul>{jobs.running.length === 0 ? <li className="lf-empty">Nothing running.</li> : jobs.running.map((job) => <JobRow key={job.id} job={job} />)}</ul>
      <h2>Queued ({jobs.queued.length})</h2>
      <ul>{jobs.queued.length === 0 ? <li className="lf-empty">The queue is empty.</li> : jobs.queued.map((job) => <JobRow key={job.id} job={job} />)}</ul>
      <h2>History ({jobs.historyTotal})</h2>
      <ul>{history.length === 0 ? <li className="lf-empty">No runs yet.</li> : history.map((job) => <JobRow key={job.id} job={job} />)}</ul>
    </section>
  );
}
