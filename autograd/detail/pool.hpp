#pragma once
// Per-thread recycling of the small objects every recorded op allocates (internal).
//
// Each op creates a TensorImpl, a Storage and a Node, and backward frees them all at once; on
// glibc those sizes (150-350 bytes) miss the fast bins and cost ~190 instructions per malloc +
// free pair, a third of an op's fixed cost (bench/RESULTS.md, callgrind). Freed blocks go to a
// list of the freeing thread instead and are handed out again by its next allocation of that size
// class: a few instructions, no lock. Blocks freed on another thread simply join that thread's
// lists. Each list holds at most kPoolMaxCached blocks (the rest go back to malloc), so a thread
// keeps at most ~5 MB; a thread's lists are returned to malloc when it exits. Sanitizer builds
// bypass the pool, so AddressSanitizer still sees every use after free.
#include <cstddef>
#include <memory>
#include <utility>

namespace xg {
struct TensorImpl;
}  // namespace xg

namespace xg::detail {

void* pool_allocate(std::size_t bytes);
void pool_deallocate(void* p, std::size_t bytes) noexcept;

template <typename T>
struct PoolAllocator {
  using value_type = T;
  PoolAllocator() = default;
  template <typename U>
  PoolAllocator(const PoolAllocator<U>&) {}  // NOLINT: rebinding, as allocate_shared needs
  T* allocate(std::size_t n) { return static_cast<T*>(pool_allocate(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { pool_deallocate(p, n * sizeof(T)); }
  template <typename U>
  bool operator==(const PoolAllocator<U>&) const { return true; }
  template <typename U>
  bool operator!=(const PoolAllocator<U>&) const { return false; }
};

/// std::make_shared with the object and its reference counts in one pooled block.
template <typename T, typename... Args>
std::shared_ptr<T> make_pooled(Args&&... args) {
  return std::allocate_shared<T>(PoolAllocator<T>(), std::forward<Args>(args)...);
}

/// A fresh TensorImpl (default field values, empty shape). Released impls are kept per thread
/// with their shape vector's buffer, so filling in the shape of the next one allocates nothing:
/// Shape is a std::vector (public API), and its malloc + free was ~10 % of a recorded add's
/// instructions (bench/RESULTS.md, "Per-op overhead"). The reference counts live in a pooled block.
std::shared_ptr<TensorImpl> new_tensor_impl();

}  // namespace xg::detail
