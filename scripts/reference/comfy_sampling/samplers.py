"""ComfyUI's samplers (comfy/k_diffusion/sampling.py, comfy/k_diffusion/deis.py, comfy/extra_samplers/uni_pc.py)
for an EPS-type model_sampling, written from their published algorithms.

Every sampler is f(model, x, sigmas, seed, ms) -> x, where model(x, sigma[B]) returns the denoised x0 (CFG applied)
and `seed` is the noise seed (ancestral noise: a generator seeded seed + 1; SDE noise: a Brownian tree).
"""

import math

import numpy as np
import torch
from scipy import integrate

from .brownian import BrownianTreeNoiseSampler


def default_noise_sampler(x, seed):
    generator = torch.Generator().manual_seed(seed + 1)
    return lambda sigma, sigma_next: torch.randn(x.size(), dtype=x.dtype, generator=generator)


def brownian_noise_sampler(x, sigmas, seed):
    sigma_min, sigma_max = sigmas[sigmas > 0].min(), sigmas.max()
    return BrownianTreeNoiseSampler(x, sigma_min, sigma_max, seed=seed)


def to_d(x, sigma, denoised):
    return (x - denoised) / sigma


def get_ancestral_step(sigma_from, sigma_to, eta=1.0):
    if not eta:
        return sigma_to, 0.0
    sigma_up = min(sigma_to, eta * (sigma_to ** 2 * (sigma_from ** 2 - sigma_to ** 2) / sigma_from ** 2) ** 0.5)
    sigma_down = (sigma_to ** 2 - sigma_up ** 2) ** 0.5
    return sigma_down, sigma_up


def _s_in(x):
    return x.new_ones([x.shape[0]])


def sample_euler(model, x, sigmas, seed, ms, callback):
    s_in = _s_in(x)
    for i in range(len(sigmas) - 1):
        sigma_hat = sigmas[i]
        denoised = model(x, sigma_hat * s_in)
        callback(i, denoised)
        d = to_d(x, sigma_hat, denoised)
        dt = sigmas[i + 1] - sigma_hat
        x = x + d * dt
    return x


def sample_euler_ancestral(model, x, sigmas, seed, ms, callback, eta=1.0, s_noise=1.0):
    noise_sampler = default_noise_sampler(x, seed)
    s_in = _s_in(x)
    for i in range(len(sigmas) - 1):
        denoised = model(x, sigmas[i] * s_in)
        sigma_down, sigma_up = get_ancestral_step(sigmas[i], sigmas[i + 1], eta=eta)
        callback(i, denoised)
        if sigma_down == 0:
            x = denoised
        else:
            d = to_d(x, sigmas[i], denoised)
            dt = sigma_down - sigmas[i]
            x = x + d * dt + noise_sampler(sigmas[i], sigmas[i + 1]) * s_noise * sigma_up
    return x


def sample_heun(model, x, sigmas, seed, ms, callback):
    s_in = _s_in(x)
    for i in range(len(sigmas) - 1):
        sigma_hat = sigmas[i]
        denoised = model(x, sigma_hat * s_in)
        d = to_d(x, sigma_hat, denoised)
        callback(i, denoised)
        dt = sigmas[i + 1] - sigma_hat
        if sigmas[i + 1] == 0:
            x = x + d * dt
        else:
            x_2 = x + d * dt
            denoised_2 = model(x_2, sigmas[i + 1] * s_in)
            d_2 = to_d(x_2, sigmas[i + 1], denoised_2)
            d_prime = (d + d_2) / 2
            x = x + d_prime * dt
    return x


def sample_dpm_2(model, x, sigmas, seed, ms, callback):
    s_in = _s_in(x)
    for i in range(len(sigmas) - 1):
        sigma_hat = sigmas[i]
        denoised = model(x, sigma_hat * s_in)
        d = to_d(x, sigma_hat, denoised)
        callback(i, denoised)
        if sigmas[i + 1] == 0:
            dt = sigmas[i + 1] - sigma_hat
            x = x + d * dt
        else:
            sigma_mid = sigma_hat.log().lerp(sigmas[i + 1].log(), 0.5).exp()
            dt_1 = sigma_mid - sigma_hat
            dt_2 = sigmas[i + 1] - sigma_hat
            x_2 = x + d * dt_1
            denoised_2 = model(x_2, sigma_mid * s_in)
            d_2 = to_d(x_2, sigma_mid, denoised_2)
            x = x + d_2 * dt_2
    return x


