// Storage allocation with a cache of large blocks.
//
// glibc serves large requests (above its mmap threshold, at most 32 MiB) with fresh mmaps, so every
// large tensor would pay one page fault per 4 KiB on first touch: more than the kernel itself for
// memory-bound ops, and training loops reallocate the same sizes every batch. Blocks of 1 MiB and more
// are rounded to a size class (8 steps per power of two, at most 12.5% waste) and kept on free lists
// up to a cap (MANTISSA_CACHE_MB, default 1024) instead of being unmapped.
#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "mantissa/abi.h"

namespace {

constexpr size_t kCachedFrom = size_t(1) << 20;

size_t size_class(size_t bytes) {
  if (bytes < kCachedFrom) return (bytes + 63) & ~size_t(63);
  size_t power = kCachedFrom;
  while (power * 2 <= bytes) power *= 2;
  const size_t step = power / 8;
  return (bytes + step - 1) / step * step;
}

size_t cache_limit() {
  const char* env = std::getenv("MANTISSA_CACHE_MB");
  if (env != nullptr) {
    char* end = nullptr;
    const unsigned long long mb = std::strtoull(env, &end, 10);
    if (end != env) return size_t(mb) << 20;
  }
  return size_t(1024) << 20;
}

struct Cache {
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<void*>> free_lists;
  size_t bytes = 0;
  const size_t limit = cache_limit();

  void* take(size_t cls) {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = free_lists.find(cls);
    if (it == free_lists.end() || it->second.empty()) return nullptr;
    void* p = it->second.back();
    it->second.pop_back();
    bytes -= cls;
    return p;
  }

  bool put(void* p, size_t cls) {
    std::lock_guard<std::mutex> lock(mutex);
    if (bytes + cls > limit) return false;
    free_lists[cls].push_back(p);
    bytes += cls;
    return true;
  }

  void clear() {
    std::lock_guard<std::mutex> lock(mutex);
    for (auto& [cls, list] : free_lists)
      for (void* p : list) std::free(p);
    free_lists.clear();
    bytes = 0;
  }
};

Cache& cache() {
  static Cache* instance = new Cache();  // never destroyed: storages may outlive static destructors
  return *instance;
}

}  // namespace

extern "C" {

void* mt_alloc(size_t bytes) {
  const size_t cls = size_class(bytes == 0 ? 1 : bytes);
  if (cls >= kCachedFrom) {
    if (void* p = cache().take(cls)) return p;
  }
  void* p = std::aligned_alloc(64, cls);
  if (p == nullptr && cls >= kCachedFrom) {
    cache().clear();
    p = std::aligned_alloc(64, cls);
  }
  return p;
}

void mt_free(void* p, size_t bytes) {
  if (p == nullptr) return;
  const size_t cls = size_class(bytes == 0 ? 1 : bytes);
  if (cls >= kCachedFrom && cache().put(p, cls)) return;
  std::free(p);
}

size_t mt_cached_bytes(void) { return cache().bytes; }

void mt_empty_cache(void) { cache().clear(); }

}  // extern "C"
