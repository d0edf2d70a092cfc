#!/bin/bash
# Guest job "demo": what happens, step by step, when an RDMA memory region
# is registered on a file of an fsdax XFS mount, and what truncate does to
# that file while the region exists.  Exits non-zero when a step does not
# behave as documented for this kernel (base: refused with EOPNOTSUPP;
# series: registered, and truncate refused with ETXTBSY until deregistered).
#   job-demo.sh OUT_DIR [inject]
set -uo pipefail
out=$1
here=$(dirname "$0")
. "$here/setup.sh"
. "$out/../config.sh"

F=$XFS_MNT/rdma-buffer
SIZE=$((64 << 20))
failed=0

step() { progress "demo: $*"; }
# show CMD...: run CMD, showing it and its output as demo lines.
show() {
	progress "demo:     \$ $*"
	"$@" 2>&1 | while IFS= read -r l; do progress "demo:       $l"; done
	return "${PIPESTATUS[0]}"
}
expect() { # expect WHAT: a documented outcome was not met
	step "  UNEXPECTED: $*"
	failed=1
}

make_file() {
	step "1. a 64 MiB file on fsdax XFS, written (not just fallocated) and synced"
	show xfs_io -f -c "pwrite -q -S 0x5a -b 2m 0 $SIZE" -c fsync "$F" || expect "could not write $F"
	step "   statx reports DAX (STATX_ATTR_DAX is 0x200000):"
	show sh -c "xfs_io -c 'statx -r' '$F' | grep '^stat.attributes ='"
}

register() {
	step "2. ibv_reg_mr() on a MAP_SHARED mapping of it (device $RXE_DEV)"
	coproc HOLD { "$TESTS/mr_hold" "$RXE_DEV" "$F" 2>&1; }
	local line
	progress "demo:     \$ mr_hold $RXE_DEV $F     (mmap MAP_SHARED, ibv_reg_mr LOCAL_WRITE|REMOTE_WRITE|REMOTE_READ)"
	read -r line <&"${HOLD[0]}"
	progress "demo:       $line"
	case "$EXPECT:$line" in
	base:*"Operation not supported"*)
		step "  refused with EOPNOTSUPP: stock 6.12 cannot long-term pin fsdax pages."
		step "  (users are told to use device-DAX or ODP instead); the kernel log says:"
		show sh -c "dmesg | grep -m1 'rxe_reg_user_mr: returned err = -95'" ||
			expect "no rxe_reg_user_mr -EOPNOTSUPP line in dmesg"
		wait "$HOLD_PID" 2>/dev/null
		return 1 ;;
	series:registered*) return 0 ;;
	*) expect "registration on a '$EXPECT' kernel said: $line"
	   wait "$HOLD_PID" 2>/dev/null
	   return 1 ;;
	esac
}

truncate_while_registered() {
	step "3. truncate the file while the memory region exists"
	if show truncate -s 0 "$F"; then
		expect "truncate succeeded under a registered MR"
	fi
	step "4. deregister (ibv_dereg_mr) and truncate again"
	exec {HOLD[1]}>&-
	wait "$HOLD_PID" || expect "mr_hold failed"
	show truncate -s 0 "$F" || expect "truncate failed after ibv_dereg_mr"
}

main() {
	setup_all >"$out/setup.log" 2>&1 || { progress "setup failed"; cat "$out/setup.log"; return 1; }
	step "kernel $(uname -r): expecting the behaviour of the $EXPECT kernel"
	make_file
	if register; then
		truncate_while_registered
	fi
	[ "$failed" = 0 ] && step "every step behaved as documented." || step "some step did not behave as documented."
	dmesg >"$out/dmesg.txt"
	return "$failed"
}

main
