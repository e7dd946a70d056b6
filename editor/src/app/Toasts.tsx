/** Short messages (saved, refused link, errors), newest last; errors stay longer. */
import { useUi } from './ui-store.ts';

export function Toasts() {
  const toasts = useUi((s) => s.toasts);
  return (
    <div className="lf-toasts" aria-live="polite">
      {toasts.map((t) => (
        <div key={t.id} className={`lf-toast lf-toast-${t.kind}`} role={t.kind === 'error' ? 'alert' : 'status'}>
          <span>{t.message}</span>
          <button type="button" className="lf-icon-button" aria-label="Dismiss" onClick={() => useUi.getState().dismissToast(t.id)}>
            ✕
          </button>
        </div>
      ))}
    </div>
  );
}
