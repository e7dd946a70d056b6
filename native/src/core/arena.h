// arena.h — activation memory. Every activation buffer comes from here, so the engine can report
// the current and peak bytes of working memory (the figure the attention-mode estimates are checked
// against). Freed blocks are kept in size-class free lists and reused, so a sampling loop does not
// go back to the system allocator for every step; the counters count bytes handed out, not cached.
// The cache is bounded: before a block is taken from the system, cached blocks are freed until
// handed-out + cached bytes stay within the high-water mark of the current window (one network call,
// see arena_window_begin), so the arena's resident footprint never exceeds the call's peak. Blocks of
// 1 MiB and more are mmap'd, so freeing them returns their pages to the system.
#pragma once

#include <cstddef>
#include <cstdint>
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
// by an earlier call (another network's sizes) are freed as soon as this call needs new blocks.
void arena_window_begin();

// Owned weight memory (converted weights, not mmap'd views) is counted separately.
void weights_bytes_add(int64_t delta);
uint64_t weights_current_bytes();
void mapped_bytes_add(int64_t delta);
uint64_t mapped_current_bytes();

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
        if (data_) arena_free(data_, count_ * sizeof(T));
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
