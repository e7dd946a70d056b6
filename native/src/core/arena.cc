#include "arena.h"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <vector>

#include "error.h"

namespace sdn {

namespace {

std::atomic<uint64_t> g_current{0};
std::atomic<uint64_t> g_peak{0};
std::atomic<int64_t> g_weights{0};
std::atomic<int64_t> g_mapped{0};

// Blocks are rounded up to a size class (64-byte multiples below 64 KiB, then 1/16 steps of the
// next power of two) so that a freed block fits the next request of a similar size.
size_t size_class(size_t bytes) {
    if (bytes <= 65536) return (bytes + 63) & ~size_t(63);
    size_t p = 65536;
    while (p < bytes) p <<= 1;
    size_t step = p / 16;
    return (bytes + step - 1) / step * step;
}

std::mutex g_cache_mutex;
std::map<size_t, std::vector<void *>> g_cache; // size class -> free blocks
uint64_t g_cached_bytes = 0;
constexpr uint64_t kCacheLimitBytes = uint64_t(8) << 30; // beyond this, freed blocks go back to the system
constexpr uint64_t kCacheSlackBytes = uint64_t(16) << 20;  // see footprint_bound
constexpr uint64_t kSlackBelowBytes = uint64_t(64) << 20;
// The high-water mark of `current` since the last arena_window_begin() (the start of a network call), and
// that of the window before: the cache never makes the arena's footprint (current + cached) larger than
// the larger of the two. Keeping the previous call's footprint is what lets a sampling loop (the same
// UNet call 20 times) reuse its pages: bounded by the current window alone, the first allocations of
// each call freed the whole cache, and an SD 1.5 UNet call at 64x64 took 485k page faults (1.85 GB of
// fresh zeroed pages, a quarter of its CPU time in the kernel).
std::atomic<uint64_t> g_window_high{0};
uint64_t g_last_window_high = 0; // guarded by g_cache_mutex

// Blocks from here up are mmap'd directly, so freeing them returns the pages to the system at once
// (malloc would keep them in its heap, where they still count in the process's RSS).
constexpr size_t kMapThreshold = size_t(1) << 20;

// Transparent huge pages for a mapped block (where the kernel's THP mode is `madvise`, as on Debian's
// default): a 2 MiB page faults in once where 512 small ones fault one by one, and the TLB covers
// 512 times more of a tensor. Advice only: a kernel without THP ignores it, and nothing depends on it.
void huge_pages(void * p, size_t bytes) {
#ifdef MADV_HUGEPAGE
    if (bytes >= (size_t(2) << 20)) madvise(p, bytes, MADV_HUGEPAGE);
#else
    (void)p;
    (void)bytes;
#endif
}

void * system_alloc(size_t cls) {
    if (cls < kMapThreshold) return std::aligned_alloc(64, cls);
    void * p = mmap(nullptr, cls, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return nullptr;
    huge_pages(p, cls);
    return p;
}

void system_free(void * p, size_t cls) {
    if (cls < kMapThreshold) std::free(p);
    else munmap(p, cls);
}

// A cached mapped block of another size class, resized to `cls` in place of a new mapping: its resident
// pages carry over (only the pages it grows by are new), so a call whose sizes differ from the last
// one's does not fault its whole footprint again. Takes the smallest cached block of at least `cls`
// (shrinking frees its tail), else the largest smaller one. Null when none is cached or mremap fails.
// Called with the cache lock held.
void * repurpose_cached(size_t cls) {
    auto it = g_cache.lower_bound(cls);
    while (it != g_cache.end() && it->second.empty()) ++it;
    if (it == g_cache.end()) {
        it = g_cache.lower_bound(cls);
        for (;;) {
            if (it == g_cache.begin()) return nullptr;
            --it;
            if (it->first < kMapThreshold) return nullptr;
            if (!it->second.empty()) break;
        }
    }
    const size_t from = it->first;
    void * old = it->second.back();
    void * p = mremap(old, from, cls, MREMAP_MAYMOVE);
    if (p == MAP_FAILED) return nullptr; // `old` is still mapped and cached
    if (cls > from) huge_pages(p, cls);
    it->second.pop_back();
    g_cached_bytes -= from;
    return p;
}

// What the arena's footprint (handed-out + cached bytes) may reach: the larger high-water mark of this
// window and the last one; for small calls, plus that much again up to kCacheSlackBytes. Without the
// slack, every miss of a call whose cache holds blocks of other size classes evicted (munmap) a block the
// same call needs again (blocks come in classes, so the blocks a call's sequence needs add up to more
// than its peak): CLIP's
// 1.9 MiB MLP block was unmapped and mapped again in every layer (10k page faults a call; with 16 MiB of
// slack ~200, and CLIP batch 2 0.21 s -> 0.13 s). A slack for large calls too (64 MiB) halved an SD 1.5
// UNet call's faults (24k -> 12k) but did not make the sampling loop measurably faster, and put the LCM +
// TAESD job's peak RSS over its 2.0 GiB target (2.03 GiB; 2.01 with 16 MiB): calls whose high-water mark
// is kSlackBelowBytes or more get none. Called with the cache lock held.
uint64_t footprint_bound() {
    const uint64_t high = std::max<uint64_t>(g_window_high.load(), g_last_window_high);
    return high < kSlackBelowBytes ? high + std::min(high, kCacheSlackBytes) : high;
}

void raise_max(std::atomic<uint64_t> & max, uint64_t now) {
    uint64_t seen = max.load();
    while (now > seen && !max.compare_exchange_weak(seen, now)) {}
}

void note_alloc(size_t bytes) {
    uint64_t now = g_current.fetch_add(bytes) + bytes;
    raise_max(g_peak, now);
    raise_max(g_window_high, now);
}

// Called with the cache lock held before a new block of `cls` bytes is taken from the system: frees
// cached blocks, largest first, until current + cached + cls is at most the window's high-water mark
// (or current + cls when that is higher). Without this, blocks of sizes the rest of the call never
// asks for again stay resident: a VAE decode with a 641 MiB peak kept 1.6 GiB.
void evict_for(size_t cls) {
    const uint64_t need = g_current.load() + cls;
    const uint64_t bound = std::max<uint64_t>(footprint_bound(), need);
    for (auto it = g_cache.end(); it != g_cache.begin() && need + g_cached_bytes > bound;) {
        --it;
        auto & blocks = it->second;
        while (!blocks.empty() && need + g_cached_bytes > bound) {
            system_free(blocks.back(), it->first);
            blocks.pop_back();
            g_cached_bytes -= it->first;
        }
    }
}

// The measure pass open on this thread (null: allocations are real) and the innermost ArenaScope's name.
thread_local ArenaMeasurement * t_measure = nullptr;
thread_local const std::string * t_scope = nullptr;
const std::string kNoScope;

void measure_note(ArenaMeasurement & m, int64_t workspace) {
    const int64_t now = m.current_bytes + workspace;
    if (now <= m.peak_bytes) return;
    m.peak_bytes = now;
    m.workspace_bytes = workspace;
    m.peak_at = t_scope ? *t_scope : kNoScope;
}

} // namespace

ArenaMeasure::ArenaMeasure() {
    require(t_measure == nullptr, SDN_STATUS_INTERNAL, "arena: measure passes do not nest");
    t_measure = &result_;
}

ArenaMeasure::~ArenaMeasure() { t_measure = nullptr; }

bool arena_measuring() { return t_measure != nullptr; }

void arena_workspace(int64_t bytes) {
    if (t_measure && bytes > 0) measure_note(*t_measure, bytes);
}

void arena_attention_workspace(int64_t bytes) {
    if (!t_measure) return;
    if (bytes > t_measure->attention_bytes) {
        t_measure->attention_bytes = bytes;
        t_measure->attention_at = t_scope ? *t_scope : kNoScope;
    }
    arena_workspace(bytes);
}

ArenaScope::ArenaScope(const std::string & name) : saved_(t_scope) { t_scope = &name; }
ArenaScope::~ArenaScope() { t_scope = saved_; }

int64_t arena_block_bytes(int64_t bytes) { return bytes <= 0 ? 0 : static_cast<int64_t>(size_class(static_cast<size_t>(bytes))); }

void * arena_alloc(size_t bytes) {
    const size_t cls = size_class(bytes == 0 ? 1 : bytes);
    if (t_measure) { // counted, not taken
        t_measure->current_bytes += static_cast<int64_t>(cls);
        measure_note(*t_measure, 0);
        return nullptr;
    }
    {
        std::lock_guard<std::mutex> lock(g_cache_mutex);
        auto it = g_cache.find(cls);
        if (it != g_cache.end() && !it->second.empty()) {
            void * p = it->second.back();
            it->second.pop_back();
            g_cached_bytes -= cls;
            note_alloc(cls);
            return p;
        }
        // A new mapping while the footprint stays within the bound (cached blocks of other classes are
        // kept for the requests they fit: shrinking one here would free pages the next request for its
        // class faults in again); past the bound, a cached block is resized instead.
        const bool fits = g_current.load() + g_cached_bytes + cls <= footprint_bound();
        if (cls >= kMapThreshold && !fits) {
            if (void * p = repurpose_cached(cls)) {
                note_alloc(cls);
                evict_for(0); // a grown block may have taken the footprint over the bound
                return p;
            }
        }
        evict_for(cls);
    }
    void * p = system_alloc(cls);
    if (!p) {
        arena_trim();
        p = system_alloc(cls);
    }
    require(p != nullptr, SDN_STATUS_OUT_OF_MEMORY,
            "out of memory allocating " + std::to_string(cls >> 20) + " MiB of activations");
    note_alloc(cls);
    return p;
}

void arena_free(void * ptr, size_t bytes) {
    const size_t cls = size_class(bytes == 0 ? 1 : bytes);
    if (!ptr) { // a block of a measure pass (or nothing)
        if (t_measure) t_measure->current_bytes -= static_cast<int64_t>(cls);
        return;
    }
    g_current.fetch_sub(cls);
    std::lock_guard<std::mutex> lock(g_cache_mutex);
    if (g_cached_bytes + cls > kCacheLimitBytes) {
        system_free(ptr, cls);
        return;
    }
    g_cache[cls].push_back(ptr);
    g_cached_bytes += cls;
}

void arena_trim() {
    std::lock_guard<std::mutex> lock(g_cache_mutex);
    for (auto & [cls, blocks] : g_cache)
        for (void * p : blocks) system_free(p, cls);
    g_cache.clear();
    g_cached_bytes = 0;
}

uint64_t arena_current_bytes() { return g_current.load(); }
uint64_t arena_peak_bytes() { return g_peak.load(); }
uint64_t arena_cached_bytes() {
    std::lock_guard<std::mutex> lock(g_cache_mutex);
    return g_cached_bytes;
}
void arena_peak_reset() { g_peak.store(g_current.load()); }
void arena_window_begin() {
    std::lock_guard<std::mutex> lock(g_cache_mutex);
    g_last_window_high = g_window_high.load();
    g_window_high.store(g_current.load());
    evict_for(0); // what an older, larger call left cached beyond the last call's footprint
}

void weights_bytes_add(int64_t delta) { g_weights.fetch_add(delta); }
uint64_t weights_current_bytes() { return static_cast<uint64_t>(g_weights.load()); }
void mapped_bytes_add(int64_t delta) { g_mapped.fetch_add(delta); }
uint64_t mapped_current_bytes() { return static_cast<uint64_t>(g_mapped.load()); }

} // namespace sdn

extern "C" void sdn_memory_stats_get(sdn_memory_stats * out) {
    out->activations_current = sdn::arena_current_bytes();
    out->activations_peak = sdn::arena_peak_bytes();
    out->weights_current = sdn::weights_current_bytes();
    out->mapped_current = sdn::mapped_current_bytes();
    out->activations_cached = sdn::arena_cached_bytes();
}

extern "C" void sdn_memory_peak_reset(void) { sdn::arena_peak_reset(); }
