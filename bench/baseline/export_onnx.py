#!/usr/bin/env python3
"""Exports torch_sd15.py's networks (SD 1.5's UNet, CLIP text encoder, VAE decoder; random fp32 weights,
the same seed as torch_sd15.py) to ONNX for the onnxruntime-node baseline of bench/speed.ts, with the
inputs it was traced on and PyTorch's outputs for them, so the runtime's results can be checked first.

    /usr/bin/python3 bench/baseline/export_onnx.py --out /tmp/latentflow-onnx            # all three
    /usr/bin/python3 bench/baseline/export_onnx.py --out DIR --networks unet --latent 64

Writes, per network N (unet | clip | vae): N.onnx (the UNet's 3.4 GB of weights go to N.onnx.data:
ONNX files hold at most 2 GB), N.input<i>.bin and N.output.bin (raw little-endian arrays), and N.json
{ inputs: [{ name, dtype, shape, file }], output: { shape, file }, torch, seed, ... }. Needs Debian's
python3-torch (1.13) and python3-onnx.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402
import torch_sd15  # noqa: E402

INPUT_NAMES = {"unet": ["sample", "timestep", "context"], "clip": ["input_ids"], "vae": ["latent"]}


def export(network: str, out_dir: str, batch: int, latent, tokens: int, seed: int) -> None:
    torch.manual_seed(seed)
    model, inputs = torch_sd15.build(network, batch, latent, tokens)
    model.eval()
    with torch.no_grad():
        output = model(*inputs)
    path = os.path.join(out_dir, f"{network}.onnx")
    t0 = time.perf_counter()
    # opset 14: what torch 1.13 exports well and onnxruntime runs with every CPU optimisation. Models over
    # 2 GB (the UNet) get their weights in an external data file beside the .onnx.
    torch.onnx.export(model, inputs, path, input_names=INPUT_NAMES[network], output_names=["output"], opset_version=14,
                      do_constant_folding=True)
    export_s = time.perf_counter() - t0
    manifest = {"network": network, "torch": torch.__version__, "seed": seed, "batch": batch, "export_s": round(export_s, 1),
                "inputs": [], "output": {}}
    for i, (name, x) in enumerate(zip(INPUT_NAMES[network], inputs)):
        file = f"{network}.input{i}.bin"
        x.numpy().tofile(os.path.join(out_dir, file))
        manifest["inputs"].append({"name": name, "dtype": str(x.dtype).replace("torch.", ""), "shape": list(x.shape), "file": file})
    output.numpy().astype("float32").tofile(os.path.join(out_dir, f"{network}.output.bin"))
    manifest["output"] = {"shape": list(output.shape), "file": f"{network}.output.bin"}
    with open(os.path.join(out_dir, f"{network}.json"), "w") as f:
        json.dump(manifest, f)
    print(json.dumps({"network": network, "onnx": path, "export_s": round(export_s, 1)}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="Exports torch_sd15.py's networks to ONNX (see the module docstring).")
    parser.add_argument("--out", required=True)
    parser.add_argument("--networks", default="unet,clip,vae")
    parser.add_argument("--latent", type=torch_sd15.parse_latent, default=(64, 64))
    parser.add_argument("--tokens", type=int, default=77)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(2)
    for network in args.networks.split(","):
        export(network, args.out, 1 if network == "vae" else 2, args.latent, args.tokens, args.seed)


if __name__ == "__main__":
    main()
