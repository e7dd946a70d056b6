// gemm.h — general matrix multiply, the engine's workhorse (linears, convolutions as implicit GEMM,
// attention matmuls).
//
//   C[M, N] (+)= A[M, K] * op(B)[K, N]        all row-major; A and C are f32
//
// B is usually a weight and may be stored f32, f16, bf16 or q8_0 (core/q8_0.h; converted while packing):
//   op(B)[k][n] = trans ? B[n * ld + k] : B[k * ld + n]
// A PyTorch Linear weight [N, K] (out, in) is B with trans = true, ld = K.
//
// Precision: F32 computes in f32 (every input widened exactly, f32 sums; on CPUs with AMX, the tile unit
// multiplies exact bf16 pieces of each input, see arch/x86/avx512/gemm_amx_f32.cc). BF16 rounds both inputs
// to bfloat16 (round to nearest even) where they are packed and sums their products in f32 (AVX-512
// BF16's vdpbf16ps): half the bytes per element and twice the multiplies per instruction, at ~3
// significant digits per input. It needs cpu_bf16() (core/cpu.h); asking for it elsewhere is a
// SDN_STATUS_BAD_ARGUMENT error.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "../core/tensor.h"

namespace sdn {

enum class Precision : uint8_t { F32 = 0, BF16 = 1 };
const char * precision_name(Precision precision); // "fp32" | "bf16"
// Throws SDN_STATUS_BAD_ARGUMENT naming `where` when `precision` cannot run on this CPU's path.
void precision_check(Precision precision, const char * where);
// Whether F32 products take the AMX tile unit on this path (bf16 pieces, gemm_amx_f32.cc): cpu_amx() and not
// LATENTFLOW_AMX_FP32=0.
bool f32_on_amx();

struct MatB {
    const void * data;
    DType dtype;
    bool trans;
    int64_t ld;
};

// bias (length N, may be null) is added to every row; accumulate = true adds to C instead of
// overwriting it. The fast path (packed, SIMD, threaded) and the naive twin compute the same sums
// in a different order: in f32 they agree to ~1e-6 relative.
void gemm(int64_t M, int64_t N, int64_t K, const float * A, int64_t lda, const MatB & B, float * C, int64_t ldc,
          const float * bias, bool accumulate, Precision precision = Precision::F32);

// Activation-arena bytes one gemm() call of this shape holds while it runs (its B packing buffer;
// 0 when B is packed block by block into per-thread scratch). For memory estimates.
int64_t gemm_workspace_bytes(int64_t M, int64_t N, int64_t K, Precision precision = Precision::F32);

// The specification: three loops, double accumulation, no threads. With BF16 every element of A and
// op(B) is first rounded to bf16 (what the fast path multiplies).
void gemm_naive(int64_t M, int64_t N, int64_t K, const float * A, int64_t lda, const MatB & B, float * C, int64_t ldc,
                const float * bias, bool accumulate, Precision precision = Precision::F32);

// ---- Weights packed once --------------------------------------------------------------------------
//
// gemm() and conv2d() pack their weight operand on every call (f16 widened to f32, or rounded to bf16 and
// interleaved in pairs). A weight used many times (every step of a sampling loop) can instead be packed
// once, for one precision on the current path, into the layout the kernels read (the driver's pre-packed
// layout below, over all of K): a Linear's op(B) as the GEMM's B, a convolution's [Cout, Cin KH KW] as its
// A (conv2d.h). The sums are the same, in the same order, as those of the per-call path whose K is not cut
// into slices (k_slice: only weights over 16 MiB packed are).

// The element type a weight of `w_dtype` is packed in for `precision`: F16 / BF16 for a 16-bit weight
// and f32 products (the f32 kernels' panels stored narrow, exactly, widened as the driver goes: the
// packed weight is the size of the file's), else F32, meaning the kernel set's own elements (f32, or
// bf16 pairs for bf16 products).
DType gemm_packed_narrow(Precision precision, DType w_dtype);
// The layout a packed weight is in (the kernel set's name and the narrow type, e.g. "avx512 f32 14x32,
// f16"): a packed weight is valid for that layout only (a cache keys on it).
std::string gemm_packed_layout(Precision precision, DType w_dtype);
// Bytes of op(B) [K, N] packed once as gemm_packed()'s B.
int64_t gemm_packed_b_bytes(int64_t N, int64_t K, Precision precision, DType w_dtype);
// Packs op(B) [K, N] (threaded) into `dst` (gemm_packed_b_bytes, 64-byte aligned).
void gemm_pack_b(const MatB & B, int64_t N, int64_t K, Precision precision, void * dst);
// gemm() with B packed by gemm_pack_b from a weight of `w_dtype`, for the same N, K and precision;
// needs no workspace.
void gemm_packed(int64_t M, int64_t N, int64_t K, const float * A, int64_t lda, const void * packed_b, DType w_dtype, float * C,
                 int64_t ldc, const float * bias, bool accumulate, Precision precision);

// B element (k, n) widened to f32.
inline float matb_at(const MatB & B, int64_t k, int64_t n);

// The core clock while busy, in GHz, measured with a chain of dependent integer adds of a register to
// itself (1 cycle each on every x86-64 core; adds of an immediate are folded by some): turbo included,
// unlike /proc/cpuinfo's nominal figure. The best of a few
// 60 trials of ~0.6 ms (other processes may take the core meanwhile); 0 where not measurable (non-x86).
// The benchmarks state the machine's peak with it.
double cpu_clock_ghz_measure();

// ---- Building blocks of the fast path, shared with conv2d's implicit GEMM and Winograd -----------
//
// The design is GotoBLAS/BLIS's: C is computed in MR x NR micro-tiles by a register-blocked
// micro-kernel that reads A and B from packed buffers, where (f32 kernels)
//   packed A: panels of MR rows; a panel holds its k-slice k-major, panel[k * MR + r] (rows past M are 0)
//   packed B: panels of NR columns;                                 panel[k * NR + c] (cols past N are 0)
// and (bf16 kernels) the same with k taken in pairs, the pair innermost (what vdpbf16ps multiplies):
//   packed A: panel[(k / 2) * MR * 2 + r * 2 + k % 2]   packed B: panel[(k / 2) * NR * 2 + c * 2 + k % 2]
// (kc rounded up to even, the extra k zero), so the micro-kernel streams both with unit stride. K is
// walked in blocks of ~KC (a B micro-panel, KC x NR elements, stays in L1 while the kernel sweeps an A
// block), M in blocks of mc_block() rows (an A block stays in L2). MR, NR and KC belong to the kernel
// set (Kernels below): the portable and AVX2 kernels use 6 x 16 f32 tiles, the AVX-512 ones 14 x 32.
namespace gemm_detail {

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
    // For kernel sets that split each f32 into bf16 pieces (Kernels::expand): how many pieces of the A and
    // B panels can be non-zero (3 for f32 values, 2 for values from f16, 1 from bf16). Others ignore them.
    uint8_t a_pieces = 3, b_pieces = 3;
};

// C tile (row stride ldc) from kc steps of a packed A micro-panel and a packed B micro-panel.
using KernelFn = void (*)(int64_t kc, const void * a, const void * b, float * c, int64_t ldc, const Tile & tile);
// A: [M, K] row-major, element (m, k) at A[m * lda + k], f32/f16/bf16. Packs rows [m0, m0 + mc) x
// k [k0, k0 + kc) into ceil(mc / MR) panels of panel_bytes(MR, kc).
using PackAFn = void (*)(const void * A, DType dtype, int64_t lda, int64_t m0, int64_t mc, int64_t k0, int64_t kc, void * dst);
// Packs k [k0, k0 + kc) x columns [n0, n0 + nc) of op(B) into ceil(nc / NR) panels of panel_bytes(NR, kc).
using PackBFn = void (*)(const MatB & B, int64_t k0, int64_t kc, int64_t n0, int64_t nc, void * dst);
// A run of `elems` narrow pre-packed elements (f16 or bf16, in the set's wide layout: see Kernels) made into
// the set's own packed elements at dst.
using ExpandFn = void (*)(DType narrow, const uint16_t * src, int64_t elems, void * dst);

// One set of micro-kernel and packers, with the tile and element sizes they work in.
struct Kernels {
    const char * name;    // e.g. "avx512 f32 14x32"
    int64_t MR, NR;       // micro-tile rows and columns
    int64_t KC;           // K block upper bound
    int64_t elem_bytes;   // of a packed element: 4 (f32) or 2 (bf16)
    int64_t k_unit;       // packed k granularity: 1, 2 for bf16 pairs, 32 for AMX's tile steps
    KernelFn kernel;
    PackAFn pack_a;
    PackBFn pack_b;
    // Sets whose packed elements are not f32 but whose products are (the f32 sets on AMX: each value split
    // into three bf16 pieces) keep weights pre-packed narrow in a "wide" layout of their own: the packers
    // below write it in f32, prepack_weight stores it in f16 / bf16, and `expand` makes it the set's packed
    // elements as the driver goes. Null for f32 sets, whose wide layout is their own (pack_a / pack_b) and
    // whose narrow panels are simply widened.
    PackAFn pack_a_wide = nullptr;
    PackBFn pack_b_wide = nullptr;
    ExpandFn expand = nullptr;
    int64_t mc_rows = 0;  // rows of an A block; 0: from the L2 size (mc_block())