def sample_dpm_2_ancestral(model, x, sigmas, seed, ms, callback, eta=1.0, s_noise=1.0):
    noise_sampler = default_noise_sampler(x, seed)
    s_in = _s_in(x)
    for i in range(len(sigmas) - 1):
        denoised = model(x, sigmas[i] * s_in)
        sigma_down, sigma_up = get_ancestral_step(sigmas[i], sigmas[i + 1], eta=eta)
        callback(i, denoised)
        d = to_d(x, sigmas[i], denoised)
        if sigma_down == 0:
            dt = sigma_down - sigmas[i]
            x = x + d * dt
        else:
            sigma_mid = sigmas[i].log().lerp(sigma_down.log(), 0.5).exp()
            dt_1 = sigma_mid - sigmas[i]
            dt_2 = sigma_down - sigmas[i]
            x_2 = x + d * dt_1
            denoised_2 = model(x_2, sigma_mid * s_in)
            d_2 = to_d(x_2, sigma_mid, denoised_2)
            x = x + d_2 * dt_2
            x = x + noise_sampler(sigmas[i], sigmas[i + 1]) * s_noise * sigma_up
    return x


def linear_multistep_coeff(order, t, i, j):
    if order - 1 > i:
        raise ValueError(f"Order {order} too high for step {i}")

    def fn(tau):
        prod = 1.0
        for k in range(order):
            if j == k:
                continue
            prod *= (tau - t[i - k]) / (t[i - j] - t[i - k])
        return prod

    return integrate.quad(fn, t[i], t[i + 1], epsrel=1e-4)[0]


def sample_lms(model, x, sigmas, seed, ms, callback, order=4):
    s_in = _s_in(x)
    sigmas_cpu = sigmas.detach().cpu().numpy()
    ds = []
    for i in range(len(sigmas) - 1):
        denoised = model(x, sigmas[i] * s_in)
        d = to_d(x, sigmas[i], denoised)
        ds.append(d)
        if len(ds) > order:
            ds.pop(0)
        callback(i, denoised)
        if sigmas[i + 1] == 0:
            x = denoised
        else:
            cur_order = min(i + 1, order)
            coeffs = [linear_multistep_coeff(cur_order, sigmas_cpu, i, j) for j in range(cur_order)]
            x = x + sum(coeff * d for coeff, d in zip(coeffs, reversed(ds)))
    return x


def sample_dpmpp_2s_ancestral(model, x, sigmas, seed, ms, callback, eta=1.0, s_noise=1.0):
    noise_sampler = default_noise_sampler(x, seed)
    s_in = _s_in(x)
    sigma_fn = lambda t: t.neg().exp()
    t_fn = lambda sigma: sigma.log().neg()
    for i in range(len(sigmas) - 1):
        denoised = model(x, sigmas[i] * s_in)
        sigma_down, sigma_up = get_ancestral_step(sigmas[i], sigmas[i + 1], eta=eta)
        callback(i, denoised)
        if sigma_down == 0:
            d = to_d(x, sigmas[i], denoised)
            dt = sigma_down - sigmas[i]
            x = x + d * dt
        else:
            t, t_next = t_fn(sigmas[i]), t_fn(sigma_down)
            r = 1 / 2
            h = t_next - t
            s = t + r * h
            x_2 = (sigma_fn(s) / sigma_fn(t)) * x - (-h * r).expm1() * denoised
            denoised_2 = model(x_2, sigma_fn(s) * s_in)
            x = (sigma_fn(t_next) / sigma_fn(t)) * x - (-h).expm1() * denoised_2
        if sigmas[i + 1] > 0:
            x = x + noise_sampler(sigmas[i], sigmas[i + 1]) * s_noise * sigma_up
    return x


