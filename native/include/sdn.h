/* sdn.h — the C surface of latentflow's native engine ("stable diffusion native").
 *
 * Everything above native/ reaches the engine through binding.cc, which speaks this surface plus the
 * C++ headers under native/src. Every fallible call returns an sdn_status; the message that goes with
 * a non-OK status is thread-local and readable with sdn_last_error() until the next failing call on
 * the same thread. Nothing here throws or aborts on bad input.
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
    SDN_STATUS_BAD_FORMAT,        /* a file is not what it claims (malformed safetensors, ...) */
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
} sdn_dtype;

/* Memory counters of the engine, in bytes. "activations" are the arena's buffers (freed after each
 * call); "weights" are weights the engine converted and owns (mmap'd views of a file are not counted
 * here, they are "mapped"). */
typedef struct sdn_memory_stats {
    uint64_t activations_current;
    uint64_t activations_peak;
    uint64_t weights_current;
    uint64_t mapped_current;
    uint64_t activations_cached; /* freed arena blocks kept for reuse: resident, but free for activations */
} sdn_memory_stats;

const char * sdn_status_name(sdn_status status);
const char * sdn_last_error(void); /* thread-local; names the file, tensor or argument */
void         sdn_memory_stats_get(sdn_memory_stats * out_stats);
void         sdn_memory_peak_reset(void);

/* CPU features detected at run time; kernels dispatch on these. */
int          sdn_cpu_has_avx2_fma(void);
int          sdn_cpu_has_f16c(void);
void         sdn_threads_set(int n_threads); /* 0 = one per hardware thread */
int          sdn_threads_get(void);

#ifdef __cplusplus
}
#endif

#endif /* SDN_H */
