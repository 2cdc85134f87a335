#!/usr/bin/env bash
# Builds and runs the libFuzzer targets (clang 14, -fsanitize=fuzzer,address,undefined) against
# the library compiled with clang in build-fuzz/:
#   tests/fuzz/run.sh                 build only
#   tests/fuzz/run.sh --smoke         replay the seeds, then fuzz each target for 60 s (CI)
#   tests/fuzz/run.sh --time S        fuzz each target for S seconds
#   tests/fuzz/run.sh --runs N        fuzz each target for N executions (the ≥ 10^6 local run)
#   tests/fuzz/run.sh --replay FILE…  run the targets on given inputs (reproduce a finding)
# Findings (crash, sanitizer report, broken invariant) are saved as build-fuzz/artifacts/<target>-*
# and make the script fail. New inputs found while fuzzing go to build-fuzz/corpus/<target>/, never
# into the committed seeds (tests/fuzz/seeds/<target>/, written by make_seeds.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
build=$root/build-fuzz
CXX=${CXX_FUZZ:-clang++-14}
command -v "$CXX" >/dev/null || CXX=clang++

mode=build
limit=()
case "${1:-}" in
  "") ;;
  --smoke) mode=fuzz; limit=(-max_total_time="${FUZZ_SECONDS:-60}") ;;
  --time) mode=fuzz; limit=(-max_total_time="$2") ;;
  --runs) mode=fuzz; limit=(-runs="$2") ;;
  --replay) mode=replay; shift ;;
  *) echo "usage: $0 [--smoke | --time SECONDS | --runs N | --replay FILE...]" >&2; exit 2 ;;
esac

# The library with ASan+UBSan and coverage instrumentation (no libFuzzer main: that is linked
# into each target). Tests, examples and benchmarks are not needed.
cmake -S . -B "$build/lib" -DCMAKE_CXX_COMPILER="$CXX" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DXGRAD_SANITIZE=ON \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link" -DXGRAD_BUILD_TESTS=OFF -DXGRAD_BUILD_EXAMPLES=OFF \
  -DXGRAD_BUILD_BENCH=OFF >/dev/null
cmake --build "$build/lib" -j2 --target xgrad
openblas=$(grep -m1 '^OPENBLAS_LIBRARY:' "$build/lib/CMakeCache.txt" | cut -d= -f2)

flags=(-std=c++17 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -DXTENSOR_USE_XSIMD -I"$root" -Wall -Wextra)
build_target() {  # name, sources...
  local name=$1
  shift
  local out=$build/$name
  local newest
  newest=$(ls -t "$@" "$build/lib/libxgrad.a" "$root/tests/fuzz/run.sh" | head -1)
  if [[ ! -x $out || $newest -nt $out ]]; then
    echo "run.sh: building $name"
    "$CXX" "${flags[@]}" "$@" "$build/lib/libxgrad.a" "$openblas" -ltbb -lpthread -ldl -o "$out"
  fi
}
build_target fuzz_safetensors tests/fuzz/fuzz_safetensors.cpp
build_target fuzz_corpus tests/fuzz/fuzz_corpus.cpp examples/char_rnn/corpus.cpp

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# Each execution writes its input to a file (the loaders take paths) and the round trip fsyncs:
# on tmpfs that costs microseconds instead of a disk flush (4x the executions per second).
if [[ -d /dev/shm && -w /dev/shm ]]; then export TMPDIR=/dev/shm; else export TMPDIR=${TMPDIR:-/tmp}; fi
status=0
case $mode in
  build) echo "run.sh: built $build/fuzz_safetensors and $build/fuzz_corpus" ;;
  replay)
    for target in fuzz_safetensors fuzz_corpus; do
      echo "== $target on $*"
      "$build/$target" "$@" || status=1
    done ;;
  fuzz)
    mkdir -p "$build/artifacts"
    for target in safetensors corpus; do
      mkdir -p "$build/corpus/$target"
      echo "== fuzz_$target ${limit[*]}"
      # -rss_limit_mb: any input that makes the loader allocate past 2 GB is a finding.
      "$build/fuzz_$target" "${limit[@]}" -max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$build/artifacts/$target-" "$build/corpus/$target" "$root/tests/fuzz/seeds/$target" \
        2>"$build/fuzz_$target.log" || status=1
      grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb)|FINDING|ERROR|SUMMARY" "$build/fuzz_$target.log" || true
      [[ $status == 0 ]] || { echo "run.sh: fuzz_$target failed, full log: $build/fuzz_$target.log" >&2; tail -40 "$build/fuzz_$target.log" >&2; }
    done ;;
esac
exit $status
