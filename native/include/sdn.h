/* sdn.h — the C API of latentflow's native engine ("stable diffusion native").
 *
 * Load an SD 1.x or SDXL checkpoint, run its text encoder, UNet and VAE, and predict a call's working memory
 * before running it. native/src/binding/binding.cc (N-API) is a thin layer over this header; a C or
 * C++ program can link the engine and use it the same way.
 *
 * Every fallible call returns an sdn_status; with a non-OK status, sdn_last_error() returns the
 * message (it names the file, tensor or argument and what to do), on the thread that made the call,
 * until that thread's next failing call. Nothing here throws, aborts or exits on bad input.
 *
 * Configurations cross as JSON with diffusers' / transformers' config.json keys ("block_out_channels",
 * "cross_attention_dim", ...): sdn_model_load takes them, sdn_model_info gives them back, and
 * sdn_estimate_memory takes one for a model that is not loaded.
 *
 * Threads: calls on one model may run concurrently from several threads (the networks are read-only);
 * the engine's kernels use their own thread pool (sdn_threads_set).
 */
#ifndef SDN_H
#define SDN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sdn_status {
    SDN_STATUS_OK = 0,
    SDN_STATUS_IO_ERROR,          /* a file could not be opened, mapped or read */
    SDN_STATUS_BAD_FORMAT,        /* a file or configuration is not what it claims (malformed safetensors, ...) */
    SDN_STATUS_BAD_SHAPE,         /* tensor shapes do not fit together */
    SDN_STATUS_BAD_ARGUMENT,      /* a caller-supplied value is out of range */
    SDN_STATUS_MISSING_TENSOR,    /* a weight the model needs is not in the checkpoint */
    SDN_STATUS_OUT_OF_MEMORY,     /* an allocation failed or would exceed the memory budget */
    SDN_STATUS_CANCELLED,         /* the caller's cancel token was set */
    SDN_STATUS_INTERNAL,          /* a bug of ours */
} sdn_status;

typedef enum sdn_dtype {
    SDN_DTYPE_F32 = 0,
    SDN_DTYPE_F16,
    SDN_DTYPE_BF16,
    SDN_DTYPE_Q8_0, /* 8-bit blocks: 32 values and an f16 scale in 34 bytes (GGML's Q8_0); numel a multiple of 32 */
} sdn_dtype;

const char * sdn_status_name(sdn_status status); /* "SDN_STATUS_BAD_FORMAT" */
const char * sdn_last_error(void);               /* this thread's last failure; "" before any */

/* ---- the engine ------------------------------------------------------------------------------ */

/* Memory counters, in bytes. "activations" are the arena's buffers (freed after each call); "weights"
 * are weights the engine converted and owns (mmap'd views of a file are "mapped"). */
typedef struct sdn_memory_stats {
    uint64_t activations_current;
    uint64_t activations_peak;
    uint64_t weights_current;
    uint64_t mapped_current;
    uint64_t activations_cached; /* freed arena blocks kept for reuse: resident, but free for activations */
} sdn_memory_stats;

void         sdn_memory_stats_get(sdn_memory_stats * out_stats);
void         sdn_memory_peak_reset(void); /* peak := current */
void         sdn_memory_trim(void);       /* returns the arena's cached blocks to the system */

int          sdn_cpu_has_avx2_fma(void);  /* CPU features detected at run time (never capped) */
int          sdn_cpu_has_f16c(void);
int          sdn_cpu_has_avx512(void);       /* AVX-512 F, BW, VL, DQ with the OS saving ZMM state */
int          sdn_cpu_has_avx512_bf16(void);
int          sdn_cpu_has_avx512_vnni(void);
const char * sdn_cpu_isa(void);  /* the kernels' path: "portable" | "avx2" | "avx512" (the best, capped by LATENTFLOW_ISA) */
int          sdn_cpu_bf16(void); /* bf16 compute can run on this path (AVX512_BF16) */
int          sdn_cpu_has_amx_bf16(void); /* AMX-TILE + AMX-BF16, tile state granted to the process */
int          sdn_cpu_amx(void);  /* bf16 products take AMX tiles (sdn_cpu_bf16 and AMX; LATENTFLOW_AMX=0 turns it off) */
int          sdn_cpu_amx_fp32(void); /* fp32 products take AMX tiles as bf16 pieces (sdn_cpu_amx; LATENTFLOW_AMX_FP32=0 turns it off) */
void         sdn_threads_set(int n_threads); /* 0 = one per hardware thread */
int          sdn_threads_get(void);

