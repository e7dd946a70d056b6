// ComfyUI UI-format workflows the tests share, written out by hand from ComfyUI's documented default graph
// and node list (ComfyUI's "Load Default": nodes 3-9, links 1-9, the KSampler's seed followed by its control).

/** ComfyUI's default text-to-image graph, UI format 0.4. */
export function comfyDefaultGraph() {
  return {
    last_node_id: 9,
    last_link_id: 9,
    nodes: [
      {
        id: 7, type: 'CLIPTextEncode', pos: [413, 389], size: [425.28, 180.61], flags: {}, order: 3, mode: 0,
        inputs: [{ name: 'clip', type: 'CLIP', link: 5 }],
        outputs: [{ name: 'CONDITIONING', type: 'CONDITIONING', links: [6], slot_index: 0 }],
        properties: { 'Node name for S&R': 'CLIPTextEncode' },
        widgets_values: ['text, watermark'],
      },
      {
        id: 6, type: 'CLIPTextEncode', pos: [415, 186], size: [422.85, 164.31], flags: {}, order: 2, mode: 0,
        inputs: [{ name: 'clip', type: 'CLIP', link: 3 }],
        outputs: [{ name: 'CONDITIONING', type: 'CONDITIONING', links: [4], slot_index: 0 }],
        properties: { 'Node name for S&R': 'CLIPTextEncode' },
        widgets_values: ['beautiful scenery nature glass bottle landscape, , purple galaxy bottle,'],
      },
      {
        id: 5, type: 'EmptyLatentImage', pos: [473, 609], size: [315, 106], flags: {}, order: 0, mode: 0,
        outputs: [{ name: 'LATENT', type: 'LATENT', links: [2], slot_index: 0 }],
        properties: { 'Node name for S&R': 'EmptyLatentImage' },
        widgets_values: [512, 512, 1],
      },
      {
        id: 3, type: 'KSampler', pos: [863, 186], size: [315, 262], flags: {}, order: 4, mode: 0,
        inputs: [
          { name: 'model', type: 'MODEL', link: 1 },
          { name: 'positive', type: 'CONDITIONING', link: 4 },
          { name: 'negative', type: 'CONDITIONING', link: 6 },
          { name: 'latent_image', type: 'LATENT', link: 2 },
        ],
        outputs: [{ name: 'LATENT', type: 'LATENT', links: [7], slot_index: 0 }],
        properties: { 'Node name for S&R': 'KSampler' },
        widgets_values: [156680208700286, 'randomize', 20, 8, 'euler', 'normal', 1],
      },
      {
        id: 8, type: 'VAEDecode', pos: [1209, 188], size: [210, 46], flags: {}, order: 5, mode: 0,
        inputs: [{ name: 'samples', type: 'LATENT', link: 7 }, { name: 'vae', type: 'VAE', link: 8 }],
        outputs: [{ name: 'IMAGE', type: 'IMAGE', links: [9], slot_index: 0 }],
        properties: { 'Node name for S&R': 'VAEDecode' },
      },
      {
        id: 9, type: 'SaveImage', pos: [1451, 189], size: [210, 58], flags: {}, order: 6, mode: 0,
        inputs: [{ name: 'images', type: 'IMAGE', link: 9 }],
        properties: {},
        widgets_values: ['ComfyUI'],
      },
      {
        id: 4, type: 'CheckpointLoaderSimple', pos: [26, 474], size: [315, 98], flags: {}, order: 1, mode: 0,
        outputs: [
          { name: 'MODEL', type: 'MODEL', links: [1], slot_index: 0 },
          { name: 'CLIP', type: 'CLIP', links: [3, 5], slot_index: 1 },
          { name: 'VAE', type: 'VAE', links: [8], slot_index: 2 },
        ],
        properties: { 'Node name for S&R': 'CheckpointLoaderSimple' },
        widgets_values: ['v1-5-pruned-emaonly.safetensors'],
      },
    ],
    links: [
      [1, 4, 0, 3, 0, 'MODEL'],
      [2, 5, 0, 3, 3, 'LATENT'],
      [3, 4, 1, 6, 0, 'CLIP'],
      [4, 6, 0, 3, 1, 'CONDITIONING'],
      [5, 4, 1, 7, 0, 'CLIP'],
      [6, 7, 0, 3, 2, 'CONDITIONING'],
      [7, 3, 0, 8, 0, 'LATENT'],
      [8, 4, 2, 8, 1, 'VAE'],
      [9, 8, 0, 9, 0, 'IMAGE'],
    ],
    groups: [],
    config: {},
    extra: { ds: { scale: 1, offset: [0, 0] } },
    version: 0.4,
  };
}

