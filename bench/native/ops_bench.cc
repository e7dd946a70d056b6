// sdn_ops_bench — times the engine's kernels from C++ (no N-API in between) and prints one JSON line
// per measurement; bench/gemm.ts, bench/conv-winograd.ts and bench/speed.ts run it and print tables.
//
//   sdn_ops_bench clock                              the core clock while busy (GHz, turbo included)
//   sdn_ops_bench peak [--threads N]                 register-only loops: FMA on 256 and 512-bit vectors,
//                                                    vdpbf16ps, AMX tdpbf16ps (GFLOP/s on N threads, each
//                                                    its own loop); int8: vpdpbusd, AMX tdpbssd (GOP/s)
//   sdn_ops_bench kernel [--isa P] [--precision p]   the path's GEMM micro-kernel alone, one thread, on packed
//                                                    panels resident in L1/L2 (kc 128-512; 1 or 20 A panels):
//                                                    GFLOP/s of the best of 200 rounds, to set against `peak`
//   sdn_ops_bench gemm [options] MxKxN...            C[M, N] = A[M, K] W[N, K]^T + bias (a Linear)
//   sdn_ops_bench conv [options] B,Cin,Cout,H,W,k,stride,pad[,up]...   (H, W stored; up = fused up-sampling)
//   sdn_ops_bench attention [options] B,H,Tq,Tk,D...  flash attention, q/k/v/out in the UNet's [B, T, H*D]
//                                                    layout; GFLOP/s counts 4*Tq*Tk*D per head (QK^T and PV)
// options: --runs R (median of R calls after a warm-up; 5), --threads T (2), --isa portable|avx2|avx512
// (the path; default the best), --dtype f32|f16|bf16 (the weight's storage; f32), --precision fp32|bf16,
// --packed (gemm: the weight packed once, as a network's weights are; the calls time gemm_packed),
// --algo auto|direct|winograd (conv), --compare-direct (conv: the output's max difference from the
// direct convolution's, relative to max |y|).
#include <cpuid.h>
#include <immintrin.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "core/cpu.h"
#include "core/half.h"
#include "core/tensor.h"
#include "core/threads.h"
#include "ops/attention.h"
#include "ops/conv2d.h"
#include "ops/conv2d_winograd.h"
#include "ops/gemm.h"
#include "ops/testing.h"

using namespace sdn;