/* n values from one of F32/F16/BF16 to another (f16/bf16 as raw bits; rounding to nearest even). */
sdn_status   sdn_convert(const void * src, sdn_dtype src_dtype, void * dst, sdn_dtype dst_dtype, int64_t n);

/* The op-level profile of network calls (LATENTFLOW_PROFILE=1 prints it; collect keeps it quiet). */
typedef struct sdn_profile_op {
    const char * op; /* "conv 3x3", "linear", "attention", ... */
    int64_t calls;
    double seconds, cpu_seconds, flops;
} sdn_profile_op;
typedef struct sdn_profile_report {
    const char * name; /* "UNet forward", "VAE decode", ...; "" before any call */
    double total_seconds, total_cpu_seconds;
    int32_t n_ops;     /* op families that ran */
    sdn_profile_op ops[16];
} sdn_profile_report;
void         sdn_profile_collect(int on);
void         sdn_profile_last(sdn_profile_report * out); /* the last finished call, on any thread */

/* ---- what the engine hands back --------------------------------------------------------------- */

/* An f32 result the engine allocated (contiguous, row-major); free with sdn_tensor_free. */
typedef struct sdn_tensor {
    float * data;
    int64_t shape[4];
    int32_t rank;
    void * owner; /* the engine's */
} sdn_tensor;
void         sdn_tensor_free(sdn_tensor * tensor); /* zeroes it; a zeroed tensor may be freed again */

/* A JSON text the engine allocated; free with sdn_string_free. */
void         sdn_string_free(char * text);

/* ---- files ----------------------------------------------------------------------------------- */

/* A safetensors file's header, validated strictly: {"header_bytes", "data_bytes", "metadata": {...},
 * "tensors": [{"name", "dtype", "shape", "data_offsets"}, ...]} in header order. */
sdn_status   sdn_safetensors_inspect(const char * path, char ** out_json);
/* One F32/F16/BF16 tensor of a safetensors file, widened to f32. */
sdn_status   sdn_safetensors_read(const char * path, const char * name, sdn_tensor * out);
/* The configurations a single-file (original LDM layout, or SDXL's SGM layout) checkpoint's tensor shapes
 * give, with SD 1.x's (SDXL's) values for what shapes cannot show: {"text_encoder": {...}, "unet": {...},
 * "vae": {...}} plus "text_encoder_2" for SDXL. */
sdn_status   sdn_checkpoint_infer(const char * path, char ** out_json);

/* ---- models ---------------------------------------------------------------------------------- */

typedef struct sdn_model * sdn_model_t;

/* Loads a model; config_json:
 *   {"path": "<file or folder>", "layout": "single-file" | "diffusers",
 *    "weight_dtype": "f32" | "f16"   (how weights are kept: f16 keeps f16 files as mmap'd views),
 *    "compute_dtype": "f32" | "bf16" (bf16: AVX512_BF16 only; each call may override it, sdn_run_options.compute),
 *    "text_encoder": {...}, "unet": {...}, "vae": {...}   (config.json objects; required for a diffusers
 *        folder, whose config files the caller reads; for a single file they replace the inferred ones),
 *    "text_encoder_2": {...} (SDXL's second text encoder, CLIPTextModelWithProjection: with the other three),
 *    "sources": {"unet": "...", ...} (optional: how errors name where each configuration came from)}
 * Every weight is bound and its shape checked here, so a wrong checkpoint fails now, naming the tensor. */
