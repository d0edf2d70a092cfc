#!/bin/bash
# Guest job "bench": the measurements of make bench, as CSV files under
# $out/bench (one row per timed operation; scripts/bench-report.py makes
# the table and the plot).  Parts, all by default, or those in BENCH_PARTS:
#   reg         pin cost by backing and size, through ibv_reg_mr and gup_test
#   validation  pin cost of 1 GiB fsdax files made of 1 to 65536 extents
#   perftest    ib_write_bw and ib_write_lat into an fsdax file and anon memory
#   swap        swapon/swapoff of non-DAX XFS and ext4 swapfiles
# On a kernel without the series, the fsdax rows say "refused".  Also
# parts.csv (seconds each part took) and retries.log (perftest runs that
# gave no figure and were run again).
#   job-bench.sh OUT_DIR
set -uo pipefail
out=$1
here=$(dirname "$0")
# shellcheck disable=SC1091	# sourced from the guest's paths
. "$here/setup.sh"
# shellcheck disable=SC1091
. "$here/rdma-tools.sh"
# shellcheck disable=SC1091
. "$out/../config.sh"	# written by the host: TESTS, EXPECT, BENCH_REPS, BENCH_PARTS

# The swapfiles of 2 GiB and the page-cache file live on the non-DAX
# filesystems, loop devices over tmpfs: the guest gets the RAM for it.
# shellcheck disable=SC2034	# read by setup_nodax
NODAX_SIZE=3G
GIB=$((1 << 30))
REG_SIZES="4096 $((2 << 20)) $((64 << 20)) $GIB"
REPS=$BENCH_REPS
DEVDAX=/dev/dax2.0
bench=$out/bench

wanted() { [ -z "$BENCH_PARTS" ] || [[ " $BENCH_PARTS " == *" $1 "* ]]; }

# csv FILE PREFIX: append stdin's rows to FILE, each after PREFIX.
csv() { sed "s|^|$2,|" >>"$bench/$1"; }

# A device-DAX namespace on the third nvdimm, converted once per backing file.
setup_devdax() {
	local mode
	mode=$(ndctl list -n namespace2.0 | grep -o '"mode":"[a-z]*"' | cut -d'"' -f4)
	[ -n "$mode" ] || { echo "no namespace2.0 (GUPL_DEVDAX=1 not set?)"; return 1; }
	if [ "$mode" != devdax ]; then
		ndctl create-namespace -f -e namespace2.0 -m devdax -M dev >/dev/null || return 1
	fi
	wait_for 50 test -c "$DEVDAX"
}

# reg_one VIA BACKING SIZE [PATH]: bench_reg's rows into reg.csv; a refusal
# is a row, not an error.
reg_one() {
	local rc=0
	"$TESTS/bench_reg" "$1" "$2" "$3" "$REPS" ${4:+"$4"} 2>>"$bench/errors.log" |
		csv reg.csv "$EXPECT" || rc=$?
	[ "$rc" = 0 ] || [ "$rc" = 2 ] || echo "bench_reg $* failed ($rc)" >>"$bench/errors.log"
}

