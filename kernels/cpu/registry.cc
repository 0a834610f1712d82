// The kernel table, generated from ops.def.
#include <cstring>

#include "kernel.h"
#include "mantissa/cuda_backend.h"
#include "parallel.h"

namespace {

struct Entry {
  const char* name;
  int32_t arity;
  mt_kernel_fn fn;
};

const Entry kTable[] = {
#define MT_KERNEL(name, arity) {#name, arity, mt_k_##name},
#include "../ops.def"
#undef MT_KERNEL
};

constexpr int32_t kCount = int32_t(sizeof(kTable) / sizeof(kTable[0]));

}  // namespace

extern "C" {

int32_t mt_kernel_count(void) { return kCount; }

const char* mt_kernel_name(int32_t id) { return id >= 0 && id < kCount ? kTable[id].name : nullptr; }

int32_t mt_kernel_arity(int32_t id) { return id >= 0 && id < kCount ? kTable[id].arity : 0; }

int32_t mt_kernel_find(const char* name) {
  for (int32_t i = 0; i < kCount; ++i)
    if (std::strcmp(kTable[i].name, name) == 0) return i;
  return -1;
}

mt_status mt_kernel_run(int32_t id, mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs,
                        mt_error* err) {
  err->message[0] = 0;
  if (id < 0 || id >= kCount) return mt::fail(err, MT_ERR_UNKNOWN_KERNEL, "unknown kernel id %d", id);
  const Entry& k = kTable[id];
  if (k.arity >= 0 && nargs != k.arity)
    return mt::fail(err, MT_ERR_INVALID_ARGUMENT, "%s: expected %d tensor arguments, got %d", k.name, k.arity,
                    nargs);
  int32_t on_cuda = 0;
  for (int32_t i = 0; i < nargs; ++i) {
    if (args[i].dtype < 0 || args[i].dtype >= MT_NUM_DTYPES)
      return mt::fail(err, MT_ERR_UNSUPPORTED_DTYPE, "%s: argument %d has unknown dtype code %d", k.name, i,
                      args[i].dtype);
    if (args[i].device >= MT_DEVICE_CUDA) ++on_cuda;
    else if (args[i].device != MT_DEVICE_CPU)
      return mt::fail(err, MT_ERR_DEVICE, "%s: argument %d has unknown device code %d", k.name, i, args[i].device);
  }
  // One device per call: the CUDA backend (kernels/cuda/registry.cu, the stub, or the host emulation)
  // takes CUDA calls.
  if (on_cuda == nargs && nargs > 0) return mt_cuda()->kernel_run(id, args, nargs, attrs, nattrs, err);
  if (on_cuda > 0)
    return mt::fail(err, MT_ERR_DEVICE, "%s: %d of %d tensor arguments are on cuda, the others on the cpu (expected one device)",
                    k.name, on_cuda, nargs);
  return k.fn(args, nargs, attrs, nattrs, err);
}

size_t mt_dtype_size(int32_t dtype) {
  switch (dtype) {
    case MT_FLOAT32:
    case MT_INT32:
      return 4;
    case MT_FLOAT16:
    case MT_BFLOAT16:
      return 2;
    case MT_FLOAT64:
      return 8;
    case MT_BOOL:
      return 1;
  }
  return 0;
}

}  // extern "C"
