// op_test.h — the op test program's framework (as ggml's test-backend-ops): a case is an op with its
// shapes and dtypes; the program runs every case on every instruction-set path this CPU has
// (portable, avx2, avx512; testing::isa_cap_set forces each) and compares the fast path with the
// op's naive twin (the specification, computed once per case) within the op's tolerance. Checks are
// the properties a comparison cannot state (thread counts give the same bits, a workspace equals
// what the arena measured, bad arguments give the right status); they run on every path too.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "core/cpu.h"
#include "core/tensor.h"

namespace sdn::optest {

// ---- Data -------------------------------------------------------------------------------------------

// Deterministic uniform numbers in [lo, hi) (mulberry32).
std::vector<float> random(int64_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f);
// Deterministic normal numbers of standard deviation `std` (mulberry32 + Box-Muller, as
// test/helpers/attention.ts's randomNormal).
std::vector<float> random_normal(int64_t n, uint32_t seed, float std = 1.0f);
// The raw bits of x rounded to f16 or bf16, and those values widened back (what a kernel reads). For Q8_0,
// x quantized into its 34-byte blocks (17 words each; x padded with zeros to whole blocks).
std::vector<uint16_t> half_bits(const std::vector<float> & x, DType dtype);
std::vector<float> half_values(const std::vector<uint16_t> & bits, DType dtype);
// A non-owning tensor view of host data (weights given to conv2d).
Tensor view_of(const void * data, const Shape & shape, DType dtype);
// The first 64-byte boundary in buf (allocate 64 bytes more than needed): where a packed weight goes.
void * aligned64(std::vector<char> & buf);

// max |a - ref| / max |ref| (the error relative to the reference's scale); NaN anywhere: infinity.
double rel_err(const float * a, const float * ref, int64_t n);
double rel_err(const float * a, const double * ref, int64_t n);
// max over elements with |ref| >= floor of |a - ref| / |ref|.
double max_rel_err(const float * a, const double * ref, int64_t n, double floor);
// 0 when a and b are the same bits (NaN equals NaN), else 1.
double bits_differ(const float * a, const float * b, int64_t n);

std::string dtype_label(DType dtype); // "f32" | "f16" | "bf16" | "q8_0"

// ---- Cases --------------------------------------------------------------------------------------

struct OpCase {
    virtual ~OpCase() = default;
    virtual std::string op() const = 0;     // the op family, e.g. "gemm"
    virtual std::string params() const = 0; // shapes, dtypes and options, e.g. "M=7 N=17 K=129 B=f16 trans bias"
    virtual double tolerance() const = 0;   // the largest error run() may return
    virtual bool needs_bf16() const { return false; }
    // Makes the inputs and the naive twin's output (called once, before the first run).
    virtual void reference() = 0;
    // Runs the fast path on the current path (cpu_isa()) and returns its error against the reference.
    virtual double run() = 0;
};
using CaseList = std::vector<std::unique_ptr<OpCase>>;
CaseList op_cases(); // the table (op_cases.cc)

// ---- Checks -------------------------------------------------------------------------------------

// Collects what a check found wrong; a check passes when nothing was added.
struct Failures {
    std::vector<std::string> messages;
    void expect(bool ok, const std::string & message) {
        if (!ok) messages.push_back(message);
    }
    // Runs fn, which must throw sdn::Error with `status`.
    void expect_status(sdn_status status, const std::function<void()> & fn, const std::string & what);
};

struct Check {
    std::string op, name;
    std::function<void(Failures &)> run;
};
std::vector<Check> op_checks(); // op_checks.cc

// "1.5e-06"
std::string sci(double v);

} // namespace sdn::optest
