#include "elementwise.h"

#include <algorithm>

#include "../core/threads.h"

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

// Strides of `s` in the index space of a rank-`rank` output (0 where s broadcasts).
static Shape strides_in(const Shape & s, size_t rank) {
    Shape st(rank, 0);
    int64_t acc = 1;
    for (size_t i = s.size(); i-- > 0;) {
        st[i + rank - s.size()] = s[i] == 1 ? 0 : acc;
        acc *= s[i];
    }
    return st;
}

void binary_broadcast_naive(BinaryOp op, const float * a, const Shape & a_shape, const float * b, const Shape & b_shape,
                            float * y) {
    const Shape out = broadcast_shape(a_shape, b_shape);
    const size_t rank = out.size();
    const Shape sa = strides_in(a_shape, rank), sb = strides_in(b_shape, rank);
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

template <BinaryOp OP>
static inline float apply(float x, float z) { return OP == BinaryOp::Add ? x + z : x * z; }

// One innermost run of length L; a and b step by 1 or 0 (broadcast).
template <BinaryOp OP>
static void run(const float * a, int64_t sa, const float * b, int64_t sb, float * y, int64_t L) {
    if (sa && sb) for (int64_t i = 0; i < L; ++i) y[i] = apply<OP>(a[i], b[i]);
    else if (sa) { const float bv = *b; for (int64_t i = 0; i < L; ++i) y[i] = apply<OP>(a[i], bv); }
    else if (sb) { const float av = *a; for (int64_t i = 0; i < L; ++i) y[i] = apply<OP>(av, b[i]); }
    else { const float v = apply<OP>(*a, *b); for (int64_t i = 0; i < L; ++i) y[i] = v; }
}

// Merges adjacent dimensions that both operands walk the same way (both contiguous, or both
// broadcast), so the innermost run is as long as possible; then threads over the outer index.
void binary_broadcast(BinaryOp op, const float * a, const Shape & a_shape, const float * b, const Shape & b_shape, float * y) {
    const Shape out = broadcast_shape(a_shape, b_shape);
    const size_t rank = out.size();
    const int64_t n = shape_numel(out);
    if (n == 0) return;
    const Shape sa = strides_in(a_shape, rank), sb = strides_in(b_shape, rank);
    // Collapsed dimensions, outermost first.
    Shape dims, da, db;
    for (size_t d = 0; d < rank; ++d) {
        if (out[d] == 1) continue;
        if (!dims.empty() && da.back() == sa[d] * out[d] && db.back() == sb[d] * out[d]) {
            dims.back() *= out[d];
            da.back() = sa[d];
            db.back() = sb[d];
            continue;
        }
        dims.push_back(out[d]);
        da.push_back(sa[d]);
        db.push_back(sb[d]);
    }
    if (dims.empty()) { // a scalar result
        y[0] = op == BinaryOp::Add ? a[0] + b[0] : a[0] * b[0];
        return;
    }
    const int64_t L = dims.back(), ia = da.back(), ib = db.back(); // ia, ib are 0 or 1
    const int64_t rows = n / L;
    const size_t outer = dims.size() - 1;
    parallel_for(rows, std::max<int64_t>(1, 32768 / L), [&](int64_t r0, int64_t r1, int) {
        for (int64_t r = r0; r < r1; ++r) {
            int64_t rest = r, oa = 0, ob = 0;
            for (size_t d = outer; d-- > 0;) {
                const int64_t i = rest % dims[d];
                rest /= dims[d];
                oa += i * da[d];
                ob += i * db[d];
            }
            if (op == BinaryOp::Add) run<BinaryOp::Add>(a + oa, ia, b + ob, ib, y + r * L, L);
            else run<BinaryOp::Mul>(a + oa, ia, b + ob, ib, y + r * L, L);
        }
    });
}

void add_naive(const float * a, const float * b, float * y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = a[i] + b[i];
}

void add_per_channel_naive(float * x, const float * v, int64_t B, int64_t C, int64_t S) {
    for (int64_t bc = 0; bc < B * C; ++bc)
        for (int64_t s = 0; s < S; ++s) x[bc * S + s] += v[bc];
}

void scale_naive(const float * a, float s, float * y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = a[i] * s;
}

constexpr int64_t kGrain = 32768; // elements per chunk: ~128 KiB, tens of microseconds

void add(const float * a, const float * b, float * y, int64_t n) {
    parallel_for(n, kGrain, [&](int64_t i0, int64_t i1, int) {
        for (int64_t i = i0; i < i1; ++i) y[i] = a[i] + b[i];
    });
}

void add_per_channel(float * x, const float * v, int64_t B, int64_t C, int64_t S) {
    if (S <= 0) return;
    parallel_for(B * C, std::max<int64_t>(1, kGrain / S), [&](int64_t p0, int64_t p1, int) {
        for (int64_t bc = p0; bc < p1; ++bc) {
            const float add_v = v[bc];
            float * p = x + bc * S;
            for (int64_t s = 0; s < S; ++s) p[s] += add_v;
        }
    });
}

void scale(const float * a, float s, float * y, int64_t n) {
    parallel_for(n, kGrain, [&](int64_t i0, int64_t i1, int) {
        for (int64_t i = i0; i < i1; ++i) y[i] = a[i] * s;
    });
}

} // namespace sdn
