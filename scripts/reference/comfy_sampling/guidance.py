"""ComfyUI's conditioning and classifier-free guidance (comfy/samplers.py: process_conds, get_area_and_mult,
calc_cond_batch, cfg_function), written from the published algorithm, for cross-attention conditioning.

A conditioning is a list of entries {"cross_attn": [1, T, D], optional "area" (h, w, y, x) in latent cells or
("percentage", h, w, y, x), "strength", "start_percent", "end_percent"}.
"""

import math

import torch


def resolve_areas(conds, dims):
    for i, c in enumerate(conds):
        area = c.get("area")
        if area is not None and area[0] == "percentage":
            c = dict(c)
            a = area[1:]
            c["area"] = tuple(max(1, round(a[d] * dims[d])) for d in range(2)) + tuple(round(a[d + 2] * dims[d]) for d in range(2))
            conds[i] = c


def calculate_start_end_timesteps(ms, conds):
    for i, c in enumerate(conds):
        start = ms.percent_to_sigma(c["start_percent"]) if "start_percent" in c else None
        end = ms.percent_to_sigma(c["end_percent"]) if "end_percent" in c else None
        if start is not None or end is not None:
            c = dict(c)
            if start is not None:
                c["timestep_start"] = start
            if end is not None:
                c["timestep_end"] = end
            conds[i] = c


def _area_inside(a, outer):
    for i in range(2):
        if a[2 + i] < outer[2 + i]:
            return False
    for i in range(2):
        if a[i] + a[2 + i] > outer[i] + outer[2 + i]:
            return False
    return True


def create_cond_with_same_area_if_none(conds, c):
    if "area" not in c:
        return
    c_area = c["area"]
    smallest = None
    for x in conds:
        if "area" in x:
            if _area_inside(c_area, x["area"]):
                if smallest is None or "area" not in smallest:
                    smallest = x
                elif math.prod(smallest["area"][:2]) > math.prod(x["area"][:2]):
                    smallest = x
        elif smallest is None:
            smallest = x
    if smallest is None:
        return
    if "area" in smallest and smallest["area"] == c_area:
        return
    out = dict(c)
    out["cross_attn"] = smallest["cross_attn"]
    conds.append(out)


def process_conds(ms, conds, latent_shape):
    """conds: {"positive": [...], "negative": [...]} (copied, then resolved like ComfyUI's process_conds)."""
    conds = {k: [dict(c) for c in v] for k, v in conds.items()}
    for k in conds:
        resolve_areas(conds[k], latent_shape[2:])
    for k in conds:
        calculate_start_end_timesteps(ms, conds[k])
    for k in conds:
        for c in conds[k]:
            for kk in conds:
                if k != kk:
                    create_cond_with_same_area_if_none(conds[kk], c)
    return conds


def get_area_and_mult(c, x_in, sigma):
    if "timestep_start" in c and sigma[0] > c["timestep_start"]:
        return None
    if "timestep_end" in c and sigma[0] < c["timestep_end"]:
        return None
    dims = x_in.shape[2:]
    area = list(c["area"]) if "area" in c else None
    strength = c.get("strength", 1.0)
    input_x = x_in
    if area is not None:
        for i in range(2):
            area[i] = min(input_x.shape[i + 2] - area[2 + i], area[i])
            input_x = input_x.narrow(i + 2, area[2 + i], area[i])
    mult = torch.ones_like(input_x) * strength
    if area is not None:
        fuzz = 8
        for i in range(2):
            rr = min(fuzz, mult.shape[2 + i] // 4)
            if area[2 + i] != 0:
                for t in range(rr):
                    m = mult.narrow(i + 2, t, 1)
                    m *= ((1.0 / rr) * (t + 1))
            if (area[i] + area[2 + i]) < dims[i]:
                for t in range(rr):
                    m = mult.narrow(i + 2, area[i] - 1 - t, 1)
                    m *= ((1.0 / rr) * (t + 1))
    return input_x, mult, c["cross_attn"], area


def _can_concat(a, b):
    if a[0].shape != b[0].shape:
        return False
    s1, s2 = a[2].shape, b[2].shape
    if s1 != s2:
        if s1[0] != s2[0] or s1[2] != s2[2]:
            return False
        if math.lcm(s1[1], s2[1]) // min(s1[1], s2[1]) > 4:
            return False
    return True


def _concat_cross_attn(conds, batch):
    length = 1
    for c in conds:
        length = math.lcm(length, c.shape[1])
    out = []
    for c in conds:
        c = c.repeat(batch, length // c.shape[1], 1)
        out.append(c)
    return torch.cat(out)


def calc_cond_batch(apply_model, conds, x_in, sigma):
    """One denoised prediction per conditioning list (None: skipped, zeros), areas blended by their weights."""
    out_conds = []
    out_counts = []
    to_run = []
    for i, cond in enumerate(conds):
        out_conds.append(torch.zeros_like(x_in))
        out_counts.append(torch.ones_like(x_in) * 1e-37)
        if cond is None:
            continue
        for c in cond:
            p = get_area_and_mult(c, x_in, sigma)
            if p is not None:
                to_run.append((p, i))
    while to_run:
        first = to_run[0]
        batch = [k for k in range(len(to_run)) if _can_concat(to_run[k][0], first[0])]
        batch.reverse()
        picked = [to_run.pop(k) for k in batch]
        input_x = torch.cat([p[0][0] for p in picked])
        context = _concat_cross_attn([p[0][2] for p in picked], x_in.shape[0])
        output = apply_model(input_x, torch.cat([sigma] * len(picked)), context).chunk(len(picked))
        for o, (p, index) in enumerate(picked):
            mult, area = p[1], p[3]
            if area is None:
                out_conds[index] += output[o] * mult
                out_counts[index] += mult
            else:
                out_c = out_conds[index].narrow(2, area[2], area[0]).narrow(3, area[3], area[1])
                out_n = out_counts[index].narrow(2, area[2], area[0]).narrow(3, area[3], area[1])
                out_c += output[o] * mult
                out_n += mult
    for i in range(len(out_conds)):
        out_conds[i] /= out_counts[i]
    return out_conds


class CFGGuider:
    """predict(x, sigma) = uncond + (cond - uncond) * cfg in x0 space (uncond skipped when cfg is 1)."""

    def __init__(self, apply_model, conds, cfg):
        self.apply_model = apply_model
        self.conds = conds
        self.cfg = cfg

    def __call__(self, x, sigma):
        negative = None if math.isclose(self.cfg, 1.0) else self.conds.get("negative")
        cond, uncond = calc_cond_batch(self.apply_model, [self.conds.get("positive"), negative], x, sigma)
        return uncond + (cond - uncond) * self.cfg
