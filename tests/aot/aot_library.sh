#!/usr/bin/env bash
# AOT libraries end to end: netc compile --target -o, then the plain C
# program examples/embed/classify.c built with gcc -std=c99 -pedantic
# against NAME.a, compared with `netc run` (<= 1e-5 relative) and with
# PyTorch's logits (<= 1e-4), for the CIFAR ResNet-20 and VGG-11 exported
# from torchvision, and the small VGG (LRN, pools, dropout, fc+relu,
# softmax) run in chunks smaller than the batch. Then: no LLVM/Halide/MLIR
# in what links, bad weights refused, cross (aarch64) and CUDA libraries
# built with the right machine code / PTX.
# usage: aot_library.sh NETC SOURCE_DIR E2E_DIR WORK_DIR
set -euo pipefail
NETC=$1 SRC=$2 E2E=$3 WORK=$4
PY=/usr/bin/python3
AR=$(command -v llvm-ar-14 || command -v llvm-ar)
export NETC_AOT_WERROR=1  # the generated driver must compile warning-free
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK"

fail() { echo "FAIL: $*" >&2; exit 1; }

# classify DIR NAME: examples/embed/classify.c as plain C99 against DIR/NAME.a
build_classify() {
  gcc -std=c99 -pedantic -Wall -Wextra -Werror -O2 -DNETC_NET="$2" -DNETC_NET_UPPER="${2^^}" \
    -I"$1" "$SRC/examples/embed/classify.c" "$1/$2.a" -lpthread -ldl -lm -o "$1/classify"
}

# max_rel A B TOL LABEL [N]: max |a-b| / max |b| <= TOL (.f32 or .npy files);
# with N, B holds N rows of logits and is compared after a softmax
max_rel() {
  $PY - "$@" <<'PY'
import sys, numpy as np
def load(p):
    return np.load(p).ravel() if p.endswith('.npy') else np.fromfile(p, dtype=np.float32)
a, b = load(sys.argv[1]), load(sys.argv[2])
tol, label = float(sys.argv[3]), sys.argv[4]
if len(sys.argv) > 5:  # b holds logits of N x K; the network ends in softmax
    z = b.reshape(int(sys.argv[5]), -1).astype(np.float64)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    b = (e / e.sum(axis=1, keepdims=True)).ravel()
if a.size != b.size:
    sys.exit(f"FAIL {label}: {a.size} vs {b.size} values")
err = float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))
print(f"{label}: max relative error {err:.2e} (limit {tol:g}, {a.size} values)")
if not err <= tol:
    sys.exit(1)
PY
}

npy_to_f32() { $PY -c "import numpy as np,sys; np.load(sys.argv[1]).astype(np.float32).tofile(sys.argv[2])" "$1" "$2"; }

# no_toolchain BINARY: nothing of LLVM, Halide, MLIR or netc is linked in dynamically
no_toolchain() {
  if ldd "$1" | grep -Ei 'llvm|halide|mlir|netc'; then fail "$1 links a toolchain library"; fi
}

# Torch models: weights imported from ONNX, same input through both paths.
torch_case() {  # NAME NET TARGET [EXTRA compile flags...]
  local name=$1 net=$2 target=$3; shift 3
  "$NETC" weights import "$SRC/examples/$net" --onnx "$E2E/$name.onnx" -o "$name.nw" >/dev/null
  "$NETC" compile "$SRC/examples/$net" --target "$target" -o "lib-$name" --name "$name" --batch 2 \
    --weights "$name.nw" "$@"
  build_classify "lib-$name" "$name"
  no_toolchain "lib-$name/classify"
  # The Halide *runtime* (Halide::Runtime::...) belongs in the library; the
  # compiler (Halide::Internal, Func, Pipeline), LLVM and MLIR do not.
  nm "lib-$name/$name.a" > "$name.nm" 2>/dev/null
  grep -q '_ZN6Halide7Runtime' "$name.nm" || fail "$name.a has no Halide runtime"
  if grep -E '_ZN4llvm|_ZN4mlir|_ZN6Halide(8Internal|4Func|8Pipeline)' "$name.nm"; then
    fail "$name.a holds LLVM, MLIR or Halide compiler symbols"
  fi
  npy_to_f32 "$E2E/$name.input.npy" "$name.input.f32"
  local w=(--weights "lib-$name/$name.weights")
  [ -e "lib-$name/$name.weights" ] || w=()
  "lib-$name/classify" "${w[@]}" --input "$name.input.f32" --batch 2 --output "$name.lib.f32" >/dev/null
  "$NETC" run "$SRC/examples/$net" --weights "$name.nw" --input "$E2E/$name.input.npy" \
    --output "$name.run.npy" >/dev/null
  max_rel "$name.lib.f32" "$name.run.npy" 1e-5 "$name library vs netc run"
  max_rel "$name.lib.f32" "$E2E/$name.logits.npy" 1e-4 "$name library vs PyTorch (softmax)" 2
}

