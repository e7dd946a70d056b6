#include "threads.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "sdn.h"

namespace sdn {

namespace {

// How long a worker keeps polling for the next region after finishing one, and the caller for the
// workers' last tasks, before sleeping on a condition variable. Waking a sleeping thread costs a
// futex call and, on a VM, an inter-processor interrupt to an idle vCPU: 6-90 us per empty region
// measured on the 2-vCPU development VM, against < 1 us when the thread is still polling. A network
// call runs regions back to back (GEMMs, norms, activations, a few hundred per UNet forward), so a
// short poll keeps the workers awake through a call and costs nothing measurable when idle. Polling
// yields the core every few iterations (other processes share it).
constexpr auto kSpin = std::chrono::microseconds(200);

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#else
    std::this_thread::yield();
#endif
}

// Polls `done()` for up to kSpin; true when it became true.
template <class Done>
bool spin_until(Done done) {
    if (done()) return true;
    const auto deadline = std::chrono::steady_clock::now() + kSpin;
    for (int i = 1;; ++i) {
        for (int j = 0; j < 16; ++j) {
            cpu_relax();
            if (done()) return true;
        }
        if (std::chrono::steady_clock::now() > deadline) return false;
        if (i % 8 == 0) std::this_thread::yield();
    }
}

// A fixed pool of workers that all run the same job: "take task indices from a shared counter until
// none are left". The caller participates as thread 0.
class Pool {
public:
    ~Pool() { resize(0); }

    // Read without the region lock: a JS-thread caller must never wait for another thread's region.
    int size() const { return n_threads_.load(); }

    void set_size(int n) {
        std::lock_guard<std::mutex> lock(region_mutex_);
        resize(n - 1);
        n_threads_.store(n);
    }

    // A task that throws stops the hand-out of further tasks; every thread finishes what it is running,
    // then the first exception is rethrown on the calling thread (never on a pool thread, where it would
    // terminate the process, and never before the workers are done with `fn`).
    void run(int64_t n_tasks, const std::function<void(int64_t, int)> & fn, int max_threads) {
        if (n_tasks <= 0) return;
        if (in_region_) { // nested: run inline
            for (int64_t i = 0; i < n_tasks; ++i) fn(i, 0);
            return;
        }
        std::lock_guard<std::mutex> lock(region_mutex_);
        RegionFlag flag;
        if (workers_.empty() || n_tasks == 1) {
            for (int64_t i = 0; i < n_tasks; ++i) fn(i, 0);
            return;
        }
        {
            std::lock_guard<std::mutex> jl(job_mutex_);
            job_ = &fn;
            n_tasks_ = n_tasks;
            next_.store(0);
            error_ = nullptr;
            max_threads_ = max_threads > 0 ? max_threads : 1 << 30;
            remaining_workers_.store(static_cast<int>(workers_.size()));
            generation_.fetch_add(1, std::memory_order_release); // polling workers start here
        }
        job_cv_.notify_all(); // sleeping ones here (no system call when none sleeps)
        work(0);
        if (!spin_until([&] { return remaining_workers_.load(std::memory_order_acquire) == 0; })) {
            std::unique_lock<std::mutex> jl(job_mutex_);
            done_cv_.wait(jl, [&] { return remaining_workers_.load(std::memory_order_acquire) == 0; });
        }
        job_ = nullptr;
        if (error_) {
            std::exception_ptr error = error_;
            error_ = nullptr;
            std::rethrow_exception(error);
        }
    }

private:
    struct RegionFlag {
        RegionFlag() { in_region_ = true; }
        ~RegionFlag() { in_region_ = false; }
    };

    void work(int thread_index) {
        for (;;) {
            int64_t i = next_.fetch_add(1);
            if (i >= n_tasks_) break;
            try {
                (*job_)(i, thread_index);
            } catch (...) {
                std::lock_guard<std::mutex> el(error_mutex_);
                if (!error_) error_ = std::current_exception();
                next_.store(n_tasks_); // hand out nothing more
            }
        }
    }

