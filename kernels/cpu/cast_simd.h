// SIMD row functions for the hot casts, chosen by the ISA in use. nullptr: use the scalar path.
#pragma once

#include <cstdint>

namespace mt {

using CastRowFn = void (*)(char** ptrs, const int64_t* byte_strides, int64_t n);

CastRowFn simd_cast_row(int32_t src_dtype, int32_t dst_dtype);

}  // namespace mt
