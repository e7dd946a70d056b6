import { describe, expect, expectTypeOf, it } from 'vitest';

import {
  boolean,
  checkDefinition,
  choice,
  defineNode,
  float,
  int,
  type NodeContext,
  NodeDefinitionError,
  objectInfo,
  optional,
  socket,
  type SocketValue,
  text,
  widgetsSchema,
} from '../../nodes/schema.ts';

// A KSampler-shaped definition written exactly as STYLE.md section 2 shows (ComfyUI input names).
const sampler = defineNode({
  type: 'KSampler',
  version: 1,
  category: 'sampling',
  description: 'Denoises a latent with the given model and conditioning.',
  inputs: {
    model: socket('MODEL'),
    seed: int({ default: 0, min: 0, max: Number.MAX_SAFE_INTEGER, description: 'Noise seed.' }),
    steps: int({ default: 20, min: 1, max: 150 }),
    cfg: float({ default: 8, min: 0, max: 30, step: 0.5, round: 0.01 }),
    sampler_name: choice(['euler', 'ddim'] as const, { default: 'euler' }),
    positive: socket('CONDITIONING'),
    negative: socket('CONDITIONING'),
    latent_image: socket('LATENT'),
    denoise: float({ default: 1, min: 0, max: 1, step: 0.01 }),
    attention: choice(['auto', 'naive', 'sliced', 'flash'] as const, { default: 'auto' }),
    mask: optional(socket('LATENT')),
  },
  outputs: { LATENT: socket('LATENT', { description: 'The denoised latent.' }) },
  run(input, ctx) {
    // Types are inferred from the schema: nothing to cast.
    expectTypeOf(input.seed).toEqualTypeOf<number>();
    expectTypeOf(input.sampler_name).toEqualTypeOf<'euler' | 'ddim'>();
    expectTypeOf(input.attention).toEqualTypeOf<'auto' | 'naive' | 'sliced' | 'flash'>();
    expectTypeOf(input.model).toEqualTypeOf<SocketValue<'MODEL'>>();
    expectTypeOf(input).toHaveProperty('mask');
    expectTypeOf<undefined>().toMatchTypeOf<typeof input.mask>();
    expectTypeOf(ctx).toEqualTypeOf<NodeContext>();
    ctx.progress(input.steps, input.steps);
    return { LATENT: input.latent_image };
  },
});

const saver = defineNode({
  type: 'SaveImage',
  version: 1,
  category: 'image',
  description: 'Saves images to the output directory.',
  inputs: { images: socket('IMAGE'), filename_prefix: text({ default: 'latentflow' }), overwrite: boolean({ default: false, labelOn: 'yes' }) },
  outputs: {},
  outputNode: true,
  cache: { enabled: false },
  run(input) {
    expectTypeOf(input.filename_prefix).toEqualTypeOf<string>();
    expectTypeOf(input.overwrite).toEqualTypeOf<boolean>();
    return { ui: { images: [{ filename: `${input.filename_prefix}_00001_.png`, subfolder: '', type: 'output' }] } };
  },
});

