# shellcheck shell=bash disable=SC2034 # the jobs that source this use them
# Sourced by the jobs of two guests on one network (scripts/pair.sh): the
# target, with the fsdax filesystems, and the initiator, which RDMA WRITEs
# into the target's files.  Each runs rxe on its virtio-net NIC; QEMU
# joins the two NICs with UDP datagrams on the host's 127.0.0.1.  The two
# jobs keep in step through files in $SHARED, a host directory both mount.

TARGET_ADDR=192.0.2.1
INITIATOR_ADDR=192.0.2.2
PAIR_PERF_PORT=18515
PAIR_FIO_PORT=18516
PAIR_RPMA_PORT=7204
# rpma_client streams: blocks of 4 KiB, each flushed before the next
STREAM_BLOCKS=3000
STREAM_DELAY_MS=5
STREAM_FILE_SIZE=$((32 << 20))
# how long a client waits for a completion before it gives up
STREAM_WAIT_S=30

# post NAME [TEXT]: tell the other guest NAME (with TEXT), atomically.
post() {
	printf '%s\n' "${2:-}" >"$SHARED/.$1.tmp" && mv "$SHARED/.$1.tmp" "$SHARED/$1"
}

# await NAME SECONDS: wait for the other guest's NAME; fail after SECONDS.
await() {
	wait_for $(($2 * 10)) test -e "$SHARED/$1"
}

# said NAME: what the other guest posted as NAME.
said() {
	cat "$SHARED/$1" 2>/dev/null
}

# setup_pair_rxe ADDR: rxe0 on the virtio-net NIC, at ADDR/24.
setup_pair_rxe() {
	local nic
	nic=$(find /sys/bus/virtio/drivers/virtio_net/virtio*/net/ -mindepth 1 -maxdepth 1 \
		-printf '%f\n' 2>/dev/null | head -n 1)
	[ -n "$nic" ] || { echo "no virtio-net NIC"; return 1; }
	RXE_NETDEV=$nic RXE_ADDR=$1 setup_rxe
}

# thawed FILE: is FILE's block map free again?
thawed() {
	! frozen "$1"
}

# wait_bounded PID SECONDS: wait for PID, a child; kill -9 it after SECONDS
# (status 124, as timeout(1) says).  Its status otherwise.
wait_bounded() {
	local i rc=0
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$1" 2>/dev/null; then
		kill -9 "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		return 124
	fi
	wait "$1" 2>/dev/null || rc=$?
	return "$rc"
}

# flushed LOG: the number of blocks rpma_client has reported flushed.
flushed() {
	local n
	n=$(grep -o '^rpma_client: flushed [0-9]*' "$1" 2>/dev/null | tail -n 1)
	echo "${n##* }"
}

# flushed_at_least LOG N: has the stream in LOG flushed N blocks?
flushed_at_least() {
	local n
	n=$(flushed "$1")
	[ "${n:-0}" -ge "$2" ]
}

# pins_held: FOLL_PIN pins held now, from one read of /proc/vmstat.
pins_held() {
	local vmstat
	echo 1 >/proc/sys/vm/stat_refresh
	vmstat=$(dd if=/proc/vmstat bs=65536 count=1 status=none)
	awk '/^nr_foll_pin_acquired / { a = $2 } /^nr_foll_pin_released / { r = $2 }
	     END { print a - r }' <<<"$vmstat"
}

pins_at_most() {
	[ "$(pins_held)" -le "$1" ]
}

# pins_back_to N: do the pins held come back to N within 10 s?
pins_back_to() {
	wait_for 100 pins_at_most "$1"
}

# tap_line OK TEXT: one TAP line, numbered in $TAP_N.
tap_line() {
	TAP_N=$((TAP_N + 1))
	if [ "$1" = 0 ]; then
		echo "ok $TAP_N $2"
	else
		echo "not ok $TAP_N $2"
	fi
}
