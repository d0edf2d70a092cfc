#!/bin/bash
# PID 1 of the test guest.  The host's root is mounted read-only over 9p;
# this makes the writable places, mounts the run directory (read-write 9p,
# at the same path as on the host), runs one job and reboots, which ends
# QEMU (-no-reboot).  The verdict travels in $run/guest/result, never in
# QEMU's exit status.
#
# Arguments (after "--" on the kernel command line): job=NAME run=DIR
# [inject=warn|hang] [shared=DIR]
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 TERM=dumb

job= run= inject= shared=
for arg in "$@"; do
	case "$arg" in
	job=*) job=${arg#job=} ;;
	run=*) run=${arg#run=} ;;
	inject=*) inject=${arg#inject=} ;;
	shared=*) shared=${arg#shared=} ;;
	esac
done

progress() { echo "[gupl] $*" >/dev/console; }

mount_basics() {
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev
	mkdir -p /dev/pts /dev/shm
	mount -t devpts devpts /dev/pts
	mount -t tmpfs tmpfs /dev/shm
	ln -sf /proc/self/fd /dev/fd
	ln -sf /proc/self/fd/0 /dev/stdin
	ln -sf /proc/self/fd/1 /dev/stdout
	ln -sf /proc/self/fd/2 /dev/stderr
	local d
	for d in /tmp /run /mnt /var/tmp /var/log /root; do
		mount -t tmpfs tmpfs "$d"
	done
	mount -t debugfs debugfs /sys/kernel/debug
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 run "$run"
	# Two guests (scripts/pair.sh) meet in a directory of the host.
	[ -z "$shared" ] ||
		mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 shared "$shared"
	ip link set lo up
	hostname gupl-guest
}

finish() {
	local rc=$1
	echo "status=$rc" >"$run/guest/result"
	sync
	progress "job $job finished, status $rc"
	echo b >/proc/sysrq-trigger
	sleep 10
}

main() {
	mount_basics
	mkdir -p "$run/guest"
	progress "init: kernel $(uname -r), job $job"
	local rc=0
	"$(dirname "$0")/job-$job.sh" "$run/guest" "$inject" >"$run/guest/job.log" 2>&1 || rc=$?
	finish "$rc"
}

main