describe('defineNode', () => {
  it('returns the definition unchanged when it is valid', () => {
    expect(sampler.type).toBe('KSampler');
    expect(checkDefinition(sampler)).toEqual([]);
    expect(checkDefinition(saver)).toEqual([]);
  });

  it('refuses a definition with every problem listed', () => {
    let caught: unknown;
    try {
      defineNode({
        type: 'Bad Name',
        version: 0,
        category: '',
        description: 'x',
        inputs: {
          steps: int({ default: 200, min: 1, max: 150 }),
          ratio: int({ default: 1.5 }),
          mode: choice(['a', 'b'] as const, { default: 'a' }),
          'not-an-identifier': text(),
        },
        outputs: { ui: socket('IMAGE') },
        run: () => ({ ui: {} as never }),
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(NodeDefinitionError);
    const problems = (caught as NodeDefinitionError).problems;
    expect(problems).toHaveLength(7);
    expect(problems.join("\n")).toMatch(/input name "not-an-identifier"/);
    expect(problems.join('\n')).toMatch(/type/);
    expect(problems.join('\n')).toMatch(/version/);
    expect(problems.join('\n')).toMatch(/category/);
    expect(problems.join('\n')).toMatch(/"steps": default 200 is outside/);
    expect(problems.join('\n')).toMatch(/"ratio": default 1.5 is not an integer/);
    expect(problems.join('\n')).toMatch(/"ui" is reserved/);
  });

  it('types the result from the outputs: a wrong output name does not compile', () => {
    const wrong = {
      type: 'Wrong',
      version: 1,
      category: 'x',
      description: '',
      inputs: { latent: socket('LATENT') },
      outputs: { LATENT: socket('LATENT') },
      run: (input: { latent: SocketValue<'LATENT'> }) => ({ latent: input.latent }),
    } as const;
    // @ts-expect-error the output is called LATENT, not latent
    expect(() => defineNode(wrong)).not.toThrow(); // at run time it is a valid shape; the compiler caught it
  });

  it('checks untyped objects (JS packs): unknown socket types, missing run, bad choice defaults', () => {
    const problems = checkDefinition({
      type: 'Thing',
      version: 1,
      category: 'x',
      description: '',
      inputs: { a: { kind: 'socket', type: 'TENSOR' }, b: { kind: 'choice', options: ['x'], default: 'y' }, c: { kind: 'slider' } },
      outputs: { OUT: { kind: 'int' } },
    });
    expect(problems).toHaveLength(5);
    expect(checkDefinition(null)).toHaveLength(1);
  });
});

describe('objectInfo', () => {
  it('writes the ComfyUI object_info shape plus version and pack', () => {
    const info = objectInfo(sampler);
    expect(info.input.required.model).toEqual(['MODEL', {}]);
    expect(info.input.required.seed).toEqual(['INT', { tooltip: 'Noise seed.', default: 0, min: 0, max: Number.MAX_SAFE_INTEGER, control_after_generate: true }]); // ComfyUI's frontend draws (and saves) a control after a seed
    expect(info.input.required.cfg).toEqual(['FLOAT', { default: 8, min: 0, max: 30, step: 0.5, round: 0.01 }]);
    expect(info.input.required.sampler_name).toEqual([['euler', 'ddim'], { default: 'euler' }]);
    expect(info.input.optional).toEqual({ mask: ['LATENT', {}] });
    expect(info.input_order.required).toEqual(['model', 'seed', 'steps', 'cfg', 'sampler_name', 'positive', 'negative', 'latent_image', 'denoise', 'attention']);
    expect(info).toMatchObject({
      output: ['LATENT'],
      output_is_list: [false],
      output_name: ['LATENT'],
      output_tooltips: ['The denoised latent.'],
      name: 'KSampler',
      display_name: 'KSampler',
      category: 'sampling',
      output_node: false,
      version: 1,
      pack: null,
    });
    const save = objectInfo(saver, {}, 'io');
    expect(save.input.required.filename_prefix).toEqual(['STRING', { default: 'latentflow' }]);
    expect(save.input.required.overwrite).toEqual(['BOOLEAN', { default: false, label_on: 'yes' }]);
    expect(save).toMatchObject({ output: [], output_node: true, pack: 'io', python_module: 'packs.io' });
    // It is plain JSON.
    expect(JSON.parse(JSON.stringify(info))).toEqual(info);
  });

  it('evaluates dynamic options against the host at catalog time', () => {
    const loader = defineNode({
      type: 'CheckpointLoaderSimple',
      version: 1,
      category: 'loaders',
      description: 'Loads a checkpoint.',
      inputs: { ckpt_name: choice((env) => (env.paths ? [`${env.paths.models}/a.safetensors`, 'b.safetensors'] : [])) },
      outputs: { MODEL: socket('MODEL'), CLIP: socket('CLIP'), VAE: socket('VAE') },
      run(input) {
        expectTypeOf(input.ckpt_name).toEqualTypeOf<string>();
        return { MODEL: input.ckpt_name as never, CLIP: null as never, VAE: null as never }; // stand-in values
      },
    });
    expect(objectInfo(loader).input.required.ckpt_name).toEqual([[], {}]);
    const paths = { models: 'm', input: 'i', output: 'o', temp: 't' };
    expect(objectInfo(loader, { paths }).input.required.ckpt_name).toEqual([['m/a.safetensors', 'b.safetensors'], {}]);
    expect(objectInfo(loader).output_name).toEqual(['MODEL', 'CLIP', 'VAE']);
  });
});

describe('widgetsSchema (zod, derived from the same definition)', () => {
  it('fills defaults and enforces ranges, integers and options', () => {
    const schema = widgetsSchema(sampler);
    expect(schema.parse({})).toEqual({ seed: 0, steps: 20, cfg: 8, sampler_name: 'euler', denoise: 1, attention: 'auto' });
    expect(schema.safeParse({ steps: 0 }).success).toBe(false);
    expect(schema.safeParse({ steps: 2.5 }).success).toBe(false);
    expect(schema.safeParse({ cfg: Number.NaN }).success).toBe(false);
    expect(schema.safeParse({ attention: 'fast' }).success).toBe(false);
    expect(schema.safeParse({ seed: '1' }).success).toBe(false);
    expect(Object.keys(schema.shape)).not.toContain('model');
  });
});
