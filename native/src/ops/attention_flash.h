// attention_flash.h — the pieces of flash attention shared by the driver (attention_flash.cc), its
// portable tile kernel and the SIMD tile kernels (arch/x86/simd/attention_flash_simd.h, built for the
// avx2 and avx512 paths).
//
// The driver cuts the work into tasks (b, h, query tile of Br rows); each task runs one tile kernel
// over all keys, Bc keys (a key chunk) at a time, in a per-thread workspace taken from the arena. For
// each key chunk the kernel visits the tile's query blocks of kFlashQueryBlock queries in turn and does
// all of one block's work on that chunk (scores, online softmax, P V) before the next block, so what
// one block touches (its queries, its output, its scores, the chunk's keys and values: ~40 KiB at
// D = 40) stays in L1; the chunk's keys and values are reused by every block of the tile.
//
// Everything per query is stored query-minor ("transposed") in blocks of kFlashQueryBlock queries, so
// the kernels' vectors run over consecutive queries and the per-query softmax state needs no
// horizontal reductions:
//
//   qt     [Br / QB][D][QB]  the tile's queries times the scale, transposed per block; queries past
//                            Tq are zero
//   ot     [Br / QB][D][QB]  the running, unnormalised output, same layout
//   st     [Bc][QB]          one block's scores on the chunk, k . (q * scale) (qt holds the queries
//                            times the scale), then in place its weights exp(s - m)
//   kc, vc [Bc][D]           the chunk's key and value rows packed contiguously (the SIMD kernels, when
//                            the rows are strided; the portable kernel reads them in place)
//   m, l   [Br]              running max and running sum of each query
//   tmax, alpha [QB]         one block's chunk max score and rescale factor exp(m_old - m_new)
//
// Each query's arithmetic depends only on Bc and the key order, never on Br or on which thread runs
// it, so any thread count gives the same bits.
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

// Queries per block (QB above): two AVX-512 vectors, four AVX2 ones. Br is a multiple of it.
constexpr int64_t kFlashQueryBlock = 32;

struct FlashTiling {
    int64_t Br, Bc, D;
    int64_t q_tiles; // ceil(Tq / Br)
    int64_t off_qt, off_ot, off_st, off_kc, off_vc, off_m, off_l, off_tmax, off_alpha; // in floats, 64-byte aligned
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
