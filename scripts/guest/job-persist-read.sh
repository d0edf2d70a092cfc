#!/bin/bash
# Guest job "persist-read", the second of two boots: mount what the nvdimm
# backing files hold and check that the data RDMA wrote before the power
# cycle (job-persist-write.sh, run directory $PREV_RUN) is in the file.
#   job-persist-read.sh OUT_DIR
set -uo pipefail
out=$1
here=$(dirname "$0")
. "$here/setup.sh"
. "$out/../config.sh"	# PREV_RUN
. "$here/rdma-tools.sh"

TARGET=$XFS_MNT/persist.target
RPMA_FILE=$XFS_MNT/persist.rpma

main() {
	local byte
	mkdir -p "$out/tap"
	setup_all keep || { progress "setup failed"; return 1; }
	byte=$(cat "$PREV_RUN/guest/persist.byte") || return 1
	{
		echo "TAP version 13"
		echo "1..2"
		if holds_byte "$TARGET" "$byte"; then
			echo "ok 1 after a power cycle, $TARGET holds the $byte blocks written by RDMA"
		else
			echo "not ok 1 after a power cycle, $TARGET does not hold the $byte blocks written by RDMA"
			od -An -tx1 -N32 "$TARGET" | sed 's/^/# /'
		fi
		if "$TESTS/rpma_server" check "$RPMA_FILE" "$byte" >"$out/rpma-check.log" 2>&1; then
			echo "ok 2 after a power cycle, $RPMA_FILE holds the $byte written by librpma"
		else
			sed 's/^/# /' "$out/rpma-check.log"
			echo "not ok 2 after a power cycle, $RPMA_FILE does not hold the $byte written by librpma"
		fi
	} >"$out/tap/persist-read.tap" 2>&1
	save_counters after
}

main
