// ComfyUI's sampler names (KSampler's sampler_name, KSamplerSelect) and the algorithm each runs.

import type { SamplerFunction } from './common.ts';
import { sampleDdpm } from './ddpm.ts';
import { sampleDeis } from './deis.ts';
import { sampleDpm2, sampleDpm2Ancestral } from './dpm-2.ts';
import { sampleDpmpp2m } from './dpmpp-2m.ts';
import { sampleDpmpp2sAncestral } from './dpmpp-2s-ancestral.ts';
import { sampleDpmppSde } from './dpmpp-sde.ts';
import { sampleDpmpp2mSde, sampleDpmpp3mSde } from './dpmpp-sde-multistep.ts';
import { sampleEuler, sampleEulerAncestral } from './euler.ts';
import { sampleHeun } from './heun.ts';
import { sampleIpndm } from './ipndm.ts';
import { sampleLcm } from './lcm.ts';
import { sampleLms } from './lms.ts';
import { sampleUniPc, sampleUniPcBh2 } from './uni-pc.ts';

export type { Denoiser, SamplerFunction, SamplerRun } from './common.ts';

/** The samplers latentflow runs with ComfyUI's meaning (ComfyUI's order). */
export const COMFY_SAMPLER_NAMES = [
  'euler', 'euler_ancestral', 'heun', 'dpm_2', 'dpm_2_ancestral', 'lms', 'dpmpp_2s_ancestral', 'dpmpp_sde', 'dpmpp_2m',
  'dpmpp_2m_sde', 'dpmpp_3m_sde', 'ddpm', 'lcm', 'ipndm', 'deis', 'ddim', 'uni_pc', 'uni_pc_bh2',
] as const;
export type ComfySamplerName = (typeof COMFY_SAMPLER_NAMES)[number];

export function isComfySampler(name: string): name is ComfySamplerName {
  return (COMFY_SAMPLER_NAMES as readonly string[]).includes(name);
}

const SAMPLERS: Record<ComfySamplerName, SamplerFunction> = {
  euler: sampleEuler,
  euler_ancestral: sampleEulerAncestral,
  heun: sampleHeun,
  dpm_2: sampleDpm2,
  dpm_2_ancestral: sampleDpm2Ancestral,
  lms: sampleLms,
  dpmpp_2s_ancestral: sampleDpmpp2sAncestral,
  dpmpp_sde: sampleDpmppSde,
  dpmpp_2m: sampleDpmpp2m,
  dpmpp_2m_sde: sampleDpmpp2mSde,
  dpmpp_3m_sde: sampleDpmpp3mSde,
  ddpm: sampleDdpm,
  lcm: sampleLcm,
  ipndm: sampleIpndm,
  deis: sampleDeis,
  // ComfyUI's ddim is ksampler("euler") with random inpainting noise, which only a noise mask would use.
  ddim: sampleEuler,
  uni_pc: sampleUniPc,
  uni_pc_bh2: sampleUniPcBh2,
};

export function samplerFunction(name: ComfySamplerName): SamplerFunction {
  return SAMPLERS[name];
}

/** Samplers KSampler gives steps + 1 sigmas with the second-to-last dropped (ComfyUI's DISCARD_PENULTIMATE_SIGMA_SAMPLERS). */
export const DISCARD_PENULTIMATE_SIGMA_SAMPLERS: readonly ComfySamplerName[] = ['dpm_2', 'dpm_2_ancestral', 'uni_pc', 'uni_pc_bh2'];
