#include "autograd/detail/parallel.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <pthread.h>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define XG_CPU_RELAX() _mm_pause()
#else
#define XG_CPU_RELAX() ((void)0)
#endif

#include "autograd/backend.hpp"

namespace xg::detail {
namespace {

// The helper thread. A recurrent step hands it one half of a ~10–300 µs product every few tens of
// microseconds, so waking it through a condition variable (tens of µs on Linux) would eat the
// gain: after each job it spins for a short while (kSpin) waiting for the next one, and only then
// sleeps. The caller spins while waiting for the helper's half, which is about as long as its own.
class Helper {
 public:
  // Never destroyed: at exit the thread may still be spinning or waiting, and in a forked child
  // it does not exist at all, so there is nothing that could safely be joined or torn down.
  static Helper& instance() {
    static Helper* helper = new Helper;
    return *helper;
  }

  // A forked child has no helper thread (fork copies only the calling thread): posting to it
  // would wait forever, so after a fork the child runs both halves itself.
  static bool usable() { return !forked_child_.load(std::memory_order_relaxed); }

  // One user of the helper at a time; others run both halves themselves.
  bool try_acquire() { return !busy_.test_and_set(std::memory_order_acquire); }
  void release() { busy_.clear(std::memory_order_release); }

  void post(void (*fn)(void*, int), void* ctx) {
    fn_ = fn;
    ctx_ = ctx;
    posted_.fetch_add(1, std::memory_order_seq_cst);
    if (sleeping_.load(std::memory_order_seq_cst)) {
      std::lock_guard<std::mutex> lock(mutex_);
      wake_.notify_one();
    }
  }

  void wait() {
    const std::uint64_t target = posted_.load(std::memory_order_relaxed);
    for (int spins = 0; finished_.load(std::memory_order_acquire) != target; ++spins) {
      if (spins < 4096)
        XG_CPU_RELAX();
      else
        std::this_thread::yield();  // the helper was descheduled (busy machine): give it the core
    }
  }

 private:
  static constexpr std::chrono::microseconds kSpin{200};

  Helper() : thread_([this] { loop(); }) {
    pthread_atfork(nullptr, nullptr, [] { forked_child_.store(true, std::memory_order_relaxed); });
  }

  void loop() {
    std::uint64_t seen = 0;
    for (;;) {
      wait_for_job(seen);
      seen = posted_.load(std::memory_order_acquire);
      fn_(ctx_, 1);
      finished_.store(seen, std::memory_order_release);
    }
  }

  // Spin for kSpin, then sleep until a job is posted.
  void wait_for_job(std::uint64_t seen) {
    const auto spin_until = std::chrono::steady_clock::now() + kSpin;
    for (int i = 0; posted_.load(std::memory_order_acquire) == seen; ++i) {
      XG_CPU_RELAX();
      if ((i & 63) == 0 && std::chrono::steady_clock::now() > spin_until) {
        std::unique_lock<std::mutex> lock(mutex_);
        sleeping_.store(true, std::memory_order_seq_cst);
        wake_.wait(lock, [&] { return posted_.load(std::memory_order_seq_cst) != seen; });
        sleeping_.store(false, std::memory_order_relaxed);
      }
    }
  }

  static inline std::atomic<bool> forked_child_{false};
  std::atomic_flag busy_ = ATOMIC_FLAG_INIT;
  std::atomic<std::uint64_t> posted_{0}, finished_{0};
  std::atomic<bool> sleeping_{false};
  void (*fn_)(void*, int) = nullptr;  // written before posted_ is bumped, read after
  void* ctx_ = nullptr;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::thread thread_;
};

}  // namespace

void run_two_halves(void (*fn)(void* ctx, int half), void* ctx) {
  if (get_num_threads() < 2 || !Helper::usable()) {
    fn(ctx, 0);
    fn(ctx, 1);
    return;
  }
  Helper& helper = Helper::instance();
  if (!helper.try_acquire()) {
    fn(ctx, 0);
    fn(ctx, 1);
    return;
  }
  helper.post(fn, ctx);
  fn(ctx, 0);
  helper.wait();
  helper.release();
}

}  // namespace xg::detail
