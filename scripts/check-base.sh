#!/usr/bin/env bash
# "make check-base": the negative control.  The same guest programs and
# selftests on the base kernel, without the series: ibv_reg_mr and the
# gup_test pins of fsdax files must be refused (EOPNOTSUPP / no such mode),
# every fsdax selftest must skip saying so, and nothing may crash; the two
# guests of make pair see every registration refused and truncate work.  The
# base kernel is built once, in the benchmark configuration, for this and
# for make bench.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

main() {
	local run
	stage deps "$REPO/scripts/deps.sh"
	stage fetch "$REPO/scripts/fetch-base.sh"
	stage apply "$REPO/scripts/apply-series.sh"
	stage base-tree base_tree
	stage base-build "$REPO/scripts/build-kernel.sh" bench "$BASE_SRC" "$BUILD_ROOT/base-bench"
	stage tests "$REPO/scripts/build-tests.sh" "$SRC" "$BUILD_ROOT/base-bench"
	say "== boot: the base kernel"
	run=$(GUPL_EXPECT=base "$REPO/scripts/run-guest.sh" check "$BUILD_ROOT/base-bench" |
		tee /dev/stderr | tail -n 1) || die "boot failed"
	say "== pair: two guests on the base kernel"
	run+=" $(GUPL_EXPECT=base GUPL_PAIR_BUILT=1 GUPL_PAIR_RUNS=1 \
		GUPL_PAIR_KERNEL="$BUILD_ROOT/base-bench" "$REPO/scripts/pair.sh" |
		tee /dev/stderr | tail -n 1)" || die "pair boots failed"
	say "== report ($run)"
	# shellcheck disable=SC2086
	"$REPO/scripts/report.sh" $run || die "check-base failed; logs in $run"
	say "check-base: done in $(elapsed)s"
}

main "$@"
