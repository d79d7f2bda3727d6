#!/bin/sh
# A cold `netc run` AOT-compiles every kernel into the cache directory; a warm
# one loads them all and compiles nothing; --no-cache compiles in memory only;
# without a compiler cached kernels load and new ones are JIT-compiled;
# `netc cache --clear` empties the directory. Outputs agree bit for bit.
# Usage: cli_cold_warm.sh NETC EXAMPLES_DIR CACHE_DIR
set -eu
netc=$1 examples=$2 dir=$3
rm -rf "$dir"
export NETC_CACHE_DIR="$dir"
net="$examples/cifar/resnet.net"
field() { sed -n "s/.*\"$1\": \([0-9]*\).*/\1/p" "$2"; }
outputs() { tr -d ' \n' < "$1" | sed 's/.*"outputs":\(\[[^]]*\]\).*/\1/'; }

"$netc" run "$net" --json > "$dir.cold.json"
cold=$(field aot_compiled "$dir.cold.json")
[ "$cold" -gt 0 ] || { echo "cold run compiled nothing AOT"; cat "$dir.cold.json"; exit 1; }
[ "$(field jit_compiled "$dir.cold.json")" = 0 ] || { echo "cold run fell back to JIT"; exit 1; }
ls "$dir"/*.so > /dev/null

"$netc" run "$net" --json > "$dir.warm.json"
[ "$(field loaded "$dir.warm.json")" = "$cold" ] || { echo "warm run did not load all $cold"; cat "$dir.warm.json"; exit 1; }
[ "$(field aot_compiled "$dir.warm.json")" = 0 ] || { echo "warm run compiled"; exit 1; }
[ "$(field jit_compiled "$dir.warm.json")" = 0 ] || { echo "warm run compiled"; exit 1; }
[ "$(outputs "$dir.cold.json")" = "$(outputs "$dir.warm.json")" ] || { echo "outputs differ"; exit 1; }

"$netc" run "$net" --json --no-cache > "$dir.jit.json"
[ "$(field jit_compiled "$dir.jit.json")" = "$cold" ] || { echo "--no-cache did not JIT"; exit 1; }
[ "$(outputs "$dir.cold.json")" = "$(outputs "$dir.jit.json")" ] || { echo "JIT and AOT outputs differ"; exit 1; }

# No compiler: cached libraries still load; a cold directory falls back to
# JIT with one warning.
NETC_CXX=/nonexistent/cc "$netc" run "$net" --json > "$dir.nocc.json"
[ "$(field loaded "$dir.nocc.json")" = "$cold" ] || { echo "no compiler: cache not loaded"; exit 1; }
NETC_CACHE_DIR="$dir.empty" NETC_CXX=/nonexistent/cc "$netc" run "$net" --json \
  > "$dir.nocc2.json" 2> "$dir.nocc2.err"
[ "$(field jit_compiled "$dir.nocc2.json")" = "$cold" ] || { echo "no compiler: no JIT fallback"; exit 1; }
[ "$(grep -c 'no C/C++ compiler' "$dir.nocc2.err")" = 1 ] || { echo "expected one warning"; cat "$dir.nocc2.err"; exit 1; }
[ "$(outputs "$dir.cold.json")" = "$(outputs "$dir.nocc2.json")" ] || { echo "fallback outputs differ"; exit 1; }

"$netc" cache --clear
[ -z "$(ls "$dir")" ] || { echo "cache --clear left files"; ls "$dir"; exit 1; }
rm -rf "$dir" "$dir.empty" "$dir".*.json "$dir.nocc2.err"
echo "cold: $cold kernels AOT-compiled; warm: all loaded"
