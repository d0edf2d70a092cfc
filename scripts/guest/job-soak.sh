#!/bin/bash
# Guest job "soak": for $SOAK_SECONDS (make check: 60; make soak: 600),
# pinners and changers on two files of each fsdax filesystem at once:
#   - pinners (tests/soak_pin): through gup_test and through verbs, random
#     ranges, writable and read-only, some forked children exiting with
#     their pin; restarted as they end, and one killed -9 every few seconds;
#   - changers: truncate, punch, fallocate, extending writes, reflink
#     (XFS) on the same files, each counted as done or ETXTBSY;
#   - an administrator: remount, and umount attempts (EBUSY while pinned;
#     remounted at once if one gets through);
#   - a sentinel file per filesystem, pinned too but never changed.
# Then: every pin released (listing empty, FOLL_PIN counters back), the
# sentinels intact, the files free, both filesystems unmount.  The host
# fails the run on any kernel report (hung tasks after 60 s included).
#   job-soak.sh OUT_DIR
set -uo pipefail
out=$1
here=$(dirname "$0")
. "$here/setup.sh"
. "$here/rdma-tools.sh"
. "$here/pair.sh"	# pins_held, pins_back_to, thawed, tap_line
. "$out/../config.sh"	# TESTS, SOAK_SECONDS

SENTINEL_BYTE=0x5e
TAP_N=0
end=0

# soak_files DIR: the files pinners and changers share on DIR.
soak_files() {
	echo "$1/soak.0 $1/soak.1 $1/soak.sentinel"
}

# pinner N MODE DIR: run soak_pin MODE on DIR's files, again and again
# for a few seconds each, until the end; a line of counts per run.
pinner() {
	local n=$1 mode=$2 dir=$3 log=$out/soak-pinner-$1.log left run=0
	# shellcheck disable=SC2046
	while left=$((end - $(date +%s))) && [ "$left" -gt 0 ]; do
		run=$((run + 1))
		"$TESTS/soak_pin" "$mode" $((left < 8 ? left : 3 + RANDOM % 6)) \
			$((n * 1000 + run)) $(soak_files "$dir") >>"$log" 2>&1
		echo "exit $?" >>"$log"
	done
}

# changer DIR: change the block maps of DIR's soak files until the end.
changer() {
	local dir=$1 log f op size off res src i
	log=$out/soak-changer-$(basename "$1").log
	while [ "$(date +%s)" -lt "$end" ]; do
		i=$((RANDOM % 2))
		f=$dir/soak.$i
		off=$(((RANDOM % 2048) * 4096))
		case $((RANDOM % 6)) in
		0) size=$(((4096 + RANDOM % 4096) * 1024)); op="truncate $size" ;;
		1) op="fpunch $off 65536" ;;
		2) op="falloc $off 65536" ;;
		3) op="pwrite -q $(stat -c %s "$f" 2>/dev/null || echo 0) 4096" ;;
		4) op="pwrite -q $off 4096" ;;
		5) [ "$(basename "$dir")" = xfs ] || continue
		   # From the other file, within both: a range onto itself or
		   # past either EOF is EINVAL.
		   src=$dir/soak.$((1 - i))
		   size=$(stat -c %s "$src" "$f" | sort -n | head -n 1)
		   [ "$size" -ge $((80 << 10)) ] || continue
		   off=$(((RANDOM % (size / 4096 - 16)) * 4096))
		   op="reflink -q $src $off $off 65536" ;;
		esac
		if res=$(xfs_io -c "$op" "$f" 2>&1) && [ -z "$res" ]; then
			echo "${op%% *} done"
		elif [[ "$res" == *"Text file busy"* ]]; then
			echo "${op%% *} ETXTBSY"
		elif [[ "$res" == *"No such file or directory"* ]]; then
			echo "${op%% *} absent (the administrator's umount got through)"
		else
			echo "${op%% *} other: $res"
		fi
	done >"$log"
}

# administrator: remount each filesystem and try to unmount it, until the
# end; a pinned filesystem answers EBUSY.
administrator() {
	local log=$out/soak-admin.log mnt dev
	while [ "$(date +%s)" -lt "$end" ]; do
		for mnt in "$XFS_MNT" "$EXT4_MNT"; do
			dev=/dev/pmem0
			[ "$mnt" = "$XFS_MNT" ] || dev=/dev/pmem1
			mount -o remount "$mnt" && echo "remount done" || echo "remount failed"
			if umount "$mnt" 2>/dev/null; then
				echo "umount done (nothing held it)"
				mount -o dax=always "$dev" "$mnt" || echo "remount after umount failed"
			else
				echo "umount EBUSY"
			fi
		done
		sleep 2
	done >"$log" 2>&1
}

