#!/usr/bin/env bash
# "make pair": two guests on one network, the deployment RDMA exists for.
# The target guest has the fsdax filesystems; the initiator guest RDMA
# WRITEs into their files over rxe on virtio-net NICs that QEMU joins with
# UDP datagrams on 127.0.0.1 (nothing else on the host's network).
#   1. pair-target + pair-initiator: ib_write_bw, fio's rdma engine and
#      librpma into files of XFS and ext4 (truncate refused meanwhile),
#      then kill -9 of the initiator, and of the target's server,
#      mid-stream;
#   2. pair-cut-target + pair-cut-initiator: librpma streams into both
#      filesystems, and the host kills the target's QEMU in the middle;
#   3. pair-verify: the target boots again; every block the initiator saw
#      flushed is in its file.
# Ends with the plain line "N passed, N failed, N skipped" over all five
# boots.  GUPL_PAIR_BUILT=1 skips the build stages; GUPL_PAIR_KERNEL is
# the build directory to boot (default that of GUPL_FLAVOUR, test); with
# GUPL_PAIR_RUNS=1 (make check, make check-base) the report is the
# caller's, and the last line of stdout lists the run directories.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavour=${GUPL_FLAVOUR:-test}
bld=${GUPL_PAIR_KERNEL:-$BUILD_ROOT/$flavour}
pair=$OUT/runs/pair-$(date +%Y%m%d-%H%M%S)
runs=() pids=()

# guest ROLE JOB PORT_LOCAL PORT_REMOTE MAC [ENV...]: boot JOB in the
# background as ROLE, its run directory $pair/ROLE-JOB.
guest() {
	local role=$1 job=$2 lport=$3 rport=$4 mac=$5
	shift 5
	env GUPL_RUN_DIR="$pair/$job" GUPL_SHARED="$pair/shared" \
		GUPL_PMEM="${GUPL_PMEM:-$OUT/pmem-pair}" \
		GUPL_NET="$mac dgram,local.type=inet,local.host=127.0.0.1,local.port=$lport,remote.type=inet,remote.host=127.0.0.1,remote.port=$rport" \
		GUPL_TIMEOUT=900 "$@" "$REPO/scripts/run-guest.sh" "$job" "$bld" \
		>"$pair/$role.boot.log" 2>&1 &
	pids+=($!)
	runs+=("$pair/$job")
}

# Two free UDP ports of 127.0.0.1, one per NIC.
pick_ports() {
	local i
	for ((i = 0; i < 50; i++)); do
		port_t=$((20000 + RANDOM % 20000))
		port_i=$((port_t + 1))
		! ss -Hlun "( sport = :$port_t or sport = :$port_i )" | grep -q . && return 0
	done
	die "pair: no two free UDP ports"
}

target() { guest target "$1" "$port_t" "$port_i" 52:54:00:00:00:01 "${@:2}"; }
initiator() {
	guest initiator "$1" "$port_i" "$port_t" 52:54:00:00:00:02 \
		GUPL_NVDIMMS= GUPL_SMP=1 GUPL_MEM=2G
}

# fresh_shared: the directory the next two guests meet in, empty.
fresh_shared() {
	rm -rf "$pair/shared"
	mkdir -p "$pair/shared"
}

# wait_guests: wait for the guests started in the background; show
# their progress lines.
wait_guests() {
	local rc=0 pid
	for pid in "${pids[@]}"; do
		wait "$pid" || rc=$?
	done
	pids=()
	cat "$pair"/*.boot.log | grep -E 'boot:|ERROR' | sed 's/^/  /'
	rm -f "$pair"/*.boot.log
	return "$rc"
}

# cut_target_when_asked: cut the target's power once the initiator asks.
cut_target_when_asked() {
	local run=$pair/pair-cut-target i
	for ((i = 0; i < 900; i++)); do
		[ ! -e "$pair/shared/cut-now" ] || break
		sleep 1
	done
	if [ "$(cat "$pair/shared/cut-now" 2>/dev/null)" = refused ] ||
	   [ ! -e "$pair/shared/cut-now" ]; then
		say "pair: no stream to cut; stopping the target"
	else
		say "pair: cutting the target's power ($(cat "$pair/shared/cut-now") blocks flushed)"
	fi
	touch "$run/power-cut"
	kill -9 "$(cat "$run/qemu.pid")" 2>/dev/null || true
	date +%s >"$pair/shared/.cut-done.tmp"
	mv "$pair/shared/.cut-done.tmp" "$pair/shared/cut-done"
}

main() {
	if [ -z "${GUPL_PAIR_BUILT:-}" ]; then
		stage deps "$REPO/scripts/deps.sh"
		stage fetch "$REPO/scripts/fetch-base.sh"
		stage apply "$REPO/scripts/apply-series.sh"
		stage build "$REPO/scripts/build-kernel.sh" "$flavour"
		stage tests "$REPO/scripts/build-tests.sh" "$SRC" "$bld"
	fi
	[ -f "$bld/arch/x86/boot/bzImage" ] || die "pair: no kernel in $bld"
	mkdir -p "$pair"
	pick_ports

	say "== pair: RDMA tools from the initiator guest into the target's files"
	fresh_shared
	target pair-target
	initiator pair-initiator
	wait_guests || die "pair: a guest failed; logs in $pair"

	say "== pair: the target's power cut in the middle of two streams"
	fresh_shared
	target pair-cut-target
	initiator pair-cut-initiator
	cut_target_when_asked
	wait_guests || die "pair: a guest failed; logs in $pair"

	say "== pair: the target boots again"
	mv "$pair/shared" "$pair/shared.cut"
	mkdir -p "$pair/shared"
	cp "$pair/shared.cut"/cut-* "$pair/shared/"
	target pair-verify GUPL_NET=
	wait_guests || die "pair: the target failed to boot again; logs in $pair"

	if [ -n "${GUPL_PAIR_RUNS:-}" ]; then
		say "pair: done in $(elapsed)s"
		echo "${runs[*]}"
		return
	fi
	say "== report (${runs[*]})"
	"$REPO/scripts/report.sh" "${runs[@]}" || die "pair failed; logs in $pair"
	say "pair: done in $(elapsed)s"
}

main "$@"