torch_case resnet20 cifar/resnet.net host
torch_case vgg11 vgg/a.net x86-64-avx2 --embed-weights
[ ! -e lib-vgg11/vgg11.weights ] || fail "--embed-weights left a .weights file"

# The small VGG, seeded weights, 5 images in chunks of at most 2 (batch 2, 2, 1).
"$NETC" weights init "$SRC/tests/e2e/nets/small_vgg.net" -o svgg.nw --init he --seed 3
"$NETC" compile "$SRC/tests/e2e/nets/small_vgg.net" --target host -o lib-svgg --name svgg \
  --batch 2 --weights svgg.nw
build_classify lib-svgg svgg
$PY -c "import numpy as np; x=np.random.default_rng(17).standard_normal((5,3,20,20)).astype(np.float32); np.save('svgg.x.npy',x); x.tofile('svgg.x.f32')"
lib-svgg/classify --weights lib-svgg/svgg.weights --input svgg.x.f32 --batch 5 --output svgg.lib.f32 >/dev/null
"$NETC" run "$SRC/tests/e2e/nets/small_vgg.net" --weights svgg.nw --input svgg.x.npy \
  --output svgg.run.npy >/dev/null
max_rel svgg.lib.f32 svgg.run.npy 1e-5 "small-vgg library (chunks 2+2+1) vs netc run"

# The GPU schedules of the forward ops, run: OpenCL libraries executed by
# pocl on this CPU (the CUDA libraries use the same schedules and driver).
OCL=x86-64-linux-sse41-avx-f16c-fma-avx2-opencl-cl_doubles
"$NETC" compile "$SRC/examples/cifar/resnet.net" --target "$OCL" -o lib-r20ocl --name r20ocl \
  --batch 2 --weights resnet20.nw
build_classify lib-r20ocl r20ocl
lib-r20ocl/classify --weights lib-r20ocl/r20ocl.weights --input resnet20.input.f32 --batch 2 \
  --output r20ocl.f32 >/dev/null
max_rel r20ocl.f32 resnet20.run.npy 1e-5 "resnet20 OpenCL library (GPU schedules, pocl) vs netc run"
"$NETC" compile "$SRC/tests/e2e/nets/small_vgg.net" --target "$OCL" -o lib-svggocl --name svggocl \
  --batch 2 --weights svgg.nw
build_classify lib-svggocl svggocl
lib-svggocl/classify --weights lib-svggocl/svggocl.weights --input svgg.x.f32 --batch 5 \
  --output svggocl.f32 >/dev/null
max_rel svggocl.f32 svgg.run.npy 1e-5 "small-vgg OpenCL library (chunks 2+2+1) vs netc run"
# ResNet-50's forward kernels (7x7 stem, max pooling, 1x1 and strided convs,
# projection shortcuts fused into the conv, a 1000-way fc), batch 1. He init
# saturates the softmax (a one-hot output would hide errors): the fc is
# scaled down (tools/gpu_check/low_entropy_weights.py).
"$NETC" weights init "$SRC/examples/resnet/resnet50.net" --init he --seed 9 -o r50.nw >/dev/null
$PY "$SRC/tools/gpu_check/low_entropy_weights.py" r50.nw 9 0.001 >/dev/null
$PY -c "import numpy as np; np.save('r50.x.npy', np.random.default_rng(9).standard_normal((1,3,224,224)).astype(np.float32))"
"$NETC" run "$SRC/examples/resnet/resnet50.net" --weights r50.nw --input r50.x.npy \
  --output r50.run.npy >/dev/null
# netc run --target: through a library in a child process.
"$NETC" run "$SRC/examples/resnet/resnet50.net" --weights r50.nw --input r50.x.npy \
  --output r50.ocl.npy --target "$OCL" >/dev/null
max_rel r50.ocl.npy r50.run.npy 1e-5 "resnet50: netc run --target OpenCL vs netc run"
"$NETC" run "$SRC/tests/e2e/nets/small_vgg.net" --weights svgg.nw --input svgg.x.npy \
  --output svgg.target.npy --target "$OCL" >/dev/null