sdn_status   sdn_model_load(const char * config_json, sdn_model_t * out_model);
/* Models are reference-counted: retain for each holder (e.g. a call queued on another thread), free
 * once per retain and once for the load; the weights go with the last free. */
sdn_model_t  sdn_model_retain(sdn_model_t model);
void         sdn_model_free(sdn_model_t model);
/* {"source", "layout", "weight_dtype", "compute_dtype", "text_encoder": {...}, "unet": {...},
 *  "vae": {...}, "weight_bytes": {"text_encoder", "unet", "vae"}}, plus "text_encoder_2" (and its
 *  weight_bytes) for SDXL; owned by the model. */
const char * sdn_model_info(sdn_model_t model);
/* Every weight: [{"network": "unet", "name", "dtype", "shape", "storage": "mapped" | "owned"}, ...]
 * (networks "text_encoder", "text_encoder_2" (SDXL), "unet", "vae"). */
sdn_status   sdn_model_weights(sdn_model_t model, char ** out_json);
/* One weight's stored values (valid while the model lives). */
typedef struct sdn_weight {
    const void * data;
    sdn_dtype dtype;
    int64_t numel;
} sdn_weight;
sdn_status   sdn_model_weight(sdn_model_t model, const char * network, const char * name, sdn_weight * out);

/* ---- LoRA ------------------------------------------------------------------------------------ */

/* A LoRA file (safetensors) read into its low-rank pairs: kohya / A1111 (lora_unet_*, lora_te_*, .alpha;
 * SDXL: SGM UNet names, lora_te1_* / lora_te2_*), PEFT and diffusers (unet.*.lora_A / lora_B,
 * text_encoder.*, text_encoder_2.*), LoCon (1x1 and 3x3 convolutions). Other
 * LyCORIS kinds (LoHa, LoKr, ...) fail with SDN_STATUS_BAD_FORMAT naming the kind. Reference-counted like
 * models; a model made with it (sdn_model_with_loras) keeps its own reference. */
typedef struct sdn_lora * sdn_lora_t;
sdn_status   sdn_lora_load(const char * path, sdn_lora_t * out_lora);
sdn_lora_t   sdn_lora_retain(sdn_lora_t lora);
void         sdn_lora_free(sdn_lora_t lora);
/* {"path", "format": "kohya" | "peft" | "diffusers", "modules", "rank", "bytes"}; owned by the LoRA. */
const char * sdn_lora_info(sdn_lora_t lora);

typedef struct sdn_lora_apply {
    sdn_lora_t lora;
    float strength_unet;         /* ComfyUI's strength_model */
    float strength_text_encoder; /* ComfyUI's strength_clip (both text encoders of SDXL) */
} sdn_lora_apply;

typedef enum sdn_lora_mode {
    SDN_LORA_RUNTIME = 0, /* y = W x + s up(down(x)) while the call runs: no copy of the base weights */
    SDN_LORA_MERGE,       /* W + s up down merged into owned f32 copies of the patched weights: faster steps */
} sdn_lora_mode;

/* A model that runs `base`'s networks (shared, never modified, never copied) with `loras` added, in
 * order (they stack). Its text encoder and UNet calls and their memory estimates include the LoRAs.
 * out_report_json (may be NULL; free with sdn_string_free): {"matched": {"unet", "text_encoder", "text_encoder_2"},
 * "unmatched": [[keys of LoRA 0 no layer took], ...], "extra_bytes"}. A pair whose shapes do not fit its
 * layer fails with SDN_STATUS_BAD_SHAPE. Free the result with sdn_model_free. */
sdn_status   sdn_model_with_loras(sdn_model_t base, const sdn_lora_apply * loras, int32_t n_loras, sdn_lora_mode mode,
                                  sdn_model_t * out_model, char ** out_report_json);

