#!/usr/bin/env bash
# `netc tune`: every distinct conv layer gets a database entry; a second run
# tunes nothing (resume); `netc run` with the database gives the same
# outputs; bad budgets and broken databases are clear errors. `--train`:
# the training step's convs, dX and dW get entries at the recipe's batch,
# and `netc train` uses them (a broken entry is named) with the same result.
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

# --batch: entries for that batch only.
"$NETC" tune "$NET" --batch 4 --threads 1 --budget 5m --db b4.json --quiet > tune4.txt
grep -q "tuned 3, already known 0" tune4.txt || fail "--batch 4: $(tail -1 tune4.txt)"
$PY -c "
import json
keys = list(json.load(open('b4.json'))['conv'])
assert len(keys) == 3 and all(k.endswith('|threads=1|batch=4') for k in keys), keys"

if "$NETC" tune "$NET" --budget soon --db x.json 2>err.txt; then fail "--budget soon accepted"; fi
grep -q "write a duration such as 90s, 10m or 1h" err.txt || fail "$(cat err.txt)"
echo '{"version": 1, "conv": {"k": {"vec": "x"}}}' > broken.json
if NETC_TUNING_DB=$PWD/broken.json "$NETC" run "$NET" >/dev/null 2>err.txt; then fail "broken database accepted"; fi
grep -q "tuning database '.*broken.json' is unreadable" err.txt || fail "$(cat err.txt)"
# --train: 3 forward convs, 2 dX, 3 dW at the recipe's batch (8).
TNET=$SRC/tests/tuning/tune-train.net
"$NETC" tune "$TNET" --train --threads 1 --budget 5m --db train.json --quiet | tee ttune1.txt
grep -q "tuned 8, already known 0" ttune1.txt || fail "--train first run: $(tail -1 ttune1.txt)"
$PY - <<'PY'
import json
d = json.load(open("train.json"))
assert len(d["conv"]) == 3 and all(k.endswith("|threads=1|batch=8|train") for k in d["conv"]), d["conv"]
assert len(d["conv_dx"]) == 2 and len(d["conv_dw"]) == 3, (list(d["conv_dx"]), list(d["conv_dw"]))
for sec in ("conv_dx", "conv_dw"):
    for k, v in d[sec].items():
        assert k.startswith(sec.replace("_", "")) and k.endswith("|threads=1|batch=8"), k
        assert 0 < v["ms"] <= v["default_ms"], (k, v)
PY
"$NETC" tune "$TNET" --train --threads 1 --budget 5m --db train.json --quiet > ttune2.txt
grep -q "tuned 0, already known 8" ttune2.txt || fail "--train second run: $(tail -1 ttune2.txt)"

if [ ! -d /usr/share/datasets/fashion-mnist ]; then
  echo "skipped netc train with the database: dataset-fashion-mnist not installed"
  echo OK
  exit 0
fi
# Every entry forced to a schedule unlike the built-in ones: the same training.
$PY - <<'PY'
import json
d = json.load(open("train.json"))
for v in d["conv"].values():
    v.update(coVecs=1, tileX=5, rowsPerTask=2, stagePadded=False, coOuter=False)
for v in d["conv_dx"].values():
    v.update(ciVecs=1, tileX=3, rowsPerTask=2, stageDy=0)
for v in d["conv_dw"].values():
    v.update(coVecs=1, ciTile=2, rowsPerBlock=7, imagesPerBlock=1, tapsInTile=0, stageX=0, tasks=1)
json.dump(d, open("forced.json", "w"), indent=1)
del next(iter(d["conv_dx"].values()))["tileX"]
json.dump(d, open("lacking.json", "w"), indent=1)
PY
train=(train "$TNET" --threads 1 --train-limit 64 --test-limit 16)
"$NETC" "${train[@]}" --out built-in >/dev/null
NETC_TUNING_DB=$PWD/forced.json "$NETC" "${train[@]}" --out forced >/dev/null
"$NETC" run "$TNET" --threads 1 --weights built-in/checkpoint.nw --output a.npy >/dev/null
"$NETC" run "$TNET" --threads 1 --weights forced/checkpoint.nw --output b.npy >/dev/null
$PY -c "
import numpy as np, sys
a, b = np.load('a.npy'), np.load('b.npy')
err = float(np.abs(a - b).max() / np.abs(a).max())
print(f'6 training steps with every conv kernel on another schedule: outputs differ by {err:.2e}')
sys.exit(0 if err <= 1e-4 else 1)" || fail "training with forced schedules diverged"
if NETC_TUNING_DB=$PWD/lacking.json "$NETC" "${train[@]}" --out lacking >/dev/null 2>err.txt; then
  fail "an entry without tileX accepted"
fi
grep -q "a conv gradient entry lacks 'tileX'" err.txt || fail "$(cat err.txt)"
echo OK
