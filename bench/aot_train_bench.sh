#!/usr/bin/env bash
# A --train library's step vs `netc train --bench`, same network, batch and
# threads (default: CIFAR ResNet-20, batch 128, 1 thread). One JSON line.
#   bench/aot_train_bench.sh [NETC] [THREADS] [BATCH] [NET]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
NETC=${1:-$here/../build/tools/netc/netc}
THREADS=${2:-1}
BATCH=${3:-128}
NET=${4:-$here/../examples/cifar/resnet.net}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HL_NUM_THREADS=$THREADS
start=$(date +%s%N)
"$NETC" compile "$NET" --train --target host -o "$work/lib" --name net --batch "$BATCH" --json \
  > "$work/info.json"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
cc -std=c99 -O2 -DNETC_NET=net -DNETC_NET_UPPER=NET -I"$work/lib" "$here/aot_train_bench.c" \
  "$work/lib/net.a" -lpthread -ldl -lm -o "$work/bench"
lib=$("$work/bench" "$work/lib/net.weights" 10)
run=$("$NETC" train "$NET" --bench --batch "$BATCH" --threads "$THREADS" --steps 10 --json)
/usr/bin/python3 - "$work/info.json" "$ms" "$lib" "$run" "$THREADS" <<'PY'
import json, sys
info, ms, lib, run, threads = json.load(open(sys.argv[1])), int(sys.argv[2]), json.loads(sys.argv[3]), json.loads(sys.argv[4]), int(sys.argv[5])
print(json.dumps({"threads": threads, "batch": lib["batch"], "compile_s": ms / 1000,
  "library_mib": round(info["library_bytes"] / 2**20, 2), "kernels": info["kernels"],
  "library_img_s": lib["images_per_second"], "netc_train_img_s": round(run["images_per_s"], 1),
  "workspace_mib": round(info["workspace_bytes"] / 2**20, 1)}))
PY
