#!/bin/bash
# Guest job "pair-target", the target of two guests (scripts/pair.sh):
# it has the fsdax filesystems and serves files of them to the initiator
# guest (job-pair-initiator.sh), which RDMA WRITEs into them over the
# network.  For XFS and ext4 in turn: ib_write_bw --mmap, fio's rdma
# engine and librpma, each checked for truncate refused while registered
# (the kernel refuses the registration on the base kernel instead); then,
# on XFS, a librpma stream whose initiator is killed -9, and one whose
# server, here, is killed -9.  One TAP file, pair-target.tap.
#   job-pair-target.sh OUT_DIR
set -uo pipefail
out=$1
here=$(dirname "$0")
. "$here/setup.sh"
. "$here/rdma-tools.sh"
. "$here/pair.sh"
. "$out/../config.sh"	# TESTS, EXPECT, SHARED

# shellcheck disable=SC2034 # tap_line counts in it
TAP_N=0

# seen_frozen FILE: is FILE seen pinned within 60 s?
seen_frozen() {
	wait_for 600 frozen "$1" || return 1
}

# serve_bw FS DIR: the initiator's ib_write_bw client writes for 4 s into
# an ib_write_bw server's buffer on a file of DIR.
serve_bw() {
	local fs=$1 f=$2/pair-bw.file log=$out/bw-$1 srv rc=0 seen=1
	write_file "$f" $((8 << 20)) 0x00
	ib_write_bw -d "$RXE_DEV" -F -s "$PERF_MSG" -p "$PAIR_PERF_PORT" -D 4 \
		--mmap="$f" >"$log.server" 2>&1 &
	srv=$!
	wait_for 300 listening "$PAIR_PERF_PORT"
	post "bw-$fs" listening
	if [ "$EXPECT" = series ]; then
		seen_frozen "$f" && seen=0
	fi
	wait "$srv" || rc=$?
	sed 's/^/# /' "$log.server" | tail -n 15
	if [ "$EXPECT" = series ]; then
		tap_line $((rc || seen)) "$fs: ib_write_bw --mmap server registered $f (truncate ETXTBSY while it ran), exit $rc"
		! frozen "$f"
		tap_line $? "$fs: truncate of $f works after ib_write_bw deregistered"
	else
		! frozen "$f" && [ "$rc" != 0 ]
		tap_line $? "$fs: ib_write_bw --mmap server could not register $f, as on 6.12 (exit $rc)"
	fi
	await "bw-$fs-client" 120
}

# serve_fio FS DIR BYTE: the initiator's fio rdma engine writes blocks of
# BYTE into a fio target's buffers on a file of DIR.
serve_fio() {
	local fs=$1 f=$2/pair-fio.file byte=$3 log=$out/fio-$1 tgt rc=0 seen=1
	write_file "$f" $((4 << 20)) 0x00
	fio --name=target --ioengine=rdma --port="$PAIR_FIO_PORT" --bs="$FIO_BS" \
		--iodepth=4 --size=4m --rw=read --mem=mmapshared:"$f" >"$log.target" 2>&1 &
	tgt=$!
	wait_for 300 grep -q "waiting for connection" "$log.target"
	post "fio-$fs" "$byte"
	if [ "$EXPECT" = series ]; then
		seen_frozen "$f" && seen=0
	fi
	wait "$tgt" || rc=$?
	sed 's/^/# /' "$log.target" | grep -v '^# *$' | tail -n 12
	if [ "$EXPECT" = series ]; then
		[ "$rc" = 0 ] && [ "$seen" = 0 ] && holds_byte "$f" "$byte"
		tap_line $? "$fs: fio's rdma engine wrote blocks of $byte from the initiator into $f (truncate ETXTBSY meanwhile)"
	else
		! holds_byte "$f" "$byte" && [ "$seen" = 1 ]
		tap_line $? "$fs: fio's rdma target could not register $f, as on 6.12 (exit $rc)"
	fi
	await "fio-$fs-client" 120
}

# serve_rpma FS DIR BYTE: the initiator's librpma client writes BYTE
# into a posix_fallocate()d file of DIR and flushes; rpma_server checks it
# (and that truncate fails while registered).
serve_rpma() {
	local fs=$1 f=$2/pair-rpma.file byte=$3 log=$out/rpma-$1 srv rc=0
	"$TESTS/rpma_server" -a "$TARGET_ADDR" -p "$PAIR_RPMA_PORT" serve "$f" "$byte" \
		>"$log.server" 2>&1 &
	srv=$!
	wait_for 600 rpma_server_up "$log.server" "$srv"
	if grep -q '^rpma_server: listening on' "$log.server"; then
		post "rpma-$fs" "$byte"
	else
		post "rpma-$fs" refused
	fi
	timeout -k 5 "$RPMA_TIMEOUT" tail -f --pid="$srv" /dev/null
	wait "$srv" || rc=$?
	sed 's/^/# /' "$log.server"
	if [ "$EXPECT" = series ]; then
		tap_line "$rc" "$fs: librpma client wrote and flushed $byte into $f, read back here"
	else
		[ "$rc" = 3 ]
		tap_line $? "$fs: rpma_mr_reg of $f refused with EOPNOTSUPP, as on 6.12 (exit $rc)"
	fi
	await "rpma-$fs-client" 120
}

