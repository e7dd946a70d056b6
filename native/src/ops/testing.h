// testing.h — the engine's test interface: process-wide switches that only tests and benchmarks
// flip (the op test program test/native/ops/ops_test.cc, the C++ benchmarks under bench/native/).
// Production code never calls these, and the addon does not export them; the production knobs are
// environment variables read once (LATENTFLOW_ISA, see core/cpu.h; LATENTFLOW_CONV, see
// conv2d_winograd.h; LATENTFLOW_THREADS, see core/threads.h).
//
// Each setter returns the previous value, so a test can restore it; the scopes below do that.
#pragma once

#include <cstdint>

#include "../core/cpu.h"
#include "conv2d_winograd.h"

namespace sdn::testing {

// Caps the instruction-set path every op family dispatches on (never above what the CPU has).
Isa isa_cap_set(Isa cap);

// Lets bf16 products take AMX tiles (where the CPU has them: core/cpu.h's cpu_amx) or not.
bool amx_set(bool allowed);

// Caps the bytes of one pre-packed GEMM operand (default 16 MiB); a small cap makes gemm() and
// conv2d() walk K in several slices.
int64_t packed_cap_set(int64_t bytes);

// Caps (in bytes) of Winograd's transformed-weight, transformed-input and product blocks (defaults
// 24, 8 and 4 MiB); small caps make conv2d_winograd walk several output-channel blocks and tile chunks.
struct WinogradCaps {
    int64_t u_bytes, v_bytes, m_bytes;
};
WinogradCaps winograd_caps_set(const WinogradCaps & caps);

// Overrides the direct-or-Winograd choice of conv2d_algo() (LATENTFLOW_CONV's initial value).
ConvAlgoMode conv_algo_set(ConvAlgoMode mode);

// Sets a switch for the scope's life and restores the previous value after it.
template <class T, T (*Set)(T)>
struct SwitchScope {
    explicit SwitchScope(T value) : previous(Set(value)) {}
    ~SwitchScope() { Set(previous); }
    SwitchScope(const SwitchScope &) = delete;
    SwitchScope & operator=(const SwitchScope &) = delete;
    T previous;
};

using IsaScope = SwitchScope<Isa, isa_cap_set>;
using AmxScope = SwitchScope<bool, amx_set>;
using ConvAlgoScope = SwitchScope<ConvAlgoMode, conv_algo_set>;

} // namespace sdn::testing
