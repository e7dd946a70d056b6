// arch_util.h — small helpers for the files built with a path's flags, with internal linkage (see the
// rule in x86.h: no inline function of a shared header is compiled in those files).
#pragma once

#include <cstdint>

namespace sdn::x86 {
namespace {

inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
inline int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

} // namespace
} // namespace sdn::x86
