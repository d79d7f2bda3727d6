#!/usr/bin/env bash
# Builds the GPU check bundle (`make gpu-check`): one directory to carry to a
# machine with an NVIDIA GPU (64 MiB at most), holding
#   gpu_check             CUDA libraries of CIFAR ResNet-20 (r20, batch 64),
#                         ResNet-50 (r50, -D stride_in=3x3, batch 16) and the
#                         small VGG of the e2e tests (svgg, batch 8: LRN,
#                         pools, fc + ReLU) linked into one C program
#                         (tools/gpu_check/gpu_check.c);
#                         only libc, libm, libdl, libpthread are dynamic
#   r20/ r50/ svgg/       NAME.weights (r50: NAME.weights.xz), x.npy (NAME_BATCH
#                         input images) and y.npy (`netc run` on the CPU)
#   torch_cuda_bench.py   the PyTorch baseline (bench/torch_cuda_bench.py)
#   run.sh, README.txt    what to run there
#   src/                  gpu_check.c, the libraries and relink.sh, to relink
#                         on a machine whose glibc is older than this one's
# Weights: `netc weights init --init he`, then low_entropy_weights.py (random
# signs at He scale, so ResNet-50's 98 MB of weights compress to a few MiB).
#
# usage: make_bundle.sh NETC SOURCE_DIR OUT_DIR [--quick]
#   --quick  the executable, libraries and scripts only (no weights, inputs or
#            references, no self-test): what the ctest builds, in under a minute
# Without --quick, a self-test follows (NETC_GPU_CHECK_SELFTEST=0 skips it):
# gpu_check.c linked against CPU (x86-64-avx2) builds of the same networks
# and weights must pass on the bundle's inputs and references.
set -euo pipefail
NETC=$(realpath "$1") SRC=$(realpath "$2") OUT=$3 QUICK=${4:-}
PY=/usr/bin/python3
HERE=$SRC/tools/gpu_check
TARGET=${NETC_GPU_TARGET:-cuda}   # cuda = cuda-80: PTX the driver JIT-compiles for sm_80 and newer
LIMIT=$((64 * 1024 * 1024))
SELFTEST=0
[ "$QUICK" = --quick ] || SELFTEST=${NETC_GPU_CHECK_SELFTEST:-1}
fail() { echo "make_bundle: FAIL: $*" >&2; exit 1; }
# carry_weights NAME: the library's weights into the bundle, xz-compressed
# above 8 MiB (gpu_check decompresses them on first use).
carry_weights() {
  local w=$W/lib-$1/$1.weights
  if [ "$(stat -c %s "$w")" -gt $((8 * 1024 * 1024)) ]; then
    echo "  compressing $1.weights ($(( $(stat -c %s "$w") >> 20 )) MiB)"
    xz -T2 -6 -c "$w" > "$OUT/$1/$1.weights.xz"
  else
    cp "$w" "$OUT/$1/"
  fi
}

rm -rf "$OUT" && mkdir -p "$OUT/src" "$OUT/work"
OUT=$(realpath "$OUT")
W=$OUT/work
# name|network file|defines|batch|seed|fc scale (low_entropy_weights.py:
# chosen so the final softmax is not saturated and shows errors)
NETS=("r20|examples/cifar/resnet.net||64|20|0.1"
      "r50|examples/resnet/resnet50.net|-D stride_in=3x3|16|50|0.003"
      "svgg|tests/e2e/nets/small_vgg.net||8|7|1.0")

