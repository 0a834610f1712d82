// Built when nvcc is absent: the CUDA entry points answer "not compiled with CUDA".
#include "mantissa/abi.h"

extern "C" int32_t mt_cuda_device_count(const char** reason) {
  if (reason != nullptr) *reason = "Mantissa was built without CUDA (nvcc was not found when the native addon was compiled)";
  return -MT_ERR_NOT_COMPILED_WITH_CUDA;
}
