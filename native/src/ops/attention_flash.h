// attention_flash.h — the pieces of flash attention shared by the driver (attention_flash.cc), its
// portable tile kernel and the SIMD tile kernels (arch/x86/simd/attention_flash_simd.h, built for the
// avx2 and avx512 paths).
//
// The driver cuts the work into tasks (b, h, query tile of Br rows); each task runs one tile kernel
// over all key tiles of Bc keys, in a per-thread workspace taken from the arena. Everything in the
// workspace is stored query-minor ("transposed"), so the kernels' vectors run over 8 queries and the
// per-query softmax state needs no horizontal reductions; K and V rows are read in place:
//
//   qt     [D, Br]      the tile's queries, transposed; queries past Tq are zero
//   st     [Bc, Br]     one key tile's scores s * scale, then in place its weights exp(s * scale - m)
//   ot     [D, Br]      the running, unnormalised output, transposed
//   m, l   [Br]         running max and running sum of each query
//   tmax, alpha [Br]    this key tile's max score and rescale factor exp(m_old - m_new)
//
// Br is a multiple of 32 (two AVX-512 vectors of queries, the widest micro-kernel's block).
//
// With bf16 compute on AMX (AttentionShape::bf16 and cpu_amx(); `amx` below) the tile kernel is
// arch/x86/avx512/attention_flash_amx.cc and the workspace holds, per task of up to 512 queries:
//   kp     all Tk keys as AMX B tiles for q k^T (bf16 pairs of d, 16 keys a tile row), Tk and D padded to 32
//   vp     all Tk values as B tiles for p v (bf16 pairs of keys, 16 d a tile row), D padded to 16
//   qp     32 queries as A tiles (bf16, 32 d a tile row)
//   s, p   one 32 x 32 block of scores (f32) and weights (bf16), row-major
//   pv, o  that block's p v and the running output, [32, Dv] f32
//   m, l, tmax (the new max), alpha, rowsum   [32]
#pragma once

#include <cstdint>

#include "attention.h"

namespace sdn {

struct FlashTiling {
    int64_t Br, Bc, D;
    int64_t q_tiles;                                              // ceil(Tq / Br)
    int64_t off_qt, off_st, off_ot, off_m, off_l, off_tmax, off_alpha; // in floats, 64-byte aligned
    int64_t floats_per_thread;
    bool amx = false;                                             // bf16 products on AMX tiles
    int64_t Dk = 0, Dv = 0;                                       // amx: D padded to 32 (q k^T), to 16 (p v)
    int64_t off_kp = 0, off_vp = 0, off_qp = 0, off_s = 0, off_p = 0, off_pv = 0, off_o = 0, off_rowsum = 0;
};

FlashTiling flash_tiling(const AttentionShape & s);
// Threads that take a workspace: min(threads_count(), B * H * q_tiles).
int64_t flash_workers(const AttentionShape & s, const FlashTiling & t);

// One task: rows [0, nq) of a query tile (nq <= Br) against all Tk keys of one (b, h).
struct FlashTask {
    const float * q;  int64_t ldq; // row stride of q, k, v, out (the operands' stride_t)
    const float * k;  int64_t ldk;
    const float * v;  int64_t ldv;
    float * out;      int64_t ldo;
    int64_t nq, Tk;
    float scale;
};

void attention_flash_tile_portable(const FlashTiling & t, const FlashTask & task, float * workspace);

// y[i] = exp(x[i]) with the flash kernel's exp (the SIMD polynomial on the avx2 and avx512 paths,
// else std::exp); exposed so the tests can measure its accuracy. Exact 0 below -87.33 (no
// denormals); x <= 88.
void attention_exp(const float * x, float * y, int64_t n);

} // namespace sdn
