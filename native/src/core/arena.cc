#include "arena.h"

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

void note_alloc(size_t bytes) {
    uint64_t now = g_current.fetch_add(bytes) + bytes;
    uint64_t peak = g_peak.load();
    while (now > peak && !g_peak.compare_exchange_weak(peak, now)) {}
}

} // namespace

int64_t arena_block_bytes(int64_t bytes) { return bytes <= 0 ? 0 : static_cast<int64_t>(size_class(static_cast<size_t>(bytes))); }

void * arena_alloc(size_t bytes) {
    const size_t cls = size_class(bytes == 0 ? 1 : bytes);
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
    }
    void * p = std::aligned_alloc(64, cls);
    if (!p) {
        arena_trim();
        p = std::aligned_alloc(64, cls);
    }
    require(p != nullptr, SDN_STATUS_OUT_OF_MEMORY,
            "out of memory allocating " + std::to_string(cls >> 20) + " MiB of activations");
    note_alloc(cls);
    return p;
}

void arena_free(void * ptr, size_t bytes) {
    if (!ptr) return;
    const size_t cls = size_class(bytes == 0 ? 1 : bytes);
    g_current.fetch_sub(cls);
    std::lock_guard<std::mutex> lock(g_cache_mutex);
    if (g_cached_bytes + cls > kCacheLimitBytes) {
        std::free(ptr);
        return;
    }
    g_cache[cls].push_back(ptr);
    g_cached_bytes += cls;
}

void arena_trim() {
    std::lock_guard<std::mutex> lock(g_cache_mutex);
    for (auto & [cls, blocks] : g_cache)
        for (void * p : blocks) std::free(p);
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
