// ldm_keys.h — tensor names of SD 1.x single-file (original LDM/CompVis) checkpoints and their
// diffusers / transformers equivalents.
//
// Component prefixes in a single file: "model.diffusion_model." (UNet), "first_stage_model." (VAE),
// "cond_stage_model.transformer." (CLIP text encoder). The functions below work on names with that
// prefix removed. The correspondence follows diffusers' convert_diffusers_to_original_stable_diffusion.py,
// generalised from SD 1.5's fixed sizes to any number of levels (L) and res blocks per level (R):
//
// UNet (original -> diffusers)
//   time_embed.{0,2}                 -> time_embedding.linear_{1,2}
//   input_blocks.0.0                 -> conv_in
//   input_blocks.{1 + i(R+1) + j}.0  -> down_blocks.i.resnets.j          (j < R)
//   input_blocks.{1 + i(R+1) + j}.1  -> down_blocks.i.attentions.j
//   input_blocks.{(i+1)(R+1)}.0.op   -> down_blocks.i.downsamplers.0.conv (i < L-1)
//   middle_block.{0,1,2}             -> mid_block.resnets.0, mid_block.attentions.0, mid_block.resnets.1
//   output_blocks.{i(R+1) + j}.0     -> up_blocks.i.resnets.j            (j <= R)
//   output_blocks.{i(R+1) + j}.1     -> up_blocks.i.attentions.j         (levels with attention)
//   output_blocks.{i(R+1) + R}.{1|2} -> up_blocks.i.upsamplers.0         (1 without attention, 2 with)
//   out.{0,2}                        -> conv_norm_out, conv_out
//   inside resnets: in_layers.{0,2} -> norm1, conv1; out_layers.{0,3} -> norm2, conv2;
//                   emb_layers.1 -> time_emb_proj; skip_connection -> conv_shortcut
//   inside attentions (SpatialTransformer / Transformer2DModel): the same names on both sides.
// VAE
//   encoder.down.i.block.j -> encoder.down_blocks.i.resnets.j; encoder.down.i.downsample -> ...downsamplers.0
//   decoder.up.k.block.j   -> decoder.up_blocks.(L-1-k).resnets.j (the decoder's levels are numbered in
//                             reverse); decoder.up.k.upsample -> decoder.up_blocks.(L-1-k).upsamplers.0
//   {en,de}coder.mid.block_{1,2} -> mid_block.resnets.{0,1}; mid.attn_1 -> mid_block.attentions.0 with
//   norm/q/k/v/proj_out -> group_norm/to_q/to_k/to_v/to_out.0 (q/k/v/proj_out are 1x1 convs
//   [C, C, 1, 1] in the original, Linear [C, C] in diffusers); nin_shortcut -> conv_shortcut;
//   norm_out -> conv_norm_out; conv_in, conv_out, quant_conv, post_quant_conv keep their names.
// CLIP: transformers names under "text_model." (older files omit "text_model.": it is added).
#pragma once

#include <string>
#include <vector>

#include "../models/config.h"

namespace sdn {

// One tensor of a network: its original (single-file) name without the component prefix and its
// diffusers / transformers name.
struct LdmName {
    std::string original;
    std::string diffusers;
};

// Every tensor of an SD 1.x network with this configuration, in a fixed order (the order of the
// original modules). Both names are generated from the same walk over the architecture, so the
// mapping and the completeness check cannot disagree.
std::vector<LdmName> ldm_unet_names(const UNetConfig & config);
std::vector<LdmName> ldm_vae_names(const VAEConfig & config);
std::vector<LdmName> ldm_clip_names(const CLIPConfig & config); // both sides "text_model.*"

// The name under "cond_stage_model.transformer." with "text_model." added where an older file
// omits it ("embeddings.token_embedding.weight" -> "text_model.embeddings.token_embedding.weight").
std::string ldm_clip_normalise(const std::string & key);

// True for the VAE mid-attention q/k/v/proj_out weights, stored [C, C, 1, 1] in original files and
// [C, C] (Linear) in diffusers.
bool ldm_vae_is_attention_projection(const std::string & original_key);

} // namespace sdn
