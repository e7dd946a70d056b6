// clip_text_model.h — transformers' CLIPTextModel (SD 1.x's text encoder), configured by CLIPConfig.
//
//   ids [B, T] -> embeddings: token_embedding[ids] + position_embedding[0..T)      [B, T, D]
//   num_hidden_layers x pre-LN layer:
//       h += out_proj(causal_self_attention(layer_norm1(h)))                    [B, T, D]
//       h += fc2(act(fc1(layer_norm2(h))))            act = quick_gelu | gelu     [B, T, D]
//   last_hidden_state = final_layer_norm(h)                                     [B, T, D]
//   pooled = last_hidden_state at each prompt's end token (the first largest id: <|endoftext|>)  [B, D]
//   text_embeds = text_projection(pooled)   (CLIPTextModelWithProjection, SDXL's second encoder) [B, P]
//
// Weight names are transformers' ("text_model.encoder.layers.0.self_attn.q_proj.weight", ...).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "../common/layers.h"
#include "../config.h"

namespace sdn {

// Token vectors injected into a prompt (textual-inversion embeddings): `count` rows of hidden_size floats.
struct TokenVectors {
    const float * data = nullptr;
    int64_t count = 0;
};

class CLIPTextModel {
public:
    CLIPTextModel(const CLIPConfig & config, std::shared_ptr<const WeightStore> weights);

    const CLIPConfig & config() const { return config_; }

    // ids: [B, T] token ids (0 <= id < vocab_size, T <= max_position_embeddings).
    // clip_skip = 1 returns the last layer's output, 2 the penultimate layer's (hidden_states[-2]),
    // ..., num_hidden_layers + 1 the embeddings; final_layer_norm applies the final layer norm to it
    // (clip_skip 1 with the norm = last_hidden_state; diffusers, A1111 and ComfyUI apply the norm to
    // skipped layers too). Throws BAD_ARGUMENT for ids or clip_skip out of range.
    // -> [B, T, hidden_size]
    // `vectors` (may be empty): extra token embeddings [count, hidden_size] (textual inversion); an id
    // vocab_size + i stands for vectors[i] (position embeddings are added to it as to any token).
    // pooled (may be null): also the pooled output, through text_projection when the model has one
    // ([B, projection_dim], else [B, hidden_size]); every layer then runs whatever clip_skip says.
    Tensor forward(const int32_t * ids, int64_t B, int64_t T, int clip_skip, bool final_layer_norm,
                   const std::atomic<bool> * cancel, const TokenVectors & vectors = {}, Tensor * pooled = nullptr) const;

private:
    struct Layer {
        LayerNorm layer_norm1, layer_norm2;
        Linear q_proj, k_proj, v_proj, out_proj, fc1, fc2;
    };

    Tensor embed(const int32_t * ids, int64_t B, int64_t T, const TokenVectors & vectors) const; // [B, T, D]
    void layer_forward(const Layer & layer, Tensor & h) const;          // [B, T, D], in place
    Tensor copy_of(const Tensor & x) const;                             // a copy in the arena
    Tensor pool(const int32_t * ids, const Tensor & last) const;        // [B, T, D] -> [B, P] or [B, D]

    CLIPConfig config_;
    std::shared_ptr<const WeightStore> weights_;
    const Tensor * token_embedding_ = nullptr;    // [vocab_size, D] (f32 or f16)
    const Tensor * position_embedding_ = nullptr; // [max_position_embeddings, D]
    std::vector<Layer> layers_;
    LayerNorm final_layer_norm_;
    Linear text_projection_; // projection_dim > 0 only
};

} // namespace sdn
