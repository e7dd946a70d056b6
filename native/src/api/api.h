// api.h — what the C API's implementation files (native/src/api/*.cc, one per section of sdn.h) share:
// the handles' definitions and the one place where a C++ exception becomes a status and a message.
#pragma once

#include <atomic>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <string>

#include "../core/error.h"
#include "../core/tensor.h"
#include "../models/lora_set.h"
#include "../models/memory_estimate.h"
#include "../models/model.h"
#include "../models/rrdbnet/rrdbnet.h"
#include "../models/controlnet/control_residuals.h"
#include "../models/taesd/taesd.h"
#include "../ops/attention.h"
#include "sdn.h"

namespace sdn {
struct ControlLoraFile; // io/control_lora_file.h
}

struct sdn_model {
    std::atomic<int> refs{1};
    std::shared_ptr<sdn::Model> model;
    std::string info_json; // sdn_model_info's answer, made at load
    std::shared_ptr<const sdn::LoraSet> loras; // sdn_model_with_loras: what its calls add (null: none)
};

struct sdn_lora {
    std::atomic<int> refs{1};
    std::shared_ptr<const sdn::LoraFile> file;
    std::string info_json;
};

struct sdn_taesd {
    std::atomic<int> refs{1};
    std::shared_ptr<sdn::TAESD> taesd;
    std::string info_json; // sdn_taesd_info's answer, made at load
};

struct sdn_upscaler {
    std::atomic<int> refs{1};
    std::shared_ptr<sdn::RRDBNet> net;
    std::string info_json; // sdn_upscaler_info's answer, made at load
};

struct sdn_controlnet {
    std::atomic<int> refs{1};
    std::shared_ptr<sdn::ControlNet> net;     // or, for a T2I-Adapter,
    std::shared_ptr<sdn::T2IAdapter> adapter; // (exactly one of the three is set)
    std::shared_ptr<const sdn::ControlLoraFile> control_lora; // a Control-LoRA, until resolved against a model (sdn_controlnet_resolve)
    std::string info_json; // sdn_controlnet_info's answer, made at load
};

struct sdn_cancel {
    std::atomic<bool> flag{false};
};

namespace sdn::api {

// Runs fn; sdn::Error -> its status, std::bad_alloc -> OUT_OF_MEMORY, anything else -> INTERNAL, each
// with the message set for sdn_last_error on this thread. Nothing escapes.
template <typename Fn>
sdn_status call(Fn && fn) noexcept {
    try {
        fn();
        return SDN_STATUS_OK;
    } catch (const Error & e) {
        set_last_error(e.what());
        return e.status();
    } catch (const std::bad_alloc &) {
        set_last_error("out of memory");
        return SDN_STATUS_OUT_OF_MEMORY;
    } catch (const std::exception & e) {
        set_last_error(e.what());
        return SDN_STATUS_INTERNAL;
    } catch (...) {
        set_last_error("unknown error");
        return SDN_STATUS_INTERNAL;
    }
}

// A caller's argument that must not be null.
template <typename T>
T * need(T * p, const char * what) {
    require(p != nullptr, SDN_STATUS_BAD_ARGUMENT, std::string(what) + " is NULL");
    return p;
}

// Every counted handle (model, LoRA, TAESD, upscaler, ControlNet): one more reference, and one fewer (the
// last deletes it). Both take null.
template <typename H> H * retain(H * h) {
    if (h) h->refs.fetch_add(1);
    return h;
}
template <typename H> void release(H * h) {
    if (h && h->refs.fetch_sub(1) == 1) delete h;
}

// The model behind a handle (the handle's reference keeps it alive for the call).
inline const Model & model_of(sdn_model_t m) { return *need(m, "model")->model; }
// The LoRAs a handle's calls of `part` add (null: none).
inline const LayerLoras * loras_of(sdn_model_t m, ModelPart part) { return m && m->loras ? m->loras->for_part(part) : nullptr; }
// The model's text encoder / UNet; a standalone VAE (layout "vae") has neither: BAD_ARGUMENT saying so.
const CLIPTextModel & clip_of(const Model & m);
const UNet & unet_of(const Model & m);

AttentionMode attention_of(const sdn_run_options * options);
// The call's precision, or none for SDN_COMPUTE_MODEL (and no options): the model's.
std::optional<Precision> precision_of(const sdn_run_options * options);

// Hands a contiguous f32 tensor to the caller: `out` keeps its storage alive until sdn_tensor_free.
void tensor_out(const Tensor & t, sdn_tensor * out);

// A caller's [B, C, H, W] array (not copied) with its shape checked (>= 1 each).
Tensor input4(const float * data, const int64_t shape[4], const char * what);

// The ControlNets a UNet call's options apply (controlnet.cc), hints as views of the caller's arrays (or
// tensors without data when `measuring`); their handles stay the caller's for the call's duration.
std::vector<ControlApply> controls_of(const sdn_run_options * options, bool measuring);

// An estimate as sdn_memory_estimate (memory.cc).
void estimate_out(const MemoryEstimate & e, sdn_memory_estimate * out);
// Checks a memory estimate's call shape (batch, height, width >= 1, ...).
void check_call_shape(const sdn_call_shape & s, sdn_call call);

// Copies a C string into a fixed buffer, cut to fit.
template <size_t N>
void copy_text(char (&dst)[N], const std::string & src) {
    const size_t n = std::min(src.size(), N - 1);
    std::memcpy(dst, src.data(), n);
    dst[n] = '\0';
}

// A JSON text for the caller (sdn_string_free frees it).
char * string_out(const std::string & text);

} // namespace sdn::api
