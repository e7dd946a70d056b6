// memory_estimate.h — the activation memory of a network call, from a measure pass of its own forward.
//
// The forward runs under an ArenaMeasure (core/arena.h): every Tensor::empty it makes is counted in
// the arena's block sizes and freed where the code drops it, every kernel is skipped and reports its
// own arena buffers instead (the GEMM's and convolution's packing buffers, Winograd's blocks, the
// attention mode's scores or tiles). The peak is therefore what arena_peak_bytes() rises by when the
// same call runs, for the current thread count (flash takes a tile workspace per thread), not an
// approximation of it; test/native/models/*-memory.test.ts hold it to that, byte for byte. There is
// no second copy of a forward to keep in step: a new network gets its estimate by being written.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "../core/tensor.h"

namespace sdn {

struct MemoryEstimate {
    int64_t peak_bytes = 0;      // the arena's high-water mark above what was live before the call
    int64_t workspace_bytes = 0; // of which: the running op's own buffers at the peak (0: an allocation is the peak)
    int64_t output_bytes = 0;    // of which: the returned tensors (alive at the end)
    std::string peak_at;         // the module running at the peak, by its checkpoint name
    int64_t attention_bytes = 0; // the largest single attention call's own buffers
    std::string attention_at;
};

// Runs `forward` as a measure pass (on this thread; other threads may compute meanwhile). Its inputs
// may be tensors without data: nothing reads them.
MemoryEstimate memory_measure(const std::function<std::vector<Tensor>()> & forward);

// "1.5 GiB" / "320.0 MiB" for messages.
std::string memory_bytes_str(int64_t bytes);

} // namespace sdn
