// checkpoint.h — loading an SD 1.x model: a diffusers folder or a single-file original (LDM) checkpoint.
//
// Either way the result is the three networks' configurations and weights under diffusers /
// transformers names without a component prefix (e.g. "down_blocks.0.resnets.0.conv1.weight" in
// `unet`, "decoder.mid_block.attentions.0.to_q.weight" in `vae`,
// "text_model.encoder.layers.0.self_attn.q_proj.weight" in `clip`), so the models never see the layout.
#pragma once

#include <memory>
#include <string>

#include "../models/config.h"
#include "weights.h"

namespace sdn {

struct Checkpoint {
    std::string source; // the folder or file loaded
    std::string layout; // "diffusers" | "single-file" | "vae" (a standalone VAE: clip and unet are null)
    CLIPConfig clip_config;
    UNetConfig unet_config;
    VAEConfig vae_config;
    // clip (CLIP-L) is null for a standalone VAE and for an SDXL refiner (bigG alone, in clip2).
    std::shared_ptr<WeightStore> clip, unet, vae;
    // SDXL's second text encoder (OpenCLIP ViT-bigG as transformers' CLIPTextModelWithProjection);
    // null for SD 1.x.
    CLIPConfig clip2_config;
    std::shared_ptr<WeightStore> clip2;
};

// The three configurations, as the loader takes them.
struct CheckpointConfigs {
    bool has_clip = true; // false: an SDXL refiner (no CLIP-L; clip is unused)
    CLIPConfig clip;
    UNetConfig unet;
    VAEConfig vae;
    bool has_clip2 = false; // SDXL
    CLIPConfig clip2;
};

// What to load, as the caller resolved it (native/ts/checkpoint-files.ts reads a diffusers folder's
// config.json files and a single file's sidecars, and sends this as JSON: see sdn_model_load).
struct CheckpointSpec {
    std::string path;
    std::string layout; // "diffusers" | "single-file" | "vae"
    WeightStorage storage = WeightStorage::F32;
    // config.json objects (text_encoder, unet, vae); required for a diffusers folder; for a single
    // file, all three or none (then inferred from the tensor shapes). An SDXL refiner has no
    // text_encoder: unet, vae and text_encoder_2.
    const JsonValue * text_encoder = nullptr, * unet = nullptr, * vae = nullptr;
    const JsonValue * text_encoder_2 = nullptr; // SDXL's second text encoder (with the other three)
    // How errors name where each configuration came from (default: the folder's config.json files, or
    // the checkpoint file).
    std::string text_encoder_source, unet_source, vae_source, text_encoder_2_source;
};

// Parses the configurations (config.h's *_config_from_json, errors naming the source) and loads.
Checkpoint checkpoint_load(const CheckpointSpec & spec);

// A diffusers folder: {unet,vae}/diffusion_pytorch_model[.fp16].safetensors and
// text_encoder/model[.fp16].safetensors, and text_encoder_2/ when configs.has_clip2 (storage F16 prefers the fp16 variant, F32 the full-precision
// file; either falls back to the other).
Checkpoint checkpoint_load_diffusers(const std::string & dir, WeightStorage storage, const CheckpointConfigs & configs);

// Original-layout keys (model.diffusion_model.*, first_stage_model.*, cond_stage_model.transformer.*;
// SDXL's SGM layout: conditioner.embedders.0.transformer.* (CLIP-L) and conditioner.embedders.1.model.*
// (OpenCLIP: fused in_proj q/k/v split, text_projection transposed))
// mapped to diffusers names (ldm_keys.h), with the given configurations or (null) those inferred from
// the tensor shapes (checkpoint_infer_single_file). A missing or extra tensor, a non-SD 1.x layout, or
// head counts that do not divide the widths throw an error naming the file and the tensor or field.
Checkpoint checkpoint_load_single_file(const std::string & path, WeightStorage storage, const CheckpointConfigs * configs);

// A standalone VAE .safetensors (vae-ft-mse-840000 and the like): LDM names (encoder.down.0.block.0...,
// optionally under first_stage_model.) or diffusers' AutoencoderKL names, the configuration given or
// inferred from the shapes (scaling factor 0.18215). Only the VAE is loaded (clip and unet stay null).
Checkpoint checkpoint_load_vae_file(const std::string & path, WeightStorage storage, const VAEConfig * config);

// The configurations a single file's tensor shapes give. What the weights cannot show takes SD 1.x's
// values: 8 UNet heads, scaling 0.18215, 64/512 sample sizes, CLIP heads = max(4, hidden / 64); for
// SDXL: UNet heads = width / 64, scaling 0.13025, 128/1024 sample sizes, second encoder gelu; a
// sidecar beside the file (applied by the caller) says otherwise.
CheckpointConfigs checkpoint_infer_single_file(const std::string & path);

} // namespace sdn