    // `seen` starts at the generation current when the worker was created (no region runs then: resize
    // holds the region lock), so a new worker never mistakes an old region for a new one.
    // A worker polls for the next region for a while (kSpin), then sleeps on job_cv_. The caller
    // bumps generation_ under job_mutex_ after publishing the job, so a worker that checks under
    // the mutex before sleeping never misses a region.
    void worker_main(int thread_index, uint64_t seen) {
        for (;;) {
            const auto ready = [&] { return stop_.load(std::memory_order_acquire) || generation_.load(std::memory_order_acquire) != seen; };
            if (!spin_until(ready)) {
                std::unique_lock<std::mutex> jl(job_mutex_);
                job_cv_.wait(jl, ready);
            }
            if (stop_.load(std::memory_order_acquire)) return;
            {
                // The job's fields were written under job_mutex_ before the generation changed.
                std::lock_guard<std::mutex> jl(job_mutex_);
                seen = generation_.load();
            }
            if (thread_index < max_threads_) { // a caller sized per-thread buffers for fewer threads
                RegionFlag flag;
                work(thread_index);
            }
            if (remaining_workers_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
                std::lock_guard<std::mutex> jl(job_mutex_); // the caller checks under it before sleeping
                done_cv_.notify_one();
            }
        }
    }

    void resize(int n_workers) {
        n_workers = std::max(0, n_workers);
        if (static_cast<int>(workers_.size()) == n_workers) return;
        {
            std::lock_guard<std::mutex> jl(job_mutex_);
            stop_.store(true);
        }
        job_cv_.notify_all();
        for (auto & t : workers_) t.join();
        workers_.clear();
        stop_.store(false);
        const uint64_t current = generation_.load();
        for (int i = 0; i < n_workers; ++i) workers_.emplace_back([this, i, current] { worker_main(i + 1, current); });
    }

    std::mutex region_mutex_; // one parallel region at a time
    std::mutex job_mutex_;
    std::condition_variable job_cv_, done_cv_;
    std::vector<std::thread> workers_;
    const std::function<void(int64_t, int)> * job_ = nullptr;
    int64_t n_tasks_ = 0;
    std::atomic<int64_t> next_{0};
    std::mutex error_mutex_;
    std::exception_ptr error_;
    int max_threads_ = 1 << 30;
    std::atomic<int> remaining_workers_{0};
    std::atomic<uint64_t> generation_{0};
    std::atomic<bool> stop_{false};
    std::atomic<int> n_threads_{1};
    static thread_local bool in_region_;
};

thread_local bool Pool::in_region_ = false;

int default_threads() {
    if (const char * env = std::getenv("LATENTFLOW_THREADS")) {
        int n = std::atoi(env);
        if (n > 0) return std::min(n, 256);
    }
    unsigned hw = std::thread::hardware_concurrency();
    return hw == 0 ? 1 : static_cast<int>(std::min(hw, 256u));
}

Pool & pool() {
    static Pool * p = [] {
        auto * created = new Pool(); // leaked on purpose: workers must outlive static destructors
        created->set_size(default_threads());
        return created;
    }();
    return *p;
}

} // namespace

int threads_count() { return pool().size(); }

void threads_set(int n_threads) { pool().set_size(n_threads <= 0 ? default_threads() : std::min(n_threads, 256)); }

void parallel_tasks(int64_t n_tasks, const std::function<void(int64_t, int)> & fn, int max_threads) { pool().run(n_tasks, fn, max_threads); }

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t, int)> & fn) {
    if (n <= 0) return;
    grain = std::max<int64_t>(1, grain);
    const int64_t n_threads = threads_count();
    const int64_t units = (n + grain - 1) / grain;
    const int64_t n_chunks = std::min<int64_t>(units, n_threads);
    const int64_t units_per_chunk = (units + n_chunks - 1) / n_chunks;
    pool().run(n_chunks, [&](int64_t chunk, int thread_index) {
        int64_t begin = chunk * units_per_chunk * grain;
        int64_t end = std::min(n, begin + units_per_chunk * grain);
        if (begin < end) fn(begin, end, thread_index);
    }, static_cast<int>(n_threads));
}

} // namespace sdn

extern "C" void sdn_threads_set(int n_threads) { sdn::threads_set(n_threads); }
extern "C" int sdn_threads_get(void) { return sdn::threads_count(); }
