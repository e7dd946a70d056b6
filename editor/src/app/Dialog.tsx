/** The prompt/confirm dialog requested through askText() and confirmAction(). */
import { useState } from 'react';

import { Modal } from './Modal.tsx';
import { useUi, type DialogRequest } from './ui-store.ts';

export function Dialog() {
  const dialog = useUi((s) => s.dialog);
  return dialog ? <DialogForm key={dialog.title + dialog.confirmLabel} dialog={dialog} /> : null;
}

function DialogForm({ dialog }: { dialog: DialogRequest }) {
  const [value, setValue] = useState(dialog.kind === 'prompt' ? dialog.value : '');
  const cancel = () => (dialog.kind === 'prompt' ? dialog.resolve(null) : dialog.resolve(false));
  const confirm = () => (dialog.kind === 'prompt' ? dialog.resolve(value) : dialog.resolve(true));
  return (
    <Modal title={dialog.title} onClose={cancel}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          confirm();
        }}
      >
        {dialog.kind === 'prompt' ? (
          <label className="lf-field">
            <span>{dialog.label}</span>
            <input type="text" value={value} onChange={(e) => setValue(e.target.value)} onFocus={(e) => e.target.select()} />
          </label>
        ) : (
          <p>{dialog.message}</p>
        )}
        <footer>
          <button type="button" onClick={cancel}>
            Cancel
          </button>
          <button type="submit" className="lf-primary">
            {dialog.confirmLabel}
          </button>
        </footer>
      </form>
    </Modal>
  );
}
