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
        <li>Drop a PNG made by SaveImage (here or in ComfyUI) onto the canvas to get the workflow that made it, groups and notes included.</li>
        <li>Drop a workflow JSON (ComfyUI's UI or API format, or latentflow's older saved form) to open it; Save and Export write ComfyUI's UI format.</li>
        <li>Groups: Ctrl+G (or the Group button) puts the selected nodes in a group; drag its title to move it with its nodes, double-click the title to rename it, select it to resize it, Delete removes the group only.</li>
        <li>Muted nodes (Ctrl+M, greyed) do not run; bypassed nodes (Ctrl+B, purple) pass their input of the same type through, as in ComfyUI.</li>
        <li>Notes: a Markdown note renders its text; double-click it to edit. Only http(s) and mailto links open.</li>
        <li>Workflows saved by ComfyUI's own frontend on this server are listed under Open too.</li>
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
