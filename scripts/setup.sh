#!/usr/bin/env bash
# Installs everything xgrad's build, tests, examples and benchmarks need, from Debian packages.
# Idempotent: packages already present are skipped (apt-get update runs only when something is missing).
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libxtensor-dev libxtensor-blas-dev libxsimd-dev xtl-dev
  libopenblas-dev
  libtbb-dev           # oneTBB: xgrad's intra-op threads (autograd/detail/parallel.cpp)
  libboost-test-dev
  nlohmann-json3-dev   # safetensors JSON header
  libcli11-dev         # char_rnn's command line
  openmpi-bin libopenmpi-dev  # xg::distributed (data-parallel training over MPI) and its tests
  clang-14 libclang-rt-14-dev  # libFuzzer targets (tests/fuzz/run.sh)
  valgrind             # scripts/memcheck.sh
  doxygen              # scripts/docs.sh (API reference)
)
# Optional peers for fixtures and benchmarks (never needed to build or test): pass --peers.
if [[ "${1:-}" == "--peers" ]]; then
  packages+=(python3-torch libtorch-dev libbenchmark-dev)
  packages+=(libdnnl-dev ocl-icd-opencl-dev)  # oneDNN peer (bench/peers); dnnl's CMake config needs OpenCL
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  echo "setup.sh: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup.sh: all packages present"
fi
