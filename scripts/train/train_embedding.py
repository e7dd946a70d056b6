#!/usr/bin/env python3
"""Trains a textual-inversion embedding for the demo model on the latents of make-data.ts and saves it in
A1111's safetensors layout (`emb_params` [vectors, 64]).

Run from the repository root with Debian's Python (python3-torch), after making the data with the engine:

    node --import tsx scripts/train/make-data.ts /tmp/ti-moon moon 1024
    /usr/bin/python3 scripts/train/train_embedding.py /tmp/ti-moon models/embeddings/moon.safetensors [minutes] [init words...]

Only the embedding's vectors are trained (one per init word, default "white circle": they start as those
words' token vectors); the text encoder and the UNet stay frozen. A caption is "<E>" or "a <E>", where
<E> stands for the vectors, injected in place of token vectors exactly as the engine injects an
`embedding:name` word (the rows of the token-embedding table, before the position embeddings).
Loss: SD's epsilon MSE at uniform timesteps, batch 32, Adam 5e-3 with a cosine decay, for a wall-clock
budget on one thread.
"""

import math
import os
import random
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import demo_model  # noqa: E402
from demo_model import safetensors_io  # noqa: E402

PLACEHOLDER = 49408  # ids from here on are the embedding's rows (the vocabulary has 49408 tokens)


def main():
    data_path, out = sys.argv[1], sys.argv[2]
    minutes = float(sys.argv[3]) if len(sys.argv) > 3 else 9.0
    init_words = sys.argv[4:] or ["white", "circle"]
    torch.set_num_threads(1)
    torch.manual_seed(0)
    rng = random.Random(0)
    generator = torch.Generator().manual_seed(0)

    data, style = demo_model.read_data(data_path)
    latents = data["latents"]
    unet, clip, words = demo_model.load_unet(), demo_model.load_text_encoder(), demo_model.Words()
    table = clip.text_model.embeddings.token_embedding
    init_ids = [words.ids(w)[1] for w in init_words]
    vectors = table.weight[init_ids].clone().requires_grad_(True)
    slots = [PLACEHOLDER + i for i in range(len(init_ids))]
    print(f"{style}: {len(latents)} latents; {len(slots)} vectors from {init_words}", flush=True)
    optimizer = torch.optim.Adam([vectors], lr=5e-3)
    schedule = demo_model.alphas_cumprod()

    batch, budget, start, step, running = 32, minutes * 60, time.time(), 0, None
    while time.time() - start < budget:
        for g in optimizer.param_groups:
            g["lr"] = 5e-3 * 0.5 * (1 + math.cos(math.pi * min(1.0, (time.time() - start) / budget)))
        index = torch.randint(0, len(latents), (batch,), generator=generator)
        ids = torch.tensor([words.ids(rng.choice(["<E>", "a <E>"]), {"<E>": slots}) for _ in range(batch)])
        injected = ids >= PLACEHOLDER
        embeds = table(ids.clamp(max=PLACEHOLDER - 1))
        embeds = torch.where(injected[..., None], vectors[(ids - PLACEHOLDER).clamp(min=0)], embeds)
        context = demo_model.encode_embeds(clip, embeds)
        x_t, t, eps = demo_model.noisy(latents[index], generator, schedule)
        loss = torch.nn.functional.mse_loss(unet(x_t, t, context), eps)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        step += 1
        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        if step % 25 == 0:
            print(f"step {step}  {time.time() - start:.0f} s  loss {running:.4f}", flush=True)
    name = os.path.splitext(os.path.basename(out))[0]
    safetensors_io.write(out, {"emb_params": vectors.detach().float()},
                         {"name": name, "step": step, "sd_checkpoint_name": "shapes-sd",
                          "comment": f"latentflow scripts/train/train_embedding.py, style {style}, init {' '.join(init_words)}"})
    print(f"saved {out}: {step} steps, final running loss {running:.4f}", flush=True)


if __name__ == "__main__":
    main()
