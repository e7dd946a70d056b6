// The op test program's helpers (op_test.h): seeded data, error measures, f16/bf16 rounding.
#include "op_test.h"

#include <cstdio>
#include <cstring>

#include "core/error.h"
#include "core/half.h"
#include "core/q8_0.h"

namespace sdn::optest {

std::vector<float> random(int64_t n, uint32_t seed, float lo, float hi) {
    std::vector<float> out(static_cast<size_t>(n));
    uint32_t s = seed;
    for (auto & v : out) {
        s += 0x6d2b79f5u;
        uint32_t t = s;
        t = (t ^ (t >> 15)) * (t | 1u);
        t ^= t + (t ^ (t >> 7)) * (t | 61u);
        const double u = static_cast<double>(t ^ (t >> 14)) / 4294967296.0;
        v = static_cast<float>(lo + (hi - lo) * u);
    }
    return out;
}

std::vector<float> random_normal(int64_t n, uint32_t seed, float std) {
    uint32_t state = seed;
    const auto uniform = [&state] {
        state += 0x6d2b79f5u;
        uint32_t t = state;
        t = (t ^ (t >> 15)) * (t | 1u);
        t ^= t + (t ^ (t >> 7)) * (t | 61u);
        return (static_cast<double>(t ^ (t >> 14)) + 0.5) / 4294967296.0;
    };
    std::vector<float> out(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; i += 2) {
        const double radius = std::sqrt(-2 * std::log(uniform())) * std;
        const double angle = 2 * M_PI * uniform();
        out[i] = static_cast<float>(radius * std::cos(angle));
        if (i + 1 < n) out[i + 1] = static_cast<float>(radius * std::sin(angle));
    }
    return out;
}

std::vector<uint16_t> half_bits(const std::vector<float> & x, DType dtype) {
    if (dtype == DType::Q8_0) {
        std::vector<float> padded(x);
        padded.resize((x.size() + kQ8Block - 1) / kQ8Block * kQ8Block, 0.0f);
        std::vector<uint16_t> out(static_cast<size_t>(q8_0_bytes(static_cast<int64_t>(padded.size())) / 2));
        quantize_q8_0(padded.data(), out.data(), static_cast<int64_t>(padded.size()));
        return out;
    }
    std::vector<uint16_t> out(x.size());
    for (size_t i = 0; i < x.size(); ++i) out[i] = dtype == DType::F16 ? f32_to_f16(x[i]) : f32_to_bf16(x[i]);
    return out;
}

std::vector<float> half_values(const std::vector<uint16_t> & bits, DType dtype) {
    std::vector<float> out(bits.size());
    for (size_t i = 0; i < bits.size(); ++i) out[i] = dtype == DType::F16 ? f16_to_f32(bits[i]) : bf16_to_f32(bits[i]);
    return out;
}

Tensor view_of(const void * data, const Shape & shape, DType dtype) {
    return Tensor::view(const_cast<void *>(data), shape, dtype, nullptr, Storage::External);
}

template <typename R>
static double rel_err_of(const float * a, const R * ref, int64_t n) {
    double diff = 0.0, scale = 0.0;
    for (int64_t i = 0; i < n; ++i) {
        const double d = std::fabs(static_cast<double>(a[i]) - static_cast<double>(ref[i]));
        if (std::isnan(d)) return INFINITY;
        diff = std::max(diff, d);
        scale = std::max(scale, std::fabs(static_cast<double>(ref[i])));
    }
    return diff / std::max(scale, 1e-30);
}

double rel_err(const float * a, const float * ref, int64_t n) { return rel_err_of(a, ref, n); }
double rel_err(const float * a, const double * ref, int64_t n) { return rel_err_of(a, ref, n); }

double max_rel_err(const float * a, const double * ref, int64_t n, double floor) {
    double worst = 0.0;
    for (int64_t i = 0; i < n; ++i) {
        if (std::fabs(ref[i]) < floor) continue;
        const double e = std::fabs(a[i] - ref[i]) / std::fabs(ref[i]);
        if (std::isnan(e)) return INFINITY;
        worst = std::max(worst, e);
    }
    return worst;
}

double bits_differ(const float * a, const float * b, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        if (std::isnan(a[i]) && std::isnan(b[i])) continue;
        if (std::memcmp(a + i, b + i, sizeof(float)) != 0) return 1.0;
    }
    return 0.0;
}

void * aligned64(std::vector<char> & buf) { return buf.data() + (64 - reinterpret_cast<uintptr_t>(buf.data()) % 64) % 64; }

std::string dtype_label(DType dtype) {
    switch (dtype) {
        case DType::F32: return "f32";
        case DType::F16: return "f16";
        case DType::BF16: return "bf16";
        case DType::Q8_0: return "q8_0";
    }
    return "?";
}

void Failures::expect_status(sdn_status status, const std::function<void()> & fn, const std::string & what) {
    try {
        fn();
    } catch (const Error & e) {
        expect(e.status() == status, what + ": status " + sdn_status_name(e.status()) + ", expected " + sdn_status_name(status) +
                                         " (" + e.what() + ")");
        return;
    }
    messages.push_back(what + ": did not throw (expected " + std::string(sdn_status_name(status)) + ")");
}

std::string sci(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2g", v);
    return buf;
}

} // namespace sdn::optest