/* ---- calls ----------------------------------------------------------------------------------- */

/* Stops a running call between blocks (it returns SDN_STATUS_CANCELLED); set from any thread. */
typedef struct sdn_cancel * sdn_cancel_t;
sdn_cancel_t sdn_cancel_new(void);
void         sdn_cancel_set(sdn_cancel_t cancel);
int          sdn_cancel_is_set(sdn_cancel_t cancel);
void         sdn_cancel_free(sdn_cancel_t cancel);

typedef enum sdn_attention {
    SDN_ATTENTION_NAIVE = 0, /* every score matrix at once (the reference) */
    SDN_ATTENTION_SLICED,    /* a slice of heads / query rows at a time */
    SDN_ATTENTION_FLASH,     /* K/V tiles with an online softmax: memory linear in tokens */
} sdn_attention;

typedef void (*sdn_progress_fn)(void * user, int64_t done, int64_t total);

/* The precision of a call's matrix products (Linear and convolution GEMMs). bf16 rounds both inputs
 * to bf16 and sums in f32 (AVX512_BF16 only: refused elsewhere with SDN_STATUS_BAD_ARGUMENT); the
 * UNet's time embedding and conv_in/conv_out stay f32. */
typedef enum sdn_compute {
    SDN_COMPUTE_MODEL = 0, /* the model's compute_dtype (f32 for a configuration alone) */
    SDN_COMPUTE_F32,
    SDN_COMPUTE_BF16,
} sdn_compute;

/* Options of one call; all zero = naive attention, no cancel, no memory limit, no progress. */
typedef struct sdn_run_options {
    sdn_attention attention;
    sdn_cancel_t cancel;          /* may be NULL */
    uint64_t memory_limit_bytes;  /* > 0: refused up front (SDN_STATUS_OUT_OF_MEMORY, with the estimate) when over it */
    sdn_progress_fn progress;     /* may be NULL; called on the calling thread (the tiled decode: after every tile) */
    void * progress_user;
    sdn_compute compute;          /* the products' precision of this call; SDN_COMPUTE_MODEL: the model's compute_dtype */
    const struct sdn_control * controls; /* UNet calls and their estimates only: ControlNets to apply (see sdn_control) */
    int32_t n_controls;
} sdn_run_options;

/* encoder 0: the text encoder, 1: SDXL's second one (an SDXL refiner's only one: it has no encoder 0).
 * ids: batch prompts x tokens -> out [batch, tokens, hidden]: the hidden states of layer
 * (layers - clip_skip + 1), clip_skip 1 = the last, through the final layer norm if final_layer_norm.
 * out_pooled (may be NULL): the pooled output, the last layer's state at each prompt's end token (its
 * first largest id below vocab_size) after the final layer norm, through text_projection where the
 * encoder has one: [batch, projection_dim] (else [batch, hidden]). */
sdn_status   sdn_text_encode(sdn_model_t model, int32_t encoder, const int32_t * ids, int64_t batch, int64_t tokens, int32_t clip_skip,
                             int32_t final_layer_norm, const sdn_run_options * options, sdn_tensor * out, sdn_tensor * out_pooled);
/* As sdn_text_encode, with n_vectors token vectors [n_vectors, hidden_size] injected (textual-inversion
 * embeddings): an id vocab_size + i stands for vectors[i]. */
sdn_status   sdn_text_encode_vectors(sdn_model_t model, int32_t encoder, const int32_t * ids, int64_t batch, int64_t tokens, int32_t clip_skip,
                                     int32_t final_layer_norm, const float * vectors, int64_t n_vectors, const sdn_run_options * options,
                                     sdn_tensor * out, sdn_tensor * out_pooled);
