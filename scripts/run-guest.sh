#!/usr/bin/env bash
# Stage "boot": run one guest job under QEMU and collect its verdict.
#   run-guest.sh JOB [BUILD_DIR]
# JOB: check, demo, persist-write, persist-read, soak, bench or one of the
# pair-* jobs of scripts/pair.sh (scripts/guest/job-*.sh).
# Environment: GUPL_ACCEL=kvm to use KVM (default TCG); GUPL_TIMEOUT
# seconds (default 2400); GUPL_MEM, the guest's RAM (default 4G);
# GUPL_DEVDAX=1 adds a third nvdimm for a device-DAX namespace;
# GUPL_BENCH_REPS and GUPL_BENCH_PARTS for the bench job (scripts/bench.sh);
# for two guests on one network (scripts/pair.sh): GUPL_NVDIMMS, the
# nvdimms to give (default "0 1"; "" for none), GUPL_PMEM, their backing
# files' directory, GUPL_NET="MAC NETDEV" for a virtio-net NIC on a QEMU
# netdev, GUPL_SHARED, a host directory both guests mount at its own path,
# GUPL_SMP, the vCPUs (default 2), GUPL_RUN_DIR, the run directory;
# GUPL_SOAK_SECONDS for the soak job (default 60);
# GUPL_INJECT=warn|hang|noboot to prove that the
# harness catches those faults; GUPL_EXPECT=base|series to override what
# the tree says the kernel must do; GUPL_PREV_RUN, the run directory of the
# boot before (persist-read).
# Prints the run directory on the last line of stdout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

job=${1:?usage: run-guest.sh JOB [BUILD_DIR]}
[ -x "$REPO/scripts/guest/job-$job.sh" ] || die "boot: no guest job '$job'"
bld=${2:-$BUILD_ROOT/test}
timeout_s=${GUPL_TIMEOUT:-2400}
inject=${GUPL_INJECT:-}
pmem=${GUPL_PMEM:-$OUT/pmem}
PMEM_SIZE=3G

new_run_dir() {
	run=${GUPL_RUN_DIR:-$OUT/runs/$job-$(date +%Y%m%d-%H%M%S)}
	mkdir -p "$run/guest" "$OUT/runs"
	ln -sfn "$run" "$OUT/runs/latest-$job"
}

# What the guest reads: where the tests are and what the kernel must do.
write_guest_config() {
	local expect=${GUPL_EXPECT:-}
	if [ -z "$expect" ]; then
		expect=base
		tree_has_series "$SRC" && expect=series
	fi
	cat >"$run/config.sh" <<-CONF
	TESTS=$OUT/tests
	EXPECT=$expect
	KSELFTEST_TESTS="$(cat "$OUT/tests/kselftest.args" 2>/dev/null)"
	PREV_RUN=${GUPL_PREV_RUN:-}
	BENCH_REPS=${GUPL_BENCH_REPS:-10}
	BENCH_PARTS="${GUPL_BENCH_PARTS:-}"
	FUZZ_SEED=${GUPL_FUZZ_SEED:-20261128}
	SHARED=${GUPL_SHARED:-}
	SOAK_SECONDS=${GUPL_SOAK_SECONDS:-60}
	CONF
}

# Sparse backing files for the nvdimms.  They outlive the guest, as
# persistent memory outlives a reboot.
pmem_files() {
	local i
	mkdir -p "$pmem"
	for i in $(nvdimm_ids); do
		[ -f "$pmem/nvdimm$i.img" ] || truncate -s "$PMEM_SIZE" "$pmem/nvdimm$i.img"
	done
}

nvdimm_ids() {
	echo "${GUPL_NVDIMMS-0 1}"
	[ "${GUPL_DEVDAX:-}" != 1 ] || echo 2
}

# QEMU options for the nvdimms: 0 and 1 for the fsdax filesystems, 2
# (GUPL_DEVDAX=1) for device-DAX.
nvdimm_args() {
	local i
	for i in $(nvdimm_ids); do
		echo "-object memory-backend-file,id=nv$i,share=on,mem-path=$pmem/nvdimm$i.img,size=$PMEM_SIZE,align=2M"
		echo "-device nvdimm,id=nvdimm$i,memdev=nv$i"
	done
}

