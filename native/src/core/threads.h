// threads.h — the engine's worker pool. One parallel region runs at a time (a second caller waits);
// a parallel_for called from inside a region runs inline on the calling worker.
#pragma once

#include <cstdint>
#include <functional>

namespace sdn {

// Number of threads a parallel region uses (the caller counts as one).
int threads_count();
void threads_set(int n_threads); // 0 = one per hardware thread (or LATENTFLOW_THREADS if set)

// Calls fn(begin, end, thread_index) over a split of [0, n) into contiguous chunks, one or more per
// thread, chunk sizes a multiple of `grain` (except the last). Blocks until all chunks are done.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t, int)> & fn);

// Calls fn(task_index, thread_index) for each task in [0, n_tasks); tasks are handed out dynamically
// (good for uneven work such as attention tiles). thread_index < max_threads when max_threads > 0: pass
// the thread count per-thread buffers were sized for (the pool may have grown since, by threads_set on
// another thread). A task that throws stops the hand-out; the exception is rethrown to the caller.
void parallel_tasks(int64_t n_tasks, const std::function<void(int64_t, int)> & fn, int max_threads = 0);

} // namespace sdn
