import type { OutputFile, UiOutput } from '../../protocol/index.ts';

/** URLs of the images an output map mentions (ComfyUI ui: { images: [{ filename, subfolder, type }] }). */
export function outputFiles(outputs: Record<string, UiOutput> | null): OutputFile[] {
  const files: OutputFile[] = [];
  for (const [node, ui] of Object.entries(outputs ?? {})) {
    const images = (ui as { images?: { filename: string; subfolder?: string; type?: string }[] })?.images ?? [];
    for (const image of images) {
      const subfolder = image.subfolder ?? '';
      const type = image.type ?? 'output';
      const query = new URLSearchParams({ filename: image.filename, subfolder, type });
      files.push({ node, url: `/view?${query}`, filename: image.filename, subfolder, type });
    }
  }
  return files;
}