# stream_server NAME FILE BYTE LOG: an rpma_server for a client's stream;
# posts NAME when it listens, its pid in $SRV.  If the registration is
# refused, posts "refused", shows the server's lines and fails.
stream_server() {
	"$TESTS/rpma_server" -a "$TARGET_ADDR" -p "$PAIR_RPMA_PORT" -s "$STREAM_FILE_SIZE" -S \
		serve "$2" "$3" >"$4" 2>&1 &
	SRV=$!
	wait_for 600 rpma_server_up "$4" "$SRV"
	if grep -q '^rpma_server: listening on' "$4"; then
		post "$1" "$3"
	else
		post "$1" refused
		wait "$SRV"
		sed 's/^/# /' "$4"
		return 1
	fi
}

# initiator_killed BYTE: the initiator's client is killed -9 in the middle
# of its stream.  The region here stays registered until this server sees
# the connection end; it then deregisters by itself, and every block the
# client saw flushed is in the file.
initiator_killed() {
	local f=$XFS_MNT/pair-ki.file log=$out/ki.server byte=$1 rc=0 n before
	before=$(pins_held)
	if ! stream_server ki "$f" "$byte" "$log"; then
		tap_line 0 "initiator killed: the region was refused, as on 6.12 # SKIP no registration"
		return
	fi
	await ki-killed 300 || echo "# the initiator never said it killed its client"
	n=$(said ki-killed)
	echo "# the initiator killed its client after ${n:-?} blocks flushed"
	timeout -k 5 60 tail -f --pid="$SRV" /dev/null
	kill -0 "$SRV" 2>/dev/null && { echo "# the server still runs 60 s after the kill"; kill -9 "$SRV"; }
	wait "$SRV" || rc=$?
	sed 's/^/# /' "$log"
	[ "$rc" = 0 ] && grep -q '^rpma_server: deregistered' "$log"
	tap_line $? "initiator killed -9: the server saw the connection end and deregistered by itself (exit $rc)"
	"$TESTS/rpma_server" -n "${n:-1}" check "$f" "$byte" >"$log.check" 2>&1
	rc=$?
	sed 's/^/# /' "$log.check"
	[ -n "$n" ] && [ "$rc" = 0 ]
	tap_line $? "initiator killed -9: the ${n:-?} blocks it saw flushed are in $f"
	thawed "$f" && pins_back_to "$before"
	tap_line $? "initiator killed -9: $f is free again and the pins balance ($(pins_held) held, $before before)"
}

# target_killed BYTE: this side's rpma_server is killed -9 in the middle
# of the initiator's stream; its pins go, and the initiator must see an
# error completion (it reports that in its own TAP).
target_killed() {
	local f=$XFS_MNT/pair-kt.file log=$out/kt.server byte=$1 before
	before=$(pins_held)
	if ! stream_server kt "$f" "$byte" "$log"; then
		tap_line 0 "target killed: the region was refused, as on 6.12 # SKIP no registration"
		return
	fi
	await kt-streaming 300 || echo "# the initiator never said its stream runs"
	kill -9 "$SRV"
	wait "$SRV" 2>/dev/null
	post kt-killed "$(date +%s)"
	sed 's/^/# /' "$log"
	wait_for 100 thawed "$f" && pins_back_to "$before"
	tap_line $? "target killed -9 mid-stream: $f is free again and the pins balance ($(pins_held) held, $before before)"
	await kt-client 120
}

run_tests() {
	local fs dir byte
	echo "TAP version 13"
	for fs in xfs ext4; do
		dir=$XFS_MNT
		[ "$fs" = xfs ] || dir=$EXT4_MNT
		byte=$(printf '0x%02x' $((RANDOM % 255 + 1)))
		progress "pair: $fs: ib_write_bw" >/dev/null
		serve_bw "$fs" "$dir"
		progress "pair: $fs: fio rdma" >/dev/null
		serve_fio "$fs" "$dir" "$byte"
		progress "pair: $fs: librpma" >/dev/null
		serve_rpma "$fs" "$dir" "$byte"
	done
	progress "pair: kill -9 of the initiator mid-stream" >/dev/null
	initiator_killed "$byte"
	progress "pair: kill -9 of the target's server mid-stream" >/dev/null
	target_killed "$byte"
	echo "1..$TAP_N"
}

main() {
	mkdir -p "$out/tap"
	progress "pair: target setup"
	if ! { setup_pmem && setup_fs && setup_pair_rxe "$TARGET_ADDR"; }; then
		progress "setup failed"
		post target-up failed
		return 1
	fi
	post target-up "$EXPECT"
	await initiator-up 600 || { progress "no initiator"; return 1; }
	save_counters before
	run_tests >"$out/tap/pair-target.tap" 2>&1
	post target-done
	await initiator-done 300
	save_counters after
}

main
