#include "autograd/detail/pool.hpp"

#include <new>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define XG_POOL_ENABLED 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define XG_POOL_ENABLED 0
#endif
#endif
#ifndef XG_POOL_ENABLED
#define XG_POOL_ENABLED 1
#endif

namespace xg::detail {
namespace {

constexpr std::size_t kGranule = 64;  // size classes 64, 128, ..., 768 bytes (a Node is ~550)
constexpr std::size_t kClasses = 12;
constexpr std::size_t kPoolMaxCached = 1024;  // per class and thread

struct FreeBlock {
  FreeBlock* next;
};

// Trivially destructible thread-locals (no guard on access); `closer` returns the blocks to
// malloc at thread exit and marks the lists closed for frees that happen later in the exit.
thread_local FreeBlock* free_lists[kClasses];
thread_local std::size_t cached[kClasses];
thread_local bool closed = false;

struct Closer {
  bool armed = false;
  ~Closer() {
    closed = true;
    for (std::size_t c = 0; c < kClasses; ++c)
      while (FreeBlock* b = free_lists[c]) {
        free_lists[c] = b->next;
        ::operator delete(b);
      }
  }
};
thread_local Closer closer;

}  // namespace

void* pool_allocate(std::size_t bytes) {
  const std::size_t c = (bytes - 1) / kGranule;
  if (!XG_POOL_ENABLED || c >= kClasses || closed) return ::operator new(bytes);
  if (FreeBlock* b = free_lists[c]) {
    free_lists[c] = b->next;
    --cached[c];
    return b;
  }
  closer.armed = true;  // registers the thread's exit clean-up (first use only costs anything)
  return ::operator new((c + 1) * kGranule);
}

void pool_deallocate(void* p, std::size_t bytes) noexcept {
  const std::size_t c = (bytes - 1) / kGranule;
  if (!XG_POOL_ENABLED || c >= kClasses || closed || cached[c] == kPoolMaxCached) {
    ::operator delete(p);
    return;
  }
  auto* b = static_cast<FreeBlock*>(p);
  b->next = free_lists[c];
  free_lists[c] = b;
  ++cached[c];
}

}  // namespace xg::detail
