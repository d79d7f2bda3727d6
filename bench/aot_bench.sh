#!/usr/bin/env bash
# The embedded library vs `netc run`, same network, weights, batch, threads:
# compile time, library size, forward median. One JSON line per model.
#   bench/aot_bench.sh [NETC] [THREADS] [BATCH] [models: name=file.net ...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
NETC=${1:-$here/../build/tools/netc/netc}
THREADS=${2:-1}
BATCH=${3:-1}
shift $(( $# < 3 ? $# : 3 ))
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(resnet20=examples/cifar/resnet.net resnet50=examples/resnet/resnet50.net)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HL_NUM_THREADS=$THREADS
for m in "${models[@]}"; do
  name=${m%%=*}; net=$here/../${m#*=}
  dir=$work/$name
  start=$(date +%s%N)
  "$NETC" compile "$net" --target host -o "$dir" --name "$name" --batch "$BATCH" --json \
    > "$work/$name.json"
  secs=$(( ($(date +%s%N) - start) / 1000000 ))
  cc -std=c99 -O2 -DNETC_NET="$name" -DNETC_NET_UPPER="${name^^}" -I"$dir" \
    "$here/aot_forward_bench.c" "$dir/$name.a" -lpthread -ldl -lm -o "$dir/bench"
  lib=$("$dir/bench" "$dir/$name.weights" 30)
  run=$("$NETC" run "$net" --batch "$BATCH" --threads "$THREADS" --bench --json --iterations 30 \
        | /usr/bin/python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["median_ms"])')
  /usr/bin/python3 - "$name" "$work/$name.json" "$secs" "$lib" "$run" "$THREADS" <<'PY'
import json, sys
name, info, secs, lib, run, threads = sys.argv[1:]
info = json.load(open(info)); lib = json.loads(lib)
print(json.dumps({"model": name, "threads": int(threads), "batch": lib["batch"],
  "compile_s": round(int(secs) / 1000, 2), "library_mib": round(info["library_bytes"] / 2**20, 2),
  "weights_mib": round(info["weight_bytes"] / 2**20, 2), "kernels": info["kernels"],
  "library_ms": lib["median_ms"], "netc_run_ms": round(float(run), 4),
  "ratio_run_over_library": round(float(run) / lib["median_ms"], 3)}))
PY
done