/* SDXL's added conditioning (UNet addition_embed_type "text_time"), per latent: the pooled text
 * embedding [B, text_embeds_dim] and the time ids [B, 6] (original h, w, crop top, left, target h, w); an SDXL
 * refiner's [B, 5] (original h, w, crop top, left, aesthetic score). text_embeds_dim + time_ids_dim x
 * addition_time_embed_dim must be the UNet's projection_class_embeddings_input_dim. */
typedef struct sdn_unet_added {
    const float * text_embeds;
    int64_t text_embeds_dim;
    const float * time_ids;
    int64_t time_ids_dim;
} sdn_unet_added;
/* latent [B, C, H, W] (shape), timesteps [B], context [B, tokens, cross_attention_dim] (context_shape),
 * added (NULL for SD 1.x; required for SDXL) -> out: the noise prediction [B, out_channels, H, W]. */
sdn_status   sdn_unet_forward(sdn_model_t model, const float * latent, const int64_t shape[4], const float * timesteps,
                              const float * context, const int64_t context_shape[3], const sdn_unet_added * added,
                              const sdn_run_options * options, sdn_tensor * out);
/* latent [B, latent_channels, h, w] divided by the scaling factor -> out: image [B, 3, f h, f w], about
 * [-1, 1]. tile > 0: decoded region by region with image-wide group norms (the same picture up to float
 * rounding, less memory), tiles of tile x tile latent cells; 0: in one piece. */
sdn_status   sdn_vae_decode(sdn_model_t model, const float * latent, const int64_t shape[4], int64_t tile,
                            const sdn_run_options * options, sdn_tensor * out);
/* image [B, 3, H, W] in [-1, 1] -> mean and logvar (clamped to [-30, 20]), each [B, latent_channels, H/f, W/f]. */
sdn_status   sdn_vae_encode(sdn_model_t model, const float * image, const int64_t shape[4], const sdn_run_options * options,
                            sdn_tensor * out_mean, sdn_tensor * out_logvar);

/* ---- memory estimates ------------------------------------------------------------------------ */

typedef enum sdn_call {
    SDN_CALL_TEXT_ENCODE = 0,
    SDN_CALL_UNET,
    SDN_CALL_VAE_DECODE,
    SDN_CALL_VAE_ENCODE,
} sdn_call;

/* The sizes of a call, as the call itself takes them. */
typedef struct sdn_call_shape {
    int64_t batch;          /* prompts, latents or images */
    int64_t height, width;  /* the latent's (UNet, VAE decode) or the image's (VAE encode) */
    int64_t tokens;         /* text encoder: tokens per prompt; UNet: context tokens */
    int64_t tile;           /* VAE decode: as sdn_vae_decode's tile (0: in one piece); upscale: as sdn_upscaler_run's */
    int64_t margin;         /* upscale: as sdn_upscaler_run's (0: the exact margin) */
} sdn_call_shape;

/* Working memory of one call: how far activations_peak rises while it runs, for the current thread
 * count. It comes from a measure pass of the call's own code (its allocations, no arithmetic), so it
 * is exact, not a model of it. */
typedef struct sdn_memory_estimate {
    uint64_t peak_bytes;
    uint64_t workspace_bytes; /* of which: the running op's own buffers at the peak */
    uint64_t output_bytes;    /* of which: the call's results */
    uint64_t attention_bytes; /* the largest single attention call's own buffers (naive: its scores) */
    char peak_at[160];        /* the module running at the peak, by its checkpoint name */
    char attention_at[160];
} sdn_memory_estimate;

/* Of `model`'s network, or (model NULL) of the network config_json describes (the call's network's
 * config.json object: "text_encoder" for SDN_CALL_TEXT_ENCODE, "unet", or "vae"). Allocates nothing;
 * options->attention and compute are read, and for SDN_CALL_UNET options->controls (their hint shapes;
 * hints may be NULL): the estimate then covers the UNet and its ControlNets. */
sdn_status   sdn_estimate_memory(sdn_model_t model, const char * config_json, sdn_call call, const sdn_call_shape * shape,
                                 const sdn_run_options * options, sdn_memory_estimate * out);

