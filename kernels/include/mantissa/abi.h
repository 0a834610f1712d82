/* Mantissa kernel ABI.
 *
 * The compute kernels sit behind this plain C interface so that any host (the Node binding, a test
 * driver, a future Python binding) can call them. Nothing here knows about Node or about Tensor objects:
 * a kernel receives raw storage pointers plus a layout (shape, strides, offset, all in elements).
 */
#ifndef MANTISSA_ABI_H
#define MANTISSA_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MT_MAX_DIMS 8

/* The numeric codes are part of the ABI: packages/tensor/src/dtype.ts mirrors them and a test checks it. */
typedef enum {
  MT_FLOAT32 = 0,
  MT_FLOAT16 = 1,
  MT_BFLOAT16 = 2,
  MT_FLOAT64 = 3,
  MT_INT32 = 4,
  MT_BOOL = 5,
  MT_NUM_DTYPES = 6
} mt_dtype;

typedef enum { MT_DEVICE_CPU = 0, MT_DEVICE_CUDA = 1 } mt_device;

typedef enum {
  MT_OK = 0,
  MT_ERR_INVALID_ARGUMENT = 1,
  MT_ERR_UNSUPPORTED_DTYPE = 2,
  MT_ERR_SHAPE = 3,
  MT_ERR_OUT_OF_MEMORY = 4,
  MT_ERR_NOT_COMPILED_WITH_CUDA = 5,
  MT_ERR_UNKNOWN_KERNEL = 6,
  MT_ERR_DEVICE = 7,
  MT_ERR_NOT_IMPLEMENTED_ON_DEVICE = 8
} mt_status;

/* A strided view of a storage. Strides are in elements, never negative. */
typedef struct {
  int32_t ndim;
  int64_t shape[MT_MAX_DIMS];
  int64_t strides[MT_MAX_DIMS];
  int64_t offset;
} mt_layout;

typedef struct {
  void *data; /* storage base; element (i0..in) lives at data + (offset + sum ik*stride_k) * itemsize */
  int32_t dtype;
  int32_t device;
  mt_layout layout;
} mt_tensor;

/* Filled by a kernel that fails; the binding turns it into a JS error naming the kernel. */
typedef struct {
  char message[512];
} mt_error;

/* Every kernel has this signature. args = inputs followed by outputs (the kernel's arity is in the
 * registry); attrs are scalar attributes (axes, scalars, seeds), all passed as doubles. */
typedef mt_status (*mt_kernel_fn)(mt_tensor *args, int32_t nargs, const double *attrs, int32_t nattrs,
                                  mt_error *err);

/* Kernel registry: kernels are looked up once by name, then called by id. */
int32_t mt_kernel_count(void);
const char *mt_kernel_name(int32_t id);
int32_t mt_kernel_arity(int32_t id); /* number of tensor args, -1 for variadic */
int32_t mt_kernel_find(const char *name);
mt_status mt_kernel_run(int32_t id, mt_tensor *args, int32_t nargs, const double *attrs, int32_t nattrs,
                        mt_error *err);

/* Storage. 64-byte aligned; mt_alloc returns NULL on failure. mt_free takes the size given to mt_alloc:
 * large blocks are kept in a size-class cache for reuse (freshly mapped memory costs a page fault per 4 KiB
 * on first touch, which would dominate memory-bound kernels). mt_empty_cache returns them to the system. */
void *mt_alloc(size_t bytes);
void mt_free(void *p, size_t bytes);
size_t mt_cached_bytes(void);
void mt_empty_cache(void);
size_t mt_dtype_size(int32_t dtype);

/* Runtime: the ISA chosen at load time ("scalar", "avx2", "avx512", "avx512bf16") and the thread pool. */
const char *mt_isa(void);
int32_t mt_num_threads(void);
void mt_set_num_threads(int32_t n);

/* CUDA: device count, or a negative status (MT_ERR_NOT_COMPILED_WITH_CUDA) with a reason. A count of 0
 * comes with a reason too (no driver, no device). Built without CUDA, every mt_cuda_* call below answers
 * MT_ERR_NOT_COMPILED_WITH_CUDA (kernels/cuda/stub.cc).
 *
 * Device codes: mt_tensor.device is MT_DEVICE_CPU, or MT_DEVICE_CUDA + N for cuda:N. */
int32_t mt_cuda_device_count(const char **reason);

/* Device memory, through a caching allocator (size-class pools per device). mt_cuda_alloc frees the
 * cache and retries once when the device is out of memory, then fails with MT_ERR_OUT_OF_MEMORY.
 * mt_cuda_free takes the size given to mt_cuda_alloc. */
mt_status mt_cuda_alloc(int32_t device, size_t bytes, void **out, mt_error *err);
void mt_cuda_free(int32_t device, void *p, size_t bytes);
/* Copies run on the device's default stream; copies to the host synchronise it (staged through pinned
 * host memory), so a host read sees every kernel launched before it. */
mt_status mt_cuda_copy_to_device(int32_t device, void *dst, const void *src, size_t bytes, mt_error *err);
mt_status mt_cuda_copy_to_host(int32_t device, void *dst, const void *src, size_t bytes, mt_error *err);
mt_status mt_cuda_copy_device(int32_t dst_device, void *dst, int32_t src_device, const void *src, size_t bytes,
                              mt_error *err);
mt_status mt_cuda_synchronize(int32_t device, mt_error *err);
/* Per device: bytes held by live allocations, bytes cached for reuse, and their peak. */
mt_status mt_cuda_memory(int32_t device, size_t *allocated, size_t *cached, size_t *peak, mt_error *err);
void mt_cuda_empty_cache(void);
/* The cuBLASLt library the CUDA GEMM loaded at run time (its path), or why none is loaded ("disabled by
 * MANTISSA_CUBLASLT=0", "libcublasLt not found (...)", or that CUDA is not compiled in). */
const char *mt_cuda_blas_info(void);
/* Which implementation the last CUDA GEMM call ran: "cublaslt", "wmma", "simt", or "none". */
const char *mt_cuda_gemm_path(void);
/* Runs kernel `id` (ops.def) on CUDA tensors, all on one device; MT_ERR_NOT_IMPLEMENTED_ON_DEVICE
 * when the CUDA backend has no such kernel yet. */
mt_status mt_cuda_kernel_run(int32_t id, mt_tensor *args, int32_t nargs, const double *attrs, int32_t nattrs,
                             mt_error *err);

#ifdef __cplusplus
}
#endif

#endif