/** What ComfyUI's "Save (API format)" writes for the default graph. */
export const comfyDefaultPrompt = {
  '3': { class_type: 'KSampler', inputs: { seed: 156680208700286, steps: 20, cfg: 8, sampler_name: 'euler', scheduler: 'normal', denoise: 1, model: ['4', 0], positive: ['6', 0], negative: ['7', 0], latent_image: ['5', 0] } },
  '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'v1-5-pruned-emaonly.safetensors' } },
  '5': { class_type: 'EmptyLatentImage', inputs: { width: 512, height: 512, batch_size: 1 } },
  '6': { class_type: 'CLIPTextEncode', inputs: { text: 'beautiful scenery nature glass bottle landscape, , purple galaxy bottle,', clip: ['4', 1] } },
  '7': { class_type: 'CLIPTextEncode', inputs: { text: 'text, watermark', clip: ['4', 1] } },
  '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
  '9': { class_type: 'SaveImage', inputs: { filename_prefix: 'ComfyUI', images: ['8', 0] } },
};

type Graph = ReturnType<typeof comfyDefaultGraph>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyNode = { inputs: any[]; widgets_values: unknown; title?: string; mode: number } & Record<string, unknown>;

/** The default graph with `change` applied to a deep copy (nodes found by id). */
export function withDefault(change: (g: Graph & Record<string, unknown>, node: (id: number) => AnyNode) => void): Record<string, unknown> {
  const g = comfyDefaultGraph() as Graph & Record<string, unknown>;
  change(g, (id) => g.nodes.find((n) => n.id === id) as unknown as AnyNode);
  return g;
}

/** The note text of comfyFeaturesGraph: Markdown with raw HTML and a javascript: link, which must stay inert. */
export const FEATURES_NOTE = [
  '# How to use',
  'Run it with **Ctrl+Enter**; see [the docs](https://example.org/docs).',
  '',
  '<script>window.pwned = 1</script>',
  '<img src="x" onerror="window.pwned = 3">',
  '',
  '- [do not click](javascript:window.pwned=2)',
  '- `code` stays code',
].join('\n');

/**
 * txt2img on the tiny fixture model (diffusers folder "tiny-sd", 64x64, 3 steps) in ComfyUI's UI format
 * 0.4, with everything the editor draws besides nodes: a group ("Loaders", around node 1), a
 * MarkdownNote (11) and a Note (12), a Reroute node (10, carrying the VAE), a native reroute (1, on the
 * link into VAEDecode's samples), a bypassed ImageScaleBy (7: scale 0.5, so the picture stays 64 px only
 * when it is passed through), a muted SaveImage (9, prefix "muted": it must not run), and a custom
 * title and colours on the positive prompt (2).
 */
