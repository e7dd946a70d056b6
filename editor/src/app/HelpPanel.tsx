/** Keyboard shortcuts and mouse gestures. */
import { SHORTCUTS } from './shortcuts.ts';

export function HelpPanel() {
  return (
    <section className="lf-help" aria-label="Keyboard shortcuts">
      <h2>Shortcuts</h2>
      <table>
        <tbody>
          {SHORTCUTS.map((s) => (
            <tr key={s.keys}>
              <td>
                <kbd>{s.keys}</kbd>
              </td>
              <td>{s.action}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Tips</h2>
      <ul>
        <li>Links only join sockets of the same type (same colour); a refused link says why.</li>
        <li>Drop a PNG made by SaveImage onto the canvas to get the workflow that made it.</li>
        <li>Drop a workflow JSON (saved or ComfyUI API form) to open it.</li>
        <li>Seeds: pick "randomize" to get a new seed before each run; the widget shows the seed used.</li>
        <li>
          Masks: "Paint mask…" under a LoadImage picture opens the painter (B brush, E eraser, [ ] size, Ctrl+Z undo, Escape cancel).
          Save writes a copy to input/clipspace with the painted part transparent (MASK is 1 there) and points the node at it.
        </li>
      </ul>
    </section>
  );
}
