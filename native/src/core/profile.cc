#include "profile.h"

#include "arena.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <atomic>
#include <string>
#include <mutex>

namespace sdn {

namespace {
std::atomic<int> g_forced{0};
std::mutex g_last_mutex;
ProfileReport g_last;

bool env_enabled() {
    static const bool on = [] {
        const char * v = std::getenv("LATENTFLOW_PROFILE");
        return v && *v && std::strcmp(v, "0") != 0;
    }();
    return on;
}
} // namespace

namespace profile_detail {
thread_local ProfileTotals * current = nullptr;
}

const char * prof_op_name(ProfOp op) {
    switch (op) {
        case ProfOp::Conv3x3: return "conv3x3";
        case ProfOp::Conv1x1: return "conv1x1";
        case ProfOp::ConvOther: return "conv other";
        case ProfOp::Linear: return "linear";
        case ProfOp::Attention: return "attention";
        case ProfOp::GroupNorm: return "group norm";
        case ProfOp::LayerNorm: return "layer norm";
        case ProfOp::Activation: return "activation";
        case ProfOp::Elementwise: return "elementwise";
        case ProfOp::Resample: return "resample/concat";
        case ProfOp::Transpose: return "transpose";
        case ProfOp::Count: break;
    }
    return "?";
}

bool profile_enabled() { return g_forced.load(std::memory_order_relaxed) != 0 || env_enabled(); }
void profile_force(bool on) { g_forced.store(on ? 1 : 0); }

ProfileRun::ProfileRun(const char * name) : name_(name) {
    if (profile_detail::current || !profile_enabled() || arena_measuring()) return; // a measure pass runs no kernel
    owner_ = true;
    profile_detail::current = &totals_;
    cpu0_ = profile_detail::process_cpu_seconds();
    t0_ = std::chrono::steady_clock::now();
}

ProfileRun::~ProfileRun() {
    if (!owner_) return;
    profile_detail::current = nullptr;
    const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    const double total_cpu = profile_detail::process_cpu_seconds() - cpu0_;
    {
        std::lock_guard<std::mutex> lock(g_last_mutex);
        g_last.name = name_;
        g_last.total_seconds = total;
        g_last.total_cpu_seconds = total_cpu;
        g_last.totals = totals_;
    }
    if (!env_enabled()) return; // forced by a test: keep the totals, print nothing
    // One fprintf per line; the whole table is built first so lines of concurrent runs do not mix.
    std::string out;
    char line[192];
    std::snprintf(line, sizeof line, "[latentflow profile] %s: %.3f s\n  %-16s %7s %10s %6s %9s %9s %6s\n", name_, total, "op family",
                  "calls", "ms", "share", "GFLOP", "GFLOP/s", "cores");
    out += line;
    double timed = 0.0, flops = 0.0;
    for (int i = 0; i < static_cast<int>(ProfOp::Count); ++i) {
        if (totals_.calls[i] == 0) continue;
        const double s = totals_.seconds[i], f = totals_.flops[i];
        timed += s;
        flops += f;
        char rate[16] = "-";
        if (f > 0 && s > 0) std::snprintf(rate, sizeof rate, "%.1f", f / s / 1e9);
        std::snprintf(line, sizeof line, "  %-16s %7lld %10.1f %5.1f%% %9.2f %9s %6.2f\n", prof_op_name(static_cast<ProfOp>(i)),
                      static_cast<long long>(totals_.calls[i]), s * 1e3, total > 0 ? 100.0 * s / total : 0.0, f / 1e9, rate,
                      s > 0 ? totals_.cpu_seconds[i] / s : 0.0);
        out += line;
    }
    std::snprintf(line, sizeof line, "  %-16s %7s %10.1f %5.1f%%\n", "untimed rest", "", (total - timed) * 1e3,
                  total > 0 ? 100.0 * (total - timed) / total : 0.0);
    out += line;
    std::snprintf(line, sizeof line, "  %-16s %7s %10.1f %5.1f%% %9.2f %9.1f %6.2f\n", "total", "", total * 1e3, 100.0, flops / 1e9,
                  total > 0 ? flops / total / 1e9 : 0.0, total > 0 ? total_cpu / total : 0.0);
    out += line;
    std::fputs(out.c_str(), stderr);
    std::fflush(stderr);
}

ProfileReport profile_last() {
    std::lock_guard<std::mutex> lock(g_last_mutex);
    return g_last;
}

} // namespace sdn
