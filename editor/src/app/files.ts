/**
 * Files: importing a workflow JSON (either form), a subgraph node type or a PNG made by SaveImage;
 * exporting the canvas; uploading an image for a node. Downloads go through `download`.
 */
import { savedToExecution, savedToUi, type SubgraphJson, withoutDefaultExtras } from '../../../protocol/index.ts';
import { api } from '../api/client.ts';
import { readWorkflowJson, WorkflowFormatError } from '../graph/convert.ts';
import { isPng, readPngText, workflowFromPng } from '../graph/png-text.ts';
import { graphStore } from '../graph/store.ts';
import { currentWorkflow, discardChanges, loadWorkflow } from './document.ts';
import { loadCatalog } from './session.ts';
import { errorMessage, toast } from './ui-store.ts';

/** Saves `text` as a file through the browser. */
export function download(filename: string, text: string, type = 'application/json'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function fileStem(name: string): string {
  return name.replace(/\.[^.]+$/, '') || 'imported';
}

/** The catalog as the converters read it. */
function specs() {
  const { catalog } = graphStore.getState();
  return { nodeSpec: (type: string) => catalog.get(type) };
}

/** Saves the canvas as ComfyUI's UI format (opens in ComfyUI) or its API format (latentflow-only inputs at their defaults left out). */
export function exportWorkflow(form: 'saved' | 'execution'): void {
  const workflow = currentWorkflow();
  const body = form === 'saved' ? savedToUi(workflow, specs()) : withoutDefaultExtras(savedToExecution(workflow).graph, specs());
  download(`${workflow.name}${form === 'execution' ? '.api' : ''}.json`, `${JSON.stringify(body, null, 2)}\n`);
}

function isSubgraphJson(json: unknown): json is SubgraphJson {
  const j = json as Partial<SubgraphJson> | null;
  return !!j && typeof j === 'object' && typeof j.type === 'string' && Array.isArray(j.inputs) && Array.isArray(j.outputs) && typeof j.workflow === 'object';
}

/** Uploads a PNG to the server's input folder and points a node's image input at it. */
export async function uploadImageTo(nodeId: string, input: string, file: File): Promise<void> {
  try {
    const ref = await api.uploadImage(file);
    const name = ref.subfolder ? `${ref.subfolder}/${ref.name}` : ref.name;
    await loadCatalog(); // the input's options now include the new file
    graphStore.getState().setWidget(nodeId, input, name);
    toast('success', `Uploaded ${file.name} as "${name}".`);
  } catch (error) {
    toast('error', `Could not upload ${file.name}: ${errorMessage(error)}`);
  }
}

/**
 * Opens a file: a workflow JSON (either form), a subgraph node type exported from another server, or a
 * PNG made by SaveImage (its embedded workflow). A PNG without a workflow dropped at `at` becomes a
 * LoadImage node there (the picture is uploaded to the input folder).
 */
export async function importFile(file: File, at?: { x: number; y: number }): Promise<void> {
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    if (isPng(bytes)) {
      const text = await readPngText(bytes);
      if (!('workflow' in text) && !('prompt' in text) && at && graphStore.getState().catalog.has('LoadImage')) {
        const id = graphStore.getState().addNode('LoadImage', at);
        await uploadImageTo(id, 'image', file);
        return;
      }
      const workflow = await workflowFromPng(bytes, fileStem(file.name), graphStore.getState().catalog);
      if (!(await discardChanges())) return;
      loadWorkflow(workflow, { name: null, revision: null }, { quiet: true });
      graphStore.setState({ dirty: true });
      toast('success', `Loaded the workflow embedded in ${file.name}.`);
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      throw new WorkflowFormatError(`${file.name} is neither JSON nor a PNG.`);
    }
    if (isSubgraphJson(json)) {
      await api.saveSubgraph(json);
      await loadCatalog();
      toast('success', `Imported node type "${json.type}"; find it in the palette.`);
      return;
    }
    const workflow = readWorkflowJson(json, fileStem(file.name), graphStore.getState().catalog);
    if (!(await discardChanges())) return;
    loadWorkflow(workflow, { name: null, revision: null }, { quiet: true });
    graphStore.setState({ dirty: true });
    toast('success', `Imported ${file.name}.`);
  } catch (error) {
    toast('error', `Could not import ${file.name}: ${errorMessage(error)}`);
  }
}
