// cpu.h — run-time CPU feature detection and the instruction-set path the kernels take.
//
// Kernels are compiled for a portable baseline and, in ops/arch/x86/, for AVX2+FMA+F16C and for
// AVX-512 (F, BW, VL, DQ; BF16 where the CPU has it); one dispatch function per op family picks a
// path by cpu_isa(). The path is the best one the CPU (and the OS, which must save the wider
// registers) supports, capped by LATENTFLOW_ISA=portable|avx2|avx512 in the environment (read once;
// a production knob, e.g. to compare paths or to pin one across a fleet of mixed machines).
#pragma once

namespace sdn {

// Ordered: each path needs everything the ones before it need.
enum class Isa { Portable = 0, Avx2 = 1, Avx512 = 2 };

struct CpuFeatures {
    bool avx2_fma = false;    // AVX2 and FMA3 (and the OS saves YMM state)
    bool f16c = false;
    bool avx512 = false;      // AVX-512 F, BW, VL, DQ (and the OS saves ZMM and mask state)
    bool avx512_bf16 = false; // AVX512_BF16: vdpbf16ps, vcvtne2ps2bf16
    bool avx512_vnni = false; // AVX512_VNNI: vpdpbusd
    bool amx_bf16 = false;    // AMX-TILE and AMX-BF16 (tdpbf16ps), the OS saving tile state and granting
                              // this process the tile data (arch_prctl ARCH_REQ_XCOMP_PERM, asked once)
};

// What the hardware has, detected once (never capped).
const CpuFeatures & cpu_features();

// The best path the hardware supports.
Isa cpu_isa_supported();
// The path the kernels take: cpu_isa_supported() capped by LATENTFLOW_ISA (and, in tests, by
// testing::isa_cap_set, see ops/testing.h).
Isa cpu_isa();
// Whether bf16 compute (vdpbf16ps) is available on the current path.
bool cpu_bf16();
// Whether bf16 products take AMX tiles (tdpbf16ps: 16 x 16 x 32 per instruction) instead of
// vdpbf16ps: cpu_bf16() on a CPU with AMX-BF16, unless LATENTFLOW_AMX=0 (read once; for side-by-side
// comparisons) or testing::amx_set turned it off.
bool cpu_amx();

const char * isa_name(Isa isa); // "portable" | "avx2" | "avx512"
// Parses a path name; false (and `out` untouched) for anything else.
bool isa_parse(const char * name, Isa * out);

} // namespace sdn