part_reg() {
	local via size spec backing path
	write_file /mnt/xfs/bench.1g "$GIB" 0x5a
	write_file /mnt/ext4/bench.1g "$GIB" 0x5a
	write_file /mnt/xfs-nodax/bench.1g "$GIB" 0x5a
	for via in verbs gup_test; do
		for spec in anon thp shmem pagecache:/mnt/xfs-nodax/bench.1g \
			devdax:$DEVDAX fsdax-xfs:/mnt/xfs/bench.1g fsdax-ext4:/mnt/ext4/bench.1g; do
			backing=${spec%%:*} path=
			[ "$spec" = "$backing" ] || path=${spec#*:}
			progress "bench: reg $via $backing"
			for size in $REG_SIZES; do
				reg_one "$via" "$backing" "$size" ${path:+"$path"}
			done
		done
	done
	rm -f /mnt/xfs/bench.1g /mnt/ext4/bench.1g /mnt/xfs-nodax/bench.1g
	fstrim /mnt/xfs-nodax
}

# Validation grows with extents, not pages: pin 4 KiB and 1 GiB of XFS
# files of 1 GiB made of 1 to 65536 extents (bench_frag writes them into
# free space it has fragmented first; the filesystem validates the whole
# file either way), next to 4 KiB of anonymous memory.
part_validation() {
	local n got via
	for n in 1 64 4096 65536; do
		progress "bench: validation, $n extents"
		got=$("$TESTS/bench_frag" /mnt/xfs/frag /mnt/xfs/filler "$GIB" "$n" 2>>"$bench/errors.log") || {
			echo "bench_frag $n failed" >>"$bench/errors.log"; rm -f /mnt/xfs/frag /mnt/xfs/filler; continue; }
		rm -f /mnt/xfs/filler
		for via in verbs gup_test; do
			"$TESTS/bench_reg" "$via" anon 4096 "$REPS" | csv validation.csv "$EXPECT,$n,$got"
			"$TESTS/bench_reg" "$via" fsdax-xfs 4096 "$REPS" /mnt/xfs/frag |
				csv validation.csv "$EXPECT,$n,$got"
			"$TESTS/bench_reg" "$via" fsdax-xfs "$GIB" "$REPS" /mnt/xfs/frag |
				csv validation.csv "$EXPECT,$n,$got"
		done
		rm -f /mnt/xfs/frag
	done
}

# perf_iters TOOL SIZE: iterations for about a second of rxe under TCG.
perf_iters() {
	case "$1:$2" in
	ib_write_lat:1048576) echo 20 ;;
	ib_write_lat:*) echo 200 ;;
	*:4096) echo 2000 ;;
	*:65536) echo 300 ;;
	*) echo 20 ;;
	esac
}

# perf_one TOOL SIZE BACKING LOG: one perftest run over rxe0, the server's
# buffer on an fsdax file or anonymous memory, the client's anonymous;
# prints the client's figure (MB/s, or average usec), nothing if none.
perf_one() {
	local tool=$1 size=$2 backing=$3 log=$4 server mmap='' args
	[ "$backing" = anon ] || mmap=--mmap=/mnt/xfs/perf.server
	args="-d $RXE_DEV -F -s $size -n $(perf_iters "$tool" "$size") -p $PERF_PORT"
	args+=" --output=$([ "$tool" = ib_write_bw ] && echo bandwidth || echo latency)"
	echo "\$ $tool $args $mmap & $tool $args 127.0.0.1" >"$log.cmd"
	# shellcheck disable=SC2086
	$tool $args $mmap >"$log.server" 2>&1 &
	server=$!
	wait_for 300 listening "$PERF_PORT" || { kill "$server"; return 1; }
	# shellcheck disable=SC2086
	$tool $args 127.0.0.1 >"$log.client" 2>&1 || { kill "$server"; return 1; }
	wait "$server" || return 1
	grep -Eo '^[[:space:]]*[0-9]+[.][0-9]+[[:space:]]*$' "$log.client" | tail -n 1 | tr -d ' ' |
		grep -v '^0*[.]0*$'
}

# perf_retried TOOL SIZE BACKING LOG: perf_one, tried up to 3 times.  Under
# TCG perftest's estimate of the clock sometimes fails (r^2 < 0.9) and
# ib_write_lat then prints "inf": that run has no figure, and is run
# again; each retry is a line of retries.log.
perf_retried() {
	local try
	for try in 1 2 3; do
		perf_one "$@" && return 0
		echo "$1 $2 $3: attempt $try: $(tail -n 1 "$4.client" 2>/dev/null)" >>"$bench/retries.log"
	done
	return 1
}

