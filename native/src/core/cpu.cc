#include "cpu.h"

#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "sdn.h"

namespace sdn {

static CpuFeatures detect() {
    CpuFeatures f;
    const char * force = std::getenv("LATENTFLOW_FORCE_PORTABLE");
    if (force && std::strcmp(force, "1") == 0) return f;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    f.avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    // F16C from CPUID leaf 1, ECX bit 29: clang (14) does not know __builtin_cpu_supports("f16c").
    // The OS saving AVX state is already implied by avx2_fma above.
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    f.f16c = f.avx2_fma && __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_F16C) != 0;
#endif
    return f;
}

const CpuFeatures & cpu_features() {
    static const CpuFeatures features = detect();
    return features;
}

} // namespace sdn

extern "C" int sdn_cpu_has_avx2_fma(void) { return sdn::cpu_features().avx2_fma ? 1 : 0; }
extern "C" int sdn_cpu_has_f16c(void) { return sdn::cpu_features().f16c ? 1 : 0; }
