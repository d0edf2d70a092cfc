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
. "$here/rdma-tools.sh"
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

# show_holder FILE: the listing of pins and the log line that names the
# holder of the truncate of FILE just refused.
show_holder() {
	local f=$1 ino line
	ino=$(stat -c %i "$f")
	step "   /proc/fs/longterm_pins lists every pin: pid, command, subsystem, mode, device, inode, offset, length, pages, since, path"
	show cat /proc/fs/longterm_pins
	grep -qF " $f" /proc/fs/longterm_pins || expect "$f is not in /proc/fs/longterm_pins"
	step "   the kernel log names the holder of the refused truncate:"
	line=$(dmesg | grep "ETXTBSY: truncate of inode $ino on .* refused: long-term pinned by pid" | tail -n1)
	[ -n "$line" ] || expect "no log line names the holder of inode $ino"
	progress "demo:       $line"
}

truncate_while_registered() {
	step "3. truncate the file while the memory region exists"
	if show truncate -s 0 "$F"; then
		expect "truncate succeeded under a registered MR"
	fi
	show_holder "$F"
	step "4. deregister (ibv_dereg_mr) and truncate again"
	exec {HOLD[1]}>&-
	wait "$HOLD_PID" || expect "mr_hold failed"
	show truncate -s 0 "$F" || expect "truncate failed after ibv_dereg_mr"
}

# show_file LOG: its lines as demo lines.
show_file() {
	while IFS= read -r l; do progress "demo:     $l"; done <"$1"
}

RDMA_FILE_SIZE=$((8 << 20))
truncate_while_running() {
	step "   $1 is registered; truncate of it now says:"
	if show truncate -s 0 "$1"; then
		expect "truncate succeeded while the file was registered"
	fi
	show_holder "$1"
}

# perftest's ib_write_bw with both buffers on fsdax files (--mmap): the
# server's on XFS, the client's on ext4.
perftest_write_bw() {
	local srv=$XFS_MNT/ib_write_bw.server cli=$EXT4_MNT/ib_write_bw.client
	step "5. perftest: ib_write_bw for 4 s, its buffers on fsdax files (--mmap)"
	write_file "$srv" "$RDMA_FILE_SIZE" 0x00 && write_file "$cli" "$RDMA_FILE_SIZE" 0x00 ||
		expect "could not write $srv and $cli"
	WHILE_REGISTERED=truncate_while_running ib_write_bw_pair "$srv" "$cli" "$out/ib_write_bw" -D 4 ||
		expect "ib_write_bw failed (see $out/ib_write_bw.*)"
	show_file "$out/ib_write_bw.cmd"
	grep -A1 -E '^ *#bytes' "$out/ib_write_bw.client" |
		while IFS= read -r l; do progress "demo:       $l"; done
	step "   both ends deregistered: truncate works again"
	show truncate -s 0 "$srv" "$cli" || expect "truncate failed after ib_write_bw ended"
}

# fio's rdma engine: RDMA WRITEs of a byte pattern from the initiator's
# buffers (ext4 file) into the target's (XFS file).
fio_rdma_write() {
	local tgt=$XFS_MNT/fio.target ini=$EXT4_MNT/fio.initiator byte=0x6d
	step "6. fio: rdma engine, RDMA WRITE of blocks of $byte for 4 s into buffers on an fsdax file"
	write_file "$tgt" "$RDMA_FILE_SIZE" 0x00 && write_file "$ini" "$RDMA_FILE_SIZE" 0x00 ||
		expect "could not write $tgt and $ini"
	WHILE_REGISTERED=truncate_while_running fio_rdma_pair "$tgt" "$ini" "$byte" "$out/fio" \
		--time_based --runtime=4 || expect "fio failed (see $out/fio.*)"
	show_file "$out/fio.cmd"
	grep -E '^ *WRITE:' "$out/fio.initiator" | while IFS= read -r l; do progress "demo:       $l"; done
	step "   the target's file now holds the initiator's $byte blocks, written by the NIC:"
	show sh -c "od -An -tx1 -N16 '$tgt'"
	holds_byte "$tgt" "$byte" || expect "the target's file does not start with a block of $byte"
	step "   deregistered: truncate works again"
	show truncate -s 0 "$tgt" "$ini" || expect "truncate failed after fio ended"
}

# librpma, the library for RDMA to persistent memory: a server maps a
# posix_fallocate()d file (unwritten extents) with libpmem2 and registers
# it; a client writes into it and flushes, the server reads it back.
rpma_write_flush() {
	local f=$XFS_MNT/rpma.demo byte=0x4b
	step "7. librpma: a server maps a fallocated file with libpmem2 and registers it (rpma_mr_reg);"
	step "   a client rpma_write()s $byte over half of it and rpma_flush()es"
	rpma_pair "$f" "$byte" "$out/rpma" || expect "librpma failed (see $out/rpma.log)"
	show_file "$out/rpma.cmd"
	sed 's/^/  /' "$out/rpma.log" >"$out/rpma.show"
	show_file "$out/rpma.show"
	step "   deregistered: truncate works again"
	show truncate -s 0 "$f" || expect "truncate failed after rpma_server ended"
}

main() {
	setup_all >"$out/setup.log" 2>&1 || { progress "setup failed"; cat "$out/setup.log"; return 1; }
	step "kernel $(uname -r): expecting the behaviour of the $EXPECT kernel"
	make_file
	if register; then
		truncate_while_registered
		perftest_write_bw
		fio_rdma_write
		rpma_write_flush
	fi
	[ "$failed" = 0 ] && step "every step behaved as documented." || step "some step did not behave as documented."
	dmesg >"$out/dmesg.txt"
	return "$failed"
}

main
