#include "cpu.h"

#include <cstdlib>
#include <cstring>

#include "sdn.h"

namespace sdn {

static CpuFeatures detect() {
    CpuFeatures f;
    const char * force = std::getenv("LATENTFLOW_FORCE_PORTABLE");
    if (force && std::strcmp(force, "1") == 0) return f;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    f.avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    f.f16c = f.avx2_fma && __builtin_cpu_supports("f16c");
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
