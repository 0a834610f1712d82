/* The CUDA backend table: the few callers that reach a CUDA device (the Node binding, the kernel
 * registry) go through mt_cuda() instead of calling mt_cuda_* directly, so that one choice made once
 * decides what "cuda" means for the whole process:
 *   - the real runtime (kernels/cuda/runtime.cu + registry.cu, or kernels/cuda/stub.cc without nvcc);
 *   - the host emulation (kernels/cpu/cuda_emulation.cc), only when MANTISSA_CUDA_EMULATE=1 is set at
 *     process start AND the real runtime reports no device: 'cuda' tensors then live in host memory
 *     behind the same accounting, and kernels run the CPU kernels. It checks device placement (no
 *     cpu/cuda mix, flat device memory), never the GPU kernels' numbers. A real GPU is never shadowed.
 */
#ifndef MANTISSA_CUDA_BACKEND_H
#define MANTISSA_CUDA_BACKEND_H

#include "abi.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int32_t emulated; /* 1 for the host emulation */
  int32_t (*device_count)(const char **reason);
  mt_status (*alloc)(int32_t device, size_t bytes, void **out, mt_error *err);
  void (*free)(int32_t device, void *p, size_t bytes);
  mt_status (*copy_to_device)(int32_t device, void *dst, const void *src, size_t bytes, mt_error *err);
  mt_status (*copy_to_host)(int32_t device, void *dst, const void *src, size_t bytes, mt_error *err);
  mt_status (*copy_device)(int32_t dst_device, void *dst, int32_t src_device, const void *src, size_t bytes,
                           mt_error *err);
  mt_status (*synchronize)(int32_t device, mt_error *err);
  mt_status (*memory)(int32_t device, size_t *allocated, size_t *cached, size_t *peak, mt_error *err);
  void (*empty_cache)(void);
  /* Every tensor is on CUDA (the registry has checked); runs kernel `id` there. */
  mt_status (*kernel_run)(int32_t id, mt_tensor *args, int32_t nargs, const double *attrs, int32_t nattrs,
                          mt_error *err);
} mt_cuda_backend;

/* The table, chosen on the first call (the environment is read once) and fixed for the process. */
const mt_cuda_backend *mt_cuda(void);

#ifdef __cplusplus
}
#endif

#endif
