// profile.h — an op-level profile of one network call, for finding where the time goes.
//
// With LATENTFLOW_PROFILE=1 in the environment (read once), every UNet / CLIP / VAE forward prints to
// stderr, when it returns, a table of time, calls, GFLOP and GFLOP/s per op family. Unset, a scope
// costs one branch on a thread-local pointer (nothing is timed, nothing allocated).
//
//   ProfileRun run("UNet forward");              // outermost per call; nested runs are ignored
//   { ProfileScope p(ProfOp::Linear, 2.0 * M * N * K); gemm(...); }
//
// FLOPs are counted as bench/baseline/torch_sd15.py counts them: 2 x multiply-adds for convolutions,
// linears and the two attention matmuls (4 B H Tq Tk D); 0 for everything else. Scopes are timed on
// the calling thread, so scopes must not nest (they are placed at the model layers, one per op call).
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>

namespace sdn {

enum class ProfOp : int {
    Conv3x3,
    Conv1x1,
    ConvOther,
    Linear,
    Attention,
    GroupNorm,
    LayerNorm,
    Activation,
    Elementwise, // adds, per-channel adds, scaling
    Resample,    // up-sampling, padding, channel concatenation
    Transpose,   // channels-first <-> tokens
    Count
};

const char * prof_op_name(ProfOp op);

// Totals of one network call.
struct ProfileTotals {
    double seconds[static_cast<int>(ProfOp::Count)] = {};
    double cpu_seconds[static_cast<int>(ProfOp::Count)] = {}; // process CPU time (all threads): cpu / seconds = cores busy
    double flops[static_cast<int>(ProfOp::Count)] = {};
    int64_t calls[static_cast<int>(ProfOp::Count)] = {};
};

bool profile_enabled(); // LATENTFLOW_PROFILE=1 (read once) or profile_force(true)
void profile_force(bool on); // test hook

namespace profile_detail {
extern thread_local ProfileTotals * current; // non-null while a ProfileRun is open on this thread
inline double process_cpu_seconds() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}
}

class ProfileScope {
public:
    ProfileScope(ProfOp op, double flops = 0.0) {
        if (profile_detail::current) {
            totals_ = profile_detail::current;
            op_ = op;
            flops_ = flops;
            cpu0_ = profile_detail::process_cpu_seconds();
            t0_ = std::chrono::steady_clock::now();
        }
    }
    ~ProfileScope() {
        if (totals_) {
            const int i = static_cast<int>(op_);
            totals_->seconds[i] += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
            totals_->cpu_seconds[i] += profile_detail::process_cpu_seconds() - cpu0_;
            totals_->flops[i] += flops_;
            totals_->calls[i] += 1;
        }
    }
    ProfileScope(const ProfileScope &) = delete;
    ProfileScope & operator=(const ProfileScope &) = delete;

private:
    ProfileTotals * totals_ = nullptr;
    ProfOp op_ = ProfOp::Count;
    double flops_ = 0.0;
    double cpu0_ = 0.0;
    std::chrono::steady_clock::time_point t0_;
};

// Opens a profile for one network call on this thread (when enabled and none is open) and prints it
// to stderr when it closes; the last printed totals stay readable through profile_last().
class ProfileRun {
public:
    explicit ProfileRun(const char * name);
    ~ProfileRun();
    ProfileRun(const ProfileRun &) = delete;
    ProfileRun & operator=(const ProfileRun &) = delete;

private:
    const char * name_;
    bool owner_ = false;
    ProfileTotals totals_;
    double cpu0_ = 0.0;
    std::chrono::steady_clock::time_point t0_;
};

// The table ProfileRun prints, as text (one line per op family with calls, then the rest and the total).
struct ProfileReport {
    const char * name = "";
    double total_seconds = 0.0;
    double total_cpu_seconds = 0.0;
    ProfileTotals totals;
};
ProfileReport profile_last(); // the last closed run on any thread (for tests and the bench)

} // namespace sdn
