#!/usr/bin/env bash
# "make check": every stage from a fresh machine to a verdict.
# Ends with the line "N passed, N failed, N skipped" counted from the TAP
# of every test that ran; exits non-zero on any failure, naming the stage.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# GUPL_FLAVOUR=kasan runs the same checks on the KASAN kernel (README).
flavour=${GUPL_FLAVOUR:-test}

main() {
	stage deps "$REPO/scripts/deps.sh"
	stage fetch "$REPO/scripts/fetch-base.sh"
	stage apply "$REPO/scripts/apply-series.sh"
	stage stored "$REPO/scripts/check-stored.sh"
	stage patches "$REPO/scripts/check-patches.sh"
	stage build "$REPO/scripts/build-kernel.sh" "$flavour"
	stage tests "$REPO/scripts/build-tests.sh" "$SRC" "$BUILD_ROOT/$flavour"
	say "== boot"
	local runs
	runs=$(boot check) || die "boot failed"
	if tree_has_series "$SRC"; then
		say "== persist (two boots: RDMA WRITE, power off, read back)"
		runs+=" $(boot persist-write)" || die "persist-write boot failed"
		runs+=" $(GUPL_PREV_RUN=${runs##* } boot persist-read)" || die "persist-read boot failed"
	fi
	if tree_has_series "$SRC"; then
		say "== soak (${GUPL_SOAK_SECONDS:-60} s; make soak runs it for 10 min)"
		runs+=" $(boot soak)" || die "soak boot failed"
	fi
	say "== pair (two guests: RDMA between them, kill -9 of either end, power cut)"
	runs+=" $(GUPL_PAIR_BUILT=1 GUPL_PAIR_RUNS=1 GUPL_PAIR_KERNEL="$BUILD_ROOT/$flavour" \
		"$REPO/scripts/pair.sh" | tee /dev/stderr | tail -n 1)" || die "pair boots failed"
	say "== report ($runs)"
	# shellcheck disable=SC2086
	"$REPO/scripts/report.sh" $runs || die "check failed; logs in $runs"
	say "check: done in $(elapsed)s"
}

# boot JOB: run a guest job; print its run directory.
boot() {
	"$REPO/scripts/run-guest.sh" "$1" "$BUILD_ROOT/$flavour" | tee /dev/stderr | tail -n 1
}

main "$@"
