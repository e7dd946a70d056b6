#include "elementwise.h"

#include <algorithm>

namespace sdn {

Shape broadcast_shape(const Shape & a, const Shape & b) {
    const size_t rank = std::max(a.size(), b.size());
    Shape out(rank);
    for (size_t i = 0; i < rank; ++i) {
        const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
        const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
        require(da == db || da == 1 || db == 1, SDN_STATUS_BAD_SHAPE,
                "shapes " + shape_str(a) + " and " + shape_str(b) + " do not broadcast");
        out[i] = std::max(da, db);
    }
    return out;
}

void binary_broadcast(BinaryOp op, const float * a, const Shape & a_shape, const float * b, const Shape & b_shape, float * y) {
    const Shape out = broadcast_shape(a_shape, b_shape);
    const size_t rank = out.size();
    // Strides of a and b in the output's index space (0 where broadcast).
    auto strides_in = [&](const Shape & s) {
        Shape st(rank, 0);
        int64_t acc = 1;
        for (size_t i = s.size(); i-- > 0;) {
            st[i + rank - s.size()] = s[i] == 1 ? 0 : acc;
            acc *= s[i];
        }
        return st;
    };
    const Shape sa = strides_in(a_shape), sb = strides_in(b_shape);
    const int64_t n = shape_numel(out);
    Shape idx(rank, 0);
    for (int64_t i = 0; i < n; ++i) {
        int64_t ia = 0, ib = 0;
        for (size_t d = 0; d < rank; ++d) { ia += idx[d] * sa[d]; ib += idx[d] * sb[d]; }
        y[i] = op == BinaryOp::Add ? a[ia] + b[ib] : a[ia] * b[ib];
        for (size_t d = rank; d-- > 0;) { // next index, last dimension fastest
            if (++idx[d] < out[d]) break;
            idx[d] = 0;
        }
    }
}

void add(const float * a, const float * b, float * y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = a[i] + b[i];
}

void add_per_channel(float * x, const float * v, int64_t B, int64_t C, int64_t S) {
    for (int64_t bc = 0; bc < B * C; ++bc) {
        const float add_v = v[bc];
        float * p = x + bc * S;
        for (int64_t s = 0; s < S; ++s) p[s] += add_v;
    }
}

void scale(const float * a, float s, float * y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = a[i] * s;
}

} // namespace sdn
