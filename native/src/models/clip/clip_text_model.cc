#include "clip_text_model.h"

#include <algorithm>
#include <cmath>

#include "../../core/arena.h"
#include "../../core/half.h"
#include "../../core/profile.h"
#include "../../ops/activation.h"
#include "../common/attention_call.h"

namespace sdn {

CLIPTextModel::CLIPTextModel(const CLIPConfig & config, std::shared_ptr<const WeightStore> weights)
    : config_(config), weights_(std::move(weights)) {
    const WeightStore & ws = *weights_;
    const int64_t D = config.hidden_size, I = config.intermediate_size;
    const float eps = config.layer_norm_eps;
    token_embedding_ = &ws.get("text_model.embeddings.token_embedding.weight", {config.vocab_size, D});
    position_embedding_ = &ws.get("text_model.embeddings.position_embedding.weight", {config.max_position_embeddings, D});
    for (int l = 0; l < config.num_hidden_layers; ++l) {
        const std::string p = "text_model.encoder.layers." + std::to_string(l);
        Layer layer;
        layer.layer_norm1 = LayerNorm::load(ws, p + ".layer_norm1", D, eps);
        layer.q_proj = Linear::load(ws, p + ".self_attn.q_proj", D, D, true);
        layer.k_proj = Linear::load(ws, p + ".self_attn.k_proj", D, D, true);
        layer.v_proj = Linear::load(ws, p + ".self_attn.v_proj", D, D, true);
        layer.out_proj = Linear::load(ws, p + ".self_attn.out_proj", D, D, true);
        layer.layer_norm2 = LayerNorm::load(ws, p + ".layer_norm2", D, eps);
        layer.fc1 = Linear::load(ws, p + ".mlp.fc1", D, I, true);
        layer.fc2 = Linear::load(ws, p + ".mlp.fc2", I, D, true);
        layers_.push_back(layer);
    }
    final_layer_norm_ = LayerNorm::load(ws, "text_model.final_layer_norm", D, eps);
    if (config.projection_dim > 0) text_projection_ = Linear::load(ws, "text_projection", D, config.projection_dim, false);
}

// One embedding row widened to f32 (the table may be stored f16).
static void embedding_row(const Tensor & table, int64_t row, float * out) {
    const int64_t D = table.dim(1);
    if (table.dtype == DType::F32) {
        const float * src = table.f32() + row * D;
        for (int64_t d = 0; d < D; ++d) out[d] = src[d];
    } else if (table.dtype == DType::F16) {
        const uint16_t * src = table.u16() + row * D;
        for (int64_t d = 0; d < D; ++d) out[d] = f16_to_f32(src[d]);
    } else {
        const uint16_t * src = table.u16() + row * D;
        for (int64_t d = 0; d < D; ++d) out[d] = bf16_to_f32(src[d]);
    }
}

Tensor CLIPTextModel::embed(const int32_t * ids, int64_t B, int64_t T, const TokenVectors & vectors) const {
    static const std::string kEmbeddings = "text_model.embeddings";
    const int64_t D = config_.hidden_size;
    const bool measuring = arena_measuring(); // a measure pass has no ids
    for (int64_t i = 0; i < B * T && !measuring; ++i)
        require(ids[i] >= 0 && ids[i] < config_.vocab_size + vectors.count, SDN_STATUS_BAD_ARGUMENT,
                "text encoder: token id " + std::to_string(ids[i]) + " at index " + std::to_string(i) + " is outside the vocabulary (0.." +
                    std::to_string(config_.vocab_size - 1) + ")" +
                    (vectors.count ? " and the " + std::to_string(vectors.count) + " injected vectors" : std::string()));
    ArenaScope scope(kEmbeddings);
    Tensor h = Tensor::empty({B, T, D});
    if (measuring) return h;
    std::vector<float> position(D);
    for (int64_t t = 0; t < T; ++t) {
        embedding_row(*position_embedding_, t, position.data());
        for (int64_t b = 0; b < B; ++b) {
            float * row = h.f32() + (b * T + t) * D;
            const int64_t id = ids[b * T + t];
            if (id < config_.vocab_size) embedding_row(*token_embedding_, id, row);
            else std::copy_n(vectors.data + (id - config_.vocab_size) * D, D, row); // an injected vector
            for (int64_t d = 0; d < D; ++d) row[d] += position[d];
        }
    }
    return h; // [B, T, D]
}

void CLIPTextModel::layer_forward(const Layer & layer, Tensor & h) const {
    const int64_t B = h.dim(0), T = h.dim(1), D = config_.hidden_size, M = B * T;
    const int64_t heads = config_.num_attention_heads, dh = D / heads;
    {
        Tensor n = layer.layer_norm1.forward(h);                                // [B, T, D]
        Tensor q = layer.q_proj.forward(n);                                     // [B, T, D]
        Tensor k = layer.k_proj.forward(n);                                     // [B, T, D]
        Tensor v = layer.v_proj.forward(n);                                     // [B, T, D]
        n = Tensor();
        Tensor a = [&] { ArenaScope scope(layer.out_proj.name); return Tensor::empty({B, T, D}); }();
        const AttentionShape s{B, heads, T, T, dh, 1.0f / std::sqrt(static_cast<float>(dh))};
        auto operand = [&](Tensor & t) { return AttentionOperand{t.f32(), T * D, dh, D}; };
        attention_causal_naive(s, operand(q), operand(k), operand(v), operand(a)); // [B, T, heads * dh]
        layer.out_proj.forward(a.f32(), M, h.f32(), true);                      // h += out_proj(a)  [B, T, D]
    }
    Tensor n = layer.layer_norm2.forward(h);                                    // [B, T, D]
    Tensor f = layer.fc1.forward(n);                                            // [B, T, I]
    n = Tensor();
    if (!arena_measuring()) {
        ProfileScope prof(ProfOp::Activation);
        if (config_.hidden_act == "quick_gelu") quick_gelu(f.f32(), f.f32(), f.numel());
        else gelu(f.f32(), f.f32(), f.numel(), false);                          // [B, T, I]
    }
    layer.fc2.forward(f.f32(), M, h.f32(), true);                               // h += fc2(f)  [B, T, D]
}

Tensor CLIPTextModel::forward(const int32_t * ids, int64_t B, int64_t T, int clip_skip, bool final_layer_norm,
                              const std::atomic<bool> * cancel, const TokenVectors & vectors, Tensor * pooled) const {
    const int L = config_.num_hidden_layers;
    require(B >= 1 && T >= 1 && T <= config_.max_position_embeddings, SDN_STATUS_BAD_ARGUMENT,
            "text encoder: " + std::to_string(T) + " tokens per prompt; expected 1.." + std::to_string(config_.max_position_embeddings));
    require(clip_skip >= 1 && clip_skip <= L + 1, SDN_STATUS_BAD_ARGUMENT,
            "text encoder: clipSkip " + std::to_string(clip_skip) + " is out of range 1.." + std::to_string(L + 1) + " (this model has " +
                std::to_string(L) + " layers)");

    ProfileRun profile("CLIP text encoder");
    Tensor h = embed(ids, B, T, vectors);                                       // [B, T, D]
    const int wanted = L - clip_skip + 1, layers = pooled ? L : wanted;
    Tensor out;
    for (int l = 0; l < layers; ++l) {
        check_cancelled(cancel, "text encoder layer " + std::to_string(l));
        if (l == wanted) out = copy_of(h);                                      // the layer asked for, kept  [B, T, D]
        layer_forward(layers_[l], h);                                           // [B, T, D]
    }
    if (!pooled) return final_layer_norm ? final_layer_norm_.forward(h) : h;    // [B, T, D]
    Tensor last = final_layer_norm_.forward(h);                                 // last_hidden_state  [B, T, D]
    if (wanted == L) out = final_layer_norm ? last : h;                         // [B, T, D]
    else if (final_layer_norm) out = final_layer_norm_.forward(out);            // [B, T, D]
    h = Tensor();
    *pooled = pool(ids, last);                                                  // [B, P] or [B, D]
    return out;
}

Tensor CLIPTextModel::copy_of(const Tensor & x) const {
    static const std::string kEncoderScope = "text_model.encoder";
    ArenaScope scope(kEncoderScope);
    Tensor y = Tensor::empty(x.shape);
    if (!arena_measuring()) std::copy(x.f32(), x.f32() + x.numel(), y.f32());
    return y;
}

Tensor CLIPTextModel::pool(const int32_t * ids, const Tensor & last) const {
    const int64_t B = last.dim(0), T = last.dim(1), D = config_.hidden_size;
    static const std::string kPoolerScope = "text_model.pooler";
    Tensor rows = [&] { ArenaScope scope(kPoolerScope); return Tensor::empty({B, D}); }();
    if (!arena_measuring())
        for (int64_t b = 0; b < B; ++b) {
            const int32_t * p = ids + b * T;
            // The first largest id, <|endoftext|>; injected vectors (ids >= vocab_size) are not the end.
            int64_t end = 0;
            for (int64_t t = 1; t < T; ++t)
                if (p[t] < config_.vocab_size && (p[end] >= config_.vocab_size || p[t] > p[end])) end = t;
            std::copy(last.f32() + (b * T + end) * D, last.f32() + (b * T + end + 1) * D, rows.f32() + b * D);
        }
    return config_.projection_dim > 0 ? text_projection_.forward(rows) : rows;  // [B, P] or [B, D]
}

} // namespace sdn
