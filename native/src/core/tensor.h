// tensor.h — a strided view of typed memory plus a reference to whatever keeps it alive.
// Compute is f32; weights may be stored f16/bf16 and are widened where they are used (GEMM packing).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "error.h"

namespace sdn {

// Q8_0: 8-bit weights in blocks of 32 elements with an f16 scale each (core/q8_0.h), a storage type for
// weights only: no element has a size of its own, so sizes go through dtype_bytes.
enum class DType : uint8_t { F32 = 0, F16 = 1, BF16 = 2, Q8_0 = 3 };

size_t dtype_size(DType dtype); // bytes of one element (F32, F16, BF16; Q8_0 throws: see dtype_bytes)
size_t dtype_bytes(DType dtype, int64_t numel); // bytes of `numel` elements (Q8_0: whole blocks)
const char * dtype_name(DType dtype); // "F32", "F16", "BF16" (safetensors spelling), "Q8_0" (GGML's)

using Shape = std::vector<int64_t>;
std::string shape_str(const Shape & shape); // "[2, 4, 8, 8]"
int64_t shape_numel(const Shape & shape);

// Where a tensor's bytes live. "arena": activations; "weights": memory the engine converted and
// owns; "mapped": a view into an mmap'd file; "external": memory owned by the caller (a JS buffer).
enum class Storage : uint8_t { Arena, Weights, Mapped, External };

struct Tensor {
    DType dtype = DType::F32;
    Shape shape;
    Shape strides;                 // in elements; same rank as shape
    void * data = nullptr;
    std::shared_ptr<void> owner;   // keeps `data` alive (nullptr for External)
    Storage storage = Storage::External;

    int64_t numel() const { return shape_numel(shape); }
    int64_t dim(int i) const { return shape[i < 0 ? shape.size() + i : i]; }
    int rank() const { return static_cast<int>(shape.size()); }
    size_t nbytes() const { return dtype_bytes(dtype, numel()); }
    bool is_contiguous() const;

    float * f32();              // throws unless dtype is F32
    const float * f32() const;
    const uint16_t * u16() const; // raw f16/bf16 bits; throws unless F16 or BF16

    // A contiguous view with another shape of the same element count (no copy).
    Tensor reshape(const Shape & new_shape) const;

    static Shape contiguous_strides(const Shape & shape);
    // New contiguous f32 (or other dtype) tensor from the activation arena. Contents undefined; no
    // data (null) under an ArenaMeasure, where only its size counts.
    static Tensor empty(const Shape & shape, DType dtype = DType::F32);
    static Tensor zeros(const Shape & shape);
    // New tensor counted as owned weight memory.
    static Tensor empty_weights(const Shape & shape, DType dtype);
    // A contiguous view of memory someone else owns.
    static Tensor view(void * data, const Shape & shape, DType dtype, std::shared_ptr<void> owner, Storage storage);
};

// An f32 copy of any tensor (widening f16/bf16); used where an op needs f32 weights.
Tensor to_f32(const Tensor & t);

} // namespace sdn
