"""ComfyUI's KSampler (comfy/samplers.py KSampler, comfy/sample.py, nodes.py common_ksampler and
KSAMPLER.sample), written from the published algorithm: sigma selection (denoise, start/end step, the samplers
that drop the penultimate sigma), seeded noise for the whole batch from one generator, noise scaling, the sampler.
"""

import math

import torch

from . import schedulers
from .guidance import CFGGuider, process_conds
from .samplers import SAMPLERS

DISCARD_PENULTIMATE_SIGMA_SAMPLERS = {"dpm_2", "dpm_2_ancestral", "uni_pc", "uni_pc_bh2"}


def ksampler_sigmas(ms, sampler, scheduler, steps, denoise=1.0):
    def calculate(n):
        discard = sampler in DISCARD_PENULTIMATE_SIGMA_SAMPLERS
        sigmas = schedulers.calculate_sigmas(ms, scheduler, n + 1 if discard else n)
        if discard:
            sigmas = torch.cat([sigmas[:-2], sigmas[-1:]])
        return sigmas

    if denoise is None or denoise > 0.9999:
        return calculate(steps)
    if denoise <= 0.0:
        return torch.FloatTensor([])
    return calculate(int(steps / denoise))[-(steps + 1):]


def prepare_noise(shape, seed):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


def sample_custom(ms, apply_model, noise, latent_image, sampler, sigmas, conds, cfg, seed):
    """CFGGuider.sample + KSAMPLER.sample: returns (samples, last denoised)."""
    if sigmas.shape[-1] == 0:
        return latent_image, None
    conds = process_conds(ms, conds, noise.shape)
    guider = CFGGuider(apply_model, conds, cfg)
    max_sigma = float(ms.sigma_max)
    sigma0 = float(sigmas[0])
    max_denoise = math.isclose(max_sigma, sigma0, rel_tol=1e-05) or sigma0 > max_sigma
    x = ms.noise_scaling(sigmas[0], noise, latent_image, max_denoise)
    last = {}

    def callback(i, denoised):
        last["x0"] = denoised

    samples = SAMPLERS[sampler](guider, x, sigmas, seed, ms, callback)
    return samples, last.get("x0")


def common_ksampler(ms, apply_model, seed, steps, cfg, sampler, scheduler, conds, latent_image, denoise=1.0,
                    disable_noise=False, start_step=None, last_step=None, force_full_denoise=False):
    noise = torch.zeros(latent_image.shape) if disable_noise else prepare_noise(latent_image.shape, seed)
    sigmas = ksampler_sigmas(ms, sampler, scheduler, steps, denoise)
    if last_step is not None and last_step < len(sigmas) - 1:
        sigmas = sigmas[:last_step + 1].clone()
        if force_full_denoise:
            sigmas[-1] = 0
    if start_step is not None:
        if start_step < len(sigmas) - 1:
            sigmas = sigmas[start_step:]
        else:
            return latent_image
    samples, _ = sample_custom(ms, apply_model, noise, latent_image, sampler, sigmas, conds, cfg, seed)
    return samples
