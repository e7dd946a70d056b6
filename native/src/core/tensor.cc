#include "tensor.h"

#include <cstring>
#include <sstream>

#include "arena.h"
#include "half.h"
#include "q8_0.h"

namespace sdn {

size_t dtype_size(DType dtype) {
    require(dtype != DType::Q8_0, SDN_STATUS_INTERNAL, "Q8_0 elements have no size of their own (dtype_bytes)");
    return dtype == DType::F32 ? 4 : 2;
}

size_t dtype_bytes(DType dtype, int64_t numel) {
    if (dtype != DType::Q8_0) return static_cast<size_t>(numel) * dtype_size(dtype);
    require(numel % kQ8Block == 0, SDN_STATUS_INTERNAL, "a Q8_0 tensor of " + std::to_string(numel) + " elements (not whole blocks of 32)");
    return static_cast<size_t>(q8_0_bytes(numel));
}

const char * dtype_name(DType dtype) {
    switch (dtype) {
        case DType::F32: return "F32";
        case DType::F16: return "F16";
        case DType::BF16: return "BF16";
        case DType::Q8_0: return "Q8_0";
    }
    return "?";
}

std::string shape_str(const Shape & shape) {
    std::ostringstream s;
    s << '[';
    for (size_t i = 0; i < shape.size(); ++i) s << (i ? ", " : "") << shape[i];
    s << ']';
    return s.str();
}

int64_t shape_numel(const Shape & shape) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

Shape Tensor::contiguous_strides(const Shape & shape) {
    Shape strides(shape.size());
    int64_t s = 1;
    for (size_t i = shape.size(); i-- > 0;) {
        strides[i] = s;
        s *= shape[i];
    }
    return strides;
}

bool Tensor::is_contiguous() const { return strides == contiguous_strides(shape); }

float * Tensor::f32() {
    require(dtype == DType::F32, SDN_STATUS_INTERNAL, std::string("expected an F32 tensor, got ") + dtype_name(dtype));
    return static_cast<float *>(data);
}

const float * Tensor::f32() const { return const_cast<Tensor *>(this)->f32(); }

const uint16_t * Tensor::u16() const {
    require(dtype == DType::F16 || dtype == DType::BF16, SDN_STATUS_INTERNAL, std::string("expected an F16 or BF16 tensor, got ") + dtype_name(dtype));
    return static_cast<const uint16_t *>(data);
}

Tensor Tensor::reshape(const Shape & new_shape) const {
    require(shape_numel(new_shape) == numel(), SDN_STATUS_BAD_SHAPE,
            "cannot reshape " + shape_str(shape) + " to " + shape_str(new_shape));
    require(is_contiguous(), SDN_STATUS_INTERNAL, "reshape of a non-contiguous tensor");
    Tensor t = *this;
    t.shape = new_shape;
    t.strides = contiguous_strides(new_shape);
    return t;
}

namespace {

struct ArenaBlock {
    void * ptr;
    size_t bytes;
    ~ArenaBlock() { arena_free(ptr, bytes); }
};

struct WeightBlock {
    void * ptr;
    size_t bytes;
    ~WeightBlock() {
        std::free(ptr);
        weights_bytes_add(-static_cast<int64_t>(bytes));
    }
};

} // namespace

Tensor Tensor::empty(const Shape & shape, DType dtype) {
    for (int64_t d : shape) require(d >= 0, SDN_STATUS_BAD_SHAPE, "negative dimension in " + shape_str(shape));
    Tensor t;
    t.dtype = dtype;
    t.shape = shape;
    t.strides = contiguous_strides(shape);
    size_t bytes = dtype_bytes(dtype, shape_numel(shape));
    // new, not make_shared(ArenaBlock{...}): a temporary block's destructor would free the memory.
    std::shared_ptr<ArenaBlock> block(new ArenaBlock{arena_alloc(bytes), bytes});
    t.data = block->ptr;
    t.owner = block;
    t.storage = Storage::Arena;
    return t;
}

Tensor Tensor::zeros(const Shape & shape) {
    Tensor t = empty(shape, DType::F32);
    if (t.data) std::memset(t.data, 0, t.nbytes()); // no data under an ArenaMeasure
    return t;
}

Tensor Tensor::empty_weights(const Shape & shape, DType dtype) {
    Tensor t;
    t.dtype = dtype;
    t.shape = shape;
    t.strides = contiguous_strides(shape);
    size_t bytes = dtype_bytes(dtype, shape_numel(shape));
    size_t rounded = (bytes + 63) & ~size_t(63);
    void * p = std::aligned_alloc(64, rounded == 0 ? 64 : rounded);
    require(p != nullptr, SDN_STATUS_OUT_OF_MEMORY, "out of memory allocating " + std::to_string(bytes >> 20) + " MiB of weights");
    weights_bytes_add(static_cast<int64_t>(bytes));
    std::shared_ptr<WeightBlock> block(new WeightBlock{p, bytes}); // no temporary: its destructor would free p
    t.data = p;
    t.owner = block;
    t.storage = Storage::Weights;
    return t;
}

Tensor Tensor::view(void * data, const Shape & shape, DType dtype, std::shared_ptr<void> owner, Storage storage) {
    Tensor t;
    t.dtype = dtype;
    t.shape = shape;
    t.strides = contiguous_strides(shape);
    t.data = data;
    t.owner = std::move(owner);
    t.storage = storage;
    return t;
}

Tensor to_f32(const Tensor & t) {
    require(t.is_contiguous(), SDN_STATUS_INTERNAL, "to_f32 of a non-contiguous tensor");
    Tensor out = Tensor::empty(t.shape, DType::F32);
    switch (t.dtype) {
        case DType::F32: std::memcpy(out.data, t.data, t.nbytes()); break;
        case DType::F16: convert_f16_to_f32(t.u16(), out.f32(), t.numel()); break;
        case DType::BF16: convert_bf16_to_f32(t.u16(), out.f32(), t.numel()); break;
        case DType::Q8_0: convert_q8_0_to_f32(t.data, 0, out.f32(), t.numel()); break;
    }
    return out;
}

} // namespace sdn
