/** The editor: toolbar, palette, canvas with progress and problems, side panel, dialogs. */
import { ReactFlowProvider } from '@xyflow/react';
import { useEffect } from 'react';

import { Canvas } from './Canvas.tsx';
import { start } from './session.ts';
import { screenToFlow } from './view.ts';
import { Dialog } from './Dialog.tsx';
import { HelpPanel } from './HelpPanel.tsx';
import { InfoPanel } from './InfoPanel.tsx';
import { IssuesPanel } from './IssuesPanel.tsx';
import { Lightbox } from './Lightbox.tsx';
import { MaskPainter } from '../nodes/MaskPainter.tsx';
import { OpenDialog } from './OpenDialog.tsx';
import { Palette } from './Palette.tsx';
import { ProgressBar } from './ProgressBar.tsx';
import { QueuePanel } from './QueuePanel.tsx';
import { QuickAdd } from './QuickAdd.tsx';
import { SaveAsNodeDialog } from './SaveAsNodeDialog.tsx';
import { handleShortcut, pointer } from './shortcuts.ts';
import { Toasts } from './Toasts.tsx';
import { Toolbar } from './Toolbar.tsx';
import { useUi } from './ui-store.ts';

export function App() {
  const panel = useUi((s) => s.panel);
  useEffect(() => {
    void start();
    const onKeyDown = (event: KeyboardEvent) => {
      if (handleShortcut(event, () => screenToFlow(pointer))) event.preventDefault();
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, []);

  return (
    <ReactFlowProvider>
      <div className="lf-app">
        <Toolbar />
        <div className="lf-main">
          <Palette />
          <main className="lf-stage">
            <ProgressBar />
            <Canvas />
            <IssuesPanel />
          </main>
          {panel && (
            <aside className="lf-side" aria-label="Side panel">
              {panel === 'queue' && <QueuePanel />}
              {panel === 'info' && <InfoPanel />}
              {panel === 'help' && <HelpPanel />}
            </aside>
          )}
        </div>
        <QuickAdd />
        <Toasts />
        <Dialog />
        <OpenDialog />
        <SaveAsNodeDialog />
        <Lightbox />
        <MaskPainter />
      </div>
    </ReactFlowProvider>
  );
}
