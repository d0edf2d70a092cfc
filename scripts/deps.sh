#!/usr/bin/env bash
# Stage "deps": install the Debian packages the harness uses, once.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PACKAGES=(
	# kernel build
	build-essential bc bison flex libelf-dev libssl-dev ccache cpio xz-utils
	perl python3 python3-ply python3-git rsync sparse git
	# guest machine and the guest's userland (host root over 9p)
	qemu-system-x86 ndctl xfsprogs e2fsprogs util-linux iproute2 procps kmod
	rdma-core ibverbs-utils ibverbs-providers rdmacm-utils perftest fio
	# selftests and librpma test programs built on the host (the guest
	# runs the host's librpma0 and libpmem2 over 9p)
	libibverbs-dev librdmacm-dev librpma-dev libpmem2-dev
	# benchmark plots (make bench)
	gnuplot-nox
)

missing() {
	local p
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"
	done
}

main() {
	local need
	need=$(missing | paste -sd' ')
	if [ -z "$need" ]; then
		say "deps: all ${#PACKAGES[@]} packages present"
		return 0
	fi
	[ "$(id -u)" = 0 ] || die "deps: need root to install: $need"
	say "deps: installing $need"
	run_logged deps "$LOGS/deps-update.log" apt-get update
	# shellcheck disable=SC2086
	run_logged deps "$LOGS/deps-install.log" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y --no-install-recommends $need
	say "deps: done"
}

main "$@"
