#!/bin/bash
# Guest job "check": bring up pmem, filesystems and rxe, run every test
# group, one TAP file per group under $out/tap.
#   job-check.sh OUT_DIR [inject]
set -uo pipefail
out=$1 inject=${2:-}
here=$(dirname "$0")
. "$here/setup.sh"
. "$here/rdma-tools.sh"
. "$out/../config.sh"	# written by the host: TESTS, EXPECT, KSELFTEST_TESTS

mkdir -p "$out/tap"

# run_group NAME TIMEOUT CMD...: run a TAP-emitting command (or shell
# function) in a group.  A group that exits non-zero without reporting a
# failed test (a crash, a missing program, a timeout) gets a failed test.
run_group() {
	local name=$1 limit=$2 tap=$out/tap/$1.tap rc=0
	shift 2
	progress "group $name: start"
	# Through a pipe: kselftest's runner reopens /dev/stdout, which on a
	# regular file starts writing at its beginning again.
	if declare -F "$1" >/dev/null; then
		"$@" 2>&1 | cat >"$tap"
	else
		timeout -k 10 "$limit" "$@" 2>&1 | cat >"$tap"
	fi
	rc=${PIPESTATUS[0]}
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
	echo "1..6"
	for prog in "rdma_mr\.(xfs|ext4)\.:ibv_reg_mr: EOPNOTSUPP" \
		    "fsdax\.(xfs|ext4)\.:gup_test has no gup_longterm" \
		    "fuzz\.(xfs|ext4)\.gup_test:gup_test has no gup_longterm" \
		    "fuzz\.(xfs|ext4)\.verbs:ibv_reg_mr: EOPNOTSUPP" \
		    "pin_list\.(xfs|ext4)\.:no /proc/fs/longterm_pins" \
		    "hmm\.(xfs|ext4)\.pinned_and_mirrored:gup_test has no gup_longterm"; do
		why=${prog#*:} prog=${prog%%:*}
		n=$(grep -cE "^# (not )?ok [0-9]+ $prog" "$tap" || true)
		bad=$(grep -E "^# (not )?ok [0-9]+ $prog" "$tap" |
			grep -vF "# SKIP $why" || true)
		if [ "$n" -gt 0 ] && [ -z "$bad" ]; then
			echo "ok $((++i)) $n $prog tests skip: $why"
		else
			echo "$bad" | sed 's/^/# unexpected: /'
			echo "not ok $((++i)) $prog tests skip ($n found): $why"
		fi
	done
}

# librpma_group: TAP for a librpma application (rpma_pair) whose memory is
# a fallocated file of fsdax XFS, then of fsdax ext4.  With the series the
# client's data must be in the file; on the base kernel rpma_mr_reg must be
# refused with EOPNOTSUPP (rxe has no ODP for librpma's retry).
librpma_group() {
	local fs dir rc i=0 byte=0xa7
	echo "TAP version 13"
	echo "1..2"
	for fs in xfs ext4; do
		dir=$XFS_MNT
		[ "$fs" = xfs ] || dir=$EXT4_MNT
		rc=0
		rpma_pair "$dir/rpma.file" "$byte" "$out/rpma-$fs" || rc=$?
		sed 's/^/# /' "$out/rpma-$fs.log"
		case "$EXPECT:$rc" in
		series:0) echo "ok $((++i)) librpma $fs: rpma_write of $byte into a fallocated fsdax file, flushed, read back" ;;
		base:3) echo "ok $((++i)) librpma $fs: rpma_mr_reg refused with EOPNOTSUPP, as on 6.12" ;;
		*) echo "not ok $((++i)) librpma $fs: server exit status $rc on the $EXPECT kernel" ;;
		esac
		rm -f "$dir/rpma.file"
	done
}

# umount_group: TAP for "every fsdax filesystem unmounts after the tests":
# a pin, a file reference or an inode leaked by any test (the fail-nth
# sweeps included) would keep it busy.
umount_group() {
	local mnt i=0
	echo "TAP version 13"
	echo "1..2"
	for mnt in "$XFS_MNT" "$EXT4_MNT"; do
		if umount "$mnt" 2>&1 | sed 's/^/# /'; [ "${PIPESTATUS[0]}" = 0 ]; then
			echo "ok $((++i)) $mnt unmounts after the tests"
		else
			sed 's/^/# pin: /' /proc/fs/longterm_pins 2>/dev/null
			echo "not ok $((++i)) $mnt is still busy after the tests"
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
	save_counters before
	run_group env 300 env GUPL_EXPECT="$EXPECT" "$TESTS/env_test"
	run_group swapon 300 env SWAPON_TRANSCRIPT="$out/swapon.txt" "$TESTS/swapon_test"
	run_group swapon-golden 10 golden swapon.txt
	if [ -n "$KSELFTEST_TESTS" ]; then
		# shellcheck disable=SC2086
		# On the series, a refused fsdax pin is a failure, not a skip.
		local require=GUP_LONGTERM_REQUIRE=
		[ "$EXPECT" != series ] || require=GUP_LONGTERM_REQUIRE=1
		# shellcheck disable=SC2086
		# fsdax_fuzz: the same shapes on every run unless GUPL_FUZZ_SEED
		run_group kselftest 3600 env "$require" FUZZ_SEED="$FUZZ_SEED" \
			"$TESTS/kselftest/run_kselftest.sh" $KSELFTEST_TESTS
		[ "$EXPECT" != base ] || run_group base-refusals 10 base_refusals
	fi
	run_group librpma 600 librpma_group
	run_group umount 120 umount_group
	save_counters after
}

main
