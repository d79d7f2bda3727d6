#!/usr/bin/env bash
# ctest gpu_bundle: tools/gpu_check/make_bundle.sh --quick, then checks what
# the real bundle relies on: gpu_check links no LLVM/Halide/MLIR/netc (nor
# libstdc++), the three libraries carry PTX for sm_80, the scripts are there, the
# bundle is far below 64 MiB, and without a GPU gpu_check (and the PyTorch
# script) exit 1 with "no usable GPU". The bundle holds the --train
# libraries of both networks too; ptxas (where installed) assembles every
# kernel for sm_80 and sm_90.
# usage: gpu_bundle.sh NETC SOURCE_DIR WORK_DIR
set -euo pipefail
NETC=$1 SRC=$2 OUT=$3
export NETC_AOT_WERROR=1  # the generated drivers must compile warning-free
fail() { echo "FAIL: $*" >&2; exit 1; }

bash "$SRC/tools/gpu_check/make_bundle.sh" "$NETC" "$SRC" "$OUT" --quick
cd "$OUT"
for f in gpu_check run.sh README.txt torch_cuda_bench.py src/gpu_check.c src/relink.sh \
         src/train_inputs.h src/train_reference.c src/r20.a src/r20.h src/r50.a src/r50.h \
         src/svgg.a src/svgg.h src/r20t.a src/r20t.h src/r50t.a src/r50t.h; do
  [ -s "$f" ] || fail "bundle lacks $f"
done
if ldd gpu_check | grep -Ei 'llvm|halide|mlir|netc|c\+\+'; then fail "gpu_check links a toolchain library"; fi
extra=$(ldd gpu_check | awk '{print $1}' | grep -Ev '^(linux-vdso|libc\.so|libm\.so|libdl\.so|libpthread\.so|/lib64/ld-linux)' || true)
[ -z "$extra" ] || fail "gpu_check needs more than libc: $extra"
for n in r20 r50 svgg r20t r50t; do
  k=$(grep -a -c '\.target sm_80' "src/$n.a" || true)
  [ "$k" -ge 9 ] || fail "src/$n.a: PTX for sm_80 in $k kernels"
  grep -aq 'libcuda\.so\.1' "src/$n.a" || fail "src/$n.a: the driver does not load libcuda.so.1"
  echo "$n.a: PTX for sm_80 in $k kernels"
done
# Every kernel's PTX through ptxas for Ampere and Hopper, where CUDA is installed.
/usr/bin/python3 "$SRC/tests/gpu/ptxas_check.py" sm_80,sm_90 src/r20.a src/r50.a src/svgg.a \
  src/r20t.a src/r50t.a
size=$(du -sb . | cut -f1)
# The full bundle adds ~18 MiB of weights and references (docs/gpu.md).
[ "$size" -lt $((16 * 1024 * 1024)) ] || fail "quick bundle is $size bytes"
echo "quick bundle: $((size / 1024)) KiB"
if nvidia-smi >/dev/null 2>&1; then
  echo "a GPU is here: the no-GPU checks are skipped"
else
  rc=0; ./gpu_check >out.txt 2>err.txt || rc=$?
  [ "$rc" = 1 ] || fail "gpu_check without a GPU: exit $rc: $(cat out.txt err.txt)"
  grep -q "no usable GPU" err.txt || fail "gpu_check without a GPU: $(cat err.txt)"
  echo "gpu_check without a GPU: exit 1, $(head -1 err.txt)"
  if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    rc=0; /usr/bin/python3 torch_cuda_bench.py >out.txt 2>err.txt || rc=$?
    if [ "$rc" != 1 ] || ! grep -q "no usable GPU" err.txt; then
      fail "torch_cuda_bench.py without a GPU: exit $rc: $(cat err.txt)"
    fi
    echo "torch_cuda_bench.py without a GPU: exit 1, $(head -1 err.txt)"
  fi
fi
echo OK
