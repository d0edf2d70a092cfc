#!/usr/bin/env bash
# "make check": every stage from a fresh machine to a verdict.
# Ends with the line "N passed, N failed, N skipped" counted from the TAP
# of every test that ran; exits non-zero on any failure, naming the stage.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

stage() {
	local name=$1
	shift
	say "== $name"
	"$@" || die "$name failed"
}

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
	local run
	run=$("$REPO/scripts/run-guest.sh" check "$BUILD_ROOT/$flavour" | tee /dev/stderr | tail -n 1) || die "boot failed"
	say "== report ($run)"
	"$REPO/scripts/report.sh" "$run" || die "check failed; logs in $run"
	say "check: done in $(elapsed)s"
}

main "$@"
