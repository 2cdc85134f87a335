#pragma once

namespace xg {

/// One-time process set-up, run before the first tensor is allocated: picks the fast
/// OpenBLAS kernel (see backend.hpp) and keeps glibc from mapping/unmapping large buffers
/// on every training step. Idempotent and cheap after the first call.
void ensure_runtime_initialized();

}  // namespace xg
