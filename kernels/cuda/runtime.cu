// The CUDA runtime side of the ABI: device discovery, the caching allocator, copies and the per-device
// accounting. One default stream per device (the legacy stream 0): kernels and copies are ordered on it,
// so a freed block can be handed out again at once (its last users were launched before the next ones),
// and a copy to the host, which synchronises, sees every result launched before it.
#include <cuda_runtime.h>

#include <cstdio>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "common.cuh"

namespace {

constexpr int kMaxDevices = 64;
constexpr size_t kSmall = size_t(1) << 20;       // below: 512-byte classes
constexpr size_t kLargeGrain = size_t(2) << 20;  // above: 2 MiB classes
constexpr size_t kStaging = size_t(8) << 20;     // pinned host buffer per direction
constexpr size_t kDirectCopy = size_t(64) << 10;  // smaller host copies skip the staging buffer

struct DevicePool {
  std::unordered_map<size_t, std::vector<void*>> free_blocks;  // size class -> cached blocks
  size_t allocated = 0, cached = 0, peak = 0;
};

std::mutex mutex;
DevicePool pools[kMaxDevices];
void* staging = nullptr;  // pinned, kStaging bytes; nullptr when pinned memory is unavailable

size_t size_class(size_t bytes) {
  if (bytes == 0) return 512;  // a live storage always has an address
  if (bytes < kSmall) return (bytes + 511) / 512 * 512;
  return (bytes + kLargeGrain - 1) / kLargeGrain * kLargeGrain;
}

int cached_count() {
  static int count = -1;
  static const char* why = nullptr;
  if (count < 0) {
    int n = 0;
    const cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
      cudaGetLastError();
      why = cudaGetErrorString(e);
      n = 0;
    } else if (n == 0) {
      why = "no CUDA device found";
    }
    count = n > kMaxDevices ? kMaxDevices : n;
  }
  mt::cuda::last_count_reason = why;
  return count;
}

mt_status check_device(int32_t device, mt_error* err) {
  const int n = cached_count();
  if (device < 0 || device >= n)
    return mt::fail(err, MT_ERR_DEVICE, "cuda:%d is not available (%d CUDA device(s)%s%s)", device, n,
                    mt::cuda::last_count_reason ? ": " : "",
                    mt::cuda::last_count_reason ? mt::cuda::last_count_reason : "");
  const cudaError_t e = cudaSetDevice(device);
  if (e != cudaSuccess) return mt::cuda::status_of(e, "cudaSetDevice", err);
  return MT_OK;
}

void release_cache_locked() {
  for (int d = 0; d < kMaxDevices; ++d) {
    DevicePool& pool = pools[d];
    if (pool.cached == 0) continue;
    cudaSetDevice(d);
    for (auto& [size, blocks] : pool.free_blocks)
      for (void* p : blocks) cudaFree(p);
    pool.free_blocks.clear();
    pool.cached = 0;
  }
}

}  // namespace

namespace mt::cuda {

const char* last_count_reason = nullptr;

mt_status status_of(cudaError_t e, const char* what, mt_error* err) {
  cudaGetLastError();  // clear a non-sticky error so the next call starts clean
  const mt_status s = e == cudaErrorMemoryAllocation ? MT_ERR_OUT_OF_MEMORY : MT_ERR_DEVICE;
  return fail(err, s, "%s failed: %s (%s)", what, cudaGetErrorString(e), cudaGetErrorName(e));
}

}  // namespace mt::cuda