/* ---- ControlNet ------------------------------------------------------------------------------ */

/* An SD 1.x ControlNet (diffusers' ControlNetModel; lllyasviel's): a copy of the UNet's encoder that reads a
 * hint picture and adds residuals to the UNet's skip connections and mid block. It runs inside a UNet call
 * (sdn_run_options.controls), with the call's attention mode and precision, so the call's memory estimate
 * and its refusal over memory_limit_bytes cover the UNet and every ControlNet together. */
typedef struct sdn_controlnet * sdn_controlnet_t;

/* config_json: {"path": "<.safetensors>", "weight_dtype": "f32" | "f16", "config": {...} | null (a
 *   ControlNetModel config.json; inferred from the shapes when absent)}. Either layout: LDM (input_hint_block.*,
 *   zero_convs.*, middle_block_out.*, input_blocks.*, ..., optionally under "control_model.") or diffusers'
 *   (controlnet_cond_embedding.*, controlnet_down_blocks.*, controlnet_mid_block.*, down_blocks.*, ...).
 *   An SD 1.x T2I-Adapter (TencentARC's full conv_in.* / body.* or light body.N.in_conv.* file, diffusers'
 *   adapter.body.*) is recognised by its tensor names and loaded too ("kind": "t2i_adapter"; "config" must be
 *   null): it runs inside a UNet call like a ControlNet, its features added to the encoder (ComfyUI's control
 *   "input"); it cannot run alone (sdn_controlnet_forward refuses it). A Control-LoRA (a "lora_controlnet" tensor;
 *   "config" must be null) loads as "kind": "control_lora" (see sdn_controlnet_resolve).
 *   Transformer depths of 0 (diffusers' controlnet-*-sdxl-1.0-mid / -small) are read as ComfyUI reads them: no
 *   attention at such a level; a depth-0 mid block keeps its norm, projections and residual.
 * diff_base: for a diff ControlNet (a "difference" tensor in the file), the model whose UNet it is relative
 *   to (its weights are added); unused otherwise (and for a T2I-Adapter). Every weight is bound and its shape checked here.
 * Reference-counted like sdn_model_t. */
sdn_status   sdn_controlnet_load(const char * config_json, sdn_model_t diff_base, sdn_controlnet_t * out_controlnet);
/* A Control-LoRA (a "lora_controlnet" tensor; io/control_lora_file.h) loads as "kind": "control_lora" and cannot run
 * as it is: sdn_controlnet_resolve builds its ControlNet for `model` (the model's UNet configuration and weights, with
 * the model's LoRAs (sdn_model_with_loras) added to the weights it takes from the model, the
 * file's tensors set on them, up/down pairs added as W + up @ down), a new handle of kind "controlnet" (layout
 * "control_lora"; weight_bytes: what it holds beyond the model's weights, which it shares and keeps alive).
 * BAD_SHAPE / MISSING_TENSOR / BAD_FORMAT naming the tensor when the Control-LoRA does not fit the model. */
sdn_status   sdn_controlnet_resolve(sdn_controlnet_t control_lora, sdn_model_t model, sdn_controlnet_t * out_controlnet);
sdn_controlnet_t sdn_controlnet_retain(sdn_controlnet_t controlnet);
void         sdn_controlnet_free(sdn_controlnet_t controlnet);
/* {"kind": "controlnet" | "t2i_adapter" | "control_lora", "source", "layout": "ldm" | "diffusers" | "control_lora" (an adapter: "full" | "light" |
 *  "diffusers"), "difference": bool, "weight_dtype", "config": {...} (an adapter: {"light", "hint_channels", "channels",
 *  "blocks_per_level", "ksize"}), "hint_factor", "hint_channels", "residuals" (an adapter: features, one per level),
 *  "reads_context" (a ControlNet: false when no transformer block reads the context), "weight_bytes"}; a
 *  Control-LoRA's "config" is {"conditioning_channels", "conditioning_embedding_out_channels", "rank", "lora_pairs"},
 *  its "residuals" 0 (the model's, once resolved); owned by the handle. */