declare -A MACS
DEFS=() LIBS=() CPU_DEFS=()
for spec in "${NETS[@]}"; do
  IFS='|' read -r name net defs batch seed fc <<<"$spec"
  # shellcheck disable=SC2086  # $defs is zero or more words
  MACS[$name]=$("$NETC" summary "$SRC/$net" $defs --json |
                $PY -c 'import json,sys; print(json.load(sys.stdin)["macs"])')
  w=()
  if [ "$QUICK" != --quick ]; then
    # shellcheck disable=SC2086
    "$NETC" weights init "$SRC/$net" $defs -o "$W/$name.nw" --init he --seed "$seed" >/dev/null
    $PY "$HERE/low_entropy_weights.py" "$W/$name.nw" "$seed" "$fc"
    w=(--weights "$W/$name.nw")
  fi
  echo "compiling $name ($net${defs:+ $defs}) for $TARGET, batch $batch"
  # shellcheck disable=SC2086
  "$NETC" compile "$SRC/$net" $defs --target "$TARGET" -o "$W/lib-$name" --name "$name" \
    --batch "$batch" "${w[@]}" >/dev/null
  n=$(grep -a -c '\.target sm_' "$W/lib-$name/$name.a" || true)
  [ "$n" -ge 5 ] || fail "$name.a: PTX found in $n kernels"
  echo "  $name.a: $(du -k "$W/lib-$name/$name.a" | cut -f1) KiB, PTX in $n kernels, ${MACS[$name]} MACs per image"
  cp "$W/lib-$name/$name.a" "$W/lib-$name/$name.h" "$OUT/src/"
  DEFS+=("-D${name^^}_MACS=${MACS[$name]}") LIBS+=("$name.a")
  CPU_DEFS+=("-I$W/cpu-lib-$name" "$W/cpu-lib-$name/$name.a")
  if [ "$QUICK" != --quick ]; then
    mkdir -p "$OUT/$name"
    # shellcheck disable=SC2046  # the input's C H W: three words
    $PY -c "import numpy as np, sys; np.save(sys.argv[1], np.random.default_rng(int(sys.argv[2]))
      .standard_normal((int(sys.argv[3]),) + tuple(int(v) for v in sys.argv[4:])).astype(np.float32))" \
      "$OUT/$name/x.npy" "$seed" "$batch" \
      $(sed -n "s/^#define ${name^^}_INPUT_[CHW] \([0-9]*\).*/\1/p" "$W/lib-$name/$name.h")
    echo "  reference: netc run on the CPU, batch $batch"
    # shellcheck disable=SC2086
    "$NETC" run "$SRC/$net" $defs --weights "$W/$name.nw" --input "$OUT/$name/x.npy" \
      --output "$OUT/$name/y.npy" --batch "$batch" >/dev/null
    if [ "$SELFTEST" = 1 ]; then  # the same network and weights for the CPU, for the self-test
      # shellcheck disable=SC2086
      "$NETC" compile "$SRC/$net" $defs --target x86-64-avx2 -o "$W/cpu-lib-$name" --name "$name" \
        --batch "$batch" "${w[@]}" >/dev/null
      mkdir -p "$W/cpu/$name"
      ln -s "$W/cpu-lib-$name/$name.weights" "$OUT/$name/x.npy" "$OUT/$name/y.npy" "$W/cpu/$name/"
    fi
    carry_weights "$name"
  fi
done

# Training libraries: one step of the same networks at batch 64, same
# weights. No inputs are carried: gpu_check and train_reference.c draw them
# from the seed (train_inputs.h; gpu_check.c uses the same seeds). The
# reference is the step of a CPU training library with direct convs (the
# GPU has no Winograd), as loss, logits and a sample of every parameter.
# tname|forward name (its weights)|network file|defines|seed
TRAIN_NETS=("r20t|r20|examples/cifar/resnet.net||20"
            "r50t|r50|examples/resnet/resnet50.net|-D stride_in=3x3|50")
