#!/usr/bin/env bash
# netc eval: JSON output, exit codes and error messages.
# Usage: eval_cli.sh NETC (run from the repository root).
set -u
netc=$1
net=tests/train/tiny-fmnist.net
source "$(dirname "$0")/cli_lib.sh"
check "weights init" 0 "$netc" weights init "$net" -o "$tmp/w.nw"
check "unknown data" 1 "$netc" eval "$net" --weights "$tmp/w.nw" --data nonsense
grep -q "unknown data source 'nonsense'" "$tmp/err" || { echo "FAIL: unknown data message"; cat "$tmp/err"; fail=1; }
check "missing weights" 1 "$netc" eval "$net" --weights "$tmp/none.nw"
check "wrong network" 1 "$netc" eval examples/cifar/resnet.net --weights "$tmp/w.nw"
if [ ! -d /usr/share/datasets/fashion-mnist ]; then
  echo "skipped the Fashion-MNIST part: dataset-fashion-mnist not installed"
  [ $fail = 0 ] && exit 77
  exit $fail
fi
# 256 images at batch 100: two full batches and a padded short one.
check "eval --json" 0 "$netc" eval "$net" --weights "$tmp/w.nw" --limit 256 --json --batch 100
python3 -c '
import json, sys
lines = open(sys.argv[1]).read().strip().splitlines()
assert len(lines) == 1, lines
d = json.loads(lines[0])
assert set(d) == {"top1_error", "top5_error", "images"}, d
assert d["images"] == 256 and 0 <= d["top5_error"] <= d["top1_error"] <= 1, d
' "$tmp/out" || { echo "FAIL: --json output"; cat "$tmp/out"; fail=1; }
# Padding the short batch must not change a result: batch 256 has none.
cp "$tmp/out" "$tmp/b100"
check "eval batch 256" 0 "$netc" eval "$net" --weights "$tmp/w.nw" --limit 256 --json --batch 256
cmp -s "$tmp/out" "$tmp/b100" || { echo "FAIL: batch 100 and 256 differ"; cat "$tmp/out" "$tmp/b100"; fail=1; }
check "eval text" 0 "$netc" eval "$net" --weights "$tmp/w.nw" --limit 50 --batch 64
grep -q "top-1 error .*(50 images)" "$tmp/out" || { echo "FAIL: text output"; cat "$tmp/out"; fail=1; }
[ $fail = 0 ] && echo "eval cli: all passed"
exit $fail