def sample_dpmpp_sde(model, x, sigmas, seed, ms, callback, eta=1.0, s_noise=1.0, r=1 / 2):
    if len(sigmas) <= 1:
        return x
    noise_sampler = brownian_noise_sampler(x, sigmas, seed)
    s_in = _s_in(x)
    sigma_fn = lambda lam: lam.neg().exp()
    lambda_fn = lambda sigma: sigma.log().neg()
    for i in range(len(sigmas) - 1):
        denoised = model(x, sigmas[i] * s_in)
        callback(i, denoised)
        if sigmas[i + 1] == 0:
            x = denoised
        else:
            lambda_s, lambda_t = lambda_fn(sigmas[i]), lambda_fn(sigmas[i + 1])
            h = lambda_t - lambda_s
            lambda_s_1 = lambda_s + r * h
            fac = 1 / (2 * r)
            sigma_s_1 = sigma_fn(lambda_s_1)
            alpha_s = sigmas[i] * lambda_s.exp()
            alpha_s_1 = sigma_s_1 * lambda_s_1.exp()
            alpha_t = sigmas[i + 1] * lambda_t.exp()
            # Step 1
            sd, su = get_ancestral_step(lambda_s.neg().exp(), lambda_s_1.neg().exp(), eta)
            lambda_s_1_ = sd.log().neg()
            h_ = lambda_s_1_ - lambda_s
            x_2 = (alpha_s_1 / alpha_s) * (-h_).exp() * x - alpha_s_1 * (-h_).expm1() * denoised
            if eta > 0 and s_noise > 0:
                x_2 = x_2 + alpha_s_1 * noise_sampler(sigmas[i], sigma_s_1) * s_noise * su
            denoised_2 = model(x_2, sigma_s_1 * s_in)
            # Step 2
            sd, su = get_ancestral_step(lambda_s.neg().exp(), lambda_t.neg().exp(), eta)
            lambda_t_ = sd.log().neg()
            h_ = lambda_t_ - lambda_s
            denoised_d = (1 - fac) * denoised + fac * denoised_2
            x = (alpha_t / alpha_s) * (-h_).exp() * x - alpha_t * (-h_).expm1() * denoised_d
            if eta > 0 and s_noise > 0:
                x = x + alpha_t * noise_sampler(sigmas[i], sigmas[i + 1]) * s_noise * su
    return x


def sample_dpmpp_2m(model, x, sigmas, seed, ms, callback):
    s_in = _s_in(x)
    sigma_fn = lambda t: t.neg().exp()
    t_fn = lambda sigma: sigma.log().neg()
    old_denoised = None
    for i in range(len(sigmas) - 1):
        denoised = model(x, sigmas[i] * s_in)
        callback(i, denoised)
        t, t_next = t_fn(sigmas[i]), t_fn(sigmas[i + 1])
        h = t_next - t
        if old_denoised is None or sigmas[i + 1] == 0:
            x = (sigma_fn(t_next) / sigma_fn(t)) * x - (-h).expm1() * denoised
        else:
            h_last = t - t_fn(sigmas[i - 1])
            r = h_last / h
            denoised_d = (1 + 1 / (2 * r)) * denoised - (1 / (2 * r)) * old_denoised
            x = (sigma_fn(t_next) / sigma_fn(t)) * x - (-h).expm1() * denoised_d
        old_denoised = denoised
    return x


def sample_dpmpp_2m_sde(model, x, sigmas, seed, ms, callback, eta=1.0, s_noise=1.0, solver_type="midpoint"):
    if len(sigmas) <= 1:
        return x
    noise_sampler = brownian_noise_sampler(x, sigmas, seed)
    s_in = _s_in(x)
    lambda_fn = lambda sigma: sigma.log().neg()
    old_denoised = None
    h, h_last = None, None
    for i in range(len(sigmas) - 1):
        denoised = model(x, sigmas[i] * s_in)
        callback(i, denoised)
        if sigmas[i + 1] == 0:
            x = denoised
        else:
            lambda_s, lambda_t = lambda_fn(sigmas[i]), lambda_fn(sigmas[i + 1])
            h = lambda_t - lambda_s
            h_eta = h * (eta + 1)
            alpha_t = sigmas[i + 1] * lambda_t.exp()
            x = sigmas[i + 1] / sigmas[i] * (-h * eta).exp() * x + alpha_t * (-h_eta).expm1().neg() * denoised
            if old_denoised is not None:
                r = h_last / h
                if solver_type == "heun":
                    x = x + alpha_t * ((-h_eta).expm1().neg() / (-h_eta) + 1) * (1 / r) * (denoised - old_denoised)
                else:
                    x = x + 0.5 * alpha_t * (-h_eta).expm1().neg() * (1 / r) * (denoised - old_denoised)
            if eta > 0 and s_noise > 0:
                x = x + noise_sampler(sigmas[i], sigmas[i + 1]) * sigmas[i + 1] * (-2 * h * eta).expm1().neg().sqrt() * s_noise
        old_denoised = denoised
        h_last = h
    return x


