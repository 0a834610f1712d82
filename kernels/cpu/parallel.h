// A small fork-join thread pool sized to the machine (MANTISSA_NUM_THREADS overrides).
#pragma once

#include <cstdint>
#include <functional>

namespace mt {

int num_threads();
void set_num_threads(int n);

// Splits [0, n) into at most num_threads() chunks of at least `grain` items and runs fn(begin, end) on
// each, the calling thread included. Runs inline when the range is small or when called from a worker.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace mt