TRAIN_BATCH=64
for spec in "${TRAIN_NETS[@]}"; do
  IFS='|' read -r name fwd net defs seed <<<"$spec"
  w=()
  [ "$QUICK" = --quick ] || w=(--weights "$W/$fwd.nw")
  echo "compiling $name (training step of $net${defs:+ $defs}) for $TARGET, batch $TRAIN_BATCH"
  # shellcheck disable=SC2086
  "$NETC" compile "$SRC/$net" $defs --train --target "$TARGET" -o "$W/lib-$name" --name "$name" \
    --batch "$TRAIN_BATCH" "${w[@]}" >/dev/null
  n=$(grep -a -c '\.target sm_' "$W/lib-$name/$name.a" || true)
  [ "$n" -ge 40 ] || fail "$name.a: PTX found in $n kernels"
  echo "  $name.a: $(du -k "$W/lib-$name/$name.a" | cut -f1) KiB, PTX in $n kernels"
  cp "$W/lib-$name/$name.a" "$W/lib-$name/$name.h" "$OUT/src/"
  LIBS+=("$name.a")
  CPU_DEFS+=("-I$W/cpu-lib-$name" "$W/cpu-lib-$name/$name.a")
  [ "$QUICK" != --quick ] || continue
  mkdir -p "$OUT/$name"
  echo "  reference: one step of a CPU training library (direct convs), seed $seed"
  # shellcheck disable=SC2086
  NETC_WINOGRAD=0 "$NETC" compile "$SRC/$net" $defs --train --target x86-64-avx2 \
    -o "$W/cpu-lib-$name" --name "$name" --batch "$TRAIN_BATCH" "${w[@]}" >/dev/null
  "${CC:-gcc}" -std=c99 -O2 -Wall -Wextra -Werror -DNETC_NET="$name" -DNETC_NET_UPPER="${name^^}" \
    -I"$HERE" -I"$W/cpu-lib-$name" "$HERE/train_reference.c" "$W/cpu-lib-$name/$name.a" \
    -lpthread -ldl -lm -o "$W/train-ref-$name"
  "$W/train-ref-$name" "$W/cpu-lib-$name/$name.weights" "$seed" "$OUT/$name" | sed 's/^/    /'
  if [ "$SELFTEST" = 1 ]; then
    mkdir -p "$W/cpu/$name"
    ln -s "$W/cpu-lib-$name/$name.weights" "$OUT/$name"/*.npy "$W/cpu/$name/"
  fi
  carry_weights "$name"
done

cp "$HERE/gpu_check.c" "$HERE/train_inputs.h" "$HERE/train_reference.c" "$OUT/src/"
cat > "$OUT/src/relink.sh" <<EOF
#!/bin/sh
# Relinks ../gpu_check from these files with this machine's C compiler
# (e.g. when its glibc is older than the build machine's).
cd "\$(dirname "\$0")" && \${CC:-cc} -std=c99 -O2 ${DEFS[*]} \\
  -I. gpu_check.c ${LIBS[*]} -lpthread -ldl -lm -o ../gpu_check
EOF
chmod +x "$OUT/src/relink.sh"
CC=${CC:-$(command -v gcc || command -v cc)}
(cd "$OUT/src" && "$CC" -std=c99 -O2 -Wall -Wextra -Werror "${DEFS[@]}" -I. gpu_check.c "${LIBS[@]}" \
  -static-libgcc -lpthread -ldl -lm -o "$OUT/gpu_check")
strip "$OUT/gpu_check"
if ldd "$OUT/gpu_check" | grep -Ei 'llvm|halide|mlir|netc|c\+\+'; then fail "gpu_check links a toolchain library"; fi
glibc=$(objdump -T "$OUT/gpu_check" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)
echo "gpu_check: $(du -k "$OUT/gpu_check" | cut -f1) KiB; dynamic: $(ldd "$OUT/gpu_check" | awk '{print $1}' | tr '\n' ' ')(needs $glibc)"

# Self-test: gpu_check.c built against x86-64-avx2 libraries of the same
# networks and weights must pass on the bundle's inputs and references here:
# it checks the checker, the .npy files and the references, not the GPU.
if [ "$SELFTEST" = 1 ]; then
  "$CC" -std=c99 -O2 -Wall -Wextra -Werror -DGPU_CHECK_ON_CPU "${DEFS[@]}" -I"$HERE" "$HERE/gpu_check.c" \
    "${CPU_DEFS[@]}" -lpthread -ldl -lm -o "$W/cpu/gpu_check_cpu"
  echo "self-test on the CPU (x86-64-avx2 libraries, same weights; 1 timed pass):"
  "$W/cpu/gpu_check_cpu" --iterations 1 --warmup 0 | sed 's/^/  | /'
  [ "${PIPESTATUS[0]}" = 0 ] || fail "the CPU self-test failed"
fi

# Optional (NETC_GPU_CHECK_OPENCL=1, several minutes): the same gpu_check.c
# against OpenCL builds of all five libraries, run by pocl on this CPU: the
# GPU schedules and the GPU drivers (device views, uploads, the training
# step's kernels) end to end on the bundle's inputs and references.
if [ "${NETC_GPU_CHECK_OPENCL:-0}" = 1 ] && [ "$QUICK" != --quick ]; then
  OCL_TARGET=x86-64-linux-sse41-avx-f16c-fma-avx2-opencl-cl_doubles
  OCL_LIBS=()
  for spec in "${NETS[@]/%/|fwd}" "${TRAIN_NETS[@]/%/|train}"; do
    if [ "${spec##*|}" = fwd ]; then
      IFS='|' read -r name net defs batch _ _ _ <<<"$spec"; wname=$name; train=()
    else
      IFS='|' read -r name wname net defs _ _ <<<"$spec"; batch=$TRAIN_BATCH; train=(--train)
    fi
    # shellcheck disable=SC2086
    "$NETC" compile "$SRC/$net" $defs "${train[@]}" --target "$OCL_TARGET" -o "$W/ocl-lib-$name" \
      --name "$name" --batch "$batch" --weights "$W/$wname.nw" >/dev/null
    mkdir -p "$W/ocl/$name"
    ln -sf "$W/ocl-lib-$name/$name.weights" "$OUT/$name"/*.npy "$W/ocl/$name/"
    OCL_LIBS+=("-I$W/ocl-lib-$name" "$W/ocl-lib-$name/$name.a")
  done
  "$CC" -std=c99 -O2 -Wall -Wextra -Werror -DGPU_CHECK_ON_CPU "${DEFS[@]}" -I"$HERE" \
    "$HERE/gpu_check.c" "${OCL_LIBS[@]}" -lpthread -ldl -lm -o "$W/ocl/gpu_check_ocl"
  # pocl allocates at most 4 GiB at once; ResNet-50's batch-64 step needs a
  # 4.9 GiB workspace (tests/aot/aot_train.sh runs its kernels at batch 2).
  echo "OpenCL run on this CPU (pocl; the GPU schedules, 1 timed pass; r50t skipped):"
  "$W/ocl/gpu_check_ocl" --iterations 1 --warmup 0 --skip r50t | sed 's/^/  | /'
  [ "${PIPESTATUS[0]}" = 0 ] || fail "the OpenCL run failed"
fi

cp "$SRC/bench/torch_cuda_bench.py" "$OUT/"
cat > "$OUT/run.sh" <<'EOF'
#!/bin/sh
# The two commands, in order: netc's CUDA libraries (checked against the CPU,
# then timed), and PyTorch on the same models and batches.
cd "$(dirname "$0")"
./gpu_check "$@" 2>&1 | tee gpu_check.txt
python3 torch_cuda_bench.py 2>&1 | tee torch_cuda_bench.txt
EOF
chmod +x "$OUT/run.sh"
cat > "$OUT/README.txt" <<EOF
netc GPU check bundle (make gpu-check; docs/gpu.md in netc), built $(date -u +%Y-%m-%d)
from commit $(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo '?') for netc target $TARGET (PTX, which the driver
JIT-compiles for newer GPUs). Needs an NVIDIA driver (libcuda.so.1), nothing else of CUDA.

On the GPU machine, in this directory:

  ./gpu_check                    # netc: check vs CPU (<= 1e-4) and time; exit 0 = PASS
  python3 torch_cuda_bench.py    # PyTorch: same models and batches, fp32/TF32, + ResNet-50 train step

(./run.sh runs both and keeps their output in gpu_check.txt and torch_cuda_bench.txt.)

gpu_check options: --iterations N (30), --warmup N (5), --dir BUNDLE, --peak-tflops T
(the fp32 peak, else computed from the device), --skip NAME[,NAME] (r20 r50 svgg r20t r50t).
If ./gpu_check does not start ("GLIBC_... not found"): sh src/relink.sh, then again.
Training steps: r20t, r50t = the same ResNets, one SGD step at batch 64, checked against a
CPU training library (<= 1e-3) and timed; r50 and r50t also print a per-layer profile
(TFLOP/s and % of the fp32 peak of every conv call).
Networks: r20 = CIFAR ResNet-20 (batch 1 and 64, ${MACS[r20]} MACs/image),
r50 = ResNet-50 with stride in the 3x3 convs (batch 1 and 16, ${MACS[r50]} MACs/image),
svgg = a small VGG for the ops the ResNets lack (LRN, pools, fc + ReLU; batch 1 and 8).
EOF
rm -rf "$W"
size=$(du -sb "$OUT" | cut -f1)
[ "$size" -lt $LIMIT ] || fail "the bundle is $size bytes, over 64 MiB"
echo "bundle: $OUT, $(( size / 1024 )) KiB ($(find "$OUT" -type f | wc -l) files)"
