"""ComfyUI's nine schedulers (comfy/samplers.py SCHEDULER_HANDLERS and k_diffusion get_sigmas_*), written
from their published definitions: each returns steps + 1 float32 sigmas ending in 0 (ddim_uniform may differ
in length, as ComfyUI's does)."""

import math

import numpy
import scipy.stats
import torch

SCHEDULER_NAMES = ["simple", "sgm_uniform", "karras", "exponential", "ddim_uniform", "beta", "normal",
                   "linear_quadratic", "kl_optimal"]


def append_zero(x):
    return torch.cat([x, x.new_zeros([1])])


def karras(n, sigma_min, sigma_max, rho=7.0):
    ramp = torch.linspace(0, 1, n)
    min_inv_rho = sigma_min ** (1 / rho)
    max_inv_rho = sigma_max ** (1 / rho)
    sigmas = (max_inv_rho + ramp * (min_inv_rho - max_inv_rho)) ** rho
    return append_zero(sigmas)


def exponential(n, sigma_min, sigma_max):
    sigmas = torch.linspace(math.log(sigma_max), math.log(sigma_min), n).exp()
    return append_zero(sigmas)


def simple(ms, steps):
    sigs = []
    ss = len(ms.sigmas) / steps
    for x in range(steps):
        sigs += [float(ms.sigmas[-(1 + int(x * ss))])]
    sigs += [0.0]
    return torch.FloatTensor(sigs)


def ddim_uniform(ms, steps):
    sigs = []
    x = 1
    if math.isclose(float(ms.sigmas[x]), 0, abs_tol=0.00001):
        steps += 1
        sigs = []
    else:
        sigs = [0.0]
    ss = max(len(ms.sigmas) // steps, 1)
    while x < len(ms.sigmas):
        sigs += [float(ms.sigmas[x])]
        x += ss
    sigs = sigs[::-1]
    return torch.FloatTensor(sigs)


def normal(ms, steps, sgm=False):
    start = ms.timestep(ms.sigma_max)
    end = ms.timestep(ms.sigma_min)
    append = True
    if sgm:
        timesteps = torch.linspace(start, end, steps + 1)[:-1]
    else:
        if math.isclose(float(ms.sigma(end)), 0, abs_tol=0.00001):
            steps += 1
            append = False
        timesteps = torch.linspace(start, end, steps)
    sigs = [float(ms.sigma(ts)) for ts in timesteps]
    if append:
        sigs += [0.0]
    return torch.FloatTensor(sigs)


def beta(ms, steps, alpha=0.6, beta=0.6):
    total_timesteps = len(ms.sigmas) - 1
    ts = 1 - numpy.linspace(0, 1, steps, endpoint=False)
    ts = numpy.rint(scipy.stats.beta.ppf(ts, alpha, beta) * total_timesteps)
    sigs = []
    last_t = -1
    for t in ts:
        if t != last_t:
            sigs += [float(ms.sigmas[int(t)])]
        last_t = t
    sigs += [0.0]
    return torch.FloatTensor(sigs)


def linear_quadratic(ms, steps, threshold_noise=0.025, linear_steps=None):
    if steps == 1:
        sigma_schedule = [1.0, 0.0]
    else:
        if linear_steps is None:
            linear_steps = steps // 2
        linear_sigma_schedule = [i * threshold_noise / linear_steps for i in range(linear_steps)]
        threshold_noise_step_diff = linear_steps - threshold_noise * steps
        quadratic_steps = steps - linear_steps
        quadratic_coef = threshold_noise_step_diff / (linear_steps * quadratic_steps ** 2)
        linear_coef = threshold_noise / linear_steps - 2 * threshold_noise_step_diff / (quadratic_steps ** 2)
        const = quadratic_coef * (linear_steps ** 2)
        quadratic_sigma_schedule = [quadratic_coef * (i ** 2) + linear_coef * i + const for i in range(linear_steps, steps)]
        sigma_schedule = linear_sigma_schedule + quadratic_sigma_schedule + [1.0]
        sigma_schedule = [1.0 - x for x in sigma_schedule]
    return torch.FloatTensor(sigma_schedule) * ms.sigma_max


def kl_optimal(n, sigma_min, sigma_max):
    adj_idxs = torch.arange(n, dtype=torch.float).div_(n - 1)
    sigmas = adj_idxs.new_zeros(n + 1)
    sigmas[:-1] = (adj_idxs * math.atan(sigma_min) + (1 - adj_idxs) * math.atan(sigma_max)).tan_()
    return sigmas


def calculate_sigmas(ms, name, steps):
    if name in ("karras", "exponential", "kl_optimal"):
        handler = {"karras": karras, "exponential": exponential, "kl_optimal": kl_optimal}[name]
        return handler(n=steps, sigma_min=float(ms.sigma_min), sigma_max=float(ms.sigma_max))
    if name == "sgm_uniform":
        return normal(ms, steps, sgm=True)
    return {"simple": simple, "ddim_uniform": ddim_uniform, "beta": beta, "normal": normal,
            "linear_quadratic": linear_quadratic}[name](ms, steps)
