#!/usr/bin/env bash
# Configures, builds (-j2) and runs the whole test suite with CTest.
#   scripts/test.sh             Release build in build/
#   scripts/test.sh --sanitize  ASan+UBSan build in build-sanitize/
#   scripts/test.sh --tsan      ThreadSanitizer build in build-tsan/, running the threading tests
set -euo pipefail
cd "$(dirname "$0")/.."
# Installs what is missing (a no-op on a set-up machine), so this one command works on a fresh one.
bash scripts/setup.sh

build_dir=build
extra=()
if [[ "${1:-}" == "--sanitize" ]]; then
  build_dir=build-sanitize
  extra=(-DXGRAD_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo -DXGRAD_BUILD_BENCH=OFF)
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  export ASAN_OPTIONS=detect_leaks=1
fi

if [[ "${1:-}" == "--tsan" ]]; then
  # Only the tests that exercise threads: a whole-suite TSan run takes far longer and adds nothing.
  tsan_tests=(test_autograd_threads test_autograd)
  cmake -S . -B build-tsan -DXGRAD_WERROR=ON -DXGRAD_TSAN=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DXGRAD_BUILD_BENCH=OFF -DXGRAD_BUILD_EXAMPLES=OFF >/dev/null
  cmake --build build-tsan -j2 --target "${tsan_tests[@]}"
  export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"
  # One intra-op thread: oneTBB hands its task objects between threads inside libtbb, which TSan
  # does not instrument, so every parallel kernel would be reported. The user threads these tests
  # start (the engine's concurrency) are what TSan checks; the kernels' blocks are checked by
  # test_backend_threads (bitwise results for 1-16 threads, every element written once).
  export OMP_NUM_THREADS=1
  for t in "${tsan_tests[@]}"; do build-tsan/tests/"$t"; done
  exit 0
fi

cmake -S . -B "$build_dir" -DXGRAD_WERROR=ON "${extra[@]}" >/dev/null
cmake --build "$build_dir" -j2
cd "$build_dir"
ctest --output-on-failure -j2
