#include "cpu.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#if defined(__linux__) && defined(__x86_64__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "../ops/testing.h"
#include "sdn.h"

namespace sdn {

#if defined(__x86_64__) || defined(__i386__)
// XCR0: which register states the OS saves on a context switch (XGETBV with ECX = 0).
static unsigned long long xcr0() {
    unsigned eax = 0, edx = 0;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return (static_cast<unsigned long long>(edx) << 32) | eax;
}
// Linux hands out the AMX tile data state (8 KiB per thread) only to processes that ask for it.
static bool amx_permitted() {
#if defined(__linux__) && defined(__x86_64__)
    constexpr long kArchReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
    return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
#else
    return false;
#endif
}
#endif

static CpuFeatures detect() {
    CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return f;
    const bool osxsave = (ecx & bit_OSXSAVE) != 0, fma = (ecx & bit_FMA) != 0, f16c = (ecx & bit_F16C) != 0;
    if (!osxsave) return f;
    const unsigned long long xcr = xcr0();
    const bool os_ymm = (xcr & 0x6) == 0x6;      // SSE and AVX state
    const bool os_zmm = (xcr & 0xE6) == 0xE6;    // + opmask, ZMM0-15 upper halves, ZMM16-31
    unsigned b7 = 0, c7 = 0, d7 = 0, a7 = 0;
    __get_cpuid_count(7, 0, &a7, &b7, &c7, &d7);
    const bool avx2 = (b7 & bit_AVX2) != 0;
    f.avx2_fma = os_ymm && avx2 && fma;
    f.f16c = f.avx2_fma && f16c;
    // AVX-512 F (EBX 16), DQ (17), BW (30), VL (31).
    const unsigned need = (1u << 16) | (1u << 17) | (1u << 30) | (1u << 31);
    f.avx512 = f.f16c && os_zmm && (b7 & need) == need;
    f.avx512_vnni = f.avx512 && (c7 & (1u << 11)) != 0;
    unsigned a71 = 0, b71 = 0, c71 = 0, d71 = 0;
    __get_cpuid_count(7, 1, &a71, &b71, &c71, &d71);
    f.avx512_bf16 = f.avx512 && (a71 & (1u << 5)) != 0;
    // AMX-BF16 (EDX 22), AMX-TILE (EDX 24); XCR0 bits 17-18: the OS saves tile config and data.
    const bool amx_cpu = (d7 & (1u << 22)) != 0 && (d7 & (1u << 24)) != 0 && (xcr & 0x60000) == 0x60000;
    f.amx_bf16 = f.avx512_bf16 && amx_cpu && amx_permitted();
#endif
    return f;
}

const CpuFeatures & cpu_features() {
    static const CpuFeatures features = detect();
    return features;
}

Isa cpu_isa_supported() {
    const CpuFeatures & f = cpu_features();
    return f.avx512 ? Isa::Avx512 : f.avx2_fma && f.f16c ? Isa::Avx2 : Isa::Portable;
}

namespace {

Isa cap_from_env() {
    Isa cap = Isa::Avx512;
    const char * env = std::getenv("LATENTFLOW_ISA");
    if (env && *env) isa_parse(env, &cap); // an unknown name caps nothing
    return cap;
}

std::atomic<int> & cap_store() {
    static std::atomic<int> cap{static_cast<int>(cap_from_env())};
    return cap;
}

} // namespace

Isa testing::isa_cap_set(Isa cap) { return static_cast<Isa>(cap_store().exchange(static_cast<int>(cap))); }

Isa cpu_isa() {
    const int cap = cap_store().load(std::memory_order_relaxed);
    const int supported = static_cast<int>(cpu_isa_supported());
    return static_cast<Isa>(cap < supported ? cap : supported);
}

bool cpu_bf16() { return cpu_isa() == Isa::Avx512 && cpu_features().avx512_bf16; }

namespace {

std::atomic<bool> & amx_store() {
    static std::atomic<bool> allowed{[] {
        const char * env = std::getenv("LATENTFLOW_AMX");
        return !(env && std::strcmp(env, "0") == 0);
    }()};
    return allowed;
}

} // namespace

bool testing::amx_set(bool allowed) { return amx_store().exchange(allowed); }

bool cpu_amx() { return cpu_bf16() && cpu_features().amx_bf16 && amx_store().load(std::memory_order_relaxed); }

const char * isa_name(Isa isa) {
    switch (isa) {
        case Isa::Portable: return "portable";
        case Isa::Avx2: return "avx2";
        case Isa::Avx512: return "avx512";
    }
    return "?";
}

bool isa_parse(const char * name, Isa * out) {
    for (Isa isa : {Isa::Portable, Isa::Avx2, Isa::Avx512})
        if (std::strcmp(name, isa_name(isa)) == 0) {
            *out = isa;
            return true;
        }
    return false;
}

} // namespace sdn

extern "C" int sdn_cpu_has_avx2_fma(void) { return sdn::cpu_features().avx2_fma ? 1 : 0; }
extern "C" int sdn_cpu_has_f16c(void) { return sdn::cpu_features().f16c ? 1 : 0; }
extern "C" int sdn_cpu_has_avx512(void) { return sdn::cpu_features().avx512 ? 1 : 0; }
extern "C" int sdn_cpu_has_avx512_bf16(void) { return sdn::cpu_features().avx512_bf16 ? 1 : 0; }
extern "C" int sdn_cpu_has_avx512_vnni(void) { return sdn::cpu_features().avx512_vnni ? 1 : 0; }
extern "C" const char * sdn_cpu_isa(void) { return sdn::isa_name(sdn::cpu_isa()); }
extern "C" int sdn_cpu_bf16(void) { return sdn::cpu_bf16() ? 1 : 0; }
extern "C" int sdn_cpu_has_amx_bf16(void) { return sdn::cpu_features().amx_bf16 ? 1 : 0; }
extern "C" int sdn_cpu_amx(void) { return sdn::cpu_amx() ? 1 : 0; }
