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

# run_group NAME TIMEOUT CMD...: run a TAP-emitting command (or shell
# function) in a group.  A group that exits non-zero without reporting a
# failed test (a crash, a missing program, a timeout) gets a failed test.
run_group() {
	local name=$1 limit=$2 tap=$out/tap/$1.tap rc=0
	shift 2
	progress "group $name: start"
	if declare -F "$1" >/dev/null; then
		"$@" >"$tap" 2>&1 || rc=$?
	else
		timeout -k 10 "$limit" "$@" >"$tap" 2>&1 || rc=$?
	fi
	if [ "$rc" = 124 ]; then
		echo "not ok - group $name timed out after ${limit}s" >>"$tap"
	elif [ "$rc" != 0 ] && ! grep -qE '^(# )*not ok ' "$tap"; then
		echo "not ok - group $name exited with status $rc" >>"$tap"
	fi
	progress "group $name: $(grep -c '^ok ' "$tap") ok, $(grep -c '^not ok ' "$tap") not ok, exit $rc"
}

# golden NAME: TAP for "$out/NAME is byte-identical to tests/golden/NAME",
# a transcript recorded on the base kernel (see README).
golden() {
	local want=$here/../../tests/golden/$1
	echo "TAP version 13"
	echo "1..1"
	if diff -u "$want" "$out/$1" | sed 's/^/# /'; then
		echo "ok 1 $1 equals the base kernel's"
	else
		echo "not ok 1 $1 differs from the base kernel's"
	fi
}

# base_refusals: TAP for "on a kernel without the series, every fsdax test
# of the selftests skipped with the refusal", so that none passes by
# accident (a refusal test whose errno happens to match).
base_refusals() {
	local tap=$out/tap/kselftest.tap prog why n bad i=0
	echo "TAP version 13"
	echo "1..2"
	for prog in "rdma_mr:ibv_reg_mr: EOPNOTSUPP" "fsdax:gup_test has no gup_longterm"; do
		why=${prog#*:} prog=${prog%%:*}
		n=$(grep -cE "^# (not )?ok [0-9]+ $prog\.(xfs|ext4)\." "$tap" || true)
		bad=$(grep -E "^# (not )?ok [0-9]+ $prog\.(xfs|ext4)\." "$tap" |
			grep -vF "# SKIP $why" || true)
		if [ "$n" -gt 0 ] && [ -z "$bad" ]; then
			echo "ok $((++i)) $n $prog tests skip: $why"
		else
			echo "$bad" | sed 's/^/# unexpected: /'
			echo "not ok $((++i)) $prog tests skip ($n found): $why"
		fi
	done
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
	run_group swapon 300 env SWAPON_TRANSCRIPT="$out/swapon.txt" "$TESTS/swapon_test"
	run_group swapon-golden 10 golden swapon.txt
	if [ -n "$KSELFTEST_TESTS" ]; then
		# shellcheck disable=SC2086
		# On the series, a refused fsdax pin is a failure, not a skip.
		local require=GUP_LONGTERM_REQUIRE=
		[ "$EXPECT" != series ] || require=GUP_LONGTERM_REQUIRE=1
		# shellcheck disable=SC2086
		run_group kselftest 3600 env "$require" \
			"$TESTS/kselftest/run_kselftest.sh" $KSELFTEST_TESTS
		[ "$EXPECT" != base ] || run_group base-refusals 10 base_refusals
	fi
	echo 1 >/proc/sys/vm/stat_refresh
	grep -E '^nr_foll_pin_(acquired|released)' /proc/vmstat >"$out/vmstat-after"
	dmesg >"$out/dmesg.txt"
}

main
