// arena.h — activation memory. Every activation buffer comes from here, so the engine can report
// the current and peak bytes of working memory (the figure the attention-mode estimates are checked
// against). Freed blocks are kept in size-class free lists and reused, so a sampling loop does not
// go back to the system allocator for every step; the counters count bytes handed out, not cached.
// The cache is bounded: before a block is taken from the system, cached blocks are freed until
// handed-out + cached bytes stay within the larger high-water mark H of the current window (one network
// call, see arena_window_begin) and the window before (plus min(H, 16 MiB) for blocks of other size
// classes when H < 64 MiB), so the arena's resident footprint never exceeds that. Blocks of 1 MiB and more are mmap'd, so freeing them returns
// their pages to the system; a request no cached block of its size class answers resizes a cached
// mapped block of another class (mremap) before it maps a new one, so its resident pages are reused
// instead of faulted in again.
//
// Measuring: while an ArenaMeasure is open on a thread, arena_alloc on that thread hands out no memory
// (it returns null) and only counts the block it would have taken, arena_free(null) gives it back, and
// the code that would run a kernel reports the kernel's own arena buffers with arena_workspace instead
// (models/common/layers.cc and the other model code check arena_measuring() before every kernel). So
// a network's forward, run under an ArenaMeasure, is its own memory estimate: the same allocations in
// the same order, no arithmetic (as ggml's allocator measures a graph). See models/memory_estimate.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

namespace sdn {

// Returns 64-byte aligned memory of at least `bytes`; throws sdn::Error(OUT_OF_MEMORY) on failure.
void * arena_alloc(size_t bytes);
void arena_free(void * ptr, size_t bytes);
// Bytes the arena hands out (and counts) for a request of `bytes`: its size-class rounding; 0 for 0.
int64_t arena_block_bytes(int64_t bytes);
// Frees cached blocks back to the system (after a run, or under memory pressure).
void arena_trim();

uint64_t arena_current_bytes();
// Bytes of freed blocks the arena keeps for reuse (resident, not counted in current; arena_trim frees them).
uint64_t arena_cached_bytes();
uint64_t arena_peak_bytes();
void arena_peak_reset(); // peak := current
// Starts a new window for the cache bound (called at the start of every network call): blocks cached
// beyond the bound (from the last call's high-water mark) are freed now; the bound then follows the
// larger of the last call's and this call's high-water marks.
void arena_window_begin();

// Owned weight memory (converted weights, not mmap'd views) is counted separately.
void weights_bytes_add(int64_t delta);
uint64_t weights_current_bytes();
void mapped_bytes_add(int64_t delta);
uint64_t mapped_current_bytes();

// ---- Measuring ------------------------------------------------------------------------------------

// What a measure pass saw: the high-water mark of the blocks it would have held, plus the workspace of
// the op running at that moment.
struct ArenaMeasurement {
    int64_t peak_bytes = 0;      // live blocks + the running op's workspace, at the high-water mark
    int64_t workspace_bytes = 0; // of which: that op's workspace (0 when the peak is an allocation)
    std::string peak_at;         // the innermost ArenaScope then (a module's checkpoint name)
    int64_t attention_bytes = 0; // the largest attention workspace (arena_attention_workspace)
    std::string attention_at;
    int64_t current_bytes = 0;   // blocks live now
};

// Opens a measure pass on this thread (passes do not nest); the real arena and its counters are
// untouched, so a pass may run while other threads compute.
class ArenaMeasure {
public:
    ArenaMeasure();
    ~ArenaMeasure();
    ArenaMeasure(const ArenaMeasure &) = delete;
    ArenaMeasure & operator=(const ArenaMeasure &) = delete;
    const ArenaMeasurement & result() const { return result_; }

private:
    ArenaMeasurement result_;
};

// Whether an ArenaMeasure is open on this thread: kernels are skipped (their inputs have no data).
bool arena_measuring();
// Measuring: the op about to run holds `bytes` of arena buffers (already in arena blocks, e.g.
// gemm_workspace_bytes) on top of the live blocks while it runs. Not measuring: nothing.
void arena_workspace(int64_t bytes);
// arena_workspace for an attention call; the largest one is reported apart (attention_bytes).
void arena_attention_workspace(int64_t bytes);

// Names the module running while it lives (its checkpoint name, e.g. "down_blocks.0.resnets.1.conv2"),
// for the place of a measured peak. `name` must outlive the scope. Costs two pointer moves.
class ArenaScope {
public:
    explicit ArenaScope(const std::string & name);
    // The scope keeps a pointer to `name`: a temporary (a string literal, a concatenation) would be
    // gone before the scope ends, so it does not compile. Name scopes with a member or a static string.
    explicit ArenaScope(std::string && name) = delete;
    ~ArenaScope();
    ArenaScope(const ArenaScope &) = delete;
    ArenaScope & operator=(const ArenaScope &) = delete;

private:
    const std::string * saved_;
};

// A typed RAII buffer from the arena.
template <typename T>
class Buffer {
public:
    Buffer() = default;
    explicit Buffer(size_t count) : count_(count), data_(count ? static_cast<T *>(arena_alloc(count * sizeof(T))) : nullptr) {}
    ~Buffer() { reset(); }
    Buffer(const Buffer &) = delete;
    Buffer & operator=(const Buffer &) = delete;
    Buffer(Buffer && other) noexcept : count_(other.count_), data_(other.data_) { other.count_ = 0; other.data_ = nullptr; }
    Buffer & operator=(Buffer && other) noexcept {
        if (this != &other) { reset(); std::swap(count_, other.count_); std::swap(data_, other.data_); }
        return *this;
    }
    void reset() {
        if (count_) arena_free(data_, count_ * sizeof(T)); // data_ is null under an ArenaMeasure
        data_ = nullptr;
        count_ = 0;
    }
    T * data() { return data_; }
    const T * data() const { return data_; }
    size_t size() const { return count_; }
    T & operator[](size_t i) { return data_[i]; }
    const T & operator[](size_t i) const { return data_[i]; }

private:
    size_t count_ = 0;
    T * data_ = nullptr;
};

} // namespace sdn
