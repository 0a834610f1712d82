// The SIMD rows of unscale_check (unscale_check.cc): dst = src * inv_scale into float32, returning
// whether every result is finite.
#pragma once

#include <cstdint>

namespace mt {

using UnscaleRowFn = bool (*)(const void* src, float* dst, int64_t n, float inv_scale);

// For a float32, float16 or bfloat16 source; nullptr otherwise. Call only when mt::isa() >= Avx512.
UnscaleRowFn unscale_row_avx512(int32_t src_dtype);

}  // namespace mt
