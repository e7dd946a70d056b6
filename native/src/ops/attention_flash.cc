// Flash attention: exact softmax(q k^T * scale) v without ever holding an N x M score matrix.
//
//   q: [B, H, Tq, D]  k, v: [B, H, Tk, D]  out: [B, H, Tq, D]   strided as in attention.h
//   extra memory: one FlashTiling workspace per worker thread (a few hundred KiB), from the arena.
//
// The algorithm (FlashAttention, Dao et al. 2022, https://arxiv.org/abs/2205.14135), per query tile:
// per query row keep a running max m (start -inf) and running sum l (start 0) and an unnormalised
// output o (start 0). For each key tile: compute the tile's scores s = q k^T * scale, take the new max
// m' = max(m, max_j s_j), rescale o and l by alpha = exp(m - m'), add the weights p_j = exp(s_j - m')
// to l and p_j v_j to o. At the end out = o / l. Every weight is exp(s_j - m_final) / l, as in a
// plain softmax, because each earlier factor exp(s_j - m_old) was multiplied by exp(m_old - m_new).
//
// This file holds the driver (tiling, workspaces, threads over (b, h, query tile)) and the portable
// tile kernel; arch/x86/simd/attention_flash_simd.h holds its SIMD twin, built for the avx2 and
// avx512 paths and chosen by cpu_isa().
#include "attention_flash.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <memory>

#include "../core/arena.h"
#include "../core/cpu.h"
#include "../core/threads.h"
#include "arch/x86/x86.h"

