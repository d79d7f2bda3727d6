#!/usr/bin/env bash
# netc train: a short run with --json, --resume, --bench, the training graph,
# and bad input (exit 1, a clear message, no output folder half written).
# Usage: train_cli.sh NETC (run from the repository root).
set -u
netc=$1
net=tests/train/tiny-fmnist.net
source "$(dirname "$0")/cli_lib.sh"
expect_err() { # description, text expected in stderr
  grep -qF "$2" "$tmp/err" || { echo "FAIL: $1: stderr lacks '$2'"; cat "$tmp/err"; fail=1; }
}

check "training graph" 0 "$netc" compile "$net" --emit=mlir --train
grep -q "net.softmax_cross_entropy" "$tmp/out" && grep -q 'net.param_grad "conv1.weight"' "$tmp/out" ||
  { echo "FAIL: --emit=mlir --train lacks the loss or a gradient"; fail=1; }
check "--train needs --emit=mlir" 1 "$netc" compile "$net" --emit=fused --train
expect_err "--train message" "use it with --emit=mlir"
check "training kernels" 0 "$netc" compile "$net" --emit=halide --train
grep -q "softmax_cross_entropy" "$tmp/out" && grep -q "conv2d_grad_weight" "$tmp/out" ||
  { echo "FAIL: --emit=halide --train lacks the loss or conv dW kernels"; cat "$tmp/out"; fail=1; }
check "unknown recipe key" 1 "$netc" train "$net" --set weight-decay=0 --out "$tmp/bad"
expect_err "unknown key" "did you mean 'weight_decay'?"
[ -e "$tmp/bad" ] && { echo "FAIL: a failed run left $tmp/bad"; fail=1; }
check "bench" 0 "$netc" train "$net" --bench --batch 16 --steps 2 --json
python3 -c '
import json, sys
d = json.loads(open(sys.argv[1]).read())
assert d["images_per_s"] > 0 and d["batch"] == 16 and d["peak_rss_mib"] > 0, d
' "$tmp/out" || { echo "FAIL: --bench --json"; cat "$tmp/out"; fail=1; }

if [ ! -d /usr/share/datasets/fashion-mnist ]; then
  echo "skipped the Fashion-MNIST part: dataset-fashion-mnist not installed"
  [ $fail = 0 ] && exit 77
  exit $fail
fi
run=(train "$net" --batch 32 --iters 6 --train-limit 128 --test-limit 64 --out "$tmp/run")
check "stop after 3" 0 "$netc" "${run[@]}" --stop-after 3
check "resume to 6" 0 "$netc" "${run[@]}" --resume --json
python3 -c '
import json, sys
d = json.loads(open(sys.argv[1]).read())
assert d["steps"] == 6 and d["images"] == 64 and 0 <= d["top1_error"] <= 1, d
' "$tmp/out" || { echo "FAIL: train --json"; cat "$tmp/out"; fail=1; }
[ "$(wc -l < "$tmp/run/train.csv")" = 7 ] || { echo "FAIL: train.csv is not header + 6 steps"; fail=1; }
check "eval the checkpoint" 0 "$netc" eval "$net" --weights "$tmp/run/checkpoint.nw" --limit 64 --json
check "resume past the end" 0 "$netc" "${run[@]}" --resume
check "resume another network" 1 "$netc" train examples/fashion/resnet20.net --out "$tmp/run" --resume
expect_err "wrong network" "checkpoint.nw"
[ $fail = 0 ] && echo "train cli: all passed"
exit $fail
