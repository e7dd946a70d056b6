// cpu.h — run-time CPU feature detection. Kernels are compiled for a portable baseline and, in
// ops/arch/x86/, for AVX2+FMA+F16C; one dispatch function per op family picks by these flags.
#pragma once

namespace sdn {

struct CpuFeatures {
    bool avx2_fma = false; // AVX2 and FMA3 (and the OS saves YMM state)
    bool f16c = false;
};

// Detected once; LATENTFLOW_FORCE_PORTABLE=1 in the environment reports no features, so the
// portable paths can be tested on any machine.
const CpuFeatures & cpu_features();

} // namespace sdn
