import fs from 'node:fs';
import { describe, expect, it } from 'vitest';

import { parseYaml } from '../../../native/index.ts';

// SD 1.x's configs/stable-diffusion/v1-inference.yaml, with its mix of styles (flow and block lists,
// a block list at its key's indentation, quoted strings, comments, 1.0e-04, True).
const v1Inference = `model:
  base_learning_rate: 1.0e-04
  target: ldm.models.diffusion.ddpm.LatentDiffusion
  params:
    linear_start: 0.00085
    linear_end: 0.0120
    first_stage_key: "jpg"
    cond_stage_key: 'txt'
    image_size: 64
    cond_stage_trainable: false   # Note: different from the one we trained before
    use_ema: False

    scheduler_config: # 10000 warmup steps
      target: ldm.lr_scheduler.LambdaLinearScheduler
      params:
        warm_up_steps: [ 10000 ]
        f_max: [ 1. ]

    unet_config:
      target: ldm.modules.diffusionmodules.openaimodel.UNetModel
      params:
        image_size: 32 # unused
        attention_resolutions: [ 4, 2, 1 ]
        channel_mult: [ 1, 2, 4, 4 ]
        use_spatial_transformer: True
        legacy: False

    first_stage_config:
      params:
        ddconfig:
          ch_mult:
          - 1
          - 2
          - 4
          - 4
          attn_resolutions: []
        lossconfig:
          target: torch.nn.Identity

    cond_stage_config:
      target: ldm.modules.encoders.modules.FrozenCLIPEmbedder
`;

describe('yaml: the subset LDM configs use', () => {
  it('reads v1-inference.yaml', () => {
    expect(parseYaml(v1Inference)).toEqual({
      model: {
        base_learning_rate: 1e-4,
        target: 'ldm.models.diffusion.ddpm.LatentDiffusion',
        params: {
          linear_start: 0.00085,
          linear_end: 0.012,
          first_stage_key: 'jpg',
          cond_stage_key: 'txt',
          image_size: 64,
          cond_stage_trainable: false,
          use_ema: false,
          scheduler_config: { target: 'ldm.lr_scheduler.LambdaLinearScheduler', params: { warm_up_steps: [10000], f_max: [1] } },
          unet_config: {
            target: 'ldm.modules.diffusionmodules.openaimodel.UNetModel',
            params: { image_size: 32, attention_resolutions: [4, 2, 1], channel_mult: [1, 2, 4, 4], use_spatial_transformer: true, legacy: false },
          },
          first_stage_config: { params: { ddconfig: { ch_mult: [1, 2, 4, 4], attn_resolutions: [] }, lossconfig: { target: 'torch.nn.Identity' } } },
          cond_stage_config: { target: 'ldm.modules.encoders.modules.FrozenCLIPEmbedder' },
        },
      },
    });
  });

  it('reads the shipped sidecars', () => {
    const tiny = parseYaml(fs.readFileSync('test/fixtures/tiny-sd/tiny-sd.yaml', 'utf8')) as any;
    expect(tiny.model.params.unet_config.params).toMatchObject({ model_channels: 32, channel_mult: [1, 2, 2, 2], num_heads: 8, context_dim: 32 });
    const demo = parseYaml(fs.readFileSync('models/checkpoints/shapes-sd.yaml', 'utf8')) as any;
    expect(demo.model.params.scale_factor).toBe(0.3036903738975525);
    expect(demo.model.params.first_stage_config.params.ddconfig.ch_mult).toEqual([1, 1, 2, 2]);
  });

  it('resolves scalars as YAML 1.2 core: null, booleans, integers, floats, strings', () => {
    expect(
      parseYaml(
        'a: ~\nb: null\nc: true\nd: -12\ne: +3.5e2\nf: .5\ng: 1.\nh: 0.0120\ni: v1.5\nj: "x # not a comment"\nk: \'it\'\'s\'\nl: {x: 1, y: [a, "b, c"]}\nm:\n',
      ),
    ).toEqual({ a: null, b: null, c: true, d: -12, e: 350, f: 0.5, g: 1, h: 0.012, i: 'v1.5', j: 'x # not a comment', k: "it's", l: { x: 1, y: ['a', 'b, c'] }, m: null });
  });

  it('reads sequences of mappings and nested sequences', () => {
    expect(parseYaml('items:\n  - name: a\n    size: 1\n  - name: b\n    size: 2\n  -\n    - 1\n    - 2\n')).toEqual({
      items: [{ name: 'a', size: 1 }, { name: 'b', size: 2 }, [1, 2]],
    });
  });

  it.each([
    ['tab indentation', 'a:\n\tb: 1\n', /line 2: tab in indentation/],
    ['anchors', 'a: &x 1\n', /line 1: anchors and aliases are not supported/],
    ['block scalars', 'a: |\n  text\n', /line 1: block scalars \(\| and >\) are not supported/],
    ['duplicate keys', 'a: 1\nb: 2\na: 3\n', /line 3: duplicate key "a"/],
    ['bad indentation', 'a:\n    b: 1\n  c: 2\n', /line 3: unexpected indentation/],
    ['not key: value', 'a: 1\njust text\n', /line 2: expected "key: value"/],
    ['unterminated flow', 'a: [1, 2\n', /line 1: unterminated flow collection/],
    ['two documents', 'a: 1\n---\nb: 2\n', /line 2: several YAML documents/],
  ])('rejects %s with the line number', (_, text, message) => {
    expect(() => parseYaml(text)).toThrow(message);
    try {
      parseYaml(text);
    } catch (error) {
      expect((error as { code: string }).code).toBe('SDN_STATUS_BAD_FORMAT');
    }
  });
});
