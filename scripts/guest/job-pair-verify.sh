#!/bin/bash
# Guest job "pair-verify": the target of the power-cut test of two guests
# (scripts/pair.sh) boots again on the same nvdimms and mounts what they
# hold (log recovery included).  Every block the initiator saw flushed
# before the power cut must be in the file: rpma_server -n N check.
#   job-pair-verify.sh OUT_DIR
set -uo pipefail
out=$1
here=$(dirname "$0")
. "$here/setup.sh"
. "$here/rdma-tools.sh"
. "$here/pair.sh"
. "$out/../config.sh"	# TESTS, EXPECT, SHARED

run_tests() {
	local fs dir n byte rc i=0
	echo "TAP version 13"
	echo "1..2"
	for fs in xfs ext4; do
		dir=$XFS_MNT
		[ "$fs" = xfs ] || dir=$EXT4_MNT
		byte=$(said "cut-$fs")
		n=$(said "cut-$fs-flushed")
		if [ "$byte" = refused ]; then
			echo "ok $((++i)) $fs: nothing was registered before the cut (6.12) # SKIP no stream"
			continue
		fi
		"$TESTS/rpma_server" -n "${n:-1}" check "$dir/pair-cut.file" "$byte" >"$out/verify-$fs.log" 2>&1
		rc=$?
		sed 's/^/# /' "$out/verify-$fs.log"
		if [ -n "$n" ] && [ "$rc" = 0 ]; then
			echo "ok $((++i)) $fs: after the power cut, the $n blocks the initiator saw flushed are in the file"
		else
			echo "not ok $((++i)) $fs: after the power cut, blocks the initiator saw flushed (${n:-?}) are missing"
		fi
	done
}

main() {
	mkdir -p "$out/tap"
	progress "pair: the target after its power cut"
	if ! { setup_pmem && setup_fs keep; }; then
		progress "setup failed"
		return 1
	fi
	save_counters before
	run_tests >"$out/tap/pair-verify.tap" 2>&1
	save_counters after
}

main
