#!/bin/bash
# Guest job "pair-cut-initiator", the initiator of the power-cut test of
# two guests (scripts/pair.sh): one rpma_client stream into the target's
# file on each filesystem (job-pair-cut-target.sh), each block flushed
# before the next.  Once both have flushed 100 blocks it asks the host to
# cut the target's power; the streams must then end with an error
# completion, not hang, and it posts how many blocks each saw flushed,
# for job-pair-verify.sh.
#   job-pair-cut-initiator.sh OUT_DIR
set -uo pipefail
out=$1
here=$(dirname "$0")
. "$here/setup.sh"
. "$here/rdma-tools.sh"
. "$here/pair.sh"
. "$out/../config.sh"	# TESTS, EXPECT, SHARED

# shellcheck disable=SC2034 # tap_line counts in it
TAP_N=0
CUT_AFTER=100

# both_flushed N: have both streams flushed N blocks?
both_flushed() {
	flushed_at_least "$out/cut-xfs.client" "$1" &&
		flushed_at_least "$out/cut-ext4.client" "$1"
}

run_tests() {
	local fs port byte pids=() rc cut ended i=0
	echo "TAP version 13"
	echo "1..2"
	for fs in xfs ext4; do
		port=$PAIR_RPMA_PORT
		[ "$fs" = xfs ] || port=$((port + 1))
		byte=$(said "cut-$fs")
		: >"$out/cut-$fs.client"
		[ "$byte" != refused ] || continue
		timeout -k 5 300 "$TESTS/rpma_client" -a "$TARGET_ADDR" -p "$port" \
			-n "$STREAM_BLOCKS" -d "$STREAM_DELAY_MS" -t "$STREAM_WAIT_S" "$byte" >"$out/cut-$fs.client" 2>&1 &
		pids+=("$fs:$!")
	done
	if [ "${#pids[@]}" = 0 ]; then
		post cut-now refused
		echo "ok 1 the target refused both registrations (6.12) # SKIP no stream"
		echo "ok 2 no stream to cut # SKIP no stream"
		return
	fi
	wait_for 1800 both_flushed "$CUT_AFTER"
	post cut-now "$(flushed "$out/cut-xfs.client") $(flushed "$out/cut-ext4.client")"
	await cut-done 120
	cut=$(said cut-done)
	for i in "${pids[@]}"; do
		fs=${i%%:*} rc=0
		wait "${i#*:}" || rc=$?
		ended=$(date +%s)
		post "cut-$fs-flushed" "$(flushed "$out/cut-$fs.client")"
		tail -n 3 "$out/cut-$fs.client" | sed 's/^/# /'
		[ "$rc" != 0 ] && [ "$rc" != 124 ] &&
			grep -q '^rpma_client: FAIL: rpma_\(write\|flush\) completed with' "$out/cut-$fs.client" &&
			[ "$(flushed "$out/cut-$fs.client")" -ge "$CUT_AFTER" ]
		tap_line $? "$fs: the stream ran ($(flushed "$out/cut-$fs.client") blocks flushed); after the power cut the client gave up waiting and its pending write or flush completed with an error, $((ended - ${cut:-ended})) s after the cut (exit $rc)"
	done
}

main() {
	mkdir -p "$out/tap"
	progress "pair: power-cut initiator setup"
	setup_pair_rxe "$INITIATOR_ADDR" || { progress "setup failed"; return 1; }
	await target-up 600 || { progress "no target"; return 1; }
	[ "$(said target-up)" != failed ] || { progress "the target failed to set up"; return 1; }
	save_counters before
	run_tests >"$out/tap/pair-cut-initiator.tap" 2>&1
	post initiator-done
	save_counters after
}

main
