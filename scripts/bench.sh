#!/usr/bin/env bash
# "make bench": what a long-term fsdax pin costs, side by side with what
# users do today.  Builds the benchmark configuration (no debugging) of the
# kernel with the series and of the base kernel, boots each once with the
# guest job "bench" (scripts/guest/job-bench.sh), and writes under
# out/bench/ the CSV files, results.md (printed) and bench.png.
# Environment: GUPL_BENCH_REPS (default 10), GUPL_BENCH_PARTS (a subset of
# "reg validation perftest swap"), GUPL_BENCH_NO_BASE=1 to skip the base
# boot (no swap A/B then).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

RESULTS=$OUT/bench

# boot BUILD_DIR EXPECT: the bench job on one kernel; prints its run directory.
boot() {
	GUPL_MEM=12G GUPL_DEVDAX=1 GUPL_EXPECT=$2 GUPL_TIMEOUT=${GUPL_TIMEOUT:-5400} \
		"$REPO/scripts/run-guest.sh" bench "$1" | tee /dev/stderr | tail -n 1
}

main() {
	local runs
	stage deps "$REPO/scripts/deps.sh"
	stage fetch "$REPO/scripts/fetch-base.sh"
	stage apply "$REPO/scripts/apply-series.sh"
	tree_has_series "$SRC" || die "bench: the tree has no series to measure"
	stage build "$REPO/scripts/build-kernel.sh" bench
	stage tests "$REPO/scripts/build-tests.sh" "$SRC" "$BUILD_ROOT/bench"
	say "== boot: the series"
	runs=$(boot "$BUILD_ROOT/bench" series) || die "bench boot (series) failed"
	if [ "${GUPL_BENCH_NO_BASE:-}" != 1 ]; then
		stage base-tree base_tree
		stage base-build "$REPO/scripts/build-kernel.sh" bench "$BASE_SRC" "$BUILD_ROOT/base-bench"
		say "== boot: the base kernel"
		runs+=" $(boot "$BUILD_ROOT/base-bench" base)" || die "bench boot (base) failed"
	fi
	say "== report ($runs)"
	rm -rf "$RESULTS"
	# shellcheck disable=SC2086
	/usr/bin/python3 "$REPO/scripts/bench-report.py" "$RESULTS" $runs ||
		die "bench: no report; logs in $runs"
	say "bench: $RESULTS/results.md, $RESULTS/bench.png; done in $(elapsed)s"
}

main "$@"
