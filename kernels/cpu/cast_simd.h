// SIMD conversions of contiguous runs for the hot dtype pairs, one set per instruction set. Each
// produces bits identical to the scalar reference (half.h): cast.cc uses them on rows where both
// sides are contiguous and the reference loop everywhere else.
#pragma once

#include <cstdint>

namespace mt {

// Converts n contiguous elements from src (of the source dtype) to dst (of the destination dtype).
using ContigCastFn = void (*)(const void* src, void* dst, int64_t n);

// The best SIMD conversion for the ISA in use (mt::isa()), or nullptr: use the scalar reference.
ContigCastFn simd_cast_contiguous(int32_t src_dtype, int32_t dst_dtype);

// Per-ISA tables; call only after mt::isa() has confirmed the instruction set.
ContigCastFn avx2_cast_contiguous(int32_t src_dtype, int32_t dst_dtype);
ContigCastFn avx512_cast_contiguous(int32_t src_dtype, int32_t dst_dtype);

}  // namespace mt
