#!/usr/bin/env bash
# netc's command line: exit codes, streams, and that bad input never crashes.
# Usage: cli_test.sh NETC (run from the repository root).
set -u
netc=$1
fail=0
check() { # description, expected exit code, command...
  local what=$1 want=$2; shift 2
  "$@" >/tmp/netc_cli_out.$$ 2>/tmp/netc_cli_err.$$
  local rc=$?
  if [ "$rc" != "$want" ]; then
    echo "FAIL: $what: exit $rc, wanted $want"; cat /tmp/netc_cli_err.$$; fail=1
  fi
}
for f in examples/*/*.net; do
  check "summary $f" 0 "$netc" summary "$f"
  check "check $f" 0 "$netc" check "$f"
  [ -s /tmp/netc_cli_out.$$ ] && { echo "FAIL: check $f printed something"; fail=1; }
done
for f in tests/dsl/errors/*.net; do
  args=$(sed -n '1s/^# args://p' "$f")
  # shellcheck disable=SC2086
  check "check $f" 1 "$netc" check "$f" $args
  [ -s /tmp/netc_cli_out.$$ ] && { echo "FAIL: $f wrote to stdout"; fail=1; }
  grep -q ': error: ' /tmp/netc_cli_err.$$ || { echo "FAIL: $f: no diagnostic"; fail=1; }
done
check "missing file" 1 "$netc" check /nonexistent.net
check "bad -D" 1 "$netc" summary examples/cifar/resnet.net -D n
check "json" 0 "$netc" summary examples/resnet/resnet50.net --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["params"]==25557032 and isinstance(d["macs"],int) and len(d["layers"])==21' /tmp/netc_cli_out.$$ \
  || { echo "FAIL: --json output"; fail=1; }
check "no subcommand" 1 "$netc"
check "binary garbage" 1 "$netc" check "$netc"
rm -f /tmp/netc_cli_out.$$ /tmp/netc_cli_err.$$
[ $fail = 0 ] && echo "cli: all passed"
exit $fail
