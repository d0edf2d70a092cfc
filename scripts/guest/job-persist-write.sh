#!/bin/bash
# Guest job "persist-write", the first of two boots: fio's rdma engine
# RDMA WRITEs blocks of a byte chosen for this run into buffers on a file of
# the fsdax XFS mount; then the memory regions are deregistered and the
# guest powers off without syncing anything (init.sh reboots with sysrq).
# Then librpma (rpma_pair) writes the same byte into a posix_fallocate()d
# file of the same mount, mapped with libpmem2, and flushes it; nothing
# syncs the unwritten extents the registration converted either.
# job-persist-read.sh looks for the data after the next boot.
#   job-persist-write.sh OUT_DIR
set -uo pipefail
out=$1
here=$(dirname "$0")
. "$here/setup.sh"
. "$here/rdma-tools.sh"
. "$out/../config.sh"	# TESTS

TARGET=$XFS_MNT/persist.target
INITIATOR=$EXT4_MNT/persist.initiator
RPMA_FILE=$XFS_MNT/persist.rpma
SIZE=$((8 << 20))

main() {
	local byte
	mkdir -p "$out/tap"
	setup_all || { progress "setup failed"; return 1; }
	byte=$(printf '0x%02x' $((RANDOM % 255 + 1)))
	write_file "$TARGET" "$SIZE" 0x00 && write_file "$INITIATOR" "$SIZE" 0x00 || return 1
	echo "$byte" >"$out/persist.byte"
	progress "persist: fio RDMA WRITEs blocks of $byte into $TARGET"
	{
		echo "TAP version 13"
		echo "1..2"
		if fio_rdma_pair "$TARGET" "$INITIATOR" "$byte" "$out/fio" &&
		   holds_byte "$TARGET" "$byte"; then
			echo "ok 1 fio wrote blocks of $byte into $TARGET"
		else
			echo "not ok 1 fio did not write blocks of $byte into $TARGET"
		fi
		progress "persist: librpma writes $byte into $RPMA_FILE" >/dev/null
		if rpma_pair "$RPMA_FILE" "$byte" "$out/rpma"; then
			echo "ok 2 librpma wrote $byte into $RPMA_FILE"
		else
			sed 's/^/# /' "$out/rpma.log"
			echo "not ok 2 librpma did not write $byte into $RPMA_FILE"
		fi
	} >"$out/tap/persist-write.tap" 2>&1
	save_counters after
}

main
