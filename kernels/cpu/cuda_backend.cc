// Chooses the CUDA backend table once (kernels/include/mantissa/cuda_backend.h): the real runtime,
// or the host emulation when asked for and no real device exists.
#include "mantissa/cuda_backend.h"

#include <cstdlib>
#include <cstring>

#include "cuda_emulation.h"

namespace {

const mt_cuda_backend kReal = {
    0,
    mt_cuda_device_count,
    mt_cuda_alloc,
    mt_cuda_free,
    mt_cuda_copy_to_device,
    mt_cuda_copy_to_host,
    mt_cuda_copy_device,
    mt_cuda_synchronize,
    mt_cuda_memory,
    mt_cuda_empty_cache,
    mt_cuda_kernel_run,
};

const mt_cuda_backend* choose() {
  const char* env = std::getenv("MANTISSA_CUDA_EMULATE");
  if (env == nullptr || std::strcmp(env, "1") != 0) return &kReal;
  // Never shadow a real GPU: the emulation stands in only where the runtime finds none (or is a stub).
  if (mt_cuda_device_count(nullptr) > 0) return &kReal;
  return mt::cuda_emulation();
}

}  // namespace

extern "C" const mt_cuda_backend* mt_cuda(void) {
  static const mt_cuda_backend* const backend = choose();
  return backend;
}
