// One CUDA device emulated on the host (MANTISSA_CUDA_EMULATE=1, only where no real device exists).
//
// What it is for: running a whole training stack on device 'cuda' in CI, where there is no GPU, so that
// any tensor left on the cpu meets the same mixed-device error as on a GPU, and device memory can be
// watched through the same accounting (allocated / cached / peak, emptyCache, out-of-memory after
// emptying the cache and retrying). What it is not: a check of the GPU kernels' numbers. Kernels run
// the CPU kernels on a copy of the arguments whose device codes say cpu; the parity suite on a real GPU
// checks the CUDA kernels.
//
// The allocator mirrors kernels/cuda/runtime.cu (same size classes, so the same byte counts), over
// aligned host memory, with a capacity (MANTISSA_CUDA_EMULATE_MB, default the host's physical memory)
// so that out-of-memory is reached the way a device reaches it, not by the host's overcommit.
#include "cuda_emulation.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "kernel.h"

namespace {

constexpr int32_t kDevices = 1;
constexpr size_t kSmall = size_t(1) << 20;
constexpr size_t kLargeGrain = size_t(2) << 20;
constexpr int32_t kMaxArgs = 64;
const char* const kReason = "emulated on the host (MANTISSA_CUDA_EMULATE=1)";

size_t size_class(size_t bytes) {
  if (bytes == 0) return 512;
  if (bytes < kSmall) return (bytes + 511) / 512 * 512;
  return (bytes + kLargeGrain - 1) / kLargeGrain * kLargeGrain;
}

size_t capacity() {
  const char* env = std::getenv("MANTISSA_CUDA_EMULATE_MB");
  if (env != nullptr) {
    char* end = nullptr;
    const unsigned long long mb = std::strtoull(env, &end, 10);
    if (end != env && *end == 0 && mb > 0) return size_t(mb) << 20;
  }
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? size_t(pages) * size_t(page) : size_t(1) << 34;
}

struct Pool {
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<void*>> free_blocks;  // size class -> cached blocks
  size_t allocated = 0, cached = 0, peak = 0;
  const size_t capacity = ::capacity();
};

Pool& pool() {
  static Pool p;
  return p;
}

void release_cache_locked(Pool& p) {
  for (auto& [cls, blocks] : p.free_blocks)
    for (void* b : blocks) std::free(b);
  p.free_blocks.clear();
  p.cached = 0;
}

mt_status check_device(int32_t device, mt_error* err) {
  if (device < 0 || device >= kDevices)
    return mt::fail(err, MT_ERR_DEVICE, "cuda:%d is not available (%d CUDA device(s): %s)", device, kDevices, kReason);
  return MT_OK;
}

// Host memory within the emulated capacity; nullptr when either is exhausted.
void* device_malloc(Pool& p, size_t cls) {
  if (cls > p.capacity || p.allocated + p.cached > p.capacity - cls) return nullptr;
  return std::aligned_alloc(64, cls);
}

int32_t device_count(const char** reason) {
  if (reason != nullptr) *reason = kReason;
  return kDevices;
}

mt_status alloc(int32_t device, size_t bytes, void** out, mt_error* err) {
  *out = nullptr;
  if (mt_status s = check_device(device, err)) return s;
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  const size_t cls = size_class(bytes);
  auto it = p.free_blocks.find(cls);
  if (it != p.free_blocks.end() && !it->second.empty()) {
    *out = it->second.back();
    it->second.pop_back();
    p.cached -= cls;
  } else {
    *out = device_malloc(p, cls);
    if (*out == nullptr) {
      // As on a device: give every cached block back and try once more.
      release_cache_locked(p);
      *out = device_malloc(p, cls);
    }
    if (*out == nullptr) {
      const size_t free_b = p.capacity > p.allocated ? p.capacity - p.allocated : 0;
      return mt::fail(err, MT_ERR_OUT_OF_MEMORY,
                      "cuda:%d: out of memory allocating %zu bytes (%zu held by live tensors, %zu free of %zu on the "
                      "device after emptying the cache; %s)",
                      device, bytes, p.allocated, free_b, p.capacity, kReason);
    }
  }
  p.allocated += cls;
  if (p.allocated > p.peak) p.peak = p.allocated;
  return MT_OK;
}

void free_block(int32_t device, void* ptr, size_t bytes) {
  if (ptr == nullptr || device < 0 || device >= kDevices) return;
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  const size_t cls = size_class(bytes);
  p.free_blocks[cls].push_back(ptr);
  p.allocated -= cls;
  p.cached += cls;
}

void empty_cache() {
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  release_cache_locked(p);
}

mt_status memory(int32_t device, size_t* allocated, size_t* cached, size_t* peak, mt_error* err) {
  if (mt_status s = check_device(device, err)) return s;
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  *allocated = p.allocated;
  *cached = p.cached;
  *peak = p.peak;
  return MT_OK;
}

mt_status copy(int32_t device, void* dst, const void* src, size_t bytes, mt_error* err) {
  if (mt_status s = check_device(device, err)) return s;
  if (bytes > 0) std::memmove(dst, src, bytes);
  return MT_OK;
}

mt_status copy_device(int32_t dst_device, void* dst, int32_t src_device, const void* src, size_t bytes,
                      mt_error* err) {
  if (mt_status s = check_device(src_device, err)) return s;
  return copy(dst_device, dst, src, bytes, err);
}

mt_status synchronize(int32_t device, mt_error* err) { return check_device(device, err); }

mt_status kernel_run(int32_t id, mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs,
                     mt_error* err) {
  const char* name = mt_kernel_name(id);
  if (name == nullptr) return mt::fail(err, MT_ERR_UNKNOWN_KERNEL, "unknown kernel id %d", id);
  if (nargs > kMaxArgs) return mt::fail(err, MT_ERR_INVALID_ARGUMENT, "%s: more than %d tensor arguments", name, kMaxArgs);
  mt_tensor host[kMaxArgs];
  for (int32_t i = 0; i < nargs; ++i) {
    if (args[i].device != args[0].device)
      return mt::fail(err, MT_ERR_DEVICE, "%s: argument %d is on cuda:%d, argument 0 on cuda:%d (expected one device)",
                      name, i, args[i].device - MT_DEVICE_CUDA, args[0].device - MT_DEVICE_CUDA);
    host[i] = args[i];
    host[i].device = MT_DEVICE_CPU;
  }
  if (nargs > 0)
    if (mt_status s = check_device(args[0].device - MT_DEVICE_CUDA, err)) return s;
  // The caller's args keep their cuda codes; the CPU registry sees a call that is all on the cpu.
  return mt_kernel_run(id, host, nargs, attrs, nattrs, err);
}

const mt_cuda_backend kEmulation = {
    1,           device_count, alloc,       free_block, copy, copy, copy_device, synchronize,
    memory,      empty_cache,  kernel_run,
};

}  // namespace

namespace mt {
const mt_cuda_backend* cuda_emulation() { return &kEmulation; }
}  // namespace mt
