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

# unbind_fs FS NS DEV MNT: TAP lines for the removal of the fsdax
# namespace NS (block device DEV, mounted on MNT) under a registered memory
# region, a mapping without a pin, and a page spliced into a pipe.  ndctl
# refuses; a sysfs unbind, which cannot fail, must wait for the
# deregistration, naming the holder, then for the pipe, naming the inode,
# and must not leave DAX entries pointing into the removed memmap (the
# umount would oops).  Then the namespace comes back with the data intact.
unbind_fs() {
	local fs=$1 ns=$2 dev=$3 mnt=$4 f pfn line u rc map map_fd
	local map_in=/tmp/unbind-$fs.in map_out=$out/unbind-$fs-map.log
	local splice splice_fd ino splice_in=/tmp/unbind-$fs.splice
	local splice_out=$out/unbind-$fs-splice.log
	since_mark() { dmesg | sed -n "/gupl: unbind $fs\$/,\$p"; }
	f=$mnt/unbind.mr
	mount -o dax=always "/dev/$dev" "$mnt" || { echo "not ok $((++T)) $fs: mount /dev/$dev"; return; }
	xfs_io -f -c "pwrite -q -S 0x6b -b 2m 0 8m" -c fsync "$f" &&
	xfs_io -f -c "pwrite -q -S 0x6c 0 1m" -c fsync "$mnt/unbind.map" &&
	xfs_io -f -c "pwrite -q -S 0x6d 0 1m" -c fsync "$mnt/unbind.splice" ||
		{ echo "not ok $((++T)) $fs: write the files"; return; }
	coproc HOLD { "$TESTS/mr_hold" "$RXE_DEV" "$f" 2>&1; }
	read -r line <&"${HOLD[0]}"
	echo "# mr_hold: $line"
	# A process with the other file mapped and faulted in, and no pin.
	rm -f "$map_in"
	mkfifo "$map_in"
	"$TESTS/map_hold" "$mnt/unbind.map" <"$map_in" >"$map_out" 2>&1 &
	map=$!
	exec {map_fd}>"$map_in"
	wait_for 100 grep -q '^mapped' "$map_out"
	sed 's/^/# map_hold: /' "$map_out"
	# And a page of a third file spliced into a pipe, the file unmapped.
	rm -f "$splice_in"
	mkfifo "$splice_in"
	"$TESTS/map_hold" -s "$mnt/unbind.splice" <"$splice_in" >"$splice_out" 2>&1 &
	splice=$!
	exec {splice_fd}>"$splice_in"
	wait_for 100 grep -q '^spliced' "$splice_out"
	sed 's/^/# map_hold -s: /' "$splice_out"
	ino=$(stat -c %i "$mnt/unbind.splice")
	pfn=$(cat "/sys/bus/nd/devices/$ns/holder")
	echo "# $ns is held by $pfn"
	if ndctl disable-namespace "$ns" 2>&1 | sed 's/^/# ndctl: /'; [ "${PIPESTATUS[0]}" != 0 ]; then
		echo "ok $((++T)) $fs: ndctl disable-namespace $ns is refused while mounted"
	else
		echo "not ok $((++T)) $fs: ndctl disable-namespace $ns succeeded under a mounted filesystem"
	fi
	echo "gupl: unbind $fs" >/dev/kmsg
	# Not holding the holders' input open: they must see it close.
	timeout 300 sh -c "echo $pfn >/sys/bus/nd/drivers/nd_pmem/unbind" \
		{map_fd}>&- {splice_fd}>&- &
	u=$!
	if wait_for 300 sh -c "dmesg | sed -n '/gupl: unbind $fs\$/,\$p' | grep -q 'longterm pin: device of $dev is going away: waiting for 1 long-term pin of its files, the oldest held by pid [0-9]* (mr_hold) for rdma on $f\$'" &&
	   sleep 2 && kill -0 "$u" 2>/dev/null; then
		echo "ok $((++T)) $fs: the unbind waits for the registered region and names its holder"
	else
		since_mark | grep 'longterm pin' | sed 's/^/# /'
		echo "not ok $((++T)) $fs: the unbind did not wait for the region, or did not say who holds it"
	fi
	"$TESTS/mr_hold" "$RXE_DEV" "$f" </dev/null 2>&1 | sed 's/^/# another registration: /'
	if [ "${PIPESTATUS[0]}" != 0 ]; then
		echo "ok $((++T)) $fs: a new registration on the dying filesystem fails"
	else
		echo "not ok $((++T)) $fs: a new registration on the dying filesystem succeeded"
	fi
	exec {HOLD[1]}>&-
	rc=0
	wait "$HOLD_PID" || rc=$?
	if [ "$rc" = 0 ] &&
	   wait_for 300 sh -c "dmesg | sed -n '/gupl: unbind $fs\$/,\$p' | grep -q 'dax: device of $dev is going away: waiting for the references to pages of inode $ino (/unbind.splice) to be dropped'" &&
	   since_mark | grep -q "longterm pin: device of $dev is going away: its files' long-term pins are released" &&
	   sleep 2 && kill -0 "$u" 2>/dev/null; then
		echo "ok $((++T)) $fs: after the deregistration the unbind waits for the page spliced into a pipe, naming its inode"
	else
		since_mark | grep 'longterm pin\|dax:' | sed 's/^/# /'
		echo "not ok $((++T)) $fs: deregistration failed (status $rc), or the unbind did not wait for the spliced page"
	fi
	exec {splice_fd}>&-
	rc=0
	wait "$splice" || rc=$?
	wait "$u" || rc=$((rc + 100))
	sed 's/^/# map_hold -s: /' "$splice_out"
	if [ "$rc" = 0 ] && grep -qx 'pipe first byte 0x6d' "$splice_out"; then
		echo "ok $((++T)) $fs: once the pipe lets the page go the unbind completes, and the pipe read the file's byte"
	else
		echo "not ok $((++T)) $fs: the pipe or the unbind failed (status $rc)"
	fi
	echo read >&"$map_fd"
	exec {map_fd}>&-
	rc=0
	wait "$map" || rc=$?
	sed 's/^/# map_hold: /' "$map_out"
	if [ "$rc" = 135 ]; then
		echo "ok $((++T)) $fs: the mapping of the removed device faults with SIGBUS"
	else
		echo "not ok $((++T)) $fs: the mapping of the removed device: map_hold status $rc, not SIGBUS"
	fi
	if umount "$mnt" 2>&1 | sed 's/^/# /'; [ "${PIPESTATUS[0]}" = 0 ]; then
		echo "ok $((++T)) $fs: the shut down filesystem unmounts"
	else
		echo "not ok $((++T)) $fs: umount failed"
	fi
	echo "$pfn" >/sys/bus/nd/drivers/nd_pmem/bind
	if wait_for 100 test -b "/dev/$dev" && mount -o dax=always "/dev/$dev" "$mnt" &&
	   head -c 8M /dev/zero | tr '\0' '\153' | cmp - "$f" 2>&1 | sed 's/^/# /' &&
	   [ "${PIPESTATUS[2]}" = 0 ]; then
		echo "ok $((++T)) $fs: after a rebind the file reads back as written"
	else
		echo "not ok $((++T)) $fs: after a rebind the file does not read back as written"
	fi
	umount "$mnt" 2>/dev/null
}

# unbind_group: TAP for unbind_fs on both filesystems (the series only:
# on 6.12 the region is refused, and the mapping oopses the umount).
unbind_group() {
	T=0
	echo "TAP version 13"
	echo "1..16"
	unbind_fs xfs namespace0.0 pmem0 "$XFS_MNT"
	unbind_fs ext4 namespace1.0 pmem1 "$EXT4_MNT"
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
	[ "$EXPECT" != series ] || run_group unbind 900 unbind_group
	save_counters after
}

main
