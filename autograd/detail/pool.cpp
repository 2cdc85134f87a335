#include "autograd/detail/pool.hpp"

#include <new>

#include "autograd/tensor.hpp"

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

// Released TensorImpls kept for reuse by new_tensor_impl (a stack; same exit rules as the lists).
constexpr std::size_t kImplMaxCached = 1024;
constexpr std::size_t kImplMaxRank = 8;  // impls whose shape buffer is larger go back to the heap
thread_local TensorImpl* impl_cache[kImplMaxCached];
thread_local std::size_t impl_cached = 0;
thread_local bool impl_cache_closed = false;

struct ImplCacheCloser {
  bool armed = false;
  ~ImplCacheCloser() {
    impl_cache_closed = true;
    while (impl_cached > 0) delete impl_cache[--impl_cached];
  }
};
thread_local ImplCacheCloser impl_cache_closer;

// The shared_ptr deleter of new_tensor_impl's impls: drops what the impl refers to, in the order
// its destructor would, and parks it with its shape buffer. Dropping a grad_fn may free a whole
// graph and with it more impls, which park themselves first (the stack is only read afterwards).
struct RecycleImpl {
  void operator()(TensorImpl* impl) const noexcept {
    impl->grad_accumulator.reset();
    impl->grad_fn.reset();
    impl->grad.reset();
    impl->storage.reset();
    if (impl_cache_closed || impl_cached == kImplMaxCached || impl->shape.capacity() > kImplMaxRank) {
      delete impl;
      return;
    }
    impl->shape.clear();
    impl->dtype = kFloat32;
    impl->requires_grad = false;
    impl->retains_grad = false;
    impl->output_nr = 0;
    impl->grad_accumulator_ready.store(false, std::memory_order_relaxed);
    impl_cache[impl_cached++] = impl;
  }
};

}  // namespace

std::shared_ptr<TensorImpl> new_tensor_impl() {
  if (!XG_POOL_ENABLED) return std::make_shared<TensorImpl>();
  TensorImpl* impl;
  if (impl_cached > 0) {
    impl = impl_cache[--impl_cached];
  } else {
    impl = new TensorImpl();
    impl_cache_closer.armed = true;  // registers the thread's exit clean-up
  }
  return std::shared_ptr<TensorImpl>(impl, RecycleImpl{}, PoolAllocator<TensorImpl>());
}

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
