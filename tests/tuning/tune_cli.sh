#!/usr/bin/env bash
# `netc tune`: every distinct conv layer gets a database entry; a second run
# tunes nothing (resume); `netc run` with the database gives the same
# outputs; bad budgets and broken databases are clear errors.
# usage: tune_cli.sh NETC SOURCE_DIR WORK_DIR
set -euo pipefail
NETC=$1 SRC=$2 WORK=$3
NET=$SRC/tests/tuning/tune.net
PY=/usr/bin/python3
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$NETC" tune "$NET" --threads 1 --budget 5m --db db.json --quiet | tee tune1.txt
entries=$($PY -c "import json; print(len(json.load(open('db.json'))['conv']))")
[ "$entries" = 3 ] || fail "expected 3 distinct conv layers in the database, got $entries"
grep -q "tuned 3, already known 0" tune1.txt || fail "first run: $(tail -1 tune1.txt)"
$PY - <<'PY'
import json
for k, v in json.load(open("db.json"))["conv"].items():
    assert k.startswith("conv|") and k.endswith("|threads=1|batch=1"), k
    assert 0 < v["ms"] <= v["default_ms"], (k, v)
PY

"$NETC" tune "$NET" --threads 1 --budget 5m --db db.json --quiet > tune2.txt
grep -q "tuned 0, already known 3" tune2.txt || fail "second run: $(tail -1 tune2.txt)"
"$NETC" tune "$NET" --db db.json --show | $PY -c "import json,sys; json.load(sys.stdin)"

"$NETC" run "$NET" --threads 1 --output plain.npy >/dev/null
NETC_TUNING_DB=$PWD/db.json "$NETC" run "$NET" --threads 1 --output tuned.npy >/dev/null
$PY -c "
import numpy as np, sys
a, b = np.load('plain.npy'), np.load('tuned.npy')
err = float(np.abs(a - b).max() / np.abs(a).max())
print(f'run with the tuned database vs built-in schedules: {err:.2e}')
sys.exit(0 if err <= 1e-5 else 1)"

if "$NETC" tune "$NET" --budget soon --db x.json 2>err.txt; then fail "--budget soon accepted"; fi
grep -q "write a duration such as 90s, 10m or 1h" err.txt || fail "$(cat err.txt)"
echo '{"version": 1, "conv": {"k": {"vec": "x"}}}' > broken.json
if NETC_TUNING_DB=$PWD/broken.json "$NETC" run "$NET" >/dev/null 2>err.txt; then fail "broken database accepted"; fi
grep -q "tuning database '.*broken.json' is unreadable" err.txt || fail "$(cat err.txt)"
echo OK