const char * sdn_controlnet_info(sdn_controlnet_t controlnet);
/* A T2I-Adapter's features are computed once per hint (by content and compute precision; the last 2 kept) and
 * reused by later UNet calls, as ComfyUI does: how many calls were answered from that cache (0 for a ControlNet). */
int64_t      sdn_controlnet_cache_hits(sdn_controlnet_t controlnet);

/* The ControlNet alone (for tests and tools; sampling applies it through sdn_unet_forward): latent [B, C, H, W],
 * timesteps [B], context [B, tokens, cross_attention_dim], hint [1 or B, conditioning_channels, f H, f W],
 * added (an SDXL ControlNet's: as sdn_unet_forward's, the time ids' features with the ControlNet's own
 * addition_time_embed_dim; NULL otherwise) -> out_residuals[0 .. n_out): the down-path residuals in order, then the
 * mid block's ("residuals" of the info; n_out must equal it). options: attention, cancel, memory_limit_bytes and
 * compute (SDN_COMPUTE_MODEL: f32). */
sdn_status   sdn_controlnet_forward(sdn_controlnet_t controlnet, const float * latent, const int64_t shape[4], const float * timesteps,
                                    const float * context, const int64_t context_shape[3], const float * hint, const int64_t hint_shape[4],
                                    const sdn_unet_added * added, const sdn_run_options * options, sdn_tensor * out_residuals, int32_t n_out);

/* One ControlNet applied to a UNet call: its residuals (each map's per-channel mean over the picture when
 * global_average_pooling, or when its config says global_pool_conditions) times strength are added, summed
 * over the list in order. The ControlNet reads the call's latent (its first in_channels channels), timesteps
 * and context (an SDXL ControlNet also the UNet's added conditioning, as ComfyUI hands it the model's y), and the
 * hint [1 or B, conditioning_channels, f h, f w] (f = "hint_factor", 8 for SD 1.x and SDXL; the picture in
 * [0, 1]); hint may be NULL in a memory estimate. */
typedef struct sdn_control {
    sdn_controlnet_t controlnet;
    const float * hint;
    int64_t hint_shape[4];
    float strength;
    int32_t global_average_pooling;
} sdn_control;

/* ---- TAESD ----------------------------------------------------------------------------------- */

/* TAESD (madebyollin's tiny autoencoder; diffusers' AutoencoderTiny): a VAE approximation for fast
 * decodes and step previews. It works on model-space latents (the VAE's latents times its scaling
 * factor, what the sampler produces) and images in [0, 1]. */
typedef struct sdn_taesd * sdn_taesd_t;

/* config_json: {"encoder": "<taesd_encoder .safetensors>" | null, "decoder": "<taesd_decoder ...>" | null
 *   (at least one), "weight_dtype": "f32" | "f16", "config": {...} (diffusers' AutoencoderTiny
 *   config.json keys; SD 1.x's TAESD when absent)}. Tensor names as madebyollin's files have them
 *   ("1.weight", "3.conv.0.weight"), optionally under ComfyUI's "taesd_encoder." / "taesd_decoder."
 *   prefixes. Every weight is bound and its shape checked here. Reference-counted like sdn_model_t. */
sdn_status   sdn_taesd_load(const char * config_json, sdn_taesd_t * out_taesd);
sdn_taesd_t  sdn_taesd_retain(sdn_taesd_t taesd);
void         sdn_taesd_free(sdn_taesd_t taesd);
/* {"encoder": path | null, "decoder": path | null, "weight_dtype", "config": {...}, "weight_bytes": n}; owned by the handle. */
const char * sdn_taesd_info(sdn_taesd_t taesd);
/* latent [B, latent_channels, h, w] (model space) -> out: image [B, 3, 8h, 8w], about [0, 1] (unclamped).
 * options: cancel, memory_limit_bytes and compute are read (there is no attention). */
