#!/usr/bin/env bash
# Builds tests/consumer (an out-of-tree MLP that must lower its loss) against this checkout the
# ways a user would, and runs it each time:
#   1. add_subdirectory(xgrad)                         (static library, built by the consumer)
#   2. find_package(xgrad) after `cmake --install` into a temporary prefix (shared library; also
#      checks that libxgrad.so exports only namespace xg and that every installed header compiles)
#   3. pkg-config against the same prefix, with a bare compiler command line
#   4. cpack -G DEB, `apt-get install ./libxgrad-dev_*.deb`, find_package system-wide, then
#      `apt-get remove` (needs root or sudo; skipped with --no-deb)
# Only the library is built for installs (no tests, examples, bench); ccache is used if present.
# Work directory: build-consumer/ in the checkout (XGRAD_CONSUMER_WORK overrides it).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=${XGRAD_CONSUMER_WORK:-$root/build-consumer}
with_deb=1
[[ "${1:-}" == "--no-deb" ]] && with_deb=0
jobs=$(nproc)
# Release configuration (what users install) compiled at -O1: this stage checks packaging, not
# speed, and builds the library three times; a library file compiles in 4.4 s instead of 9.4 s.
cmake_args=(-DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNDEBUG")
command -v ccache >/dev/null && cmake_args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
lib_only=(-DXGRAD_BUILD_TESTS=OFF -DXGRAD_BUILD_EXAMPLES=OFF -DXGRAD_BUILD_BENCH=OFF -DXGRAD_WERROR=ON)
consumer=$root/tests/consumer
rm -rf "$work"
mkdir -p "$work"

# xgrad::distributed, when xgrad was built with MPI: its test program under mpirun -np 2.
run_distributed() {  # build dir
  [[ -x "$1/allreduce" ]] || { echo "(no xgrad::distributed in this build: MPI not found)"; return 0; }
  OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 timeout 120 mpirun -np 2 --oversubscribe "$1/allreduce"
}

step() {  # prints each way's wall time
  local start=$SECONDS
  echo "--- consumer: $1"
  "${@:2}"
  echo "--- consumer: $1 ok ($((SECONDS - start)) s)"
}

way_subdirectory() {
  cmake -S "$consumer" -B "$work/subdirectory" "${cmake_args[@]}" \
    -DXGRAD_CONSUMER_MODE=subdirectory -DXGRAD_SOURCE_DIR="$root" >/dev/null
  cmake --build "$work/subdirectory" -j"$jobs" >/dev/null
  "$work/subdirectory/mlp"
  run_distributed "$work/subdirectory"
}

way_install() {
  cmake -S "$root" -B "$work/xgrad-shared" "${cmake_args[@]}" "${lib_only[@]}" -DBUILD_SHARED_LIBS=ON >/dev/null
  cmake --build "$work/xgrad-shared" -j"$jobs" >/dev/null
  cmake --install "$work/xgrad-shared" --prefix "$work/prefix" >/dev/null
  # Nothing but namespace xg leaves the shared libraries (cmake/xgrad.map).
  local foreign lib
  for lib in "$work"/prefix/lib/libxgrad*.so; do
    foreign=$(nm -D --defined-only -C "$lib" | awk '{ $1 = ""; $2 = ""; print }' |
              grep -vE '^ +((typeinfo|typeinfo name|vtable|VTT|guard variable) for |(non-)?virtual thunk to |[a-z ]+\*+ |(void|bool|double) )?xg::' |
              grep -vE '^ +XGRAD_[0-9.]+$' || true)
    if [[ -n "$foreign" ]]; then
      echo "$(basename "$lib") exports symbols outside namespace xg:"; echo "$foreign" | head -20; return 1
    fi
  done
  # Every installed header, included through <xgrad/...> only: no internal header is needed.
  local all="$work/all_headers.cpp"
  (cd "$work/prefix/include" && find xgrad -name '*.hpp' | sort | sed 's|.*|#include <&>|') > "$all"
  PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" \
    bash -c "c++ -std=c++17 -fsyntax-only -Wall -Wextra -Werror \$(pkg-config --cflags xgrad) '$all'"
  cmake -S "$consumer" -B "$work/package" "${cmake_args[@]}" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
  cmake --build "$work/package" -j"$jobs" >/dev/null
  "$work/package/mlp"
  run_distributed "$work/package"
}

way_pkg_config() {
  export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"
  # shellcheck disable=SC2046  # pkg-config output is meant to be split into words
  c++ -std=c++17 -O2 "$consumer/mlp.cpp" -o "$work/mlp-pkg-config" $(pkg-config --cflags --libs xgrad) \
    -Wl,-rpath,"$(pkg-config --variable=libdir xgrad)"
  "$work/mlp-pkg-config"
}

sudo_cmd=()
[[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
remove_deb() { "${sudo_cmd[@]}" apt-get remove -y -qq libxgrad-dev >/dev/null; }

way_deb() {
  # Prefix /usr at configure time: GNUInstallDirs then picks Debian's multiarch libdir.
  cmake -S "$root" -B "$work/xgrad-deb" "${cmake_args[@]}" "${lib_only[@]}" -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
  cmake --build "$work/xgrad-deb" -j"$jobs" >/dev/null
  (cd "$work/xgrad-deb" && cpack -G DEB >/dev/null)
  local deb
  deb=$(ls "$work"/xgrad-deb/libxgrad-dev_*.deb)
  dpkg-deb -I "$deb"
  dpkg-deb -c "$deb" | awk '{ print $6 }'
  if dpkg-query -W -f='${Status}' libxgrad-dev 2>/dev/null | grep -q "install ok installed"; then
    echo "libxgrad-dev is already installed on this machine: refusing to replace it"; return 1
  fi
  trap remove_deb EXIT
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "$deb" >/dev/null
  cmake -S "$consumer" -B "$work/deb" "${cmake_args[@]}" >/dev/null   # no prefix path: system-wide
  grep -q 'xgrad_DIR:PATH=/usr/lib' "$work/deb/CMakeCache.txt"
  cmake --build "$work/deb" -j"$jobs" >/dev/null
  "$work/deb/mlp"
  run_distributed "$work/deb"
  remove_deb
  trap - EXIT
}

step "add_subdirectory" way_subdirectory
step "cmake --install + find_package (shared)" way_install
step "pkg-config" way_pkg_config
if ((with_deb)); then
  step ".deb + find_package (static)" way_deb
fi
echo "consumer: all ways built and trained"
