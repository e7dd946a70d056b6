#include "memory_estimate.h"

#include <cstdio>

#include "../core/arena.h"

namespace sdn {

MemoryEstimate memory_measure(const std::function<std::vector<Tensor>()> & forward) {
    ArenaMeasure measure;
    MemoryEstimate e;
    {
        const std::vector<Tensor> outputs = forward();
        e.output_bytes = measure.result().current_bytes; // every temporary is gone: what is left are the outputs
    }
    const ArenaMeasurement & m = measure.result();
    e.peak_bytes = m.peak_bytes;
    e.workspace_bytes = m.workspace_bytes;
    e.peak_at = m.peak_at;
    e.attention_bytes = m.attention_bytes;
    e.attention_at = m.attention_at;
    return e;
}

std::string memory_bytes_str(int64_t bytes) {
    char text[48];
    if (bytes >= (int64_t(1) << 30)) std::snprintf(text, sizeof text, "%.1f GiB", static_cast<double>(bytes) / (int64_t(1) << 30));
    else std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
    return text;
}

} // namespace sdn
