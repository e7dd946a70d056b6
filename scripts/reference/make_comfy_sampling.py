#!/usr/bin/env python3
"""Writes test/fixtures/comfy-sampling/reference.{safetensors,json}: ComfyUI's sampling on the tiny fixture model.

Run from the repository root with Debian's Python (python3-torch, python3-numpy, python3-scipy):

    /usr/bin/python3 scripts/reference/make_comfy_sampling.py

The model calls are real: the tiny-sd UNet in PyTorch (bench/baseline/torch_sd15.py, checked here against
test/fixtures/expected/unet.safetensors). The text conditioning is the fixture's CLIP output
(test/fixtures/expected/text_encoder.safetensors), so only sampling is compared. What each tensor is: see
test/fixtures/comfy-sampling/README.md.
"""

import json
import math
import os
import platform
import sys

import numpy as np
import scipy
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from comfy_sampling import safetensors_io, schedulers  # noqa: E402
from comfy_sampling.brownian import BrownianTreeNoiseSampler  # noqa: E402
from comfy_sampling.ksampler import common_ksampler, ksampler_sigmas, prepare_noise, sample_custom  # noqa: E402
from comfy_sampling.model_sampling import ModelSampling  # noqa: E402
from comfy_sampling.samplers import SAMPLER_NAMES  # noqa: E402
from comfy_sampling.unet import ROOT, load_tiny_unet  # noqa: E402

OUT = os.path.join(ROOT, "test", "fixtures", "comfy-sampling")
STEPS = 4
CFG = 7.5
SEED = 42


