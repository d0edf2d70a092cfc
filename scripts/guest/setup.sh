# shellcheck shell=bash
# Sourced by the guest jobs: brings up the test environment.
#   /mnt/xfs   XFS on fsdax /dev/pmem0, reflink=1, 2 MiB stripe unit, dax=always
#   /mnt/ext4  ext4 on fsdax /dev/pmem1, 2 MiB stripe, dax=always
#   /mnt/xfs-nodax, /mnt/ext4-nodax  the same filesystems without DAX, on
#              loop devices over tmpfs (swapfiles need a page cache)
#   rxe0       soft-RoCE on dummy0 (192.0.2.1/24; no NIC: traffic never
#              leaves the guest)

RXE_DEV=rxe0
RXE_NETDEV=dummy0
RXE_ADDR=192.0.2.1
XFS_MNT=/mnt/xfs
EXT4_MNT=/mnt/ext4
NODAX_SIZE=512M

progress() { echo "[gupl] $*" >/dev/console; echo "[gupl] $*"; }

# QEMU's label-less nvdimms come up as raw namespaces without struct pages;
# converting one to fsdax writes an info block into the backing file, so
# this happens once per backing file, not once per boot.
setup_pmem() {
	local ns mode
	for ns in namespace0.0 namespace1.0; do
		mode=$(ndctl list -n "$ns" | grep -o '"mode":"[a-z]*"' | cut -d'"' -f4)
		[ -n "$mode" ] || { echo "no $ns (nvdimm missing?)"; return 1; }
		[ "$mode" = fsdax ] && continue
		ndctl create-namespace -f -e "$ns" -m fsdax -M dev >/dev/null || return 1
	done
	wait_for 50 test -b /dev/pmem0 -a -b /dev/pmem1 || { echo "no /dev/pmem0 and /dev/pmem1"; return 1; }
}

# wait_for TENTHS CMD...: poll CMD every 0.1 s, at most TENTHS times.
wait_for() {
	local n=$1
	shift
	while ! "$@"; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}

# setup_fs [keep]: make and mount the filesystems ("keep" mounts what the
# backing files already hold, for tests that span two boots).
setup_fs() {
	local keep=${1:-}
	mkdir -p "$XFS_MNT" "$EXT4_MNT"
	if [ "$keep" != keep ]; then
		mkfs.xfs -q -f -b size=4096 -d su=2m,sw=1 -m reflink=1 /dev/pmem0 || return 1
		mkfs.ext4 -q -F -b 4096 -E stride=512,stripe_width=512 /dev/pmem1 || return 1
	fi
	mount -o dax=always /dev/pmem0 "$XFS_MNT" || return 1
	mount -o dax=always /dev/pmem1 "$EXT4_MNT" || return 1
	setup_nodax xfs mkfs.xfs -q -f -m reflink=1 || return 1
	setup_nodax ext4 mkfs.ext4 -q -F || return 1
}

rxe_active() {
	grep -q ACTIVE "/sys/class/infiniband/$RXE_DEV/ports/1/state" 2>/dev/null
}

# setup_nodax FSTYPE MKFS...: a non-DAX filesystem on a loop device.
setup_nodax() {
	local fs=$1 img=/tmp/$1-nodax.img dev
	shift
	truncate -s "$NODAX_SIZE" "$img"
	dev=$(losetup -f --show "$img") || return 1
	"$@" "$dev" >/dev/null || return 1
	mkdir -p "/mnt/$fs-nodax"
	mount "$dev" "/mnt/$fs-nodax"
}

setup_rxe() {
	ip link show "$RXE_NETDEV" >/dev/null 2>&1 || ip link add "$RXE_NETDEV" type dummy
	ip link set "$RXE_NETDEV" mtu 9000 up
	ip addr add "$RXE_ADDR/24" dev "$RXE_NETDEV"
	rdma link add "$RXE_DEV" type rxe netdev "$RXE_NETDEV" || return 1
	wait_for 50 rxe_active && return 0
	echo "$RXE_DEV port state: $(cat "/sys/class/infiniband/$RXE_DEV/ports/1/state" 2>&1)"
	return 1
}

setup_all() {
	local keep=${1:-}
	progress "setup: pmem namespaces"
	setup_pmem || return 1
	progress "setup: filesystems ${keep:+(kept)}"
	setup_fs "$keep" || return 1
	progress "setup: rxe"
	setup_rxe || return 1
	findmnt -no SOURCE,TARGET,FSTYPE,OPTIONS -t xfs,ext4
	rdma link show
}

# save_counters before|after: the FOLL_PIN counters, folded, from one read
# of /proc/vmstat, in $out/vmstat-WHEN (report.sh judges "after"); with
# "after", the kernel log in $out/dmesg.txt too.
# shellcheck disable=SC2154 # $out is the sourcing job's output directory
save_counters() {
	echo 1 >/proc/sys/vm/stat_refresh
	dd if=/proc/vmstat bs=65536 count=1 status=none |
		grep -E '^nr_foll_pin_(acquired|released)' >"$out/vmstat-$1"
	[ "$1" != after ] || dmesg >"$out/dmesg.txt"
}

# The verdict line of a splat scan is done by the host on console.log.
