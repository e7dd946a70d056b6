// elementwise.h — add / multiply with NumPy broadcasting, plus the common fused shapes.
// Memory-bound: the fast paths are plain loops the compiler vectorises, threaded over large arrays.
#pragma once

#include <cstdint>

#include "../core/tensor.h"

namespace sdn {

enum class BinaryOp { Add, Mul };

// y = a (op) b with NumPy broadcasting of a_shape and b_shape to y_shape (all contiguous).
// Throws BAD_SHAPE when the shapes do not broadcast. y may alias a or b when it has their shape.
Shape broadcast_shape(const Shape & a_shape, const Shape & b_shape);
void binary_broadcast(BinaryOp op, const float * a, const Shape & a_shape, const float * b, const Shape & b_shape, float * y);
void binary_broadcast_naive(BinaryOp op, const float * a, const Shape & a_shape, const float * b, const Shape & b_shape,
                            float * y);

// y[i] = a[i] + b[i]  (y may alias a or b)
void add(const float * a, const float * b, float * y, int64_t n);
// x: [B, C, S] += v: [B, C] broadcast over S   (time embedding added per channel)
void add_per_channel(float * x, const float * v, int64_t B, int64_t C, int64_t S);
// y[i] = a[i] * s
void scale(const float * a, float s, float * y, int64_t n);

void add_naive(const float * a, const float * b, float * y, int64_t n);
void add_per_channel_naive(float * x, const float * v, int64_t B, int64_t C, int64_t S);
void scale_naive(const float * a, float s, float * y, int64_t n);

} // namespace sdn