sdn_status   sdn_taesd_decode(sdn_taesd_t taesd, const float * latent, const int64_t shape[4], const sdn_run_options * options,
                              sdn_tensor * out);
/* image [B, 3, H, W] in [0, 1] -> out: model-space latent [B, latent_channels, H/8, W/8]. */
sdn_status   sdn_taesd_encode(sdn_taesd_t taesd, const float * image, const int64_t shape[4], const sdn_run_options * options,
                              sdn_tensor * out);
/* As sdn_estimate_memory, for SDN_CALL_VAE_DECODE (shape: the latent's height and width) or
 * SDN_CALL_VAE_ENCODE (the image's) of `taesd`, or (taesd NULL) of the TAESD config_json describes. */
sdn_status   sdn_taesd_estimate_memory(sdn_taesd_t taesd, const char * config_json, sdn_call call, const sdn_call_shape * shape,
                                       const sdn_run_options * options, sdn_memory_estimate * out);

/* ---- upscale models ---------------------------------------------------------------------------- */

/* An ESRGAN / Real-ESRGAN / BSRGAN upscale model (RRDBNet), as ComfyUI's UpscaleModelLoader loads them: a
 * .safetensors file in the new layout (conv_first, body.N.rdbK.convJ, conv_body, conv_upK, conv_hr,
 * conv_last), the old ESRGAN one (model.0, model.1.sub.N.RDBK.convJ.0, ...) or BSRGAN's. Scale, blocks,
 * channels and Real-ESRGAN's pixel-unshuffle (its x2 models) are read from the weights. Other
 * architectures (SwinIR, HAT, SPAN, ...) fail with SDN_STATUS_BAD_FORMAT naming what their keys look like.
 * Reference-counted like sdn_model_t. */
typedef struct sdn_upscaler * sdn_upscaler_t;

/* config_json: {"path": "<.safetensors>", "weight_dtype": "f32" | "f16"}. */
sdn_status   sdn_upscaler_load(const char * config_json, sdn_upscaler_t * out_upscaler);
sdn_upscaler_t sdn_upscaler_retain(sdn_upscaler_t upscaler);
void         sdn_upscaler_free(sdn_upscaler_t upscaler);
/* {"path", "architecture": "RRDBNet", "layout": "new" | "old" | "bsrgan", "scale", "num_blocks", "num_feat",
 *  "num_grow", "shuffle", "in_channels", "out_channels", "halo", "tile_multiple", "weight_dtype", "weight_bytes"};
 * owned by the handle. */
const char * sdn_upscaler_info(sdn_upscaler_t upscaler);
/* image [B, 3, H, W] in [0, 1] -> out: [B, 3, scale H, scale W] (unclamped). tile > 0 (a multiple of
 * tile_multiple): each picture in tiles of tile x tile pixels, each run with `margin` pixels of real
 * neighbours around it; margin 0 means `halo` (the network's receptive field), so the result equals the
 * one-piece result up to float rounding; a smaller margin (rounded up to tile_multiple) costs less and
 * changes pixels near tile borders slightly. tile 0: each picture in one piece. options: cancel,
 * memory_limit_bytes, compute, and progress (after every tile; total = B x tiles per picture) are read. */
sdn_status   sdn_upscaler_run(sdn_upscaler_t upscaler, const float * image, const int64_t shape[4], int64_t tile, int64_t margin,
                              const sdn_run_options * options, sdn_tensor * out);
/* As sdn_estimate_memory for sdn_upscaler_run: shape's batch, height, width (the image's), tile and margin. */
sdn_status   sdn_upscaler_estimate_memory(sdn_upscaler_t upscaler, const sdn_call_shape * shape, const sdn_run_options * options,
                                          sdn_memory_estimate * out);

#ifdef __cplusplus
}
#endif

#endif /* SDN_H */