    int64_t kc_padded(int64_t kc) const { return (kc + k_unit - 1) / k_unit * k_unit; }
    // Bytes of one packed panel of R (= MR or NR) rows or columns over kc steps of k.
    int64_t panel_bytes(int64_t R, int64_t kc) const { return kc_padded(kc) * R * elem_bytes; }
    // The driver's K block length for a given K: blocks of even length, a multiple of 8 and of k_unit,
    // at most KC.
    int64_t kc_step_for(int64_t K) const;
    // Rows of an A block (a multiple of MR): mc_rows where the set gives it, else ~288 KiB of packed A where
    // the core's L2 holds >= 1 MiB, ~144 KiB elsewhere (read once from sysconf).
    int64_t mc_block() const;
    // Bytes of an operand pre-packed over all of K: rows (M or N) rounded up to R, times K (padded).
    int64_t packed_bytes(int64_t rows, int64_t R, int64_t K) const;
    // Whether weights can be pre-packed narrow (f16 / bf16 panels, Side::narrow) for this set.
    bool takes_narrow() const { return elem_bytes == 4 || expand != nullptr; }
    // The packers prepack_weight() needs for narrow panels: the wide layout's (f32 elements).
    PackAFn pack_a_for(DType narrow) const { return narrow != DType::F32 && pack_a_wide ? pack_a_wide : pack_a; }
    PackBFn pack_b_for(DType narrow) const { return narrow != DType::F32 && pack_b_wide ? pack_b_wide : pack_b; }
};
// The kernel set of the current path (cpu_isa()) for `precision` (BF16 needs cpu_bf16()). F32 on a CPU with
// AMX (cpu_amx()) takes the tile unit with each value split into bf16 pieces ("amx f32 (bf16 x3) 32x32",
// products exact as in f32; LATENTFLOW_AMX_FP32=0 keeps the FMA set).
const Kernels & kernels(Precision precision = Precision::F32);
// The current path's f32 set on vector registers (never the tile unit), for callers that write its f32
// panels themselves (Winograd's transforms).
const Kernels & kernels_vector_f32();

// The portable kernel set's parts (plain C++, vectorised by the compiler for the baseline ISA).
void kernel_portable(int64_t kc, const void * a, const void * b, float * c, int64_t ldc, const Tile & tile);
void pack_a_portable(const void * A, DType dtype, int64_t lda, int64_t m0, int64_t mc, int64_t k0, int64_t kc, void * dst);
void pack_b_portable(const MatB & B, int64_t k0, int64_t kc, int64_t n0, int64_t nc, void * dst);

// One operand of the driver: either pre-packed over the driver's whole K, or packed block by block
// by `pack(i0, ni, k0, kc, dst)` (rows of A or columns of B [i0, i0 + ni), k [k0, k0 + kc), into
// panels of panel_bytes(MR or NR, kc)). The pre-packed layout is K-block major: for each K block
// (kc_step_for(K) long, the last one shorter) all panels of that block, one after the other, so the
// block the kernel sweeps is one contiguous run of memory, at byte offset
//   (k0 * rows_padded + panel * kc_padded(kc) * R) * elem_bytes   (rows_padded = rows rounded up to R)
//
// A pre-packed side of an f32 kernel set may be stored narrow (`narrow` = F16 or BF16: the same layout
// with 2-byte elements, exactly the values of a 16-bit weight): the driver widens it as it goes, an A
// block into per-thread scratch when the block starts, a B micro-panel just before the A block sweeps it
// (a contiguous convert, far cheaper than packing from the weight's own layout).
struct Side {
    const void * packed = nullptr;
    DType narrow = DType::F32; // F32: `packed` holds the kernel set's own elements
    std::function<void(int64_t i0, int64_t ni, int64_t k0, int64_t kc, void * dst)> pack;
    // The type the values come from (a weight's; F32 for activations): sets that split values into bf16
    // pieces skip the products of pieces that are zero (Tile::a_pieces / b_pieces).
    DType source = DType::F32;
};

struct Epilogue {
    bool accumulate = false;          // C += result
    const float * bias_col = nullptr; // [N]
    const float * bias_row = nullptr; // [M]
    const float * residual = nullptr; // [M, ldr] (may alias C)
    int64_t ldr = 0;
};

// C[M, N] (+)= A[M, K] * B[K, N] + extras with the kernel set `kern`, threaded over tiles of C. The
// pre-packed side decides the tiling: B pre-packed (a linear's weight) -> tiles of mc_block() rows x
// all of N; A pre-packed (a conv's weight) -> tiles of all of M x NB columns; either is split
// further until every thread has work.
void driver(const Kernels & kern, int64_t M, int64_t N, int64_t K, const Side & A, const Side & B, float * C, int64_t ldc,
            const Epilogue & epi);

// Packs all of an operand into that layout, threaded: pack(i0, ni, k0, kc, dst) as in Side. With
// `narrow` F16 or BF16 (an f32 kernel set), stores the panels in that type (Side::narrow): the values
// must be exact in it (they come from a weight of that type).
void prepack_weight(const Kernels & kern, int64_t rows, int64_t R, int64_t K, DType narrow,
                    const std::function<void(int64_t, int64_t, int64_t, int64_t, void *)> & pack, void * dst);
// Packs all of an operand into that layout, threaded: pack(i0, ni, k0, kc, dst) as in Side.
void prepack(const Kernels & kern, int64_t rows, int64_t R, int64_t K,
             const std::function<void(int64_t, int64_t, int64_t, int64_t, void *)> & pack, void * dst);

// Largest K slice whose pre-packed operand of `rows` rows (in panels of R) stays under the cap (16 MiB; a multiple
// of KC, at least KC): gemm() and conv2d() walk K in such slices, so a huge weight is never
// converted all at once. testing::packed_cap_set (ops/testing.h) changes the cap.
int64_t k_slice(const Kernels & kern, int64_t rows, int64_t R, int64_t K);

// A per-thread scratch buffer of at least `bytes` (64-byte aligned, kept for the thread's life):
// slot 0 holds the A block and slot 1 the B block of the driver; slot 2 is free for packers that
// need a staging area (e.g. an f32 panel before its conversion to bf16).
void * thread_scratch(int slot, int64_t bytes);

} // namespace gemm_detail

} // namespace sdn

#include "../core/half.h"
#include "../core/q8_0.h"

namespace sdn {

inline float matb_at(const MatB & B, int64_t k, int64_t n) {
    const int64_t i = B.trans ? n * B.ld + k : k * B.ld + n;
    switch (B.dtype) {
        case DType::F32: return static_cast<const float *>(B.data)[i];
        case DType::F16: return f16_to_f32(static_cast<const uint16_t *>(B.data)[i]);
        case DType::BF16: return bf16_to_f32(static_cast<const uint16_t *>(B.data)[i]);
        case DType::Q8_0: return q8_0_at(B.data, i);
    }
    return 0.0f;
}

} // namespace sdn