def main():
    torch.set_num_threads(2)
    torch.set_grad_enabled(False)
    tensors = {}
    cases = []
    unet = load_tiny_unet()
    expected = safetensors_io.read(os.path.join(ROOT, "test", "fixtures", "expected", "unet.safetensors"))
    check = unet(expected["sample_8x8"], expected["timesteps"], expected["encoder_hidden_states"])
    unet_error = float((check - expected["noise_pred_8x8"]).abs().max() / expected["noise_pred_8x8"].abs().max())
    assert unet_error < 1e-5, unet_error

    text = safetensors_io.read(os.path.join(ROOT, "test", "fixtures", "expected", "text_encoder.safetensors"))["last_hidden_state"]
    prompt = {"astronaut": text[0:1], "punctuation": text[1:2], "accents": text[2:3], "cat": text[4:5], "empty": text[5:6]}

    def apply_model_for(ms):
        def apply_model(x, sigma, context):
            output = unet(ms.calculate_input(sigma, x), ms.timestep(sigma).float(), context)
            return ms.calculate_denoised(sigma, output, x)
        return apply_model

    eps = ModelSampling("eps")
    lcm = ModelSampling("lcm")
    tensors["model_sampling.eps.sigmas"] = eps.sigmas
    tensors["model_sampling.eps.log_sigmas"] = eps.log_sigmas
    tensors["model_sampling.lcm.sigmas"] = lcm.sigmas
    tensors["model_sampling.lcm.log_sigmas"] = lcm.log_sigmas
    tensors["model_sampling.zsnr.sigmas"] = ModelSampling("eps", zsnr=True).sigmas
    probes = torch.tensor([14.6146, 10.0, 3.3, 1.0, 0.5, 0.1, 0.0292], dtype=torch.float32)
    tensors["model_sampling.eps.timestep_probes"] = probes
    tensors["model_sampling.eps.timestep_of_probes"] = eps.timestep(probes)
    tensors["model_sampling.lcm.timestep_of_probes"] = lcm.timestep(probes)
    percents = [0.0, 0.1, 0.25, 0.5, 0.75, 0.999, 1.0]
    tensors["model_sampling.eps.percent_to_sigma"] = torch.tensor([eps.percent_to_sigma(p) for p in percents], dtype=torch.float32)

    for name in schedulers.SCHEDULER_NAMES:
        for steps in (1, 2, 4, 5, 7, 20):
            tensors[f"schedule.{name}.{steps}"] = schedulers.calculate_sigmas(eps, name, steps)
        tensors[f"schedule_lcm.{name}.4"] = schedulers.calculate_sigmas(lcm, name, 4)

    # numpy's SeedSequence (the Brownian tree's seeds), to check the TypeScript port word for word.
    seed_sequences = [(42, (), 24, 3), (42, (0, 0), 24, 4), (42, (5, 3), 24, 4), (2 ** 40 + 7, (123456, 17), 24, 4),
                      (0, (), 4, 4), (18446744073709551615, (2 ** 33 + 1, 30), 24, 4)]
    for k, (entropy, key, pool, n) in enumerate(seed_sequences):
        state = np.random.SeedSequence(entropy=entropy, spawn_key=key, pool_size=pool).generate_state(n)
        tensors[f"seed_sequence.{k}"] = torch.from_numpy(state.astype(np.int64))

    # The Brownian-tree noise sampler alone: the queries dpmpp_sde makes on a karras schedule.
    sigmas = ksampler_sigmas(eps, "dpmpp_sde", "karras", STEPS)
    noise_sampler = BrownianTreeNoiseSampler(torch.zeros(1, 4, 8, 8), sigmas[sigmas > 0].min(), sigmas.max(), seed=SEED)
    queries = []
    for i in range(STEPS - 1):
        mid = (sigmas[i].log().neg() + 0.5 * (sigmas[i + 1].log().neg() - sigmas[i].log().neg())).neg().exp()
        queries += [(sigmas[i], mid), (sigmas[i], sigmas[i + 1])]
    tensors["brownian.sigmas"] = sigmas
    tensors["brownian.queries"] = torch.tensor([[float(a), float(b)] for a, b in queries], dtype=torch.float32)
    for k, (a, b) in enumerate(queries):
        tensors[f"brownian.noise.{k}"] = noise_sampler(a, b)

    def run(key, ms, sampler, scheduler, conds, latent, seed=SEED, cfg=CFG, steps=STEPS, **kw):
        result = common_ksampler(ms, apply_model_for(ms), seed, steps, cfg, sampler, scheduler, conds, latent, **kw)
        tensors[key] = result
        case = {"key": key, "sampler": sampler, "scheduler": scheduler, "steps": steps, "cfg": cfg, "seed": seed,
                "shape": list(latent.shape), "max_abs": float(result.abs().max())}
        case.update({k: v for k, v in kw.items()})
        cases.append(case)
        return result

    plain = {"positive": [{"cross_attn": prompt["cat"]}], "negative": [{"cross_attn": prompt["empty"]}]}
    zeros = torch.zeros(1, 4, 8, 8)
    for sampler in SAMPLER_NAMES:
        for scheduler in schedulers.SCHEDULER_NAMES:
            run(f"ksampler.{sampler}.{scheduler}", eps, sampler, scheduler, plain, zeros)
            print(f"{sampler} {scheduler}", flush=True)

    # The whole batch's noise from one generator; ancestral noise for the batch from seed + 1.
    run("batch2.euler_ancestral.normal", eps, "euler_ancestral", "normal", plain, torch.zeros(2, 4, 8, 8), seed=7)
    run("batch2.dpmpp_2m_sde.karras", eps, "dpmpp_2m_sde", "karras", plain, torch.zeros(2, 4, 8, 8), seed=7)
    # img2img: denoise < 1 runs the tail of a longer schedule from the noised input latent.
    source = prepare_noise((1, 4, 8, 8), 5100)
    tensors["img2img.latent"] = source
    for sampler, scheduler in [("euler", "normal"), ("dpmpp_2m", "karras"), ("dpmpp_2m_sde", "exponential"), ("uni_pc", "simple")]:
        run(f"img2img.{sampler}.{scheduler}", eps, sampler, scheduler, plain, source, seed=3, denoise=0.6)
    # cfg 1 skips the negative pass.
    run("cfg1.euler.normal", eps, "euler", "normal", plain, zeros, cfg=1.0)
    # KSamplerAdvanced in two passes: steps 0-3 with leftover noise, then 3-end without adding noise.
    first = run("advanced.pass1", eps, "euler_ancestral", "karras", plain, zeros, seed=11, cfg=5.0, steps=6,
                start_step=0, last_step=3, force_full_denoise=False)
    run("advanced.pass2", eps, "euler_ancestral", "karras", plain, first, seed=11, cfg=5.0, steps=6,
        disable_noise=True, start_step=3, last_step=10000, force_full_denoise=True)
    run("advanced.end_early", eps, "dpmpp_2m", "normal", plain, zeros, seed=11, cfg=5.0, steps=6,
        start_step=1, last_step=4, force_full_denoise=True)
    # LCM model sampling (ModelSamplingDiscrete lcm) with the lcm sampler and others.
    for sampler, scheduler in [("lcm", "sgm_uniform"), ("lcm", "normal"), ("euler", "simple")]:
        run(f"lcm_model.{sampler}.{scheduler}", lcm, sampler, scheduler, plain, zeros, seed=9, cfg=1.5)
    # Area conditioning on a 16x16 latent: pixel area (ConditioningSetArea 64x64 at x 32, y 16), percentage area,
    # strengths; the negative gets a same-area copy as ComfyUI makes it.
    area = {"positive": [{"cross_attn": prompt["cat"]},
                         {"cross_attn": prompt["astronaut"], "area": (64 // 8, 64 // 8, 16 // 8, 32 // 8), "strength": 0.8},
                         {"cross_attn": prompt["punctuation"], "area": ("percentage", 0.5, 0.25, 0.5, 0.75), "strength": 1.2}],
            "negative": [{"cross_attn": prompt["empty"]}]}
    for sampler, scheduler in [("euler", "normal"), ("dpmpp_2m", "karras")]:
        run(f"area.{sampler}.{scheduler}", eps, sampler, scheduler, area, torch.zeros(1, 4, 16, 16), seed=21, cfg=6.0)
    # Timestep ranges, a 154-token concat batched with 77-token entries, average and zero-out.
    concat = torch.cat((prompt["cat"], prompt["accents"]), 1)
    average = prompt["cat"] * 0.3 + prompt["astronaut"] * (1.0 - 0.3)
    timed = {"positive": [{"cross_attn": prompt["astronaut"], "start_percent": 0.0, "end_percent": 0.5},
                          {"cross_attn": concat, "start_percent": 0.5, "end_percent": 1.0},
                          {"cross_attn": average}],
             "negative": [{"cross_attn": torch.zeros_like(prompt["empty"])}]}
    tensors["conditioning.concat"] = concat
    tensors["conditioning.average"] = average
    for sampler, scheduler in [("dpmpp_2m", "karras"), ("euler", "normal")]:
        run(f"timerange.{sampler}.{scheduler}", eps, sampler, scheduler, timed, zeros, seed=5, cfg=4.0)
    # SamplerCustom's denoised_output: the last x0 prediction.
    sigmas = ksampler_sigmas(eps, "euler", "normal", STEPS)
    _, x0 = sample_custom(eps, apply_model_for(eps), prepare_noise((1, 4, 8, 8), SEED), zeros, "euler", sigmas, plain, CFG, SEED)
    tensors["denoised.euler.normal"] = x0

    os.makedirs(OUT, exist_ok=True)
    safetensors_io.write(os.path.join(OUT, "reference.safetensors"), tensors)
    summary = {
        "generator": "scripts/reference/make_comfy_sampling.py",
        "environment": {"python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__,
                        "scipy": scipy.__version__, "threads": torch.get_num_threads()},
        "unet_check_max_rel_error": unet_error,
        "defaults": {"steps": STEPS, "cfg": CFG, "seed": SEED, "latent": [1, 4, 8, 8],
                     "positive": "a small cat (text_encoder fixture row 4)", "negative": "'' (row 5)"},
        "samplers": SAMPLER_NAMES,
        "schedulers": schedulers.SCHEDULER_NAMES,
        "seed_sequences": [{"entropy": str(e), "spawn_key": [str(v) for v in k], "pool_size": p, "words": n} for e, k, p, n in seed_sequences],
        "percents": percents,
        "cases": cases,
        "tensors": {k: [list(v.shape), str(v.dtype).replace("torch.", "")] for k, v in sorted(tensors.items())},
    }
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(summary, f, indent=1)
        f.write("\n")
    print(f"wrote {len(tensors)} tensors to {OUT}")


if __name__ == "__main__":
    main()