namespace sdn {

namespace {

int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// A workspace laid out part by part: take(n) returns the next part's offset (in floats, 64-byte aligned).
struct WorkspaceParts {
    int64_t floats = 0;
    int64_t take(int64_t n) {
        const int64_t offset = floats;
        floats += round_up(n, 16);
        return offset;
    }
};

} // namespace

// bf16 compute on AMX tiles: tasks of up to 512 queries (each packs all keys and values once, ~5% of
// its work at 4096 keys), key blocks of 32. Taken for self-attention-sized key counts: against the f32
// kernel (`sdn_ops_bench attention --threads 2`, quiet host, docs/BENCHMARKS.md "AMX") 1.9x at D 40 and
// 4096 keys (the f32 softmax is most of its time there), 2.6x at D 64, 2.7x at D 80, 2.3x at D 160; with
// 77 keys (cross-attention: padded to 96, re-packed per task) it was slower than the f32 kernel.
static bool flash_takes_amx(const AttentionShape & s) { return s.bf16 && s.D <= 256 && s.Tk >= 256 && cpu_amx(); }

static FlashTiling flash_tiling_amx(const AttentionShape & s) {
    FlashTiling t{};
    t.amx = true;
    t.D = s.D;
    t.Dk = round_up(s.D, 32);
    t.Dv = round_up(s.D, 16);
    t.Br = std::min<int64_t>(512, round_up(s.Tq, 32));
    t.Bc = 32;
    t.q_tiles = (s.Tq + t.Br - 1) / t.Br;
    const int64_t tk = round_up(s.Tk, 32);
    WorkspaceParts ws;
    t.off_kp = ws.take(tk * t.Dk / 2); // bf16: two to a float
    t.off_vp = ws.take(tk * t.Dv / 2);
    t.off_qp = ws.take(32 * t.Dk / 2);
    t.off_s = ws.take(32 * 32);
    t.off_p = ws.take(32 * 32 / 2);
    t.off_pv = ws.take(32 * t.Dv);
    t.off_o = ws.take(32 * t.Dv);
    t.off_m = ws.take(32);
    t.off_l = ws.take(32);
    t.off_tmax = ws.take(32);
    t.off_alpha = ws.take(32);
    t.off_rowsum = ws.take(32);
    t.floats_per_thread = ws.floats;
    return t;
}

FlashTiling flash_tiling(const AttentionShape & s) {
    if (flash_takes_amx(s)) return flash_tiling_amx(s);
    FlashTiling t{};
    t.D = s.D;
    // Query tiles of up to 512 queries (16 blocks): each key chunk is read from the caller's rows (from
    // L3 or memory, when a head's K and V are strided) once per tile, so the larger the tile the fewer
    // times; measured at D = 40, T = 4096 on one thread, 32 / 64 / 128 / 256 queries ran at 74 / 92 /
    // 112 / 118 GFLOP/s (before the chunks were prefetched), and with prefetching 512 still gains 3-6%
    // over 256 (D = 40 and 80). At most 32768 / D queries, so the tile's queries and outputs stay within
    // 256 KiB (the VAE's D = 512 gets 64), and halved while that leaves fewer than 32 tasks, so small
    // shapes still spread over threads. (Rules on the shape alone: the tiling, and so the workspace
    // estimate, does not depend on the thread count.)
    t.Br = std::max<int64_t>(kFlashQueryBlock, std::min<int64_t>(512, 32768 / s.D) / kFlashQueryBlock * kFlashQueryBlock);
    t.Br = std::min<int64_t>(t.Br, round_up(s.Tq, kFlashQueryBlock));
    while (t.Br > kFlashQueryBlock && s.B * s.H * ((s.Tq + t.Br - 1) / t.Br) < 32) t.Br = round_up(t.Br / 2, kFlashQueryBlock);
    // Key chunks of 64 keys (32 to 128 measured within noise at D = 40, 80 and 160), fewer from D = 128
    // on, so a chunk's packed K and V stay within 64 KiB (16 at D = 512); up to 1.5 chunks of keys (the
    // text encoder's 77) in one chunk, which saves the second chunk's rescale.
    const int64_t chunk = std::max<int64_t>(16, std::min<int64_t>(64, 8192 / s.D) / 16 * 16);
    t.Bc = s.Tk <= chunk * 3 / 2 ? s.Tk : chunk;
    t.q_tiles = (s.Tq + t.Br - 1) / t.Br;

    WorkspaceParts ws;
    t.off_qt = ws.take(t.D * t.Br);
    t.off_ot = ws.take(t.D * t.Br);
    t.off_st = ws.take(t.Bc * kFlashQueryBlock);
    t.off_kc = ws.take(t.Bc * t.D);
    t.off_vc = ws.take(t.Bc * t.D);
    t.off_m = ws.take(t.Br);
    t.off_l = ws.take(t.Br);
    t.off_tmax = ws.take(kFlashQueryBlock);
    t.off_alpha = ws.take(kFlashQueryBlock);
    t.floats_per_thread = ws.floats;
    return t;
}

int64_t flash_workers(const AttentionShape & s, const FlashTiling & t) {
    return std::min<int64_t>(threads_count(), s.B * s.H * t.q_tiles);
}

// The portable tile kernel: the algorithm above in plain loops over the blocked, transposed workspace
// (the innermost loops run over a block's queries, so the compiler vectorises them for the baseline
// ISA); K and V rows are read in place.
void attention_flash_tile_portable(const FlashTiling & t, const FlashTask & task, float * ws) {
    constexpr int64_t QB = kFlashQueryBlock;
    const int64_t D = t.D, nq = task.nq;
    const int64_t blocks = (nq + QB - 1) / QB;
    float * qt = ws + t.off_qt;  // [blocks][D][QB]
    float * ot = ws + t.off_ot;  // [blocks][D][QB]
    float * st = ws + t.off_st;  // [Bc][QB]
    float * m = ws + t.off_m;    // [Br]
    float * l = ws + t.off_l;
    float * tmax = ws + t.off_tmax; // [QB]
    float * alpha = ws + t.off_alpha;

    for (int64_t r = 0; r < blocks * QB; ++r) {
        float * q_col = qt + (r / QB) * D * QB + r % QB;
        float * o_col = ot + (r / QB) * D * QB + r % QB;
        for (int64_t d = 0; d < D; ++d) {
            q_col[d * QB] = r < nq ? task.q[r * task.ldq + d] * task.scale : 0.0f; // queries times the scale
            o_col[d * QB] = 0.0f;
        }
        m[r] = -INFINITY;
        l[r] = 0.0f;
    }

    for (int64_t k0 = 0; k0 < task.Tk; k0 += t.Bc) {
        const int64_t nk = std::min(t.Bc, task.Tk - k0);
        for (int64_t c = 0; c < blocks; ++c) {
            const float * qb = qt + c * D * QB;
            float * ob = ot + c * D * QB;
            float * mb = m + c * QB;
            float * lb = l + c * QB;
            // s[j][r] = k_j . (scale * q_r) ; tmax[r] = max_j s[j][r]
            for (int64_t r = 0; r < QB; ++r) tmax[r] = -INFINITY;
            for (int64_t j = 0; j < nk; ++j) {
                const float * krow = task.k + (k0 + j) * task.ldk;
                float * srow = st + j * QB;
                for (int64_t r = 0; r < QB; ++r) srow[r] = 0.0f;
                for (int64_t d = 0; d < D; ++d) {
                    const float kd = krow[d];
                    const float * qrow = qb + d * QB;
                    for (int64_t r = 0; r < QB; ++r) srow[r] += kd * qrow[r];
                }
                for (int64_t r = 0; r < QB; ++r) tmax[r] = std::max(tmax[r], srow[r]);
            }
            // m' = max(m, tmax); alpha = exp(m - m'); p = exp(s - m'); l = l * alpha + sum_j p
            for (int64_t r = 0; r < QB; ++r) {
                const float m_new = std::max(mb[r], tmax[r]);
                alpha[r] = mb[r] == -INFINITY ? 0.0f : std::exp(mb[r] - m_new);
                mb[r] = m_new;
                lb[r] *= alpha[r];
            }
            for (int64_t j = 0; j < nk; ++j) {
                float * srow = st + j * QB;
                for (int64_t r = 0; r < QB; ++r) {
                    srow[r] = std::exp(srow[r] - mb[r]);
                    lb[r] += srow[r];
                }
            }
            // o = o * alpha + sum_j p_j v_j
            for (int64_t d = 0; d < D; ++d) {
                float * orow = ob + d * QB;
                for (int64_t r = 0; r < QB; ++r) orow[r] *= alpha[r];
                for (int64_t j = 0; j < nk; ++j) {
                    const float vd = task.v[(k0 + j) * task.ldv + d];
                    const float * prow = st + j * QB;
                    for (int64_t r = 0; r < QB; ++r) orow[r] += vd * prow[r];
                }
            }
        }
    }

    // out = o / l
    for (int64_t r = 0; r < nq; ++r) {
        const float inv = 1.0f / l[r];
        const float * o_col = ot + (r / QB) * D * QB + r % QB;
        float * dst = task.out + r * task.ldo;
        for (int64_t d = 0; d < D; ++d) dst[d] = o_col[d * QB] * inv;
    }
}

void attention_flash(const AttentionShape & s, const AttentionOperand & q, const AttentionOperand & k,
                     const AttentionOperand & v, const AttentionOperand & out) {
    const FlashTiling t = flash_tiling(s);
    const int64_t n_tasks = s.B * s.H * t.q_tiles;
    const int64_t n_threads = threads_count();
    // One read of the thread count sizes everything (another thread may change it meanwhile; the
    // region below uses at most n_threads threads): the same figure flash_workers() predicts.
    Buffer<float> workspace(static_cast<size_t>(std::min<int64_t>(n_threads, n_tasks) * t.floats_per_thread));

    auto * tile_kernel = &attention_flash_tile_portable;
#if SDN_X86
    if (t.amx) tile_kernel = &x86::avx512::attention_flash_tile_amx;
    else switch (cpu_isa()) {
        case Isa::Avx512: tile_kernel = &x86::avx512::attention_flash_tile; break;
        case Isa::Avx2: tile_kernel = &x86::avx2::attention_flash_tile; break;
        case Isa::Portable: break;
    }
#endif

    // Each thread that runs a task takes the next free workspace slot the first time; at most
    // min(threads, tasks) threads ever do, which is what flash_workers() counted.
    std::unique_ptr<std::atomic<int64_t>[]> slot_of(new std::atomic<int64_t>[n_threads]);
    for (int64_t i = 0; i < n_threads; ++i) slot_of[i].store(-1);
    std::atomic<int64_t> next_slot{0};

    parallel_tasks(n_tasks, [&](int64_t task_index, int thread_index) {
        int64_t slot = slot_of[thread_index].load(std::memory_order_relaxed);
        if (slot < 0) {
            slot = next_slot.fetch_add(1);
            slot_of[thread_index].store(slot, std::memory_order_relaxed);
        }
        const int64_t tile = task_index % t.q_tiles;
        const int64_t bh = task_index / t.q_tiles;
        const int64_t b = bh / s.H, h = bh % s.H;
        const int64_t r0 = tile * t.Br;
        FlashTask task;
        task.q = q.data + b * q.stride_b + h * q.stride_h + r0 * q.stride_t;
        task.ldq = q.stride_t;
        task.k = k.data + b * k.stride_b + h * k.stride_h;
        task.ldk = k.stride_t;
        task.v = v.data + b * v.stride_b + h * v.stride_h;
        task.ldv = v.stride_t;
        task.out = out.data + b * out.stride_b + h * out.stride_h + r0 * out.stride_t;
        task.ldo = out.stride_t;
        task.nq = std::min(t.Br, s.Tq - r0);
        task.Tk = s.Tk;
        task.scale = s.scale;
        tile_kernel(t, task, workspace.data() + slot * t.floats_per_thread);
    }, static_cast<int>(n_threads));
}

void attention_exp(const float * x, float * y, int64_t n) {
    SDN_X86_DISPATCH(attention_exp, x, y, n)
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] < -87.33654f ? 0.0f : std::exp(x[i]);
}

} // namespace sdn
