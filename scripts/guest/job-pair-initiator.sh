#!/bin/bash
# Guest job "pair-initiator", the initiator of two guests (scripts/pair.sh):
# no pmem, its buffers in anonymous or tmpfs memory; it RDMA WRITEs over
# the network into the files the target guest (job-pair-target.sh)
# serves, in the target's order: ib_write_bw, fio's rdma engine and
# librpma for XFS and for ext4, then a librpma stream that this side kills
# -9, and one whose server the target kills -9, which must end here with
# an error completion, not a hang.  One TAP file, pair-initiator.tap.
#   job-pair-initiator.sh OUT_DIR
set -uo pipefail
out=$1
here=$(dirname "$0")
. "$here/setup.sh"
. "$here/rdma-tools.sh"
. "$here/pair.sh"
. "$out/../config.sh"	# TESTS, EXPECT, SHARED

# shellcheck disable=SC2034 # tap_line counts in it
TAP_N=0

# write_bw FS: ib_write_bw's client, 4 s of RDMA WRITEs into the target.
write_bw() {
	local fs=$1 log=$out/bw-$1 rc=0
	await "bw-$fs" 600 || { tap_line 1 "$fs: the target's ib_write_bw never listened"; return; }
	timeout -k 5 120 ib_write_bw -d "$RXE_DEV" -F -s "$PERF_MSG" -p "$PAIR_PERF_PORT" -D 4 \
		"$TARGET_ADDR" >"$log.client" 2>&1 || rc=$?
	post "bw-$fs-client" "$rc"
	sed 's/^/# /' "$log.client" | tail -n 8
	if [ "$EXPECT" = series ]; then
		tap_line "$rc" "$fs: ib_write_bw wrote into the target's file for 4 s (exit $rc)"
	else
		[ "$rc" != 0 ] && [ "$rc" != 124 ]
		tap_line $? "$fs: ib_write_bw ended with an error, the target could not register (exit $rc)"
	fi
}

# write_fio FS: fio's rdma engine writes blocks of the target's byte.
write_fio() {
	local fs=$1 log=$out/fio-$1 byte rc=0
	await "fio-$fs" 600 || { tap_line 1 "$fs: the target's fio never listened"; return; }
	byte=$(said "fio-$fs")
	write_file /dev/shm/pair-fio.initiator $((8 << 20)) 0x00
	timeout -k 5 120 fio --name=initiator --ioengine=rdma --port="$PAIR_FIO_PORT" \
		--bs="$FIO_BS" --iodepth=4 --size=4m --hostname="$TARGET_ADDR" --verb=write \
		--rw=write --buffer_pattern="$byte" --mem=mmapshared:/dev/shm/pair-fio.initiator \
		>"$log.initiator" 2>&1 || rc=$?
	post "fio-$fs-client" "$rc"
	sed 's/^/# /' "$log.initiator" | grep -v '^# *$' | tail -n 8
	if [ "$EXPECT" = series ]; then
		tap_line "$rc" "$fs: fio rdma wrote 4 MiB of $byte into the target's file (exit $rc)"
	else
		# fio reports a rejected connection, and exits 0.
		[ "$rc" != 124 ] && { [ "$rc" != 0 ] ||
			grep -q 'RDMA_CM_EVENT_REJECTED' "$log.initiator"; }
		tap_line $? "$fs: fio rdma could not connect, the target could not register (exit $rc)"
	fi
}

# write_rpma FS: the librpma client writes and flushes the target's byte.
write_rpma() {
	local fs=$1 log=$out/rpma-$1 byte rc=0
	await "rpma-$fs" 600 || { tap_line 1 "$fs: the target's rpma_server never listened"; return; }
	byte=$(said "rpma-$fs")
	if [ "$byte" = refused ]; then
		post "rpma-$fs-client" skipped
		[ "$EXPECT" = base ]
		tap_line $? "$fs: the target's rpma_mr_reg was refused, as on 6.12: no client"
		return
	fi
	timeout -k 5 "$RPMA_TIMEOUT" "$TESTS/rpma_client" -a "$TARGET_ADDR" -p "$PAIR_RPMA_PORT" \
		"$byte" >"$log.client" 2>&1 || rc=$?
	post "rpma-$fs-client" "$rc"
	sed 's/^/# /' "$log.client"
	tap_line "$rc" "$fs: rpma_write and rpma_flush of $byte into the target's file (exit $rc)"
}

# stream NAME LOG: start an rpma_client stream to the target's server
# NAME; its pid in $CLI.  Fails if the target refused the registration.
stream() {
	local byte
	await "$1" 600 || return 1
	byte=$(said "$1")
	[ "$byte" != refused ] || return 1
	# Not under timeout(1): kill -9 must reach the client itself.
	"$TESTS/rpma_client" -a "$TARGET_ADDR" -p "$PAIR_RPMA_PORT" \
		-n "$STREAM_BLOCKS" -d "$STREAM_DELAY_MS" -t "$STREAM_WAIT_S" "$byte" >"$2" 2>&1 &
	CLI=$!
}

# kill_initiator: kill -9 our client mid-stream, tell the target how many
# blocks it saw flushed.
kill_initiator() {
	local log=$out/ki.client n
	if ! stream ki "$log"; then
		tap_line 0 "initiator killed: the target refused the registration # SKIP no registration"
		return
	fi
	wait_for 1200 flushed_at_least "$log" 50
	kill -9 "$CLI"
	wait "$CLI" 2>/dev/null
	n=$(flushed "$log")
	post ki-killed "$n"
	tail -n 3 "$log" | sed 's/^/# /'
	[ "${n:-0}" -ge 50 ]
	tap_line $? "initiator: the stream ran (${n:-0} blocks flushed) when it was killed -9"
}

# target_killed: the target kills its server mid-stream; our client must
# end with an error completion within 120 s.
target_killed() {
	local log=$out/kt.client rc=0 killed ended how
	if ! stream kt "$log"; then
		post kt-client skipped
		tap_line 0 "target killed: the target refused the registration # SKIP no registration"
		return
	fi
	wait_for 1200 flushed_at_least "$log" 50
	post kt-streaming "$(flushed "$log")"
	await kt-killed 120
	killed=$(said kt-killed)
	wait_bounded "$CLI" 120 || rc=$?
	ended=$(date +%s)
	post kt-client "$rc"
	tail -n 4 "$log" | sed 's/^/# /'
	how="the connection's end"
	grep -q '^rpma_client: no completion in' "$log" && how="its own ${STREAM_WAIT_S} s timeout"
	[ "$rc" != 0 ] && [ "$rc" != 124 ] && grep -q '^rpma_client: FAIL: rpma_\(write\|flush\) completed with' "$log"
	tap_line $? "target's server killed -9 mid-stream: the client saw $how and its pending write or flush completed with an error $((ended - ${killed:-ended})) s later, after $(flushed "$log") blocks (exit $rc)"
}

run_tests() {
	local fs
	echo "TAP version 13"
	for fs in xfs ext4; do
		write_bw "$fs"
		write_fio "$fs"
		write_rpma "$fs"
	done
	kill_initiator
	target_killed
	echo "1..$TAP_N"
}

main() {
	mkdir -p "$out/tap"
	progress "pair: initiator setup"
	setup_pair_rxe "$INITIATOR_ADDR" || { progress "setup failed"; return 1; }
	await target-up 600 || { progress "no target"; return 1; }
	[ "$(said target-up)" != failed ] || { progress "the target failed to set up"; return 1; }
	post initiator-up
	save_counters before
	run_tests >"$out/tap/pair-initiator.tap" 2>&1
	post initiator-done
	save_counters after
}

main