def sample_dpmpp_3m_sde(model, x, sigmas, seed, ms, callback, eta=1.0, s_noise=1.0):
    if len(sigmas) <= 1:
        return x
    noise_sampler = brownian_noise_sampler(x, sigmas, seed)
    s_in = _s_in(x)
    lambda_fn = lambda sigma: sigma.log().neg()
    denoised_1, denoised_2 = None, None
    h, h_1, h_2 = None, None, None
    for i in range(len(sigmas) - 1):
        denoised = model(x, sigmas[i] * s_in)
        callback(i, denoised)
        if sigmas[i + 1] == 0:
            x = denoised
        else:
            lambda_s, lambda_t = lambda_fn(sigmas[i]), lambda_fn(sigmas[i + 1])
            h = lambda_t - lambda_s
            h_eta = h * (eta + 1)
            alpha_t = sigmas[i + 1] * lambda_t.exp()
            x = sigmas[i + 1] / sigmas[i] * (-h * eta).exp() * x + alpha_t * (-h_eta).expm1().neg() * denoised
            if h_2 is not None:
                r0 = h_1 / h
                r1 = h_2 / h
                d1_0 = (denoised - denoised_1) / r0
                d1_1 = (denoised_1 - denoised_2) / r1
                d1 = d1_0 + (d1_0 - d1_1) * r0 / (r0 + r1)
                d2 = (d1_0 - d1_1) / (r0 + r1)
                phi_2 = h_eta.neg().expm1() / h_eta + 1
                phi_3 = phi_2 / h_eta - 0.5
                x = x + (alpha_t * phi_2) * d1 - (alpha_t * phi_3) * d2
            elif h_1 is not None:
                r = h_1 / h
                d = (denoised - denoised_1) / r
                phi_2 = h_eta.neg().expm1() / h_eta + 1
                x = x + (alpha_t * phi_2) * d
            if eta > 0 and s_noise > 0:
                x = x + noise_sampler(sigmas[i], sigmas[i + 1]) * sigmas[i + 1] * (-2 * h * eta).expm1().neg().sqrt() * s_noise
        denoised_1, denoised_2 = denoised, denoised_1
        h_1, h_2 = h, h_1
    return x


def _ddpm_step(x, sigma, sigma_prev, noise, noise_sampler):
    alpha_cumprod = 1 / ((sigma * sigma) + 1)
    alpha_cumprod_prev = 1 / ((sigma_prev * sigma_prev) + 1)
    alpha = alpha_cumprod / alpha_cumprod_prev
    mu = (1.0 / alpha).sqrt() * (x - (1 - alpha) * noise / (1 - alpha_cumprod).sqrt())
    if sigma_prev > 0:
        mu += ((1 - alpha) * (1. - alpha_cumprod_prev) / (1. - alpha_cumprod)).sqrt() * noise_sampler(sigma, sigma_prev)
    return mu


def sample_ddpm(model, x, sigmas, seed, ms, callback):
    noise_sampler = default_noise_sampler(x, seed)
    s_in = _s_in(x)
    for i in range(len(sigmas) - 1):
        denoised = model(x, sigmas[i] * s_in)
        callback(i, denoised)
        x = _ddpm_step(x / torch.sqrt(1.0 + sigmas[i] ** 2.0), sigmas[i], sigmas[i + 1], (x - denoised) / sigmas[i], noise_sampler)
        if sigmas[i + 1] != 0:
            x *= torch.sqrt(1.0 + sigmas[i + 1] ** 2.0)
    return x


def sample_lcm(model, x, sigmas, seed, ms, callback):
    noise_sampler = default_noise_sampler(x, seed)
    s_in = _s_in(x)
    for i in range(len(sigmas) - 1):
        denoised = model(x, sigmas[i] * s_in)
        callback(i, denoised)
        x = denoised
        if sigmas[i + 1] > 0:
            x = ms.noise_scaling(sigmas[i + 1], noise_sampler(sigmas[i], sigmas[i + 1]), x)
    return x


