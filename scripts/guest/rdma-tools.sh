# shellcheck shell=bash
# Sourced by the guest jobs that run RDMA tools users already know, both
# ends inside this guest on rxe0: perftest's ib_write_bw (queue pair
# numbers exchanged over TCP on the loopback interface) and fio's rdma
# engine (connected with rdma_cm to 192.0.2.1).  Each end's buffer is a
# file, mapped MAP_SHARED: ib_write_bw --mmap=FILE, fio --mem=mmapshared:FILE.

PERF_MSG=65536
PERF_PORT=18515
FIO_PORT=18516
FIO_BS=64k

# frozen FILE: is FILE's block map frozen?  Truncating a file to its own
# size changes nothing, and fails with ETXTBSY only while it is pinned.
frozen() {
	! truncate -s "$(stat -c %s "$1")" "$1" 2>/dev/null
}

# listening PORT: does a TCP socket listen on PORT?
listening() {
	ss -Hltn "sport = :$1" | grep -q .
}

# write_file FILE SIZE BYTE: FILE holds SIZE bytes of BYTE, synced.
write_file() {
	xfs_io -f -c "truncate 0" -c "pwrite -q -S $3 -b 2m 0 $2" -c fsync "$1"
}

# while_registered FILE LOG: once FILE is seen pinned, call the function
# named in $WHILE_REGISTERED (if any) with FILE; fail if it never is.
while_registered() {
	[ -n "${WHILE_REGISTERED:-}" ] || return 0
	if wait_for 600 frozen "$1"; then
		"$WHILE_REGISTERED" "$1"
	else
		echo "$1 was never seen pinned" >>"$2"
		return 1
	fi
}

# ib_write_bw_pair SERVER_FILE CLIENT_FILE LOG_PREFIX [OPTION...]: run
# ib_write_bw with its server's buffer on SERVER_FILE and its client's on
# CLIENT_FILE.  The server registers its buffer once the client has
# connected.  perftest fills both buffers with pseudo-random bytes itself,
# so this shows the pin, not where the data went: fio_rdma_pair does that.
ib_write_bw_pair() {
	local srv=$1 cli=$2 log=$3 server client rc=0
	shift 3
	local args="-d $RXE_DEV -F -s $PERF_MSG -p $PERF_PORT $*"
	echo "\$ ib_write_bw $args --mmap=$srv &" >"$log.cmd"
	echo "\$ ib_write_bw $args --mmap=$cli 127.0.0.1" >>"$log.cmd"
	# shellcheck disable=SC2086
	ib_write_bw $args --mmap="$srv" >"$log.server" 2>&1 &
	server=$!
	wait_for 300 listening "$PERF_PORT" || echo "server not listening" >>"$log.server"
	# shellcheck disable=SC2086
	ib_write_bw $args --mmap="$cli" 127.0.0.1 >"$log.client" 2>&1 &
	client=$!
	while_registered "$srv" "$log.server" || rc=1
	wait "$client" || rc=1
	wait "$server" || rc=1
	return "$rc"
}

# fio_rdma_pair TARGET_FILE INITIATOR_FILE BYTE LOG_PREFIX [OPTION...]: fio's
# rdma engine RDMA WRITEs blocks of BYTE (--buffer_pattern) from the
# initiator's buffers, on INITIATOR_FILE, into the target's, on TARGET_FILE.
# Nothing else writes BYTE into TARGET_FILE: finding it there shows that
# the data went through the pinned pages into the file.
fio_rdma_pair() {
	local tgt=$1 ini=$2 byte=$3 log=$4 target rc=0
	shift 4
	local common="--ioengine=rdma --port=$FIO_PORT --bs=$FIO_BS --iodepth=4 --size=4m"
	local targs="--name=target $common --rw=read --mem=mmapshared:$tgt"
	local iargs="--name=initiator $common --hostname=$RXE_ADDR --verb=write --rw=write"
	iargs+=" --buffer_pattern=$byte --mem=mmapshared:$ini $*"
	echo "\$ fio $targs &" >"$log.cmd"
	echo "\$ fio $iargs" >>"$log.cmd"
	# shellcheck disable=SC2086
	fio $targs >"$log.target" 2>&1 &
	target=$!
	wait_for 300 grep -q "waiting for connection" "$log.target" ||
		echo "target not waiting for a connection" >>"$log.target"
	# shellcheck disable=SC2086
	fio $iargs >"$log.initiator" 2>&1 &
	local initiator=$!
	while_registered "$tgt" "$log.target" || rc=1
	wait "$initiator" || rc=1
	wait "$target" || rc=1
	return "$rc"
}

# holds_byte FILE BYTE: are the first $FIO_BS bytes of FILE all BYTE (0xNN)?
holds_byte() {
	local n=$((${FIO_BS%k} * 1024))
	[ "$(head -c "$n" "$1" | od -An -v -tx1 | tr -s ' \n' '\n' | grep -cvx "${2#0x}\|")" = 0 ] &&
		[ "$(head -c "$n" "$1" | wc -c)" = "$n" ]
}

RPMA_PORT=7204
RPMA_TIMEOUT=180

# rpma_server_up LOG PID: is the server listening, or gone?
rpma_server_up() {
	grep -q '^rpma_server: listening on' "$1" || ! kill -0 "$2" 2>/dev/null
}

# rpma_pair FILE BYTE LOG_PREFIX [SERVER_OPTION...]: a librpma application
# (tests/rpma_server, tests/rpma_client) whose memory is FILE: the server
# creates FILE with posix_fallocate, maps it with libpmem2 and registers it
# with rpma_mr_reg; the client rpma_write()s BYTE over a range of it and
# rpma_flush()es; the server checks the file with pread.  Their lines go
# to LOG_PREFIX.server and LOG_PREFIX.client, and together, the client's
# after the server's "connected", to LOG_PREFIX.log.  Returns the server's
# exit status: 0 the file holds the data, 3 the kernel refused the
# registration (EOPNOTSUPP), anything else a failure (the client's too).
rpma_pair() {
	local file=$1 byte=$2 log=$3 server rc=0 crc="not run"
	shift 3
	echo "\$ rpma_server -p $RPMA_PORT ${*:+$* }serve $file $byte &" >"$log.cmd"
	echo "\$ rpma_client -p $RPMA_PORT $byte" >>"$log.cmd"
	: >"$log.client"
	timeout -k 5 "$RPMA_TIMEOUT" "$TESTS/rpma_server" -p "$RPMA_PORT" "$@" serve "$file" "$byte" >"$log.server" 2>&1 &
	server=$!
	wait_for 600 rpma_server_up "$log.server" "$server" ||
		echo "rpma_pair: the server never listened" >>"$log.client"
	if grep -q '^rpma_server: listening on' "$log.server"; then
		crc=0
		timeout -k 5 "$RPMA_TIMEOUT" "$TESTS/rpma_client" -p "$RPMA_PORT" "$byte" >"$log.client" 2>&1 || crc=$?
		# A client that failed leaves the server waiting for it.
		[ "$crc" = 0 ] || kill "$server" 2>/dev/null
	fi
	wait "$server" || rc=$?
	awk -v c="$log.client" '
		function client(l) { while ((getline l < c) > 0) print l; done = 1 }
		{ print } /^rpma_server: connected/ && !done { client() }
		END { if (!done) client() }' "$log.server" >"$log.log"
	echo "rpma_pair: server exit status $rc, client exit status $crc" >>"$log.log"
	# The server's status decides, but a failed client is a failure.
	case "$crc:$rc" in
	0:* | "not run":*) ;;
	*:0) rc=1 ;;
	esac
	return "$rc"
}