namespace {

double cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + 1e-6 * (u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

struct Timing {
    double median_ms, min_ms, cpu_s; // cpu_s: median CPU seconds of the process per call
};

template <class Fn>
Timing time_calls(int runs, Fn && fn) {
    fn(); // warm-up: packing buffers, page faults, thread wake-up
    std::vector<double> ms, cpu;
    for (int r = 0; r < runs; ++r) {
        const double c0 = cpu_seconds();
        const auto t0 = std::chrono::steady_clock::now();
        fn();
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        cpu.push_back(cpu_seconds() - c0);
    }
    std::sort(ms.begin(), ms.end());
    std::sort(cpu.begin(), cpu.end());
    return {ms[ms.size() / 2], ms.front(), cpu[cpu.size() / 2]};
}

// Values in [-scale, scale) from a linear congruential generator (as the TypeScript benchmarks did).
std::vector<float> values(int64_t n, uint32_t seed, float scale) {
    std::vector<float> out(static_cast<size_t>(n));
    uint32_t s = seed;
    for (auto & v : out) {
        s = s * 1664525u + 1013904223u;
        v = static_cast<float>((s / 4294967296.0 - 0.5) * 2 * scale);
    }
    return out;
}

// A weight stored as asked: f32 values, or their f16 / bf16 bits.
struct Weight {
    DType dtype;
    std::vector<float> f32;
    std::vector<uint16_t> half;
    Weight(DType d, std::vector<float> v) : dtype(d), f32(std::move(v)) {
        if (d == DType::F32) return;
        half.resize(f32.size());
        if (d == DType::F16) convert_f32_to_f16(f32.data(), half.data(), static_cast<int64_t>(f32.size()));
        else convert_f32_to_bf16(f32.data(), half.data(), static_cast<int64_t>(f32.size()));
    }
    const void * data() const { return dtype == DType::F32 ? static_cast<const void *>(f32.data()) : half.data(); }
};

// ---- Register-only peak loops -----------------------------------------------------------------------
// Assembly, so that nothing but the arithmetic runs: 12 (256-bit) or 24 (512-bit) independent
// accumulators, enough for two pipes of 4-5 cycles of latency. The program checks the CPU before it
// calls one.

#define SDN_REPEAT4(x) x x x x
__attribute__((target("avx2,fma"))) double fma256_loop(int64_t iters) {
    asm volatile(
        "vxorps %%ymm0, %%ymm0, %%ymm0\n\t"
        "1:\n\t"
        SDN_REPEAT4("vfmadd231ps %%ymm15, %%ymm14, %%ymm0\n\tvfmadd231ps %%ymm15, %%ymm14, %%ymm1\n\tvfmadd231ps %%ymm15, %%ymm14, %%ymm2\n\t")
        SDN_REPEAT4("vfmadd231ps %%ymm15, %%ymm14, %%ymm3\n\tvfmadd231ps %%ymm15, %%ymm14, %%ymm4\n\tvfmadd231ps %%ymm15, %%ymm14, %%ymm5\n\t")
        SDN_REPEAT4("vfmadd231ps %%ymm15, %%ymm14, %%ymm6\n\tvfmadd231ps %%ymm15, %%ymm14, %%ymm7\n\tvfmadd231ps %%ymm15, %%ymm14, %%ymm8\n\t")
        SDN_REPEAT4("vfmadd231ps %%ymm15, %%ymm14, %%ymm9\n\tvfmadd231ps %%ymm15, %%ymm14, %%ymm10\n\tvfmadd231ps %%ymm15, %%ymm14, %%ymm11\n\t")
        "sub $1, %0\n\tjnz 1b\n\tvzeroupper"
        : "+r"(iters)
        :
        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm14", "xmm15", "cc");
    return 0.0;
}
constexpr double kFma256Flops = 2.0 * 8 * 48; // per iteration

#define SDN_ZMM_FMA(r) "vfmadd231ps %%zmm31, %%zmm30, %%zmm" #r "\n\t"
#define SDN_ZMM_DP(r) "vdpbf16ps %%zmm31, %%zmm30, %%zmm" #r "\n\t"
#define SDN_ZMM24(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7) M(8) M(9) M(10) M(11) M(12) M(13) M(14) M(15) M(16) M(17) M(18) M(19) M(20) M(21) M(22) M(23)
#define SDN_ZMM_CLOBBERS "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", \
    "xmm14", "xmm15", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23", "xmm30", "xmm31", "cc"

__attribute__((target("avx512f"))) double fma512_loop(int64_t iters) {
    asm volatile("1:\n\t" SDN_ZMM24(SDN_ZMM_FMA) SDN_ZMM24(SDN_ZMM_FMA) "sub $1, %0\n\tjnz 1b\n\tvzeroupper" : "+r"(iters) : : SDN_ZMM_CLOBBERS);
    return 0.0;
}
constexpr double kFma512Flops = 2.0 * 16 * 48;

__attribute__((target("avx512f,avx512bf16"))) double dpbf16_loop(int64_t iters) {
    asm volatile("1:\n\t" SDN_ZMM24(SDN_ZMM_DP) SDN_ZMM24(SDN_ZMM_DP) "sub $1, %0\n\tjnz 1b\n\tvzeroupper" : "+r"(iters) : : SDN_ZMM_CLOBBERS);
    return 0.0;
}
constexpr double kDpbf16Flops = 2.0 * 32 * 48;

// The tile state for the AMX loops: every tile 16 rows of 64 bytes, the operand tiles 4-7 loaded from
// `zeros` (the rate does not depend on the values), the sums 0-3 zeroed. Needs cpu_features().amx_bf16 (the
// process holds the tile state).
__attribute__((target("amx-tile"))) void amx_tiles_ready(const void * zeros) {
    struct alignas(64) {
        uint8_t palette = 1, start_row = 0, reserved[14] = {};
        uint16_t bytes_per_row[16] = {};
        uint8_t rows[16] = {};
    } cfg;
    for (int t = 0; t < 8; ++t) cfg.rows[t] = 16, cfg.bytes_per_row[t] = 64;
    // GCC 12's _tile_loadconfig tells the compiler it reads 8 bytes only: without this barrier the
    // stores of the other fields may be dropped (a #GP on ldtilecfg).
    __asm__ __volatile__("" : : "r"(&cfg) : "memory");
    _tile_loadconfig(&cfg);
    _tile_loadd(4, zeros, 64);
    _tile_loadd(5, zeros, 64);
    _tile_loadd(6, zeros, 64);
    _tile_loadd(7, zeros, 64);
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
}
alignas(64) const uint8_t kZeroTile[16 * 64] = {};

// tdpbf16ps into four accumulator tiles (each 16 x 16 x 32 multiply-adds).
__attribute__((target("amx-tile,amx-bf16"))) double amx_bf16_loop(int64_t iters) {
    amx_tiles_ready(kZeroTile);
    for (int64_t i = 0; i < iters / 16; ++i) { // a tile product is ~16 vector products' time
        _tile_dpbf16ps(0, 4, 6);
        _tile_dpbf16ps(1, 4, 7);
        _tile_dpbf16ps(2, 5, 6);
        _tile_dpbf16ps(3, 5, 7);
    }
    _tile_release();
    return 0.0;
}
constexpr double kAmxBf16Flops = 4.0 * 2 * 16 * 16 * 32 / 16; // per iteration of `iters`

// The int8 products that int8 weights would use (issue 17 asks whether they pay): vpdpbusd (AVX512_VNNI: 64 u8 x
// s8 multiply-adds per instruction, summed in fours into 32-bit lanes) and AMX's tdpbssd (16 x 16 x 64 s8 x s8).
// Counted as 2 operations per multiply-add, like the FLOPs beside them (GOP/s).
#define SDN_ZMM_VNNI(r) "vpdpbusd %%zmm31, %%zmm30, %%zmm" #r "\n\t"
__attribute__((target("avx512f,avx512vnni"))) double vnni_loop(int64_t iters) {
    asm volatile("1:\n\t" SDN_ZMM24(SDN_ZMM_VNNI) SDN_ZMM24(SDN_ZMM_VNNI) "sub $1, %0\n\tjnz 1b\n\tvzeroupper" : "+r"(iters) : : SDN_ZMM_CLOBBERS);
    return 0.0;
}
constexpr double kVnniOps = 2.0 * 64 * 48;

__attribute__((target("amx-tile,amx-int8"))) double amx_int8_loop(int64_t iters) {
    amx_tiles_ready(kZeroTile);
    for (int64_t i = 0; i < iters / 16; ++i) {
        _tile_dpbssd(0, 4, 6);
        _tile_dpbssd(1, 4, 7);
        _tile_dpbssd(2, 5, 6);
        _tile_dpbssd(3, 5, 7);
    }
    _tile_release();
    return 0.0;
}
constexpr double kAmxInt8Ops = 4.0 * 2 * 16 * 16 * 64 / 16;

// AMX-INT8 (CPUID.7.0:EDX[25]); the tile state itself is what cpu_features().amx_bf16 found granted.
bool cpu_amx_int8() {
    unsigned a, b, c, d;
    return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (d & (1u << 25)) != 0;
}

// GFLOP/s of `loop` (flops_per_iter per iteration) run by `threads` threads at once (each its own
// register loop, ~0.2 s), best of 3.
double peak_of(double (*loop)(int64_t), double flops_per_iter, int threads) {
    constexpr int64_t kIters = 2'000'000;
    double best = 0;
    for (int trial = 0; trial < 3; ++trial) {
        std::vector<std::thread> pool;
        const auto t0 = std::chrono::steady_clock::now();
        for (int t = 0; t < threads; ++t) pool.emplace_back([&] { loop(kIters); });
        for (auto & th : pool) th.join();
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        best = std::max(best, flops_per_iter * kIters * threads / s / 1e9);
    }
    return best;
}

// ---- Options ------------------------------------------------------------------------------------

struct Options {
    int runs = 5, threads = 2;
    Isa isa = cpu_isa_supported();
    DType dtype = DType::F32;
    Precision precision = Precision::F32;
    ConvAlgoMode algo = ConvAlgoMode::Auto;
    bool compare_direct = false;
    bool packed = false; // gemm: the weight packed once (gemm_pack_b), the calls timed through gemm_packed
    std::vector<std::string> specs;
};

[[noreturn]] void usage(const char * why) {
    std::fprintf(stderr, "sdn_ops_bench: %s\nusage: sdn_ops_bench clock | peak [--threads N] | gemm [options] MxKxN... | "
                         "conv [options] B,Cin,Cout,H,W,k,stride,pad[,up]... | attention [options] B,H,Tq,Tk,D...\n", why);
    std::exit(2);
}

Options parse(int argc, char ** argv, int first) {
    Options o;
    for (int i = first; i < argc; ++i) {
        const std::string a = argv[i];
        const auto next = [&]() -> std::string {
            if (i + 1 >= argc) usage(("missing value after " + a).c_str());
            return argv[++i];
        };
        if (a == "--runs") o.runs = std::max(1, std::atoi(next().c_str()));
        else if (a == "--threads") o.threads = std::max(1, std::atoi(next().c_str()));
        else if (a == "--isa") {
            if (!isa_parse(next().c_str(), &o.isa)) usage("--isa takes portable, avx2 or avx512");
        } else if (a == "--dtype") {
            const std::string d = next();
            o.dtype = d == "f16" ? DType::F16 : d == "bf16" ? DType::BF16 : d == "f32" ? DType::F32 : (usage("--dtype takes f32, f16 or bf16"), DType::F32);
        } else if (a == "--precision") {
            const std::string p = next();
            o.precision = p == "bf16" ? Precision::BF16 : p == "fp32" ? Precision::F32 : (usage("--precision takes fp32 or bf16"), Precision::F32);
        } else if (a == "--algo") {
            const std::string m = next();
            o.algo = m == "direct" ? ConvAlgoMode::Direct : m == "winograd" ? ConvAlgoMode::Winograd : ConvAlgoMode::Auto;
        } else if (a == "--compare-direct") o.compare_direct = true;
        else if (a == "--packed") o.packed = true;
        else if (a.rfind("--", 0) == 0) usage(("unknown option " + a).c_str());
        else o.specs.push_back(a);
    }
    if (o.isa > cpu_isa_supported()) usage("this CPU does not have that path");
    return o;
}

std::vector<int64_t> numbers(const std::string & spec, char sep) {
    std::vector<int64_t> out;
    size_t at = 0;
    while (at <= spec.size()) {
        const size_t end = spec.find(sep, at);
        out.push_back(std::atoll(spec.substr(at, end == std::string::npos ? std::string::npos : end - at).c_str()));
        if (end == std::string::npos) break;
        at = end + 1;
    }
    return out;
}

// The first 64-byte boundary in a buffer allocated 64 bytes larger.
void * aligned64(char * p) { return reinterpret_cast<void *>((reinterpret_cast<uintptr_t>(p) + 63) & ~uintptr_t(63)); }

const char * dtype_text(DType d) { return d == DType::F16 ? "f16" : d == DType::BF16 ? "bf16" : "f32"; }

void print_common(const Options & o) {
    std::printf("\"isa\": \"%s\", \"threads\": %d, \"dtype\": \"%s\", \"precision\": \"%s\"", isa_name(cpu_isa()), o.threads, dtype_text(o.dtype),
                precision_name(o.precision));
}

int run_gemm(const Options & o) {
    for (const std::string & spec : o.specs) {
        const auto mkn = numbers(spec, 'x');
        if (mkn.size() != 3) usage(("a gemm shape is MxKxN, got " + spec).c_str());
        const int64_t M = mkn[0], K = mkn[1], N = mkn[2];
        const auto a = values(M * K, 1, 0.1f), bias = values(N, 3, 0.1f);
        const Weight w(o.dtype, values(N * K, 2, 0.1f));
        std::vector<float> c(M * N);
        const MatB B{w.data(), o.dtype, true, K};
        std::vector<char> packed;
        if (o.packed) {
            packed.resize(static_cast<size_t>(gemm_packed_b_bytes(N, K, o.precision, o.dtype)) + 64);
            gemm_pack_b(B, N, K, o.precision, aligned64(packed.data()));
        }
        const Timing t = time_calls(o.runs, [&] {
            if (o.packed) gemm_packed(M, N, K, a.data(), K, aligned64(packed.data()), o.dtype, c.data(), N, bias.data(), false, o.precision);
            else gemm(M, N, K, a.data(), K, B, c.data(), N, bias.data(), false, o.precision);
        });
        std::printf("{\"op\": \"gemm\", \"M\": %lld, \"K\": %lld, \"N\": %lld, ", static_cast<long long>(M), static_cast<long long>(K), static_cast<long long>(N));
        print_common(o);
        std::printf(", \"kernels\": \"%s\", \"packed\": %s", gemm_detail::kernels(o.precision).name, o.packed ? "true" : "false");
        std::printf(", \"gflop\": %.4f, \"median_ms\": %.4f, \"min_ms\": %.4f, \"cpu_s\": %.5f}\n", 2.0 * M * N * K / 1e9, t.median_ms, t.min_ms, t.cpu_s);
        std::fflush(stdout);
    }
    return 0;
}

int run_conv(const Options & o) {
    for (const std::string & spec : o.specs) {
        const auto v = numbers(spec, ',');
        if (v.size() != 8 && v.size() != 9) usage(("a conv is B,Cin,Cout,H,W,k,stride,pad[,up], got " + spec).c_str());
        const int64_t up = v.size() == 9 ? v[8] : 1;
        const Conv2dShape s{v[0], v[1], v[3] * up, v[4] * up, v[2], v[5], v[5], v[6], v[7], up, o.precision};
        const auto x = values(s.B * s.Cin * v[3] * v[4], 1, 1.0f), bias = values(s.Cout, 3, 0.1f);
        const Weight w(o.dtype, values(s.Cout * s.Cin * s.KH * s.KW, 2, 0.03f));
        const Tensor wt = Tensor::view(const_cast<void *>(w.data()), {s.Cout, s.Cin, s.KH, s.KW}, o.dtype, nullptr, Storage::External);
        std::vector<float> y(s.B * s.Cout * s.out_h() * s.out_w());
        testing::ConvAlgoScope scope(o.algo);
        const Timing t = time_calls(o.runs, [&] { conv2d(s, x.data(), wt, bias.data(), nullptr, y.data()); });
        double diff = -1;
        if (o.compare_direct) {
            std::vector<float> direct(y.size());
            testing::ConvAlgoScope d(ConvAlgoMode::Direct);
            conv2d(s, x.data(), wt, bias.data(), nullptr, direct.data());
            double m = 0, dm = 0;
            for (size_t i = 0; i < y.size(); ++i) {
                dm = std::max(dm, static_cast<double>(std::fabs(y[i] - direct[i])));
                m = std::max(m, static_cast<double>(std::fabs(direct[i])));
            }
            diff = dm / m;
        }
        std::printf("{\"op\": \"conv\", \"spec\": \"%s\", \"algo\": \"%s\", ", spec.c_str(), conv2d_algo(s) == ConvAlgo::Winograd ? "winograd" : "direct");
        print_common(o);
        std::printf(", \"gflop\": %.4f, \"median_ms\": %.4f, \"min_ms\": %.4f, \"cpu_s\": %.5f, \"workspace_bytes\": %lld, \"rel_diff_vs_direct\": %.3g}\n",
                    2.0 * s.B * s.Cout * s.out_h() * s.out_w() * s.Cin * s.KH * s.KW / 1e9, t.median_ms, t.min_ms, t.cpu_s,
                    static_cast<long long>(conv2d_workspace_bytes(s)), diff);
        std::fflush(stdout);
    }
    return 0;
}

// Flash attention (the mode the UNet runs) on the UNet's layout: q, k, v, out as [B, T, H*D], so K and V
// rows are read at a stride of H*D floats, as in a model. Values of roughly unit size (the scores'
// spread then matches trained models' only loosely; the time does not depend on it).
int run_attention(const Options & o) {
    for (const std::string & spec : o.specs) {
        const auto v = numbers(spec, ',');
        if (v.size() != 5) usage(("an attention shape is B,H,Tq,Tk,D, got " + spec).c_str());
        const AttentionShape s{v[0], v[1], v[2], v[3], v[4], 1.0f / std::sqrt(static_cast<float>(v[4])), o.precision == Precision::BF16};
        auto q = values(s.B * s.Tq * s.H * s.D, 1, 1.0f), k = values(s.B * s.Tk * s.H * s.D, 2, 1.0f), vv = values(s.B * s.Tk * s.H * s.D, 3, 1.0f);
        std::vector<float> out(q.size());
        const auto op = [&](std::vector<float> & d, int64_t T) { return attention_operand(d.data(), s, T, AttentionLayout::BTHD); };
        const Timing t = time_calls(o.runs, [&] { attention(AttentionMode::Flash, s, op(q, s.Tq), op(k, s.Tk), op(vv, s.Tk), op(out, s.Tq)); });
        const double gflop = 4.0 * s.B * s.H * s.Tq * s.Tk * s.D / 1e9;
        std::printf("{\"op\": \"attention\", \"spec\": \"%s\", ", spec.c_str());
        print_common(o);
        std::printf(", \"gflop\": %.4f, \"median_ms\": %.4f, \"min_ms\": %.4f, \"gflops_best\": %.1f, \"cpu_s\": %.5f}\n", gflop, t.median_ms, t.min_ms,
                    gflop / t.min_ms * 1e3, t.cpu_s);
        std::fflush(stdout);
    }
    return 0;
}

} // namespace

static int run(int argc, char ** argv);

// The micro-kernel of the current path and precision alone: one B panel against `panels` A panels of kc
// steps (already packed; values do not matter), swept 200 times per round, C tiles of its own. What the
// GEMM driver, packing and memory cost on top of it is the difference from a whole gemm.
static int run_kernel(const Options & o) {
    const gemm_detail::Kernels & kern = gemm_detail::kernels(o.precision);
    for (int64_t kc : {128, 256, 512})
        for (int64_t panels : {1, 20}) {
            std::vector<char> a(static_cast<size_t>(panels * kern.panel_bytes(kern.MR, kc)), 0), b(static_cast<size_t>(kern.panel_bytes(kern.NR, kc)), 0);
            std::vector<float> c(static_cast<size_t>(panels * kern.MR * kern.NR), 0.0f);
            gemm_detail::Tile t;
            t.m = static_cast<int>(kern.MR), t.n = static_cast<int>(kern.NR), t.first = true, t.accumulate = false;
            double best = 0.0;
            for (int round = 0; round < 200; ++round) {
                const auto t0 = std::chrono::steady_clock::now();
                for (int it = 0; it < 200; ++it)
                    for (int64_t p = 0; p < panels; ++p)
                        kern.kernel(kern.kc_padded(kc), a.data() + p * kern.panel_bytes(kern.MR, kc), b.data(), c.data() + p * kern.MR * kern.NR, kern.NR, t);
                const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
                best = std::max(best, 2.0 * kern.MR * kern.NR * kc * 200 * panels / s / 1e9);
            }
            std::printf("{\"op\": \"kernel\", \"kernels\": \"%s\", \"kc\": %ld, \"a_panels\": %ld, \"gflops\": %.1f}\n", kern.name, static_cast<long>(kc),
                        static_cast<long>(panels), best);
        }
    return 0;
}

int main(int argc, char ** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception & e) {
        std::fprintf(stderr, "sdn_ops_bench: %s\n", e.what());
        return 1;
    }
}

static int run(int argc, char ** argv) {
    if (argc < 2) usage("no command");
    const std::string cmd = argv[1];
    if (cmd == "clock") {
        std::printf("{\"clock_ghz\": %.3f}\n", cpu_clock_ghz_measure());
        return 0;
    }
    const Options o = parse(argc, argv, 2);
    threads_set(o.threads);
    testing::isa_cap_set(o.isa);
    if (cmd == "peak") {
        const CpuFeatures & f = cpu_features();
        if (f.avx2_fma) std::printf("{\"loop\": \"fma256\", \"threads\": %d, \"gflops\": %.1f}\n", o.threads, peak_of(fma256_loop, kFma256Flops, o.threads));
        if (f.avx512) std::printf("{\"loop\": \"fma512\", \"threads\": %d, \"gflops\": %.1f}\n", o.threads, peak_of(fma512_loop, kFma512Flops, o.threads));
        if (f.avx512_bf16) std::printf("{\"loop\": \"dpbf16\", \"threads\": %d, \"gflops\": %.1f}\n", o.threads, peak_of(dpbf16_loop, kDpbf16Flops, o.threads));
        if (f.amx_bf16) std::printf("{\"loop\": \"amx_bf16\", \"threads\": %d, \"gflops\": %.1f}\n", o.threads, peak_of(amx_bf16_loop, kAmxBf16Flops, o.threads));
        if (f.avx512_vnni) std::printf("{\"loop\": \"vnni_int8\", \"threads\": %d, \"gops\": %.1f}\n", o.threads, peak_of(vnni_loop, kVnniOps, o.threads));
        if (f.amx_bf16 && cpu_amx_int8())
            std::printf("{\"loop\": \"amx_int8\", \"threads\": %d, \"gops\": %.1f}\n", o.threads, peak_of(amx_int8_loop, kAmxInt8Ops, o.threads));
        return 0;
    }
    if (o.precision == Precision::BF16) precision_check(o.precision, "sdn_ops_bench");
    if (cmd == "kernel") return run_kernel(o);
    if (cmd == "gemm") return run_gemm(o);
    if (cmd == "conv") return run_conv(o);
    if (cmd == "attention") return run_attention(o);
    usage(("unknown command " + cmd).c_str());
}
