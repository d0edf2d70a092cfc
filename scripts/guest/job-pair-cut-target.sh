#!/bin/bash
# Guest job "pair-cut-target", the target of the power-cut test of two
# guests (scripts/pair.sh): on each fsdax filesystem an rpma_server
# registers a posix_fallocate()d file and serves the initiator's stream
# (job-pair-cut-initiator.sh), until the host cuts this guest's power
# (QEMU killed: no sync, no unmount).  job-pair-verify.sh boots next and
# looks for every block the initiator saw flushed.
#   job-pair-cut-target.sh OUT_DIR
set -uo pipefail
out=$1
here=$(dirname "$0")
. "$here/setup.sh"
. "$here/rdma-tools.sh"
. "$here/pair.sh"
. "$out/../config.sh"	# TESTS, EXPECT, SHARED

# shellcheck disable=SC2034 # tap_line counts in it
TAP_N=0

# serve FS DIR PORT BYTE: an rpma_server for a stream on FS; says so.
serve() {
	local fs=$1 f=$2/pair-cut.file log=$out/cut-$1.server pid
	"$TESTS/rpma_server" -a "$TARGET_ADDR" -p "$3" -s "$STREAM_FILE_SIZE" -S \
		serve "$f" "$4" >"$log" 2>&1 &
	pid=$!
	wait_for 600 rpma_server_up "$log" "$pid"
	sed 's/^/# /' "$log"
	if grep -q '^rpma_server: listening on' "$log"; then
		post "cut-$fs" "$4"
		tap_line 0 "$fs: $f registered, serving the initiator's stream until the power cut"
	else
		post "cut-$fs" refused
		[ "$EXPECT" = base ]
		tap_line $? "$fs: $f not registered (refused on 6.12)"
	fi
}

main() {
	local byte
	mkdir -p "$out/tap"
	progress "pair: power-cut target setup"
	if ! { setup_pmem && setup_fs && setup_pair_rxe "$TARGET_ADDR"; }; then
		progress "setup failed"
		post target-up failed
		return 1
	fi
	byte=$(printf '0x%02x' $((RANDOM % 255 + 1)))
	{
		echo "TAP version 13"
		echo "1..2"
		serve xfs "$XFS_MNT" "$PAIR_RPMA_PORT" "$byte"
		serve ext4 "$EXT4_MNT" $((PAIR_RPMA_PORT + 1)) "$byte"
	} >"$out/tap/pair-cut-target.tap" 2>&1
	post target-up "$EXPECT"
	progress "pair: serving until the power cut"
	# The host cuts the power once the initiator's streams run; if it
	# never does, there is no verdict and the host reports that.
	sleep 900
	progress "pair: no power cut came"
	return 1
}

main
