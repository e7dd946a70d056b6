"""ComfyUI's model sampling for SD 1.x (comfy/model_sampling.py: ModelSamplingDiscrete with EPS, and
comfy_extras' ModelSamplingDiscreteDistilled with LCM), written from its published algorithm.

Training schedule: betas = linspace(sqrt(0.00085), sqrt(0.012), 1000) ** 2 in float64 ("linear" in ComfyUI's
make_beta_schedule), alphas_cumprod = cumprod(1 - betas), sigmas = sqrt((1 - a) / a) in float64, kept as float32
together with log(sigmas) (log taken in float64, then float32).
"""

import torch


def rescale_zero_terminal_snr_sigmas(sigmas):
    alphas_cumprod = 1 / ((sigmas * sigmas) + 1)
    alphas_bar_sqrt = alphas_cumprod.sqrt()
    first = alphas_bar_sqrt[0].clone()
    last = alphas_bar_sqrt[-1].clone()
    alphas_bar_sqrt -= last
    alphas_bar_sqrt *= first / (first - last)
    alphas_bar = alphas_bar_sqrt ** 2
    alphas_bar[-1] = 4.8973451890853435e-08
    return ((1 - alphas_bar) / alphas_bar) ** 0.5


class ModelSampling:
    """kind: 'eps' (SD 1.x), 'v_prediction', 'x0' or 'lcm' (the distilled 50-step table, LCM's c_skip/c_out)."""

    def __init__(self, kind="eps", linear_start=0.00085, linear_end=0.012, timesteps=1000, zsnr=False):
        betas = torch.linspace(linear_start ** 0.5, linear_end ** 0.5, timesteps, dtype=torch.float64) ** 2
        alphas = 1.0 - betas
        alphas_cumprod = torch.cumprod(alphas, dim=0)
        sigmas = ((1 - alphas_cumprod) / alphas_cumprod) ** 0.5
        if zsnr:
            sigmas = rescale_zero_terminal_snr_sigmas(sigmas)
        self.kind = kind
        self.num_timesteps = timesteps
        self.skip_steps = 1
        self._set_sigmas(sigmas)
        if kind == "lcm":
            original = 50
            self.skip_steps = timesteps // original
            valid = torch.zeros(original, dtype=torch.float32)
            for x in range(original):
                valid[original - 1 - x] = self.sigmas[timesteps - 1 - x * self.skip_steps]
            self._set_sigmas(valid)

    def _set_sigmas(self, sigmas):
        self.sigmas = sigmas.float()
        self.log_sigmas = sigmas.log().float()

    @property
    def sigma_min(self):
        return self.sigmas[0]

    @property
    def sigma_max(self):
        return self.sigmas[-1]

    def timestep(self, sigma):
        """The model timestep of each sigma: the nearest training log-sigma (argmin), as ComfyUI feeds the UNet."""
        log_sigma = sigma.log()
        dists = log_sigma - self.log_sigmas[:, None]
        index = dists.abs().argmin(dim=0).view(sigma.shape)
        return index * self.skip_steps + (self.skip_steps - 1)

    def sigma(self, timestep):
        t = timestep.float()
        if self.skip_steps != 1:
            t = ((t - (self.skip_steps - 1)) / self.skip_steps).float()
        t = torch.clamp(t, min=0, max=(len(self.sigmas) - 1))
        low_idx = t.floor().long()
        high_idx = t.ceil().long()
        w = t.frac()
        log_sigma = (1 - w) * self.log_sigmas[low_idx] + w * self.log_sigmas[high_idx]
        return log_sigma.exp()

    def percent_to_sigma(self, percent):
        if percent <= 0.0:
            return 999999999.9
        if percent >= 1.0:
            return 0.0
        percent = 1.0 - percent
        return self.sigma(torch.tensor(percent * 999.0)).item()

    # ---- parameterisation (EPS, V_PREDICTION, X0, LCM) ----

    def calculate_input(self, sigma, x):
        sigma = sigma.view(sigma.shape[:1] + (1,) * (x.ndim - 1))
        return x / (sigma ** 2 + 1.0) ** 0.5

    def calculate_denoised(self, sigma, model_output, model_input):
        s = sigma.view(sigma.shape[:1] + (1,) * (model_output.ndim - 1))
        if self.kind == "v_prediction":
            return model_input * 1.0 / (s ** 2 + 1.0) - model_output * s * 1.0 / (s ** 2 + 1.0) ** 0.5
        if self.kind == "x0":
            return model_output
        x0 = model_input - model_output * s
        if self.kind != "lcm":
            return x0
        timestep = self.timestep(sigma).view(sigma.shape[:1] + (1,) * (model_output.ndim - 1))
        sigma_data = 0.5
        scaled_timestep = timestep * 10.0
        c_skip = sigma_data ** 2 / (scaled_timestep ** 2 + sigma_data ** 2)
        c_out = scaled_timestep / (scaled_timestep ** 2 + sigma_data ** 2) ** 0.5
        return c_out * x0 + c_skip * model_input

    def noise_scaling(self, sigma, noise, latent_image, max_denoise=False):
        if max_denoise:
            noise = noise * torch.sqrt(1.0 + sigma ** 2.0)
        else:
            noise = noise * sigma
        noise += latent_image
        return noise
