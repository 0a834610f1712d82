// Built when nvcc is absent (or MANTISSA_CUDA=0): every CUDA entry point answers "not compiled with CUDA".
#include <cstdio>

#include "mantissa/abi.h"

namespace {
const char* const kReason =
    "Mantissa was built without CUDA (nvcc was not found when the native addon was compiled, or MANTISSA_CUDA=0)";
mt_status not_compiled(mt_error* err) {
  if (err != nullptr) std::snprintf(err->message, sizeof(err->message), "%s", kReason);
  return MT_ERR_NOT_COMPILED_WITH_CUDA;
}
}  // namespace

extern "C" {

int32_t mt_cuda_device_count(const char** reason) {
  if (reason != nullptr) *reason = kReason;
  return -MT_ERR_NOT_COMPILED_WITH_CUDA;
}
mt_status mt_cuda_alloc(int32_t, size_t, void** out, mt_error* err) {
  if (out != nullptr) *out = nullptr;
  return not_compiled(err);
}
void mt_cuda_free(int32_t, void*, size_t) {}
mt_status mt_cuda_copy_to_device(int32_t, void*, const void*, size_t, mt_error* err) { return not_compiled(err); }
mt_status mt_cuda_copy_to_host(int32_t, void*, const void*, size_t, mt_error* err) { return not_compiled(err); }
mt_status mt_cuda_copy_device(int32_t, void*, int32_t, const void*, size_t, mt_error* err) { return not_compiled(err); }
mt_status mt_cuda_synchronize(int32_t, mt_error* err) { return not_compiled(err); }
mt_status mt_cuda_memory(int32_t, size_t*, size_t*, size_t*, mt_error* err) { return not_compiled(err); }
void mt_cuda_empty_cache(void) {}
const char* mt_cuda_blas_info(void) { return kReason; }
const char* mt_cuda_gemm_path(void) { return "none"; }
mt_status mt_cuda_kernel_run(int32_t, mt_tensor*, int32_t, const double*, int32_t, mt_error* err) {
  return not_compiled(err);
}

}  // extern "C"
