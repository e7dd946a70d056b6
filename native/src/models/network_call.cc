#include "network_call.h"

#include <algorithm>

#include "../core/arena.h"

namespace sdn {

namespace {

std::string latent_shape(const char * what, const Tensor & x) {
    return std::string("a ") + std::to_string(x.dim(2)) + "x" + std::to_string(x.dim(3)) + " " + what + ", batch " + std::to_string(x.dim(0));
}

} // namespace

NetworkCall unet_call(const UNet & unet, const Tensor & latent, const float * timesteps, const Tensor & context,
                      const std::atomic<bool> * cancel, const AddedConditioning & added, const std::vector<ControlApply> & controls) {
    NetworkCall call;
    call.network = controls.empty() ? "UNet" : controls.size() == 1 ? "UNet with a ControlNet" : "UNet with " + std::to_string(controls.size()) + " ControlNets";
    call.shape = latent.rank() == 4 ? latent_shape("latent", latent) : shape_str(latent.shape);
    call.advice = controls.empty() ? "use a smaller latent or batch" : "use a smaller latent or batch, or fewer ControlNets";
    call.run = [&unet, latent, timesteps, context, cancel, added, controls](AttentionMode mode) {
        if (controls.empty()) return std::vector<Tensor>{unet.forward(latent, timesteps, context, mode, cancel, added)};
        ControlResiduals residuals;
        {
            // SDXL: the ControlNets' added conditioning is the UNet's own text_time input (ComfyUI's y)
            Tensor y;
            if (unet.config().addition_embed_type == "text_time") y = text_time_input(unet.config(), added, latent.dim(0), "UNet");
            residuals = control_residuals(controls, latent, timesteps, context, mode, cancel, y.rank() ? &y : nullptr);
        }
        return std::vector<Tensor>{unet.forward(latent, timesteps, context, mode, cancel, added, &residuals)};
    };
    return call;
}

NetworkCall controlnet_call(const ControlNet & net, const Tensor & latent, const float * timesteps, const Tensor & context, const Tensor & hint,
                            const std::atomic<bool> * cancel, const AddedConditioning & added) {
    NetworkCall call;
    call.network = "ControlNet";
    call.shape = latent.rank() == 4 ? latent_shape("latent", latent) : shape_str(latent.shape);
    call.advice = "use a smaller latent or batch";
    call.run = [&net, latent, timesteps, context, hint, cancel, added](AttentionMode mode) {
        Tensor y;
        if (net.sdxl()) y = text_time_input(net.config().unet, added, latent.rank() == 4 ? latent.dim(0) : 0, "ControlNet");
        ControlResiduals r = net.forward(latent, timesteps, context, hint, mode, cancel, net.sdxl() ? &y : nullptr);
        r.down.push_back(r.mid);
        return r.down;
    };
    return call;
}

NetworkCall vae_decode_call(const AutoencoderKL & vae, const Tensor & latent, int64_t tile, const std::atomic<bool> * cancel,
                            const AutoencoderKL::TileProgress & progress) {
    require(tile >= 0, SDN_STATUS_BAD_ARGUMENT, "VAE decode: tile must be >= 1 latent cell (or 0 for the whole latent), got " + std::to_string(tile));
    NetworkCall call;
    call.network = tile > 0 ? "VAE tiled decode" : "VAE decode";
    call.shape = latent.rank() == 4 ? latent_shape("latent", latent) : shape_str(latent.shape);
    if (tile > 0) call.shape += ", tiles of " + std::to_string(tile) + " latent cells";
    call.advice = tile > 0 ? "the image-wide maps dominate: use normalization 'tile' (memory of one tile) or a smaller batch"
                           : "decode in tiles (VAEDecodeTiled) or a smaller batch";
    call.run = [&vae, latent, tile, cancel, progress](AttentionMode mode) {
        // progress is for the real run only: a measure pass reports nothing
        return std::vector<Tensor>{tile > 0 ? vae.decode_tiled(latent, tile, mode, cancel, arena_measuring() ? AutoencoderKL::TileProgress() : progress)
                                            : vae.decode(latent, mode, cancel)};
    };
    return call;
}

NetworkCall vae_encode_call(const AutoencoderKL & vae, const Tensor & image, const std::atomic<bool> * cancel) {
    NetworkCall call;
    call.network = "VAE encode";
    call.shape = image.rank() == 4 ? latent_shape("image", image) : shape_str(image.shape);
    call.advice = "encode a smaller image or batch";
    call.run = [&vae, image, cancel](AttentionMode mode) {
        Tensor moments = vae.encode_moments(image, mode, cancel);             // [B, 2L, h, w]
        const int64_t B = moments.dim(0), L = moments.dim(1) / 2, S = moments.dim(2) * moments.dim(3);
        Tensor mean = Tensor::empty({B, L, moments.dim(2), moments.dim(3)});   // channels [0, L)
        Tensor logvar = Tensor::empty({B, L, moments.dim(2), moments.dim(3)}); // clamp(channels [L, 2L), -30, 20)
        if (!arena_measuring())
            for (int64_t b = 0; b < B; ++b) {
                const float * m = moments.f32() + b * 2 * L * S;
                std::copy(m, m + L * S, mean.f32() + b * L * S);
                float * lv = logvar.f32() + b * L * S;
                for (int64_t i = 0; i < L * S; ++i) lv[i] = std::min(std::max(m[L * S + i], -30.0f), 20.0f);
            }
        return std::vector<Tensor>{mean, logvar};
    };
    return call;
}

NetworkCall text_encode_call(const CLIPTextModel & clip, const int32_t * ids, int64_t B, int64_t T, int clip_skip, bool final_layer_norm,
                             const std::atomic<bool> * cancel, const TokenVectors & vectors, bool pooled) {
    NetworkCall call;
    call.network = "text encoder";
    call.shape = std::to_string(B) + (B == 1 ? " prompt" : " prompts") + " of " + std::to_string(T) + " tokens";
    call.advice = "encode fewer prompts at once";
    call.attention_modes = false;
    call.run = [&clip, ids, B, T, clip_skip, final_layer_norm, cancel, vectors, pooled](AttentionMode) {
        if (!pooled) return std::vector<Tensor>{clip.forward(ids, B, T, clip_skip, final_layer_norm, cancel, vectors)};
        Tensor p;
        Tensor h = clip.forward(ids, B, T, clip_skip, final_layer_norm, cancel, vectors, &p);
        return std::vector<Tensor>{h, p};
    };
    return call;
}

NetworkCall taesd_decode_call(const TAESD & taesd, const Tensor & latent, const std::atomic<bool> * cancel) {
    NetworkCall call;
    call.network = "TAESD decode";
    call.shape = latent.rank() == 4 ? latent_shape("latent", latent) : shape_str(latent.shape);
    call.advice = "decode a smaller latent or batch";
    call.attention_modes = false;
    call.run = [&taesd, latent, cancel](AttentionMode) { return std::vector<Tensor>{taesd.decode(latent, cancel)}; };
    return call;
}

NetworkCall taesd_encode_call(const TAESD & taesd, const Tensor & image, const std::atomic<bool> * cancel) {
    NetworkCall call;
    call.network = "TAESD encode";
    call.shape = image.rank() == 4 ? latent_shape("image", image) : shape_str(image.shape);
    call.advice = "encode a smaller image or batch";
    call.attention_modes = false;
    call.run = [&taesd, image, cancel](AttentionMode) { return std::vector<Tensor>{taesd.encode(image, cancel)}; };
    return call;
}

NetworkCall upscale_call(const RRDBNet & net, const Tensor & image, int64_t tile, int64_t margin, const std::atomic<bool> * cancel,
                         const RRDBNet::TileProgress & progress) {
    NetworkCall call;
    call.network = "upscale";
    call.shape = image.rank() == 4 ? latent_shape("image", image) : shape_str(image.shape);
    if (tile > 0) call.shape += ", tiles of " + std::to_string(tile) + " pixels" + (margin > 0 ? " with a margin of " + std::to_string(margin) : "");
    call.advice = "use smaller tiles or a smaller picture";
    call.attention_modes = false;
    call.run = [&net, image, tile, margin, cancel, progress](AttentionMode) {
        return std::vector<Tensor>{net.upscale(image, tile, margin, cancel, arena_measuring() ? RRDBNet::TileProgress() : progress)};
    };
    return call;
}

MemoryEstimate network_call_estimate(const NetworkCall & call, AttentionMode mode) {
    return memory_measure([&] { return call.run(mode); });
}

void network_call_check(const NetworkCall & call, AttentionMode mode, int64_t limit_bytes) {
    if (limit_bytes <= 0) return;
    const MemoryEstimate e = network_call_estimate(call, mode);
    if (e.peak_bytes <= limit_bytes) return;
    std::string message = call.network + ": " + (call.attention_modes ? std::string(attention_mode_name(mode)) + " attention at " : "") +
                          call.shape + ", needs ~" + memory_bytes_str(e.peak_bytes) + " of working memory (";
    if (e.attention_bytes > 0)
        message += memory_bytes_str(e.attention_bytes) + " for the largest attention alone, at " + e.attention_at + "; ";
    message += "the peak at " + e.peak_at + "), over the budget of " + memory_bytes_str(limit_bytes);
    if (call.attention_modes && mode != AttentionMode::Flash) {
        const MemoryEstimate flash = network_call_estimate(call, AttentionMode::Flash);
        if (flash.peak_bytes <= limit_bytes) throw Error(SDN_STATUS_OUT_OF_MEMORY, message + "; use flash attention (needs ~" + memory_bytes_str(flash.peak_bytes) + ")");
        message += "; even flash attention needs ~" + memory_bytes_str(flash.peak_bytes);
    }
    throw Error(SDN_STATUS_OUT_OF_MEMORY, message + ": " + call.advice);
}

} // namespace sdn
