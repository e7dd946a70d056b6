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
      </ul>
      <h2>Mask painter</h2>
      <p>
        "Paint mask…" under a LoadImage picture opens it: B brush, E eraser, [ and ] brush size, Ctrl+Z undoes a stroke, Escape
        cancels. Save writes a copy to input/clipspace with the painted part transparent (LoadImage's MASK is 1 there) and
        points the node at it.
      </p>
    </section>
  );
}
