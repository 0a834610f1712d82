#include "parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "mantissa/abi.h"

namespace mt {

namespace {

thread_local bool in_worker = false;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

// How long a worker keeps polling for the next job after the last one, and how long the caller polls
// for the workers to finish, before either sleeps on a condition variable. Waking a sleeping thread
// costs tens of microseconds, which dominates small products; polling longer than this would starve
// other processes on a loaded machine for no gain.
constexpr auto kSpin = std::chrono::microseconds(80);

// Spins until ready() or kSpin elapses; true when ready() held.
template <class Ready>
bool spin_until(Ready ready) {
  auto deadline = std::chrono::steady_clock::now() + kSpin;
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (ready()) return true;
      cpu_relax();
    }
    if (std::chrono::steady_clock::now() >= deadline) return ready();
  }
}

// One job word: generation (high 32 bits) | chunk count (16) | next chunk to claim (16). Claiming a
// chunk is a compare-and-swap on the whole word, so a worker that wakes late for a finished job can
// never take (or miscount) a chunk of the next one.
constexpr uint64_t pack(uint64_t gen, uint64_t chunks, uint64_t next) { return gen << 32 | chunks << 16 | next; }
constexpr uint32_t gen_of(uint64_t w) { return uint32_t(w >> 32); }

class Pool {
 public:
  explicit Pool(int threads) { start(threads); }
  ~Pool() { stop(); }

  int size() const { return size_.load(std::memory_order_relaxed); }

  void resize(int threads) {
    std::lock_guard<std::mutex> serial(run_mutex_);
    if (threads == size()) return;
    stop();
    start(threads);
  }

  void run(int chunks, const std::function<void(int)>& task) {
    std::lock_guard<std::mutex> serial(run_mutex_);  // one parallel region at a time
    task_ = &task;
    pending_.store(chunks, std::memory_order_relaxed);
    const uint32_t gen = gen_of(job_.load(std::memory_order_relaxed)) + 1;
    job_.store(pack(gen, uint64_t(chunks), 0), std::memory_order_seq_cst);
    // Dekker with a sleeping worker: it registers in sleepers_ and then re-reads job_ (both seq_cst),
    // so either it sees the new job or we see it asleep; taking the mutex orders our notify after its wait.
    if (sleepers_.load(std::memory_order_seq_cst) > 0) {
      { std::lock_guard<std::mutex> lock(mutex_); }
      wake_.notify_all();
    }
    drain(gen);
    if (!spin_until([this] { return pending_.load(std::memory_order_acquire) == 0; })) {
      std::unique_lock<std::mutex> lock(mutex_);
      caller_waiting_.store(true, std::memory_order_seq_cst);
      done_.wait(lock, [this] { return pending_.load(std::memory_order_seq_cst) == 0; });
      caller_waiting_.store(false, std::memory_order_relaxed);
    }
    task_ = nullptr;
  }

 private:
  void start(int threads) {
    quit_.store(false);
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { work(); });
    size_.store(int(workers_.size()) + 1, std::memory_order_relaxed);
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      quit_.store(true);
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
    size_.store(1, std::memory_order_relaxed);
  }

  // Claims and runs chunks of generation `gen` until none is left (or a later job has replaced it).
  void drain(uint32_t gen) {
    uint64_t w = job_.load(std::memory_order_acquire);
    for (;;) {
      if (gen_of(w) != gen) return;
      const uint64_t chunks = (w >> 16) & 0xffff, next = w & 0xffff;
      if (next >= chunks) return;
      if (!job_.compare_exchange_weak(w, w + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
      (*task_)(int(next));
      if (pending_.fetch_sub(1, std::memory_order_seq_cst) == 1 &&
          caller_waiting_.load(std::memory_order_seq_cst)) {
        { std::lock_guard<std::mutex> lock(mutex_); }
        done_.notify_all();
      }
      w = job_.load(std::memory_order_acquire);
    }
  }

  void work() {
    in_worker = true;
    uint32_t seen = gen_of(job_.load(std::memory_order_acquire));
    for (;;) {
      auto fresh = [&] { return quit_.load(std::memory_order_relaxed) || gen_of(job_.load(std::memory_order_acquire)) != seen; };
      if (!spin_until(fresh)) {
        std::unique_lock<std::mutex> lock(mutex_);
        sleepers_.fetch_add(1, std::memory_order_seq_cst);
        wake_.wait(lock, [&] { return quit_.load() || gen_of(job_.load(std::memory_order_seq_cst)) != seen; });
        sleepers_.fetch_sub(1, std::memory_order_relaxed);
      }
      if (quit_.load()) return;
      seen = gen_of(job_.load(std::memory_order_acquire));
      drain(seen);
    }
  }

  std::mutex run_mutex_, mutex_;
  std::condition_variable wake_, done_;
  std::vector<std::thread> workers_;
  std::atomic<int> size_{1};
  const std::function<void(int)>* task_ = nullptr;
  std::atomic<uint64_t> job_{0};
  std::atomic<int> pending_{0}, sleepers_{0};
  std::atomic<bool> caller_waiting_{false}, quit_{false};
};

int default_threads() {
  if (const char* env = std::getenv("MANTISSA_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) return std::min(n, 256);
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

Pool& pool() {
  static Pool instance(default_threads());
  return instance;
}

}  // namespace

int num_threads() { return pool().size(); }

void set_num_threads(int n) { pool().resize(std::max(1, std::min(n, 256))); }

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  const int64_t max_chunks = (n + grain - 1) / grain;
  const int chunks = int(std::min<int64_t>(max_chunks, in_worker ? 1 : num_threads()));
  if (chunks <= 1) {
    fn(0, n);
    return;
  }
  const int64_t step = (n + chunks - 1) / chunks;
  // The caller takes chunks too; while it does, a nested parallel_for must run inline.
  in_worker = true;
  pool().run(chunks, [&](int c) {
    const int64_t begin = c * step;
    const int64_t end = std::min(n, begin + step);
    if (begin < end) fn(begin, end);
  });
  in_worker = false;
}

}  // namespace mt

extern "C" int32_t mt_num_threads(void) { return mt::num_threads(); }
extern "C" void mt_set_num_threads(int32_t n) { mt::set_num_threads(n); }