# Message sizes and backings interleaved within each repetition, so that
# drift of the emulator hits both backings alike.
part_perftest() {
	local rep tool size backing v log
	mkdir -p "$bench/perftest"
	write_file /mnt/xfs/perf.server $((64 << 20)) 0x00
	for ((rep = 0; rep < REPS; rep++)); do
		progress "bench: perftest repetition $((rep + 1))/$REPS"
		for tool in ib_write_bw ib_write_lat; do
			for size in 4096 65536 1048576; do
				for backing in anon fsdax-xfs; do
					log=$bench/perftest/$tool-$size-$backing-$rep
					if v=$(perf_retried "$tool" "$size" "$backing" "$log"); then
						echo "$tool,$backing,$size,$rep,$v" | csv perftest.csv "$EXPECT"
					else
						echo "$tool $size $backing: no figure; see $log.*" >>"$bench/errors.log"
					fi
				done
			done
		done
	done
	rm -f /mnt/xfs/perf.server
}

# swap_one FS SIZE LAYOUT: time swapon and swapoff of a fresh swapfile;
# record the extents and span the kernel reports.  The contiguous file is
# allocated in one fallocate before it is written, so that its layout does
# not depend on when writeback ran, and each boot makes the same file.
swap_one() {
	local fs=$1 size=$2 layout=$3 mnt=/mnt/$1-nodax f got=
	f=$mnt/swapfile
	if [ "$layout" = contiguous ]; then
		xfs_io -f -c "falloc 0 $size" -c "pwrite -q -b 2m 0 $size" -c fsync "$f" || return 1
	else
		got=$("$TESTS/bench_frag" "$f" "$mnt/filler" "$size" $((size >> 20))) || return 1
		rm -f "$mnt/filler"
	fi
	chmod 600 "$f"
	mkswap -q "$f" || return 1
	dmesg -C
	"$TESTS/bench_swap" "$f" "$REPS" | csv swap.csv "$EXPECT,$fs,$size,$layout" || return 1
	dmesg | grep -o 'Adding .* swap on .*' | sed -E 's/.*extents:([0-9]+) across:([0-9]+)k.*/\1,\2/' |
		sort | uniq -c | awk -v OFS=, '{ print $2, $1 }' |
		csv swap-extents.csv "$EXPECT,$fs,$size,$layout,${got:-}"
	rm -f "$f"
	fstrim "$mnt"
}

# The contiguous files first: the allocators remember where they last
# allocated, and a fragmented file's layout differs from boot to boot.
part_swap() {
	local fs size layout
	for fs in xfs ext4; do
		for layout in contiguous fragmented; do
			for size in $((256 << 20)) $((2 << 30)); do
				progress "bench: swap $fs $((size >> 20)) MiB $layout"
				swap_one "$fs" "$size" "$layout" ||
					echo "swap $fs $size $layout failed" >>"$bench/errors.log"
			done
		done
	done
}

# XFS again, with two allocation groups of 1.5 GiB instead of four of
# 768 MiB, so that a file of 1 GiB can be a single extent.
remake_xfs() {
	umount "$XFS_MNT" || return 1
	mkfs.xfs -q -f -b size=4096 -d agcount=2,su=2m,sw=1 -m reflink=1 /dev/pmem0 || return 1
	mount -o dax=always /dev/pmem0 "$XFS_MNT"
}

main() {
	local part t0
	mkdir -p "$bench"
	: >"$bench/errors.log"
	# shellcheck disable=SC2119	# no "keep": fresh filesystems
	setup_all || { progress "setup failed"; return 1; }
	remake_xfs || { progress "mkfs.xfs with two AGs failed"; return 1; }
	setup_devdax || { progress "device-DAX setup failed"; return 1; }
	uname -r >"$bench/kernel"
	for part in reg validation perftest swap; do
		wanted "$part" || continue
		# Without the series, nothing on fsdax pins: only what compares.
		[ "$EXPECT" = series ] || [ "$part" = reg ] || [ "$part" = swap ] || continue
		progress "bench: part $part"
		t0=$(date +%s)
		"part_$part"
		echo "$EXPECT,$part,$(($(date +%s) - t0))" >>"$bench/parts.csv"
	done
	dmesg >"$out/dmesg.txt"
	[ ! -s "$bench/errors.log" ] || { progress "bench: errors: $(head -n 3 "$bench/errors.log")"; return 1; }
}

main
