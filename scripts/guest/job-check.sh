#!/bin/bash
# Guest job "check": bring up pmem, filesystems and rxe, run every test
# group, one TAP file per group under $out/tap.
#   job-check.sh OUT_DIR [inject]
set -uo pipefail
out=$1 inject=${2:-}
here=$(dirname "$0")
. "$here/setup.sh"
. "$out/../config.sh"	# written by the host: TESTS, EXPECT, KSELFTEST_TESTS

mkdir -p "$out/tap"

# run_group NAME TIMEOUT CMD...: run a TAP-emitting command in a group.
run_group() {
	local name=$1 limit=$2 tap=$out/tap/$1.tap rc=0
	shift 2
	progress "group $name: start"
	timeout -k 10 "$limit" "$@" >"$tap" 2>&1 || rc=$?
	[ "$rc" != 124 ] || echo "not ok - group $name timed out after ${limit}s" >>"$tap"
	progress "group $name: $(grep -c '^ok ' "$tap") ok, $(grep -c '^not ok ' "$tap") not ok, exit $rc"
}

inject_fault() {
	case "$inject" in
	"") ;;
	warn) progress "inject: WARNING through lkdtm"
	      echo WARNING >/sys/kernel/debug/provoke-crash/DIRECT ;;
	hang) progress "inject: hanging the guest"
	      sleep infinity ;;
	*) progress "inject: unknown fault '$inject'"; return 1 ;;
	esac
}

main() {
	setup_all || { progress "setup failed"; return 1; }
	inject_fault || return 1
	echo 1 >/proc/sys/vm/stat_refresh
	grep -E '^nr_foll_pin_(acquired|released)' /proc/vmstat >"$out/vmstat-before"
	run_group env 300 env GUPL_EXPECT="$EXPECT" "$TESTS/env_test"
	if [ -n "$KSELFTEST_TESTS" ]; then
		# shellcheck disable=SC2086
		run_group kselftest 3600 "$TESTS/kselftest/run_kselftest.sh" $KSELFTEST_TESTS
	fi
	echo 1 >/proc/sys/vm/stat_refresh
	grep -E '^nr_foll_pin_(acquired|released)' /proc/vmstat >"$out/vmstat-after"
	dmesg >"$out/dmesg.txt"
}

main