def sample_ipndm(model, x, sigmas, seed, ms, callback, max_order=4):
    s_in = _s_in(x)
    x_next = x
    buffer_model = []
    for i in range(len(sigmas) - 1):
        t_cur = sigmas[i]
        t_next = sigmas[i + 1]
        x_cur = x_next
        denoised = model(x_cur, t_cur * s_in)
        callback(i, denoised)
        d_cur = (x_cur - denoised) / t_cur
        order = min(max_order, i + 1)
        if t_next == 0:
            x_next = denoised
        elif order == 1:
            x_next = x_cur + (t_next - t_cur) * d_cur
        elif order == 2:
            x_next = x_cur + (t_next - t_cur) * (3 * d_cur - buffer_model[-1]) / 2
        elif order == 3:
            x_next = x_cur + (t_next - t_cur) * (23 * d_cur - 16 * buffer_model[-1] + 5 * buffer_model[-2]) / 12
        elif order == 4:
            x_next = x_cur + (t_next - t_cur) * (55 * d_cur - 59 * buffer_model[-1] + 37 * buffer_model[-2] - 9 * buffer_model[-3]) / 24
        if len(buffer_model) == max_order - 1:
            for k in range(max_order - 2):
                buffer_model[k] = buffer_model[k + 1]
            buffer_model[-1] = d_cur
        else:
            buffer_model.append(d_cur)
    return x_next


# ---- DEIS (the 'tab' mode: coefficients by numerical integration in the VP time of the EDM range) ----

def _edm2t(edm_steps, epsilon_s=1e-3, sigma_min=0.002, sigma_max=80):
    vp_sigma_inv = lambda beta_d, beta_min: lambda sigma: ((beta_min ** 2 + 2 * beta_d * (sigma ** 2 + 1).log()).sqrt() - beta_min) / beta_d
    vp_beta_d = 2 * (np.log(torch.tensor(sigma_min) ** 2 + 1) / epsilon_s - np.log(torch.tensor(sigma_max) ** 2 + 1)) / (epsilon_s - 1)
    vp_beta_min = np.log(torch.tensor(sigma_max) ** 2 + 1) - 0.5 * vp_beta_d
    t_steps = vp_sigma_inv(vp_beta_d.clone(), vp_beta_min.clone())(edm_steps.clone())
    return t_steps, vp_beta_min, vp_beta_d + vp_beta_min


def _cal_poly(prev_t, j, taus):
    poly = 1
    for k in range(prev_t.shape[0]):
        if k == j:
            continue
        poly *= (taus - prev_t[k]) / (prev_t[j] - prev_t[k])
    return poly


def _cal_integrand(beta_0, beta_1, taus):
    taus = taus.clone()
    with torch.enable_grad():
        taus.requires_grad_(True)
        alpha = torch.exp(-0.5 * taus ** 2 * (beta_1 - beta_0) - taus * beta_0)
        log_alpha = alpha.log()
        log_alpha.sum().backward()
        d_log_alpha_dtau = taus.grad
    return (-0.5 * d_log_alpha_dtau / torch.sqrt(alpha * (1 - alpha))).detach()


def deis_coefficients(t_steps, max_order, N=10000):
    t_steps, beta_0, beta_1 = _edm2t(t_steps)
    C = []
    for i, (t_cur, t_next) in enumerate(zip(t_steps[:-1], t_steps[1:])):
        order = min(i + 1, max_order)
        if order == 1:
            C.append([])
        else:
            taus = torch.linspace(t_cur, t_next, N)
            dtau = (t_next - t_cur) / N
            prev_t = t_steps[[i - k for k in range(order)]]
            integrand = _cal_integrand(beta_0, beta_1, taus)
            C.append([torch.sum(integrand * _cal_poly(prev_t, j, taus)) * dtau for j in range(order)])
    return C