extern "C" {

int32_t mt_cuda_device_count(const char** reason) {
  const int n = cached_count();
  if (reason != nullptr) *reason = n > 0 ? nullptr : mt::cuda::last_count_reason;
  return n;
}

mt_status mt_cuda_alloc(int32_t device, size_t bytes, void** out, mt_error* err) {
  *out = nullptr;
  std::lock_guard<std::mutex> lock(mutex);
  if (mt_status s = check_device(device, err)) return s;
  DevicePool& pool = pools[device];
  const size_t cls = size_class(bytes);
  auto it = pool.free_blocks.find(cls);
  if (it != pool.free_blocks.end() && !it->second.empty()) {
    *out = it->second.back();
    it->second.pop_back();
    pool.cached -= cls;
  } else {
    cudaError_t e = cudaMalloc(out, cls);
    if (e == cudaErrorMemoryAllocation) {
      // Out of memory: give every cached block back to the driver and try once more.
      cudaGetLastError();
      release_cache_locked();
      cudaSetDevice(device);
      e = cudaMalloc(out, cls);
    }
    if (e != cudaSuccess) {
      *out = nullptr;
      if (e != cudaErrorMemoryAllocation) return mt::cuda::status_of(e, "cudaMalloc", err);
      cudaGetLastError();
      size_t free_b = 0, total_b = 0;
      cudaMemGetInfo(&free_b, &total_b);
      return mt::fail(err, MT_ERR_OUT_OF_MEMORY,
                      "cuda:%d: out of memory allocating %zu bytes (%zu held by live tensors, %zu free of %zu on the "
                      "device after emptying the cache)",
                      device, bytes, pool.allocated, free_b, total_b);
    }
  }
  pool.allocated += cls;
  if (pool.allocated > pool.peak) pool.peak = pool.allocated;
  return MT_OK;
}

void mt_cuda_free(int32_t device, void* p, size_t bytes) {
  if (p == nullptr || device < 0 || device >= kMaxDevices) return;
  std::lock_guard<std::mutex> lock(mutex);
  DevicePool& pool = pools[device];
  const size_t cls = size_class(bytes);
  pool.free_blocks[cls].push_back(p);
  pool.allocated -= cls;
  pool.cached += cls;
}

void mt_cuda_empty_cache(void) {
  std::lock_guard<std::mutex> lock(mutex);
  release_cache_locked();
}

mt_status mt_cuda_memory(int32_t device, size_t* allocated, size_t* cached, size_t* peak, mt_error* err) {
  std::lock_guard<std::mutex> lock(mutex);
  if (device < 0 || device >= cached_count())
    return mt::fail(err, MT_ERR_DEVICE, "cuda:%d is not available (%d CUDA device(s))", device, cached_count());
  *allocated = pools[device].allocated;
  *cached = pools[device].cached;
  *peak = pools[device].peak;
  return MT_OK;
}

mt_status mt_cuda_synchronize(int32_t device, mt_error* err) {
  if (mt_status s = check_device(device, err)) return s;
  const cudaError_t e = cudaStreamSynchronize(0);
  return e == cudaSuccess ? MT_OK : mt::cuda::status_of(e, "cudaStreamSynchronize", err);
}

// Host memory from JavaScript is pageable: large copies go through one pinned buffer, chunk by chunk.
static bool ensure_staging() {
  if (staging != nullptr) return true;
  if (cudaHostAlloc(&staging, kStaging, cudaHostAllocPortable) != cudaSuccess) {
    cudaGetLastError();
    staging = nullptr;
  }
  return staging != nullptr;
}

mt_status mt_cuda_copy_to_device(int32_t device, void* dst, const void* src, size_t bytes, mt_error* err) {
  std::lock_guard<std::mutex> lock(mutex);
  if (mt_status s = check_device(device, err)) return s;
  if (bytes == 0) return MT_OK;
  cudaError_t e = cudaSuccess;
  if (bytes < kDirectCopy || !ensure_staging()) {
    e = cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice);
  } else {
    for (size_t done = 0; done < bytes && e == cudaSuccess; done += kStaging) {
      const size_t n = bytes - done < kStaging ? bytes - done : kStaging;
      // The previous chunk's copy must have left the buffer before it is overwritten.
      e = cudaStreamSynchronize(0);
      if (e != cudaSuccess) break;
      std::memcpy(staging, static_cast<const char*>(src) + done, n);
      e = cudaMemcpyAsync(static_cast<char*>(dst) + done, staging, n, cudaMemcpyHostToDevice, 0);
    }
    if (e == cudaSuccess) e = cudaStreamSynchronize(0);
  }
  return e == cudaSuccess ? MT_OK : mt::cuda::status_of(e, "copy to cuda", err);
}

mt_status mt_cuda_copy_to_host(int32_t device, void* dst, const void* src, size_t bytes, mt_error* err) {
  std::lock_guard<std::mutex> lock(mutex);
  if (mt_status s = check_device(device, err)) return s;
  if (bytes == 0) return cudaStreamSynchronize(0) == cudaSuccess ? MT_OK : mt::cuda::status_of(cudaGetLastError(), "synchronize", err);
  cudaError_t e = cudaSuccess;
  if (bytes < kDirectCopy || !ensure_staging()) {
    e = cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost);  // synchronises with stream 0
  } else {
    for (size_t done = 0; done < bytes && e == cudaSuccess; done += kStaging) {
      const size_t n = bytes - done < kStaging ? bytes - done : kStaging;
      e = cudaMemcpyAsync(staging, static_cast<const char*>(src) + done, n, cudaMemcpyDeviceToHost, 0);
      if (e == cudaSuccess) e = cudaStreamSynchronize(0);
      if (e == cudaSuccess) std::memcpy(static_cast<char*>(dst) + done, staging, n);
    }
  }
  return e == cudaSuccess ? MT_OK : mt::cuda::status_of(e, "copy from cuda", err);
}

mt_status mt_cuda_copy_device(int32_t dst_device, void* dst, int32_t src_device, const void* src, size_t bytes,
                              mt_error* err) {
  std::lock_guard<std::mutex> lock(mutex);
  if (mt_status s = check_device(src_device, err)) return s;
  if (mt_status s = check_device(dst_device, err)) return s;
  if (bytes == 0) return MT_OK;
  cudaError_t e;
  if (dst_device == src_device) {
    e = cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, 0);
  } else {
    // Stream 0 orders work within one device only: finish the source's kernels, then copy.
    cudaSetDevice(src_device);
    e = cudaStreamSynchronize(0);
    if (e == cudaSuccess) e = cudaMemcpyPeer(dst, dst_device, src, src_device, bytes);
  }
  return e == cudaSuccess ? MT_OK : mt::cuda::status_of(e, "copy between cuda devices", err);
}

}  // extern "C"