# QEMU options for the NIC of GUPL_NET (MAC NETDEV) and the directory of
# GUPL_SHARED: none without them.
pair_args() {
	local mac netdev
	if [ -n "${GUPL_NET:-}" ]; then
		read -r mac netdev <<<"$GUPL_NET"
		echo "-netdev $netdev,id=net0 -device virtio-net-pci,netdev=net0,mac=$mac"
	fi
	if [ -n "${GUPL_SHARED:-}" ]; then
		echo "-fsdev local,id=shared,path=$GUPL_SHARED,security_model=none,multidevs=remap"
		echo "-device virtio-9p-pci,fsdev=shared,mount_tag=shared"
	fi
}

qemu_accel() {
	if [ "${GUPL_ACCEL:-tcg}" = kvm ]; then
		echo "-accel kvm -cpu host"
	else
		echo "-accel tcg,thread=multi -cpu max"
	fi
}

kernel_cmdline() {
	local init=$REPO/scripts/guest/init.sh
	[ "$inject" != noboot ] || init=/nonexistent/init
	echo "console=ttyS0 loglevel=7 log_buf_len=8M panic=-1 oops=panic" \
		"root=/dev/root rootfstype=9p ro" \
		"rootflags=trans=virtio,version=9p2000.L,msize=512000,cache=loose" \
		"init=$init -- job=$job run=$run inject=$inject" \
		"${GUPL_SHARED:+shared=$GUPL_SHARED}"
}

run_qemu() {
	local rc=0
	# shellcheck disable=SC2046
	timeout -k 10 "$timeout_s" qemu-system-x86_64 -nodefaults -display none -no-reboot \
		-machine pc,nvdimm=on $(qemu_accel) -smp "${GUPL_SMP:-2}" \
		-m "${GUPL_MEM:-4G},slots=4,maxmem=32G" \
		$(nvdimm_args) $(pair_args) -pidfile "$run/qemu.pid" \
		-fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap \
		-device virtio-9p-pci,fsdev=root,mount_tag=/dev/root \
		-fsdev local,id=run,path="$run",security_model=none,multidevs=remap \
		-device virtio-9p-pci,fsdev=run,mount_tag=run \
		-serial file:"$run/console.log" \
		-kernel "$bld/arch/x86/boot/bzImage" -append "$(kernel_cmdline)" \
		>"$run/qemu.log" 2>&1 || rc=$?
	echo "$rc" >"$run/qemu.rc"
}

# Echo the guest's progress lines until process $1 (QEMU's) ends.
follow_progress() {
	tail -n +1 -F --pid="$1" "$run/console.log" 2>/dev/null |
		sed -un 's/^.*\[gupl\] /[gupl] /p' |
		while IFS= read -r line; do say "  $line"; done
}

verdict() {
	local qrc=$1 console=$run/console.log
	# scripts/pair.sh cuts the power of a guest on purpose.
	if [ -f "$run/power-cut" ]; then
		say "boot: guest job $job powered off by the host, as planned (QEMU exit $qrc)"
		return 0
	fi
	if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
		die "boot: guest hung: no verdict after ${timeout_s}s; console: $console"
	fi
	if [ ! -f "$run/guest/result" ]; then
		grep -q 'Kernel panic' "$console" 2>/dev/null &&
			die "boot: kernel panicked: $(grep -m1 'Kernel panic' "$console"); console: $console"
		grep -q '\[gupl\] init' "$console" 2>/dev/null ||
			die "boot: the kernel did not boot to the guest init (QEMU exit $qrc); console: $console, qemu: $run/qemu.log"
		die "boot: guest stopped without a verdict (QEMU exit $qrc); console: $console"
	fi
	say "boot: guest job $job finished ($(cat "$run/guest/result")); log: $run/guest/job.log"
}

main() {
	[ -f "$bld/arch/x86/boot/bzImage" ] || die "boot: no kernel in $bld"
	new_run_dir
	write_guest_config
	pmem_files
	say "boot: $job guest ($(qemu_accel | cut -d' ' -f2)), timeout ${timeout_s}s; run dir $run"
	: >"$run/console.log"
	run_qemu &
	follow_progress $!
	wait
	verdict "$(cat "$run/qemu.rc")"
	echo "$run"
}

main "$@"
