#!/usr/bin/env bash
# "make bench": what a long-term fsdax pin costs, side by side with what
# users do today, with boot-to-boot noise told apart from the series' cost.
# Builds the benchmark configuration (no debugging) of the kernel with the
# series and of the base kernel, then boots them in turn, series first:
# series 1, base 1, series 2, base 2, ... (GUPL_BENCH_BOOTS of each), each
# with the guest job "bench" (scripts/guest/job-bench.sh).  The first
# series boot runs every part asked for; the other boots only the A/B parts
# "reg" and "swap" (the base refuses fsdax pins, and "validation" and
# "perftest" measure the series alone).  Writes under out/bench/ the CSV
# files, results.md (printed), bench.png, boots.txt (the boots in order,
# with their run directories) and logs/ (each boot's output).
# Environment: GUPL_BENCH_BOOTS (boots per kernel, default 3),
# GUPL_BENCH_REPS (repetitions per point in each boot, default 10),
# GUPL_BENCH_PARTS (a subset of "reg validation perftest swap"),
# GUPL_BENCH_NO_BASE=1 (no base boots: no A/B).
set -euo pipefail
# shellcheck disable=SC1091	# scripts/lib.sh
. "$(dirname "$0")/lib.sh"

RESULTS=$OUT/bench
ALL_PARTS="reg validation perftest swap"
AB_PARTS="reg swap"
BOOTS=${GUPL_BENCH_BOOTS:-3}
PARTS=${GUPL_BENCH_PARTS:-$ALL_PARTS}
RUNS=()
FAILED=()

# only_parts WANTED ALLOWED: the parts of WANTED that ALLOWED has, in order.
only_parts() {
	local p kept=()
	for p in $1; do
		[[ " $2 " != *" $p "* ]] || kept+=("$p")
	done
	echo "${kept[*]}"
}

# check_knobs: die on a part or a boot count the job would not understand.
check_knobs() {
	local p
	[[ "$BOOTS" =~ ^[1-9][0-9]*$ ]] || die "bench: GUPL_BENCH_BOOTS must be a positive number"
	for p in $PARTS; do
		[[ " $ALL_PARTS " == *" $p "* ]] || die "bench: unknown part '$p' (parts: $ALL_PARTS)"
	done
}

# plan: one line per boot, in order: KERNEL PARTS...
plan() {
	local i ab
	ab=$(only_parts "$PARTS" "$AB_PARTS")
	for ((i = 1; i <= BOOTS; i++)); do
		if [ "$i" = 1 ]; then
			echo "series $PARTS"
		elif [ -n "$ab" ]; then
			echo "series $ab"
		fi
		[ "${GUPL_BENCH_NO_BASE:-}" = 1 ] || [ -z "$ab" ] || echo "base $ab"
	done
}

build_dir() {
	case "$1" in
	series) echo "$BUILD_ROOT/bench" ;;
	base) echo "$BUILD_ROOT/base-bench" ;;
	esac
}

# boot N TOTAL KERNEL PARTS...: the bench job on one kernel; its output in
# logs/, its run directory appended to RUNS (and to boots.txt).
boot() {
	local n=$1 total=$2 kernel=$3 log run status t0=$SECONDS
	shift 3
	log=$RESULTS/logs/boot-$n-$kernel.log
	say "bench: boot $n/$total ($kernel; parts: $*)"
	GUPL_BENCH_PARTS="$*" GUPL_MEM=12G GUPL_DEVDAX=1 GUPL_EXPECT=$kernel \
		GUPL_TIMEOUT=${GUPL_TIMEOUT:-5400} \
		"$REPO/scripts/run-guest.sh" bench "$(build_dir "$kernel")" 2>&1 | tee "$log" ||
		die "bench: boot $n/$total ($kernel) failed; log: $log"
	run=$(tail -n 1 "$log")
	[ -d "$run/guest/bench" ] || die "bench: boot $n/$total ($kernel) left no data; log: $log"
	status=$(cat "$run/guest/result")
	echo "$n $kernel $((SECONDS - t0))s $status $run $*" >>"$RESULTS/boots.txt"
	say "bench: boot $n/$total ($kernel) done in $((SECONDS - t0))s, $status"
	if [ "$status" != status=0 ]; then
		say "bench: boot $n/$total ($kernel) reported errors: $run/guest/bench/errors.log"
		FAILED+=("$n")
	fi
	RUNS+=("$run")
}

build_all() {
	stage deps "$REPO/scripts/deps.sh"
	stage fetch "$REPO/scripts/fetch-base.sh"
	stage apply "$REPO/scripts/apply-series.sh"
	tree_has_series "$SRC" || die "bench: the tree has no series to measure"
	stage build "$REPO/scripts/build-kernel.sh" bench
	stage tests "$REPO/scripts/build-tests.sh" "$SRC" "$BUILD_ROOT/bench"
	if grep -q '^base ' <<<"$1"; then
		stage base-tree base_tree
		stage base-build "$REPO/scripts/build-kernel.sh" bench "$BASE_SRC" "$BUILD_ROOT/base-bench"
	fi
}

main() {
	local boots i line
	check_knobs
	mapfile -t boots < <(plan)
	build_all "$(printf '%s\n' "${boots[@]}")"
	rm -rf "$RESULTS"
	mkdir -p "$RESULTS/logs"
	say "== boots: ${#boots[@]}, series first, alternating with the base"
	for ((i = 0; i < ${#boots[@]}; i++)); do
		line=${boots[i]}
		# shellcheck disable=SC2086	# kernel, then the parts as words
		boot $((i + 1)) "${#boots[@]}" $line
	done
	say "== report (${RUNS[*]})"
	/usr/bin/python3 "$REPO/scripts/bench-report.py" "$RESULTS" "${RUNS[@]}" >"$RESULTS/report.log" 2>&1 || {
		cat "$RESULTS/report.log" >&2
		die "bench: no report; logs in $RESULTS/logs"
	}
	cat "$RESULTS/results.md"
	[ "${#FAILED[@]}" = 0 ] || die "bench: boots ${FAILED[*]} reported errors (see results.md, \"Errors\")"
	say "bench: $RESULTS/results.md, $RESULTS/bench.png; done in $(elapsed)s"
}

main "$@"
