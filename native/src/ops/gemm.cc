// GEMM: the naive twin (the specification), the portable micro-kernel and packers, the choice of
// kernel set per path and precision, and the blocked, threaded driver shared by gemm(), conv2d()'s
// implicit GEMM and Winograd. The SIMD kernel sets live in arch/x86/avx2/gemm_avx2.cc (f32 6x16) and
// arch/x86/avx512/gemm_avx512.cc (f32 and bf16, 14x32).
#include "gemm.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>

#include <unistd.h>

#include "../core/arena.h"
#include "../core/cpu.h"
#include "../core/threads.h"
#include "arch/x86/x86.h"
#include "testing.h"

namespace sdn {

const char * precision_name(Precision precision) { return precision == Precision::BF16 ? "bf16" : "fp32"; }

void precision_check(Precision precision, const char * where) {
    if (precision == Precision::F32 || cpu_bf16()) return;
    throw Error(SDN_STATUS_BAD_ARGUMENT,
                std::string(where) + ": bf16 precision needs a CPU with AVX512_BF16 (this one runs the " + isa_name(cpu_isa()) +
                    " path" + (cpu_features().avx512_bf16 ? ", capped by LATENTFLOW_ISA" : "") + "); use fp32");
}

// f32 products on AMX tiles (gemm_amx_f32.cc) unless LATENTFLOW_AMX_FP32=0 (for side-by-side runs).
bool f32_on_amx() {
    static const bool allowed = [] {
        const char * v = std::getenv("LATENTFLOW_AMX_FP32");
        return !(v && std::string(v) == "0");
    }();
    return allowed && cpu_isa() == Isa::Avx512 && cpu_amx();
}

// ---- The specification --------------------------------------------------------------------------

void gemm_naive(int64_t M, int64_t N, int64_t K, const float * A, int64_t lda, const MatB & B, float * C, int64_t ldc,
                const float * bias, bool accumulate, Precision precision) {
    // What the products multiply: the inputs themselves, or their bf16 roundings.
    const auto input = [precision](float v) { return precision == Precision::BF16 ? bf16_to_f32(f32_to_bf16(v)) : v; };
    for (int64_t m = 0; m < M; ++m) {
        for (int64_t n = 0; n < N; ++n) {
            double sum = 0.0; // C[m][n] = sum_k A[m][k] * B[k][n]
            for (int64_t k = 0; k < K; ++k) sum += static_cast<double>(input(A[m * lda + k])) * input(matb_at(B, k, n));
            if (bias) sum += bias[n];
            float & c = C[m * ldc + n];
            c = accumulate ? c + static_cast<float>(sum) : static_cast<float>(sum);
        }
    }
}

namespace gemm_detail {

static int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }
static int64_t ceil_div(int64_t x, int64_t m) { return (x + m - 1) / m; }

// ---- Kernel sets --------------------------------------------------------------------------------

constexpr int64_t kPortableMR = 6, kPortableNR = 16;

int64_t Kernels::kc_step_for(int64_t K) const {
    const int64_t k_blocks = std::max<int64_t>(1, ceil_div(K, KC));
    return std::min(KC, round_up(ceil_div(std::max<int64_t>(K, 1), k_blocks), std::max<int64_t>(8, k_unit)));
}

int64_t Kernels::mc_block() const {
    if (mc_rows > 0) return mc_rows;
    static const int64_t budget = [] {
        long l2 = -1;
#if defined(_SC_LEVEL2_CACHE_SIZE)
        l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
#endif
        return l2 >= (1L << 20) ? int64_t(288) << 10 : int64_t(144) << 10;
    }();
    return std::max<int64_t>(MR, budget / (KC * elem_bytes) / MR * MR);
}

int64_t Kernels::packed_bytes(int64_t rows, int64_t R, int64_t K) const { return round_up(rows, R) * kc_padded(K) * elem_bytes; }

// Blocking of the f32 set on AMX, measured on SD 1.5's linears (f16 weights packed once, 2 threads: 1.21 s of
// a UNet call against 1.32-1.34 s with K blocks of 128 or 256): K blocks of up to 512, so that most of the
// UNet's products (K 320-1280) write C once to three times, and A blocks of 256 rows (768 KiB of pieces, in
// L2), over which each B micro-panel (from 64 KiB of f16) is split once. The tile unit reads both from L2 at
// nearly its full rate (in a stand-alone loop of the kernel's tile loads and products, not kept: a
// 32 x 32 x 32 step of five products in ~125 ns, L1 or L2 alike).
constexpr int64_t kAmxF32KC = 512, kAmxF32MC = 256;

const Kernels & kernels_vector_f32() {
#if SDN_X86
    static const Kernels avx2{"avx2 f32 6x16", 6, 16, 256, 4, 1, x86::avx2::gemm_kernel, x86::avx2::gemm_pack_a,
                              x86::avx2::gemm_pack_b};
    static const Kernels avx512{"avx512 f32 14x32", x86::avx512::kGemmMR, x86::avx512::kGemmNR, 256, 4, 1,
                                x86::avx512::gemm_kernel, x86::avx512::gemm_pack_a, x86::avx512::gemm_pack_b};
    switch (cpu_isa()) {
        case Isa::Avx512: return avx512;
        case Isa::Avx2: return avx2;
        case Isa::Portable: break;
    }
#endif
    static const Kernels portable{"portable f32 6x16", kPortableMR, kPortableNR, 256, 4, 1,
                                  kernel_portable, pack_a_portable, pack_b_portable};
    return portable;
}

const Kernels & kernels(Precision precision) {
#if SDN_X86
    static const Kernels avx512_bf16{"avx512 bf16 14x32", x86::avx512::kGemmMR, x86::avx512::kGemmNR, 512, 2, 2,
                                     x86::avx512::gemm_kernel_bf16, x86::avx512::gemm_pack_a_bf16, x86::avx512::gemm_pack_b_bf16};
    static const Kernels amx_bf16{"amx bf16 32x32", x86::avx512::kAmxMR, x86::avx512::kAmxNR, 512, 2, x86::avx512::kAmxK,
                                  x86::avx512::gemm_kernel_amx, x86::avx512::gemm_pack_a_amx, x86::avx512::gemm_pack_b_amx};
    static const Kernels amx_f32{"amx f32 (bf16 x3) 32x32", x86::avx512::kAmxMR, x86::avx512::kAmxNR, kAmxF32KC, 6, x86::avx512::kAmxK,
                                 x86::avx512::gemm_kernel_amx_f32, x86::avx512::gemm_pack_a_amx_f32, x86::avx512::gemm_pack_b_amx_f32,
                                 x86::avx512::gemm_pack_a_amx_wide, x86::avx512::gemm_pack_b_amx_wide, x86::avx512::gemm_expand_amx_f32,
                                 kAmxF32MC};
    if (precision == Precision::BF16) {
        precision_check(precision, "gemm");
        return cpu_amx() ? amx_bf16 : avx512_bf16;
    }
    if (f32_on_amx()) return amx_f32;
#else
    precision_check(precision, "gemm");
#endif
    return kernels_vector_f32();
}

// ---- Portable kernel and packers ----------------------------------------------------------------

static inline float load_elem(const void * p, DType dtype, int64_t i) {
    switch (dtype) {
        case DType::F32: return static_cast<const float *>(p)[i];
        case DType::F16: return f16_to_f32(static_cast<const uint16_t *>(p)[i]);
        case DType::BF16: return bf16_to_f32(static_cast<const uint16_t *>(p)[i]);
        case DType::Q8_0: return q8_0_at(p, i);
    }
    return 0.0f;
}

// The micro-tile in two 6 x 8 halves: 12 accumulators of 4 floats plus 2 B vectors and a broadcast
// fit the 16 registers of a baseline SSE2 (or NEON) target, where 6 x 16 would spill. GCC/Clang
// vector extensions make the 4-float vectors explicit without naming an ISA; other compilers get
// the same loops on scalars.
#if defined(__GNUC__)
typedef float v4f __attribute__((vector_size(16)));
static inline v4f v4_load(const float * p) {
    v4f v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
#endif

void kernel_portable(int64_t kc, const void * a_packed, const void * b_packed, float * c, int64_t ldc, const Tile & t) {
    constexpr int64_t MR = kPortableMR, NR = kPortableNR;
    const float * a = static_cast<const float *>(a_packed);
    const float * b = static_cast<const float *>(b_packed);
    float sums[MR][NR];
    for (int64_t half = 0; half < NR; half += 8) {
#if defined(__GNUC__)
        v4f acc[MR][2] = {};
        for (int64_t k = 0; k < kc; ++k) {
            const v4f b0 = v4_load(b + k * NR + half), b1 = v4_load(b + k * NR + half + 4);
            const float * ak = a + k * MR;
            for (int64_t i = 0; i < MR; ++i) {
                const v4f ai = {ak[i], ak[i], ak[i], ak[i]};
                acc[i][0] += ai * b0;
                acc[i][1] += ai * b1;
            }
        }
        for (int64_t i = 0; i < MR; ++i) {
            std::memcpy(&sums[i][half], &acc[i][0], sizeof(v4f));
            std::memcpy(&sums[i][half + 4], &acc[i][1], sizeof(v4f));
        }
#else
        float acc[MR][8] = {};
        for (int64_t k = 0; k < kc; ++k)
            for (int64_t i = 0; i < MR; ++i)
                for (int64_t j = 0; j < 8; ++j) acc[i][j] += a[k * MR + i] * b[k * NR + half + j];
        for (int64_t i = 0; i < MR; ++i)
            for (int64_t j = 0; j < 8; ++j) sums[i][half + j] = acc[i][j];
#endif
    }
    for (int i = 0; i < t.m; ++i)
        for (int j = 0; j < t.n; ++j) {
            float v = sums[i][j];
            float & out = c[i * ldc + j];
            if (!t.first || t.accumulate) v += out;
            if (t.first) {
                if (t.bias_col) v += t.bias_col[j];
                if (t.bias_row) v += t.bias_row[i];
                if (t.residual) v += t.residual[i * t.ldr + j];
            }
            out = v;
        }
}

void pack_a_portable(const void * A, DType dtype, int64_t lda, int64_t m0, int64_t mc, int64_t k0, int64_t kc, void * dst_bytes) {
    constexpr int64_t MR = kPortableMR;
    float * dst = static_cast<float *>(dst_bytes);
    for (int64_t p = 0; p * MR < mc; ++p) {
        float * d = dst + p * kc * MR;
        const int64_t rows = std::min<int64_t>(MR, mc - p * MR);
        for (int64_t i = 0; i < MR; ++i) {
            if (i >= rows) {
                for (int64_t k = 0; k < kc; ++k) d[k * MR + i] = 0.0f;
                continue;
            }
            const int64_t row = (m0 + p * MR + i) * lda + k0;
            for (int64_t k = 0; k < kc; ++k) d[k * MR + i] = load_elem(A, dtype, row + k);
        }
    }
}

void pack_b_portable(const MatB & B, int64_t k0, int64_t kc, int64_t n0, int64_t nc, void * dst_bytes) {
    constexpr int64_t NR = kPortableNR;
    float * dst = static_cast<float *>(dst_bytes);
    for (int64_t p = 0; p * NR < nc; ++p) {
        float * d = dst + p * kc * NR;
        const int64_t cols = std::min<int64_t>(NR, nc - p * NR);
        for (int64_t k = 0; k < kc; ++k)
            for (int64_t c = 0; c < NR; ++c) d[k * NR + c] = c < cols ? matb_at(B, k0 + k, n0 + p * NR + c) : 0.0f;
    }
}

// ---- Driver -------------------------------------------------------------------------------------

// Per-thread packing buffers, kept for the thread's lifetime: they are small (<= ~300 KiB each) and
// every GEMM needs them.
namespace {
struct Scratch {
    static constexpr int kSlots = 3;
    void * ptr[kSlots] = {};
    int64_t bytes[kSlots] = {};
    ~Scratch() {
        for (void * p : ptr) std::free(p);
    }
    void * get(int slot, int64_t n) {
        if (bytes[slot] < n) {
            std::free(ptr[slot]);
            ptr[slot] = nullptr;
            bytes[slot] = 0;
            // 64 bytes of slack: SIMD packers may read (never write) a vector past their last element.
            ptr[slot] = std::aligned_alloc(64, static_cast<size_t>(round_up(n + 64, 64)));
            require(ptr[slot] != nullptr, SDN_STATUS_OUT_OF_MEMORY, "out of memory for GEMM packing buffers");
            bytes[slot] = n;
        }
        return ptr[slot];
    }
};
thread_local Scratch t_scratch;
} // namespace

void * thread_scratch(int slot, int64_t bytes) { return t_scratch.get(slot, bytes); }

static std::atomic<int64_t> g_packed_cap_bytes{int64_t(16) << 20};

int64_t k_slice(const Kernels & kern, int64_t rows, int64_t R, int64_t K) {
    const int64_t cap = g_packed_cap_bytes.load(std::memory_order_relaxed);
    const int64_t per_k = std::max<int64_t>(1, round_up(rows, R) * kern.elem_bytes);
    const int64_t fit = std::max<int64_t>(kern.KC, cap / per_k / kern.KC * kern.KC);
    return std::min(K, fit);
}

// The tasks of packing a whole operand (threaded, ~256 KiB each: a run of panels within one K block):
// fn(i0, ni, k0, kc, at) with `at` the run's offset in elements in gemm.h's pre-packed layout.
static void for_each_pack_task(const Kernels & kern, int64_t rows, int64_t R, int64_t K,
                               const std::function<void(int64_t, int64_t, int64_t, int64_t, int64_t)> & fn) {
    const int64_t kc_step = kern.kc_step_for(K), panels = ceil_div(rows, R), k_blocks = ceil_div(K, kc_step);
    const int64_t per_task = std::max<int64_t>(1, (int64_t(1) << 18) / kern.panel_bytes(R, kc_step));
    const int64_t tasks_per_block = ceil_div(panels, per_task);
    parallel_tasks(k_blocks * tasks_per_block, [&](int64_t task, int) {
        const int64_t kb = task / tasks_per_block, p0 = (task % tasks_per_block) * per_task;
        const int64_t k0 = kb * kc_step, kc = std::min(kc_step, K - k0);
        const int64_t i0 = p0 * R, i1 = std::min(rows, (p0 + per_task) * R);
        fn(i0, i1 - i0, k0, kc, k0 * panels * R + p0 * kern.kc_padded(kc) * R);
    });
}

void prepack(const Kernels & kern, int64_t rows, int64_t R, int64_t K,
             const std::function<void(int64_t, int64_t, int64_t, int64_t, void *)> & pack, void * dst) {
    char * base = static_cast<char *>(dst);
    for_each_pack_task(kern, rows, R, K, [&](int64_t i0, int64_t ni, int64_t k0, int64_t kc, int64_t at) {
        pack(i0, ni, k0, kc, base + at * kern.elem_bytes);
    });
}

void prepack_weight(const Kernels & kern, int64_t rows, int64_t R, int64_t K, DType narrow,
                    const std::function<void(int64_t, int64_t, int64_t, int64_t, void *)> & pack, void * dst) {
    if (narrow == DType::F32) return prepack(kern, rows, R, K, pack, dst);
    require(kern.takes_narrow() && (narrow == DType::F16 || narrow == DType::BF16), SDN_STATUS_INTERNAL,
            "prepack_weight: narrow panels are for f32 products, in f16 or bf16");
    uint16_t * base = static_cast<uint16_t *>(dst);
    for_each_pack_task(kern, rows, R, K, [&](int64_t i0, int64_t ni, int64_t k0, int64_t kc, int64_t at) {
        // Packed as f32 panels first (the kernel set's wide packer: `pack`), then stored narrow: exact, the
        // values came from that type (so rounding to it changes nothing). `at` counts the set's elements,
        // which a narrow panel stores in 2 bytes each.
        const int64_t elems = ceil_div(ni, R) * kern.kc_padded(kc) * R;
        float * wide = static_cast<float *>(thread_scratch(2, elems * static_cast<int64_t>(sizeof(float))));
        pack(i0, ni, k0, kc, wide);
        if (narrow == DType::F16) convert_f32_to_f16(wide, base + at, elems);
        else convert_f32_to_bf16(wide, base + at, elems);
    });
}

// A narrow pre-packed run (gemm.h's Side::narrow) made into the set's packed elements (widened to f32, or
// the set's own expansion), on the calling thread.
static void widen(const Kernels & kern, DType narrow, const uint16_t * src, int64_t n, void * dst) {
    if (kern.expand) kern.expand(narrow, src, n, dst);
    else if (narrow == DType::F16) convert_f16_to_f32(src, static_cast<float *>(dst), n);
    else convert_bf16_to_f32(src, static_cast<float *>(dst), n);
}

// How many bf16 pieces a side's values have (Tile::a_pieces / b_pieces): from f16 two, from bf16 one,
// anything else three.
static uint8_t pieces_of(const Side & side) {
    const DType from = side.packed && side.narrow != DType::F32 ? side.narrow : side.source;
    return from == DType::F16 ? 2 : from == DType::BF16 ? 1 : 3;
}

void driver(const Kernels & kern, int64_t M, int64_t N, int64_t K, const Side & A, const Side & B, float * C, int64_t ldc,
            const Epilogue & epi) {
    if (M <= 0 || N <= 0) return;
    require(K > 0, SDN_STATUS_INTERNAL, "gemm driver called with K = 0");
    const int64_t MR = kern.MR, NR = kern.NR, mc_max = kern.mc_block();
    const int64_t n_threads = threads_count();

    const int64_t kc_step = kern.kc_step_for(K);
    const int64_t m_padded = round_up(M, MR), n_padded = round_up(N, NR);
    require((A.narrow == DType::F32 && B.narrow == DType::F32) || kern.takes_narrow(), SDN_STATUS_INTERNAL,
            "gemm driver: narrow pre-packed panels need a kernel set with f32 products");
    const uint8_t a_pieces = pieces_of(A), b_pieces = pieces_of(B);

    // Tiles of C, one task each. Start from the shape the pre-packed side suggests, then split the
    // longer dimension until there is a task per thread (more when the work is large, for balance).
    const bool b_prepacked = B.packed != nullptr;
    int64_t m_tiles = b_prepacked ? ceil_div(M, mc_max) : 1;
    int64_t n_tiles = b_prepacked ? 1 : ceil_div(N, NB);
    const double flops = 2.0 * M * N * K;
    // Tasks wanted: one per thread, more on large products so a thread slowed by other work on the
    // machine is balanced by the others (dynamic hand-out); extra tiles along the side packed per
    // task repeat that packing, so stay modest.
    int64_t want = n_threads == 1 || flops < 2e5 ? 1 : (flops < 5e7 ? n_threads : 3 * n_threads);
    // Neither side pre-packed (gemm() with M <= mc_block(), the small-image convolutions): every
    // tile packs its own copy of the other side's block (all of A for tiles along N, all of the
    // gathered image for tiles along Cout), 5-15% of a tile's work at the UNet's 16x16 and 8x8
    // levels. One tile per thread packs it once per thread.
    if (!A.packed && !B.packed) want = std::min(want, n_threads);
    while (m_tiles * n_tiles < want) {
        const bool m_room = ceil_div(M, m_tiles) > MR, n_room = ceil_div(N, n_tiles) > NR;
        if (!m_room && !n_room) break;
        // Split the dimension whose tiles are longer (in micro-tiles), preferring the block-packed side.
        const double m_len = static_cast<double>(ceil_div(M, m_tiles)) / MR, n_len = static_cast<double>(ceil_div(N, n_tiles)) / NR;
        if (m_room && (!n_room || m_len >= n_len)) ++m_tiles; else ++n_tiles;
    }
    if (n_threads > 1 && m_tiles * n_tiles > 1 && (m_tiles * n_tiles) % n_threads != 0 && m_tiles * n_tiles < 16 * n_threads) {
        // Even out the last round: give the longer dimension a few more tiles.
        const int64_t total = round_up(m_tiles * n_tiles, n_threads);
        if (b_prepacked && total % n_tiles == 0 && ceil_div(M, total / n_tiles) >= MR) m_tiles = total / n_tiles;
        else if (!b_prepacked && total % m_tiles == 0 && ceil_div(N, total / m_tiles) >= NR) n_tiles = total / m_tiles;
    }
    const int64_t m_step = round_up(ceil_div(M, m_tiles), MR);
    const int64_t n_step = round_up(ceil_div(N, n_tiles), NR);
    m_tiles = ceil_div(M, m_step);
    n_tiles = ceil_div(N, n_step);

    parallel_tasks(m_tiles * n_tiles, [&](int64_t task, int) {
        const int64_t m0 = (task / n_tiles) * m_step, m1 = std::min(M, m0 + m_step);
        const int64_t n0 = (task % n_tiles) * n_step, n1 = std::min(N, n0 + n_step);
        // M blocks of even length inside the tile (at most mc_block() + MR - 1 rows).
        const int64_t mc_step = round_up(ceil_div(m1 - m0, ceil_div(m1 - m0, mc_max)), MR);
        const bool a_narrow = A.packed && A.narrow != DType::F32, b_narrow = B.packed && B.narrow != DType::F32;
        char * a_buf = A.packed && !a_narrow ? nullptr : static_cast<char *>(thread_scratch(0, kern.panel_bytes(mc_step, kc_step)));
        char * b_buf = B.packed && !b_narrow ? nullptr
                                             : static_cast<char *>(thread_scratch(1, kern.panel_bytes(b_narrow ? NR : round_up(n1 - n0, NR), kc_step)));
        const bool a_from_memory = A.packed != nullptr && n1 - n0 <= 8 * NR;
        for (int64_t k0 = 0; k0 < K; k0 += kc_step) {
            const int64_t kc = std::min(kc_step, K - k0);
            const bool first = k0 == 0;
            const int64_t a_panel = kern.panel_bytes(MR, kc), b_panel = kern.panel_bytes(NR, kc);
            // The B block of this tile: columns [n0, n1) x k [k0, k0 + kc).
            const char * b_blk;
            if (b_narrow) { // in 2-byte elements: widened panel by panel below
                b_blk = static_cast<const char *>(B.packed) + (k0 * n_padded + (n0 / NR) * kern.kc_padded(kc) * NR) * 2;
            } else if (B.packed) {
                b_blk = static_cast<const char *>(B.packed) + k0 * n_padded * kern.elem_bytes + (n0 / NR) * b_panel;
            } else {
                B.pack(n0, n1 - n0, k0, kc, b_buf);
                b_blk = b_buf;
            }
            for (int64_t i0 = m0; i0 < m1; i0 += mc_step) {
                const int64_t mc = std::min(mc_step, m1 - i0);
                const char * a_blk;
                if (a_narrow) {
                    const int64_t elems = round_up(mc, MR) * kern.kc_padded(kc);
                    widen(kern, A.narrow, static_cast<const uint16_t *>(A.packed) + k0 * m_padded + (i0 / MR) * kern.kc_padded(kc) * MR,
                          elems, a_buf);
                    a_blk = a_buf;
                } else if (A.packed) {
                    a_blk = static_cast<const char *>(A.packed) + k0 * m_padded * kern.elem_bytes + (i0 / MR) * a_panel;
                } else {
                    A.pack(i0, mc, k0, kc, a_buf);
                    a_blk = a_buf;
                }
                // B micro-panel j: in the block, or (narrow) widened into scratch.
                const auto b_panel_of = [&](int64_t j) -> const char * {
                    if (!b_narrow) return b_blk + ((j - n0) / NR) * b_panel;
                    const int64_t elems = kern.kc_padded(kc) * NR;
                    widen(kern, B.narrow, reinterpret_cast<const uint16_t *>(b_blk) + ((j - n0) / NR) * elems, elems, b_buf);
                    return b_buf;
                };
                auto tile = [&](int64_t i, int64_t j, const char * b_pan) {
                    Tile t;
                    t.m = static_cast<int>(std::min(MR, i0 + mc - i));
                    t.n = static_cast<int>(std::min(NR, n1 - j));
                    t.first = first;
                    t.accumulate = epi.accumulate;
                    t.a_pieces = a_pieces;
                    t.b_pieces = b_pieces;
                    if (first) {
                        t.bias_col = epi.bias_col ? epi.bias_col + j : nullptr;
                        t.bias_row = epi.bias_row ? epi.bias_row + i : nullptr;
                        t.residual = epi.residual ? epi.residual + i * epi.ldr + j : nullptr;
                        t.ldr = epi.ldr;
                    }
                    kern.kernel(kern.kc_padded(kc), a_blk + ((i - i0) / MR) * a_panel, b_pan, C + i * ldc + j, ldc, t);
                };
                if (a_from_memory && !b_narrow) {
                    // A streams from memory (pre-packed, not yet in cache) and the B block is narrow:
                    // each A micro-panel is used for all of the B block while it is in L1.
                    for (int64_t i = i0; i < i0 + mc; i += MR)
                        for (int64_t j = n0; j < n1; j += NR) tile(i, j, b_panel_of(j));
                } else {
                    // The classic order: a B micro-panel stays in L1 while the A block (in L2) sweeps it.
                    for (int64_t j = n0; j < n1; j += NR) {
                        const char * b_pan = b_panel_of(j);
                        for (int64_t i = i0; i < i0 + mc; i += MR) tile(i, j, b_pan);
                    }
                }
            }
        }
    });
}

} // namespace gemm_detail

int64_t testing::packed_cap_set(int64_t bytes) { return gemm_detail::g_packed_cap_bytes.exchange(std::max<int64_t>(1, bytes)); }

double cpu_clock_ghz_measure() {
#if defined(__x86_64__)
    double best = 0.0;
    for (int trial = 0; trial < 60; ++trial) {
        uint64_t x = 1, n = 250'000; // 8 dependent adds per iteration: ~2M cycles, ~0.6 ms
        const auto t0 = std::chrono::steady_clock::now();
        // x += x, not x += 1: Golden Cove-class cores (Sapphire Rapids) fold chains of adds of an immediate
        // at rename, several per cycle (this loop read 19-22 GHz there with `addq $1`).
        asm volatile(
            "1:\n\t"
            "addq %0, %0\n\taddq %0, %0\n\taddq %0, %0\n\taddq %0, %0\n\t"
            "addq %0, %0\n\taddq %0, %0\n\taddq %0, %0\n\taddq %0, %0\n\t"
            "subq $1, %1\n\tjnz 1b"
            : "+r"(x), "+r"(n));
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        best = std::max(best, 8.0 * 250'000 / s / 1e9);
    }
    return best;
#else
    return 0.0;
#endif
}

// ---- gemm ---------------------------------------------------------------------------------------

// C = bias (+ C): the whole product when K == 0.
static void gemm_k0(int64_t M, int64_t N, float * C, int64_t ldc, const float * bias, bool accumulate) {
    for (int64_t m = 0; m < M; ++m)
        for (int64_t n = 0; n < N; ++n) {
            float & c = C[m * ldc + n];
            c = (accumulate ? c : 0.0f) + (bias ? bias[n] : 0.0f);
        }
}

int64_t gemm_workspace_bytes(int64_t M, int64_t N, int64_t K, Precision precision) {
    using namespace gemm_detail;
    if (M <= 0 || N <= 0 || K <= 0) return 0;
    const Kernels & kern = kernels(precision);
    if (M <= kern.mc_block() || N <= NB) return 0; // mirrors gemm() below
    return arena_block_bytes(kern.packed_bytes(N, kern.NR, k_slice(kern, N, kern.NR, K)));
}

DType gemm_packed_narrow(Precision precision, DType w_dtype) {
    if (!gemm_detail::kernels(precision).takes_narrow()) return DType::F32;
    return w_dtype == DType::F16 || w_dtype == DType::BF16 ? w_dtype : DType::F32;
}

std::string gemm_packed_layout(Precision precision, DType w_dtype) {
    const DType narrow = gemm_packed_narrow(precision, w_dtype);
    return std::string(gemm_detail::kernels(precision).name) + (narrow == DType::F16 ? ", f16" : narrow == DType::BF16 ? ", bf16" : "");
}

int64_t gemm_packed_b_bytes(int64_t N, int64_t K, Precision precision, DType w_dtype) {
    const gemm_detail::Kernels & kern = gemm_detail::kernels(precision);
    const int64_t bytes = kern.packed_bytes(N, kern.NR, K);
    return gemm_packed_narrow(precision, w_dtype) == DType::F32 ? bytes : bytes / kern.elem_bytes * 2;
}

void gemm_pack_b(const MatB & B, int64_t N, int64_t K, Precision precision, void * dst) {
    using namespace gemm_detail;
    const Kernels & kern = kernels(precision);
    if (N <= 0 || K <= 0) return;
    const DType narrow = gemm_packed_narrow(precision, B.dtype);
    const PackBFn pack_b = kern.pack_b_for(narrow);
    prepack_weight(kern, N, kern.NR, K, narrow, [&](int64_t n0, int64_t nc, int64_t k0, int64_t kc, void * out) { pack_b(B, k0, kc, n0, nc, out); },
                   dst);
}

void gemm_packed(int64_t M, int64_t N, int64_t K, const float * A, int64_t lda, const void * packed_b, DType w_dtype, float * C,
                 int64_t ldc, const float * bias, bool accumulate, Precision precision) {
    using namespace gemm_detail;
    require(M >= 0 && N >= 0 && K >= 0, SDN_STATUS_BAD_ARGUMENT, "gemm: negative dimension");
    const Kernels & kern = kernels(precision);
    if (M == 0 || N == 0) return;
    if (K == 0) return gemm_k0(M, N, C, ldc, bias, accumulate);
    Side a_side, b_side;
    a_side.pack = [&](int64_t m0, int64_t mc, int64_t k0, int64_t kc, void * dst) {
        kern.pack_a(A, DType::F32, lda, m0, mc, k0, kc, dst);
    };
    b_side.packed = packed_b;
    b_side.narrow = gemm_packed_narrow(precision, w_dtype);
    Epilogue epi;
    epi.accumulate = accumulate;
    epi.bias_col = bias;
    driver(kern, M, N, K, a_side, b_side, C, ldc, epi);
}

void gemm(int64_t M, int64_t N, int64_t K, const float * A, int64_t lda, const MatB & B, float * C, int64_t ldc,
          const float * bias, bool accumulate, Precision precision) {
    using namespace gemm_detail;
    require(M >= 0 && N >= 0 && K >= 0, SDN_STATUS_BAD_ARGUMENT, "gemm: negative dimension");
    const Kernels & kern = kernels(precision);
    if (M == 0 || N == 0) return;
    if (K == 0) return gemm_k0(M, N, C, ldc, bias, accumulate);

    // A single block of rows (M <= mc_block(): token-sized activations, GEMV-like shapes): each weight
    // element is used by that block only, so the driver packs B block by block, straight into cache,
    // with the tiles split along N. The same for narrow products (N <= NB, e.g. attention's P v with
    // N = the head size): re-packing B per tile of rows costs 1 / (2 mc) of the tile's work, and no
    // buffer of all of B is held. Otherwise B (usually the weight) is packed once per K slice, all of
    // its columns, by all threads, and A is packed block by block inside the driver's tasks.
    Side a_side;
    a_side.pack = [&](int64_t m0, int64_t mc, int64_t k0, int64_t kc, void * dst) {
        kern.pack_a(A, DType::F32, lda, m0, mc, k0, kc, dst);
    };
    Epilogue epi;
    epi.accumulate = accumulate;
    epi.bias_col = bias;
    if (M <= kern.mc_block() || N <= NB) {
        Side b_side;
        b_side.pack = [&](int64_t n0, int64_t nc, int64_t k0, int64_t kc, void * dst) { kern.pack_b(B, k0, kc, n0, nc, dst); };
        b_side.source = B.dtype;
        driver(kern, M, N, K, a_side, b_side, C, ldc, epi);
        return;
    }
    const int64_t ks_max = k_slice(kern, N, kern.NR, K);
    Buffer<char> packed_b(static_cast<size_t>(kern.packed_bytes(N, kern.NR, ks_max)));
    for (int64_t kb = 0; kb < K; kb += ks_max) {
        const int64_t ks = std::min(ks_max, K - kb);
        char * pb = packed_b.data();
        prepack(kern, N, kern.NR, ks,
                [&](int64_t n0, int64_t nc, int64_t k0, int64_t kc, void * dst) { kern.pack_b(B, kb + k0, kc, n0, nc, dst); }, pb);
        Side a_slice, b_side;
        b_side.packed = pb;
        b_side.source = B.dtype;
        a_slice.pack = [&](int64_t m0, int64_t mc, int64_t k0, int64_t kc, void * dst) {
            kern.pack_a(A, DType::F32, lda, m0, mc, kb + k0, kc, dst);
        };
        if (kb > 0) epi = Epilogue{true, nullptr, nullptr, nullptr, 0}; // later slices add to C
        driver(kern, M, N, ks, a_slice, b_side, C, ldc, epi);
    }
}

} // namespace sdn
