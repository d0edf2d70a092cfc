#!/usr/bin/env bash
# "make soak": the soak of scripts/guest/job-soak.sh at full length
# (GUPL_SOAK_SECONDS, default 600) on the debug kernel: pinners through
# gup_test and verbs, some forking and some killed -9, against changers
# and an administrator on two files per fsdax filesystem.  make check runs
# the same job for 60 s.  Ends with "N passed, N failed, N skipped".
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavour=${GUPL_FLAVOUR:-test}

main() {
	local run
	stage deps "$REPO/scripts/deps.sh"
	stage fetch "$REPO/scripts/fetch-base.sh"
	stage apply "$REPO/scripts/apply-series.sh"
	stage build "$REPO/scripts/build-kernel.sh" "$flavour"
	stage tests "$REPO/scripts/build-tests.sh" "$SRC" "$BUILD_ROOT/$flavour"
	say "== soak (${GUPL_SOAK_SECONDS:-600} s)"
	run=$(GUPL_SOAK_SECONDS=${GUPL_SOAK_SECONDS:-600} \
		"$REPO/scripts/run-guest.sh" soak "$BUILD_ROOT/$flavour" |
		tee /dev/stderr | tail -n 1) || die "soak boot failed"
	say "== report ($run)"
	"$REPO/scripts/report.sh" "$run" || die "soak failed; logs in $run"
	sed -n 's/^# /  /p' "$run/guest/tap/soak.tap"
	say "soak: done in $(elapsed)s"
}

main "$@"
