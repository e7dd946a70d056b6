// gemm.h — general matrix multiply, the engine's workhorse (linears, convolutions as implicit GEMM,
// attention matmuls).
//
//   C[M, N] (+)= A[M, K] * op(B)[K, N]        all row-major; A and C are f32
//
// B is usually a weight and may be stored f32, f16 or bf16 (widened to f32 while packing):
//   op(B)[k][n] = trans ? B[n * ld + k] : B[k * ld + n]
// A PyTorch Linear weight [N, K] (out, in) is B with trans = true, ld = K.
#pragma once

#include <cstdint>
#include <functional>

#include "../core/tensor.h"

namespace sdn {

struct MatB {
    const void * data;
    DType dtype;
    bool trans;
    int64_t ld;
};

// bias (length N, may be null) is added to every row; accumulate = true adds to C instead of
// overwriting it. The fast path (packed, AVX2/FMA, threaded) and the naive twin compute the same sums
// in a different order: they agree to ~1e-6 relative.
void gemm(int64_t M, int64_t N, int64_t K, const float * A, int64_t lda, const MatB & B, float * C, int64_t ldc,
          const float * bias, bool accumulate);

// A weight packed once for repeated use: f32 panels in the micro-kernel's layout (4 bytes per element
// whatever the weight's storage), so later calls skip packing and widening. Owned, and counted as
// weight memory (sdn_memory_stats.weights_current). Made by gemm_pack_weight (the B of a linear) or
// conv2d_pack_weight (the A of a convolution); the layout is the same for the AVX2 and portable kernels.
struct PackedWeight {
    int64_t rows = 0;    // N of a linear, Cout of a convolution
    int64_t K = 0;       // reduction length (Cin * KH * KW for a convolution)
    bool a_side = false; // panels of MR rows (conv weight as A) or NR columns (linear weight as B)
    Tensor data;         // F32, packed_floats(rows, panel, K) elements
    int64_t bytes() const { return static_cast<int64_t>(data.nbytes()); }
};

// Packs op(B) [K, N] (e.g. a Linear weight [N, K] with trans = true) for gemm_packed. Threaded.
PackedWeight gemm_pack_weight(int64_t N, int64_t K, const MatB & B);
// gemm() with a pre-packed B: C[M, N] (+)= A[M, K] * B + bias.
void gemm_packed(int64_t M, const float * A, int64_t lda, const PackedWeight & B, float * C, int64_t ldc,
                 const float * bias, bool accumulate);

// Activation-arena bytes one gemm() call of this shape holds while it runs (its B packing buffer;
// 0 when B is packed block by block into per-thread scratch). For memory estimates.
int64_t gemm_workspace_bytes(int64_t M, int64_t N, int64_t K);

// The specification: three loops, double accumulation, no threads.
void gemm_naive(int64_t M, int64_t N, int64_t K, const float * A, int64_t lda, const MatB & B, float * C, int64_t ldc,
                const float * bias, bool accumulate);

// B element (k, n) widened to f32.
inline float matb_at(const MatB & B, int64_t k, int64_t n);

// Whether the AVX2/FMA/F16C kernels of every op family may run: the CPU has them, and neither
// LATENTFLOW_FORCE_PORTABLE=1 (read once, see cpu.h) nor ops_force_portable(true) turned them off.
bool ops_use_x86();
// Test hook: run the portable (plain C++) fast paths even on an AVX2 CPU. Process-wide.
void ops_force_portable(bool portable);

// The core clock while busy, in GHz, measured with a chain of dependent integer adds (1 cycle each
// on every x86-64 core): turbo included, unlike /proc/cpuinfo's nominal figure. The best of a few
// 60 trials of ~0.6 ms (other processes may take the core meanwhile); 0 where not measurable (non-x86).
// The GEMM benchmark states the machine's peak with it.
double cpu_clock_ghz_measure();

// ---- Building blocks of the fast path, shared with conv2d.cc's implicit GEMM -------------------
//
// The design is GotoBLAS/BLIS's: C is computed in MR x NR micro-tiles by a register-blocked
// micro-kernel that reads A and B from packed buffers, where
//   packed A: panels of MR rows; a panel holds its k-slice k-major, panel[k * MR + r] (rows past M are 0)
//   packed B: panels of NR columns;                                 panel[k * NR + c] (cols past N are 0)
// so the micro-kernel streams both with unit stride. K is walked in blocks of ~KC (a B micro-panel,
// KC x NR floats = 16 KiB, stays in L1 while the kernel sweeps an A block), M in blocks of ~mc_block()
// rows (an A block, mc x KC floats, stays in L2: 144 rows = 144 KiB where L2 is 512 KiB or less,
// 288 rows = 288 KiB where it is 1 MiB or more, as on Zen 4).
namespace gemm_detail {

constexpr int64_t MR = 6;   // micro-tile rows: 6 x 16 floats = 12 YMM accumulators
constexpr int64_t NR = 16;  // micro-tile columns
constexpr int64_t KC = 256; // K block (upper bound; blocks are evened out)
constexpr int64_t MC = 144; // M block when A is packed block by block, on cores with <= 512 KiB of L2 (see mc_block)
constexpr int64_t NB = 256; // N block when B is packed block by block (implicit-GEMM conv)

// The work of one micro-tile beyond the sums: how to combine them with C.
struct Tile {
    int m, n;                        // valid rows and columns (<= MR, NR)
    bool first;                      // first K block: C = [C if accumulate] + extras + sums; else C += sums
    bool accumulate;
    const float * bias_col = nullptr; // at the tile's first column; added to every row
    const float * bias_row = nullptr; // at the tile's first row; added to every column
    const float * residual = nullptr; // at the tile's origin, row stride ldr (may alias C)
    int64_t ldr = 0;
};

// C tile (row stride ldc) from kc steps of a packed A micro-panel and a packed B micro-panel.
using KernelFn = void (*)(int64_t kc, const float * a, const float * b, float * c, int64_t ldc, const Tile & tile);
// A: [M, K] row-major, element (m, k) at A[m * lda + k], f32/f16/bf16. Packs rows [m0, m0 + mc) x
// k [k0, k0 + kc) into ceil(mc / MR) panels of kc * MR floats.
using PackAFn = void (*)(const void * A, DType dtype, int64_t lda, int64_t m0, int64_t mc, int64_t k0, int64_t kc,
                         float * dst);
// Packs k [k0, k0 + kc) x columns [n0, n0 + nc) of op(B) into ceil(nc / NR) panels of kc * NR floats.
using PackBFn = void (*)(const MatB & B, int64_t k0, int64_t kc, int64_t n0, int64_t nc, float * dst);

struct Kernels {
    KernelFn kernel;
    PackAFn pack_a;
    PackBFn pack_b;
};
const Kernels & kernels(); // AVX2/FMA when ops_use_x86(), else the portable ones

// Portable versions (plain C++, vectorised by the compiler for the baseline ISA).
void kernel_portable(int64_t kc, const float * a, const float * b, float * c, int64_t ldc, const Tile & tile);
void pack_a_portable(const void * A, DType dtype, int64_t lda, int64_t m0, int64_t mc, int64_t k0, int64_t kc, float * dst);
void pack_b_portable(const MatB & B, int64_t k0, int64_t kc, int64_t n0, int64_t nc, float * dst);

// The M block the driver and gemm() use: MC, or 2 MC where the core's L2 holds >= 1 MiB (read once
// from sysconf; a larger A block halves how often each B micro-panel is reloaded into L1).
int64_t mc_block();

// The driver's K block length for a given K: blocks of even length, a multiple of 8, at most KC.
int64_t kc_step_for(int64_t K);

// One operand of the driver: either pre-packed over the driver's whole K, or packed block by block
// by `pack(i0, ni, k0, kc, dst)` (rows of A or columns of B [i0, i0 + ni), k [k0, k0 + kc), into
// panels of kc * MR or kc * NR floats). The pre-packed layout is K-block major: for each K block
// (kc_step_for(K) long, the last one shorter) all panels of that block, one after the other, so the
// block the kernel sweeps is one contiguous run of memory:
//   packed + k0 * rows_padded + panel * kc * R      (R = MR or NR, rows_padded = rows rounded up to R)
struct Side {
    const float * packed = nullptr;
    std::function<void(int64_t i0, int64_t ni, int64_t k0, int64_t kc, float * dst)> pack;
};

struct Epilogue {
    bool accumulate = false;          // C += result
    const float * bias_col = nullptr; // [N]
    const float * bias_row = nullptr; // [M]
    const float * residual = nullptr; // [M, ldr] (may alias C)
    int64_t ldr = 0;
};

// C[M, N] (+)= A[M, K] * B[K, N] + extras, threaded over tiles of C. The pre-packed side decides the
// tiling: B pre-packed (a linear's weight) -> tiles of mc_block() rows x all of N; A pre-packed (a conv's
// weight) -> tiles of all of M x NB columns; either is split further until every thread has work.
void driver(int64_t M, int64_t N, int64_t K, const Side & A, const Side & B, float * C, int64_t ldc, const Epilogue & epi);

// Packs all of an operand into that layout, threaded: pack(i0, ni, k0, kc, dst) as in Side.
void prepack(int64_t rows, int64_t R, int64_t K, const std::function<void(int64_t, int64_t, int64_t, int64_t, float *)> & pack,
             float * dst);

// Floats of a pre-packed operand: rows (M or N) rounded up to the panel width, times K.
inline int64_t packed_floats(int64_t rows, int64_t panel, int64_t K) { return (rows + panel - 1) / panel * panel * K; }

// Largest K slice whose pre-packed weight stays under ~16 MiB (a multiple of KC, at least KC):
// gemm() and conv2d() walk K in such slices, so a huge weight is never widened to f32 all at once.
int64_t k_slice(int64_t rows, int64_t K);
// Test hook: sets that cap (in floats; default 4 Mi) and returns the previous one.
int64_t packed_cap_set(int64_t floats);

} // namespace gemm_detail

} // namespace sdn

#include "../core/half.h"

namespace sdn {

inline float matb_at(const MatB & B, int64_t k, int64_t n) {
    const int64_t i = B.trans ? n * B.ld + k : k * B.ld + n;
    switch (B.dtype) {
        case DType::F32: return static_cast<const float *>(B.data)[i];
        case DType::F16: return f16_to_f32(static_cast<const uint16_t *>(B.data)[i]);
        case DType::BF16: return bf16_to_f32(static_cast<const uint16_t *>(B.data)[i]);
    }
    return 0.0f;
}

} // namespace sdn