# killer: kill -9 one soak_pin every few seconds, until the end.
killer() {
	local pid
	while [ "$(date +%s)" -lt "$end" ]; do
		sleep $((2 + RANDOM % 4))
		pid=$(pgrep -x soak_pin | shuf -n 1)
		if [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; then
			echo "killed $pid"
		fi
	done >"$out/soak-killer.log"
}

no_pins_listed() {
	[ -z "$(cat /proc/fs/longterm_pins)" ]
}

# sum_counts LOG... : total of the "N what" pairs of soak_pin's count lines.
sum_counts() {
	grep -h '^soak_pin' "$@" | sed 's/^soak_pin [a-z]*: //; s/, /\n/g' |
		awk '$1 ~ /^[0-9]+$/ { k = $2; if ($3 != "") k = k " " $3; n[k] += $1 } END { for (k in n) printf "%s %d\n", k, n[k] }' |
		sort
}

prepare() {
	local dir
	for dir in "$XFS_MNT" "$EXT4_MNT"; do
		write_file "$dir/soak.0" $((8 << 20)) 0x11 &&
			write_file "$dir/soak.1" $((8 << 20)) 0x22 &&
			write_file "$dir/soak.sentinel" $((1 << 20)) "$SENTINEL_BYTE" || return 1
	done
}

run_soak() {
	local pids=() before i dir mode n=0 unexpected bad
	before=$(pins_held)
	end=$(($(date +%s) + SOAK_SECONDS))
	for dir in "$XFS_MNT" "$EXT4_MNT"; do
		for mode in gup verbs verbs; do
			n=$((n + 1))
			# Without bash's notices of the pinners it kills.
			pinner "$n" "$mode" "$dir" 2>/dev/null &
			pids+=($!)
		done
		changer "$dir" &
		pids+=($!)
	done
	administrator &
	pids+=($!)
	killer &
	pids+=($!)
	for i in "${pids[@]}"; do
		wait "$i"
	done

	echo "TAP version 13"
	echo "# $SOAK_SECONDS s, $n pinners over two files and a sentinel per filesystem"
	sum_counts "$out"/soak-pinner-*.log | sed 's/^/# pinners: /'
	echo "# pinner processes killed -9: $(grep -c '^killed' "$out/soak-killer.log")"
	for dir in xfs ext4; do
		sort "$out/soak-changer-$dir.log" | sed 's/other: .*/other/' | uniq -c |
			sed "s/^ */# changes on $dir: /"
	done
	sort "$out/soak-admin.log" | uniq -c | sed 's/^ */# administrator: /'

	unexpected=$(grep -h 'unexpected errno' "$out"/soak-pinner-*.log | head -n 5)
	echo "$unexpected" | sed '/^$/d; s/^/# /'
	[ -z "$unexpected" ]
	tap_line $? "every pin succeeded or failed with an errno the documentation allows"
	bad=$(grep -h 'other' "$out"/soak-changer-*.log | sort | uniq -c | head -n 5)
	echo "$bad" | sed '/^$/d; s/^/# /'
	[ -z "$bad" ]
	tap_line $? "every change succeeded or failed with ETXTBSY (or met an unmounted filesystem)"
	wait_for 100 no_pins_listed
	tap_line $? "no pin is listed once the pinners are gone"
	pins_back_to "$before"
	tap_line $? "the pins balance ($(pins_held) held, $before before)"
	for dir in "$XFS_MNT" "$EXT4_MNT"; do
		cmp -s "$dir/soak.sentinel" <(head -c $((1 << 20)) /dev/zero | tr '\0' '\136')
		tap_line $? "$dir/soak.sentinel holds what it held"
		thawed "$dir/soak.0" && thawed "$dir/soak.1"
		tap_line $? "the soak files of $dir are free again"
	done
	for dir in "$XFS_MNT" "$EXT4_MNT"; do
		umount "$dir"
		tap_line $? "$dir unmounts after the soak"
	done
	echo "1..$TAP_N"
}

main() {
	mkdir -p "$out/tap"
	setup_all || { progress "setup failed"; return 1; }
	echo 60 >/proc/sys/kernel/hung_task_timeout_secs
	prepare || { progress "could not write the soak files"; return 1; }
	save_counters before
	progress "soak: ${SOAK_SECONDS} s"
	run_soak >"$out/tap/soak.tap" 2>&1
	progress "soak: $(grep -c '^ok' "$out/tap/soak.tap") ok, $(grep -c '^not ok' "$out/tap/soak.tap") not ok"
	save_counters after
}

main