def sample_deis(model, x, sigmas, seed, ms, callback, max_order=3):
    s_in = _s_in(x)
    x_next = x
    coeff_list = deis_coefficients(sigmas, max_order)
    buffer_model = []
    for i in range(len(sigmas) - 1):
        t_cur = sigmas[i]
        t_next = sigmas[i + 1]
        x_cur = x_next
        denoised = model(x_cur, t_cur * s_in)
        callback(i, denoised)
        d_cur = (x_cur - denoised) / t_cur
        order = min(max_order, i + 1)
        if t_next <= 0:
            order = 1
        if order == 1:
            x_next = x_cur + (t_next - t_cur) * d_cur
        elif order == 2:
            coeff_cur, coeff_prev1 = coeff_list[i]
            x_next = x_cur + coeff_cur * d_cur + coeff_prev1 * buffer_model[-1]
        elif order == 3:
            coeff_cur, coeff_prev1, coeff_prev2 = coeff_list[i]
            x_next = x_cur + coeff_cur * d_cur + coeff_prev1 * buffer_model[-1] + coeff_prev2 * buffer_model[-2]
        if len(buffer_model) == max_order - 1:
            for k in range(max_order - 2):
                buffer_model[k] = buffer_model[k + 1]
            buffer_model[-1] = d_cur
        else:
            buffer_model.append(d_cur)
    return x_next


# ---- UniPC (bh1 / bh2), multistep, data prediction, in VP space: x_vp = x / sqrt(1 + sigma^2) ----

class _SigmaConvert:
    def marginal_log_mean_coeff(self, sigma):
        return 0.5 * torch.log(1 / ((sigma * sigma) + 1))

    def marginal_alpha(self, t):
        return torch.exp(self.marginal_log_mean_coeff(t))

    def marginal_std(self, t):
        return torch.sqrt(1. - torch.exp(2. * self.marginal_log_mean_coeff(t)))

    def marginal_lambda(self, t):
        log_mean_coeff = self.marginal_log_mean_coeff(t)
        log_std = 0.5 * torch.log(1. - torch.exp(2. * log_mean_coeff))
        return log_mean_coeff - log_std


def _expand(v, dims):
    return v[(...,) + (None,) * (dims - 1)]


class _UniPC:
    def __init__(self, model_fn, ns, variant):
        self.model = model_fn
        self.ns = ns
        self.variant = variant

    def model_fn(self, x, t):
        noise = self.model(x, t)
        alpha_t, sigma_t = self.ns.marginal_alpha(t), self.ns.marginal_std(t)
        return (x - _expand(sigma_t, x.dim()) * noise) / _expand(alpha_t, x.dim())

    def update(self, x, model_prev_list, t_prev_list, t, order, use_corrector=True):
        ns = self.ns
        dims = x.dim()
        t_prev_0 = t_prev_list[-1]
        lambda_prev_0 = ns.marginal_lambda(t_prev_0)
        lambda_t = ns.marginal_lambda(t)
        model_prev_0 = model_prev_list[-1]
        sigma_prev_0, sigma_t = ns.marginal_std(t_prev_0), ns.marginal_std(t)
        alpha_t = torch.exp(ns.marginal_log_mean_coeff(t))
        h = lambda_t - lambda_prev_0
        rks = []
        D1s = []
        for i in range(1, order):
            t_prev_i = t_prev_list[-(i + 1)]
            model_prev_i = model_prev_list[-(i + 1)]
            lambda_prev_i = ns.marginal_lambda(t_prev_i)
            rk = ((lambda_prev_i - lambda_prev_0) / h)[0]
            rks.append(rk)
            D1s.append((model_prev_i - model_prev_0) / rk)
        rks.append(1.)
        rks = torch.tensor(rks)
        R = []
        b = []
        hh = -h[0]
        h_phi_1 = torch.expm1(hh)
        h_phi_k = h_phi_1 / hh - 1
        factorial_i = 1
        B_h = hh if self.variant == "bh1" else torch.expm1(hh)
        for i in range(1, order + 1):
            R.append(torch.pow(rks, i - 1))
            b.append(h_phi_k * factorial_i / B_h)
            factorial_i *= (i + 1)
            h_phi_k = h_phi_k / hh - 1 / factorial_i
        R = torch.stack(R)
        b = torch.tensor(b)
        use_predictor = len(D1s) > 0
        if len(D1s) > 0:
            D1s = torch.stack(D1s, dim=1)
            rhos_p = torch.tensor([0.5]) if order == 2 else torch.linalg.solve(R[:-1, :-1], b[:-1])
        else:
            D1s = None
        if use_corrector:
            rhos_c = torch.tensor([0.5]) if order == 1 else torch.linalg.solve(R, b)
        model_t = None
        x_t_ = _expand(sigma_t / sigma_prev_0, dims) * x - _expand(alpha_t * h_phi_1, dims) * model_prev_0
        pred_res = torch.einsum("k,bkchw->bchw", rhos_p, D1s) if use_predictor else 0
        x_t = x_t_ - _expand(alpha_t * B_h, dims) * pred_res
        if use_corrector:
            model_t = self.model_fn(x_t, t)
            corr_res = torch.einsum("k,bkchw->bchw", rhos_c[:-1], D1s) if D1s is not None else 0
            D1_t = model_t - model_prev_0
            x_t = x_t_ - _expand(alpha_t * B_h, dims) * (corr_res + rhos_c[-1] * D1_t)
        return x_t, model_t

    def sample(self, x, timesteps, order, callback):
        steps = len(timesteps) - 1
        for step_index in range(steps):
            if step_index == 0:
                vec_t = timesteps[0].expand((x.shape[0]))
                model_prev_list = [self.model_fn(x, vec_t)]
                t_prev_list = [vec_t]
            elif step_index < order:
                init_order = step_index
                vec_t = timesteps[init_order].expand(x.shape[0])
                x, model_x = self.update(x, model_prev_list, t_prev_list, vec_t, init_order, use_corrector=True)
                if model_x is None:
                    model_x = self.model_fn(x, vec_t)
                model_prev_list.append(model_x)
                t_prev_list.append(vec_t)
            else:
                extra_final_step = 1 if step_index == steps - 1 else 0
                for step in range(step_index, step_index + 1 + extra_final_step):
                    vec_t = timesteps[step].expand(x.shape[0])
                    step_order = min(order, steps + 1 - step)
                    use_corrector = step != steps
                    x, model_x = self.update(x, model_prev_list, t_prev_list, vec_t, step_order, use_corrector=use_corrector)
                    for i in range(order - 1):
                        t_prev_list[i] = t_prev_list[i + 1]
                        model_prev_list[i] = model_prev_list[i + 1]
                    t_prev_list[-1] = vec_t
                    if step < steps:
                        if model_x is None:
                            model_x = self.model_fn(x, vec_t)
                        model_prev_list[-1] = model_x
            callback(step_index, model_prev_list[-1])
        return x


