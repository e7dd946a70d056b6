// control_residuals.h — several ControlNets applied to one UNet call, as ComfyUI stacks them
// (comfy/controlnet.py control_merge): each ControlNet runs on the call's latent, its residuals (optionally
// averaged over the picture, "global average pooling") are multiplied by its strength, and the products
// are summed in the order the ControlNets were applied. The sum is what UNet::forward adds.
//
// Memory: the running sum (the UNet's skip sizes) stays alive from the second ControlNet on, beside one
// ControlNet's working set and its own residuals; the measure pass of the whole call counts all of it.
#pragma once

#include <atomic>
#include <vector>

#include "../t2i_adapter/t2i_adapter.h"
#include "controlnet.h"

namespace sdn {

// Either a ControlNet (`net`) or a T2I-Adapter (`adapter`, ComfyUI's T2IAdapter control): an adapter does not
// see the latent or the timestep; its features (a 1-channel adapter reads the hint's channel mean) times the
// strength are summed into ControlResiduals::input.
struct ControlApply {
    const ControlNet * net = nullptr;
    const T2IAdapter * adapter = nullptr;
    Tensor hint;                         // [1 or B, conditioning_channels, f H, f W], in [0, 1]
    float strength = 1.0f;
    bool global_average_pooling = false; // or the ControlNet's own global_pool_conditions
};

// latent [B, C, H, W]: each ControlNet reads its first in_channels channels (an inpainting UNet's latent
// carries its mask and masked picture after the noisy latent, which a ControlNet does not take).
// `added_input`: an SDXL UNet's text_time input y (unet.h text_time_input, built with the UNet's configuration, as
// ComfyUI hands the model's `y` to every ControlNet); null for a UNet without added conditioning. An SDXL ControlNet
// needs it, others refuse it.
// Throws BAD_SHAPE naming the ControlNet (by its position) when its shapes do not fit the call.
ControlResiduals control_residuals(const std::vector<ControlApply> & controls, const Tensor & latent, const float * timesteps,
                                   const Tensor & context, AttentionMode mode, const std::atomic<bool> * cancel, const Tensor * added_input = nullptr);

} // namespace sdn