export function comfyFeaturesGraph() {
  return {
    last_node_id: 12,
    last_link_id: 12,
    nodes: [
      { id: 1, type: 'DiffusersLoader', pos: [0, 0], size: [315, 122], flags: {}, order: 0, mode: 0,
        outputs: [
          { name: 'MODEL', type: 'MODEL', links: [1], slot_index: 0 },
          { name: 'CLIP', type: 'CLIP', links: [2, 3], slot_index: 1 },
          { name: 'VAE', type: 'VAE', links: [8], slot_index: 2 },
        ],
        properties: { 'Node name for S&R': 'DiffusersLoader' }, widgets_values: ['tiny-sd', 'f32'] },
      { id: 2, type: 'CLIPTextEncode', pos: [400, 0], size: [300, 150], flags: {}, order: 1, mode: 0, title: 'Positive prompt', color: '#232', bgcolor: '#353',
        inputs: [{ name: 'clip', type: 'CLIP', link: 2 }], outputs: [{ name: 'CONDITIONING', type: 'CONDITIONING', links: [4], slot_index: 0 }],
        properties: { 'Node name for S&R': 'CLIPTextEncode' }, widgets_values: ['a small cat'] },
      { id: 3, type: 'CLIPTextEncode', pos: [400, 260], size: [300, 150], flags: {}, order: 2, mode: 0,
        inputs: [{ name: 'clip', type: 'CLIP', link: 3 }], outputs: [{ name: 'CONDITIONING', type: 'CONDITIONING', links: [5], slot_index: 0 }],
        properties: { 'Node name for S&R': 'CLIPTextEncode' }, widgets_values: [''] },
      { id: 4, type: 'EmptyLatentImage', pos: [400, 520], size: [315, 106], flags: {}, order: 3, mode: 0,
        outputs: [{ name: 'LATENT', type: 'LATENT', links: [6], slot_index: 0 }],
        properties: { 'Node name for S&R': 'EmptyLatentImage' }, widgets_values: [64, 64, 1] },
      { id: 5, type: 'KSampler', pos: [800, 0], size: [315, 262], flags: {}, order: 4, mode: 0,
        inputs: [
          { name: 'model', type: 'MODEL', link: 1 },
          { name: 'positive', type: 'CONDITIONING', link: 4 },
          { name: 'negative', type: 'CONDITIONING', link: 5 },
          { name: 'latent_image', type: 'LATENT', link: 6 },
        ],
        outputs: [{ name: 'LATENT', type: 'LATENT', links: [7], slot_index: 0 }],
        properties: { 'Node name for S&R': 'KSampler' }, widgets_values: [42, 'fixed', 3, 7.5, 'euler', 'normal', 1] },
      { id: 6, type: 'VAEDecode', pos: [1500, 0], size: [210, 46], flags: {}, order: 6, mode: 0,
        inputs: [{ name: 'samples', type: 'LATENT', link: 7 }, { name: 'vae', type: 'VAE', link: 9 }],
        outputs: [{ name: 'IMAGE', type: 'IMAGE', links: [10, 12], slot_index: 0 }],
        properties: { 'Node name for S&R': 'VAEDecode' } },
      { id: 7, type: 'ImageScaleBy', pos: [1850, 0], size: [315, 82], flags: {}, order: 7, mode: 4,
        inputs: [{ name: 'image', type: 'IMAGE', link: 10 }], outputs: [{ name: 'IMAGE', type: 'IMAGE', links: [11], slot_index: 0 }],
        properties: { 'Node name for S&R': 'ImageScaleBy' }, widgets_values: ['nearest-exact', 0.5] },
      { id: 8, type: 'SaveImage', pos: [2200, 0], size: [315, 270], flags: {}, order: 8, mode: 0,
        inputs: [{ name: 'images', type: 'IMAGE', link: 11 }], properties: {}, widgets_values: ['editor-comfy'] },
      { id: 9, type: 'SaveImage', pos: [1850, 400], size: [315, 270], flags: {}, order: 9, mode: 2,
        inputs: [{ name: 'images', type: 'IMAGE', link: 12 }], properties: {}, widgets_values: ['muted'] },
      { id: 10, type: 'Reroute', pos: [1300, 300], size: [75, 26], flags: {}, order: 5, mode: 0,
        inputs: [{ name: '', type: '*', link: 8 }], outputs: [{ name: '', type: 'VAE', links: [9], slot_index: 0 }],
        properties: { showOutputText: false, horizontal: false } },
      { id: 11, type: 'MarkdownNote', pos: [0, 400], size: [340, 240], flags: {}, order: 10, mode: 0, color: '#432', bgcolor: '#653',
        properties: {}, widgets_values: [FEATURES_NOTE] },
      { id: 12, type: 'Note', pos: [0, 700], size: [300, 100], flags: {}, order: 11, mode: 0,
        properties: { text: '' }, widgets_values: ['A plain note'] },
    ],
    links: [
      [1, 1, 0, 5, 0, 'MODEL'],
      [2, 1, 1, 2, 0, 'CLIP'],
      [3, 1, 1, 3, 0, 'CLIP'],
      [4, 2, 0, 5, 1, 'CONDITIONING'],
      [5, 3, 0, 5, 2, 'CONDITIONING'],
      [6, 4, 0, 5, 3, 'LATENT'],
      [7, 5, 0, 6, 0, 'LATENT'],
      [8, 1, 2, 10, 0, 'VAE'],
      [9, 10, 0, 6, 1, 'VAE'],
      [10, 6, 0, 7, 0, 'IMAGE'],
      [11, 7, 0, 8, 0, 'IMAGE'],
      [12, 6, 0, 9, 0, 'IMAGE'],
    ],
    groups: [{ id: 1, title: 'Loaders', bounding: [-20, -60, 380, 260], color: '#8A8', font_size: 24, flags: {} }],
    config: {},
    extra: {
      ds: { scale: 0.6, offset: [40, 120] },
      reroutes: [{ id: 1, pos: [1300, 80], linkIds: [7] }],
      linkExtensions: [{ id: 7, parentId: 1 }],
    },
    version: 0.4,
  };
}
