# Shared by the netc CLI test scripts here: a temporary folder removed on
# exit, `fail` (0 until a check fails), and
#   check DESCRIPTION EXPECTED_EXIT_CODE COMMAND...
# which runs COMMAND with stdout in $tmp/out and stderr in $tmp/err.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() {
  local what=$1 want=$2; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  if [ "$rc" != "$want" ]; then
    echo "FAIL: $what: exit $rc, wanted $want"; cat "$tmp/err"; fail=1
  fi
}
