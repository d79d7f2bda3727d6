#!/usr/bin/env bash
# Installs every Debian package netc needs to build, test and run. Idempotent:
# packages already present are skipped, so a second run costs one dpkg query.
# Works as root or through sudo.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build git pkg-config clang-14 libclang-rt-14-dev
  # the stack (DEVELOPERS.md): one LLVM 14 in the process
  llvm-14-dev llvm-14-tools libmlir-14-dev mlir-14-tools libhalide14-0-dev
  libflatbuffers-dev flatbuffers-compiler libcli11-dev libgtest-dev nlohmann-json3-dev
  # Halide's default CMake components want these; the data loaders use them too
  libpng-dev libjpeg-dev zlib1g-dev
  # ONNX models through protobuf; oracles and data
  libonnx-dev libprotobuf-dev protobuf-compiler libonnx-testdata dataset-fashion-mnist
  # PyTorch, the oracle for whole networks (tools/export_torchvision.py), and
  # tcmalloc for fair PyTorch timings in bench/
  python3-torch python3-torchvision python3-numpy python3-onnx libtcmalloc-minimal4
  # an OpenCL device on the CPU (pocl): the tests run the GPU schedules through
  # it (OpenCL libraries; tests/aot/aot_train.sh, tests/gpu/opencl_check.sh)
  pocl-opencl-icd ocl-icd-libopencl1
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