max_rel svgg.target.npy svgg.run.npy 1e-5 "small-vgg: netc run --target OpenCL vs netc run"

# Bad weights: flipped data byte, another library's file, a missing file.
cp lib-svgg/svgg.weights bad.weights
printf '\x55' | dd of=bad.weights bs=1 seek=200 conv=notrunc status=none
for w in bad.weights lib-resnet20/resnet20.weights missing.weights; do
  if lib-svgg/classify --weights "$w" --input svgg.x.f32 --batch 5 >out.txt 2>err.txt; then
    fail "weights '$w' were accepted"
  fi
  grep -q "weights file missing, corrupt, or written for another library" err.txt ||
    fail "weights '$w': unexpected message: $(cat err.txt)"
done
echo "bad weights: refused with a message (corrupt, another library's, missing)"

# Clear CLI errors, exit 1, nothing written.
expect_error() {  # MESSAGE ARGS...
  local msg=$1; shift
  if "$NETC" "$@" >out.txt 2>err.txt; then fail "netc $* succeeded"; fi
  grep -qF "$msg" err.txt || fail "netc $*: expected '$msg', got: $(cat err.txt)"
}
expect_error "unknown target 'sparc'" compile "$SRC/examples/cifar/resnet.net" --target sparc -o e1
expect_error "name the library's target with --target" compile "$SRC/examples/cifar/resnet.net" -o e2
expect_error "is not a C identifier" compile "$SRC/examples/cifar/resnet.net" --target host -o e3 --name 9x
expect_error "cannot create the output directory '/proc/netc-nope'" compile "$SRC/examples/cifar/resnet.net" --target host -o /proc/netc-nope
[ ! -e e1 ] && [ ! -e e3 ] || fail "a failed compile left files"
if ! nvidia-smi >/dev/null 2>&1; then
  expect_error "no usable GPU here" run "$SRC/examples/cifar/resnet.net" --target cuda
fi
expect_error "without it netc run uses this machine's CPU" run "$SRC/examples/cifar/resnet.net" \
  --target x86-64-avx2
expect_error "netc train runs on this machine's CPU" train "$SRC/examples/cifar/resnet.net" \
  --target cuda
echo "CLI errors: clear messages"

# Cross and GPU libraries: built here, run elsewhere.
"$NETC" compile "$SRC/examples/cifar/resnet.net" --target aarch64 -o lib-arm --name r20 --embed-weights
mkdir -p arm-members && (cd arm-members && "$AR" x ../lib-arm/r20.a)
for o in arm-members/*.o; do
  machine=$($PY -c "import sys; d=open(sys.argv[1],'rb').read(20); print(int.from_bytes(d[18:20],'little'))" "$o")
  [ "$machine" = 183 ] || fail "$o is not AArch64 (e_machine $machine)"
done
echo "aarch64: $(ls arm-members | wc -l) objects, all AArch64"
for cap in 61 86; do
  "$NETC" compile "$SRC/examples/cifar/resnet.net" --target "cuda-$cap" -o "lib-cuda$cap" --name r20
  n=$(grep -a -c "\.target sm_$cap" "lib-cuda$cap/r20.a" || true)
  [ "$n" -ge 10 ] || fail "cuda-$cap: PTX for sm_$cap found in $n kernels"
  echo "cuda-$cap: PTX for sm_$cap in $n kernels"
  "$NETC" compile "$SRC/examples/cifar/resnet.net" --train --target "cuda-$cap" --batch 8 \
    -o "lib-cuda$cap-train" --name r20t >/dev/null
  n=$(grep -a -c "\.target sm_$cap" "lib-cuda$cap-train/r20t.a" || true)
  [ "$n" -ge 40 ] || fail "cuda-$cap --train: PTX for sm_$cap found in $n kernels"
  echo "cuda-$cap --train: PTX for sm_$cap in $n kernels"
done
# Without a GPU the CUDA library says so (NETC_ERR_DEVICE) instead of crashing.
build_classify lib-cuda61 r20
no_toolchain lib-cuda61/classify
if ! nvidia-smi >/dev/null 2>&1; then
  if lib-cuda61/classify --weights lib-cuda61/r20.weights --batch 1 >out.txt 2>err.txt; then
    fail "the CUDA library ran without a GPU"
  fi
  grep -q "no usable GPU" err.txt || fail "CUDA without GPU: $(cat err.txt)"
  echo "cuda library without a GPU: refused with 'no usable GPU'"
fi
echo "OK"
