/** Every issue of the last refused or failed run; click one to jump to its node. */
import { useRun } from '../run/run-store.ts';
import { focusNode } from './view.ts';

export function IssuesPanel() {
  const issues = useRun((s) => s.issues);
  if (issues.length === 0) return null;
  return (
    <section className="lf-issues" aria-label="Problems" role="alert">
      <header>
        <strong>
          {issues.length} problem{issues.length === 1 ? '' : 's'}
        </strong>
        <button type="button" className="lf-icon-button" aria-label="Dismiss problems" onClick={() => useRun.getState().clearIssues()}>
          ✕
        </button>
      </header>
      <ul>
        {issues.map((issue, i) => (
          <li key={i}>
            {issue.nodeId !== undefined ? (
              <button type="button" className="lf-link" onClick={() => focusNode(issue.nodeId!)}>
                {issue.message}
              </button>
            ) : (
              issue.message
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
