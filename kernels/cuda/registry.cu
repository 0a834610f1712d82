// The CUDA kernel table, parallel to kernels/cpu/registry.cc and generated from the same ops.def. A
// kernel the CUDA backend does not have yet is a weak symbol left undefined (null), and answers
// MT_ERR_NOT_IMPLEMENTED_ON_DEVICE. The static library is linked whole (--whole-archive), so every
// kernel object that defines one is in the addon.
#include "common.cuh"

#define MT_KERNEL(name, arity)                                                                                \
  extern "C" __attribute__((weak)) mt_status mt_cuda_k_##name(mt_tensor* args, int32_t nargs, const double* attrs, \
                                                              int32_t nattrs, mt_error* err);
#include "../ops.def"
#undef MT_KERNEL

namespace {

struct Entry {
  const char* name;
  mt_kernel_fn fn;
};

const Entry kTable[] = {
#define MT_KERNEL(name, arity) {#name, mt_cuda_k_##name},
#include "../ops.def"
#undef MT_KERNEL
};

constexpr int32_t kCount = int32_t(sizeof(kTable) / sizeof(kTable[0]));

}  // namespace

extern "C" mt_status mt_cuda_kernel_run(int32_t id, mt_tensor* args, int32_t nargs, const double* attrs,
                                        int32_t nattrs, mt_error* err) {
  if (id < 0 || id >= kCount) return mt::fail(err, MT_ERR_UNKNOWN_KERNEL, "unknown kernel id %d", id);
  const Entry& k = kTable[id];
  const int32_t device = nargs > 0 ? args[0].device : MT_DEVICE_CUDA;
  for (int32_t i = 0; i < nargs; ++i)
    if (args[i].device != device)
      return mt::fail(err, MT_ERR_DEVICE, "%s: argument %d is on cuda:%d, argument 0 on cuda:%d (expected one device)",
                      k.name, i, args[i].device - MT_DEVICE_CUDA, device - MT_DEVICE_CUDA);
  if (k.fn == nullptr)
    return mt::fail(err, MT_ERR_NOT_IMPLEMENTED_ON_DEVICE,
                    "%s: not implemented on cuda yet (move the tensors to the cpu with .to('cpu'))", k.name);
  const cudaError_t e = cudaSetDevice(device - MT_DEVICE_CUDA);
  if (e != cudaSuccess) return mt::cuda::status_of(e, k.name, err);
  if (mt_status s = k.fn(args, nargs, attrs, nattrs, err)) return s;
  return mt::cuda::launched(k.name, err);
}