def _sample_unipc(model, x, sigmas, seed, ms, callback, variant):
    timesteps = sigmas.clone()
    if sigmas[-1] == 0:
        timesteps = sigmas[:]
        timesteps[-1] = 0.001
    ns = _SigmaConvert()
    x = x / torch.sqrt(1.0 + timesteps[0] ** 2.0)

    def predict_eps(x_vp, sigma_in):
        sigma = sigma_in.view(sigma_in.shape[:1] + (1,) * (x_vp.ndim - 1))
        x_ve = x_vp * ((sigma ** 2 + 1.0) ** 0.5)
        return (x_ve - model(x_ve, sigma_in)) / sigma

    order = min(3, len(timesteps) - 2)
    x = _UniPC(predict_eps, ns, variant).sample(x, timesteps, order, callback)
    x /= ns.marginal_alpha(timesteps[-1])
    return x


def sample_uni_pc(model, x, sigmas, seed, ms, callback):
    return _sample_unipc(model, x, sigmas, seed, ms, callback, "bh1")


def sample_uni_pc_bh2(model, x, sigmas, seed, ms, callback):
    return _sample_unipc(model, x, sigmas, seed, ms, callback, "bh2")


SAMPLERS = {
    "euler": sample_euler,
    "euler_ancestral": sample_euler_ancestral,
    "heun": sample_heun,
    "dpm_2": sample_dpm_2,
    "dpm_2_ancestral": sample_dpm_2_ancestral,
    "lms": sample_lms,
    "dpmpp_2s_ancestral": sample_dpmpp_2s_ancestral,
    "dpmpp_sde": sample_dpmpp_sde,
    "dpmpp_2m": sample_dpmpp_2m,
    "dpmpp_2m_sde": sample_dpmpp_2m_sde,
    "dpmpp_3m_sde": sample_dpmpp_3m_sde,
    "ddpm": sample_ddpm,
    "lcm": sample_lcm,
    "ipndm": sample_ipndm,
    "deis": sample_deis,
    "uni_pc": sample_uni_pc,
    "uni_pc_bh2": sample_uni_pc_bh2,
    "ddim": sample_euler,  # ComfyUI: ksampler("euler") with random inpaint noise, which only a noise mask uses
}
SAMPLER_NAMES = list(SAMPLERS)
