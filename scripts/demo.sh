#!/usr/bin/env bash
# "make": build the kernel of patches/ and show, step by step, what an RDMA
# memory region on an fsdax XFS file does to that file's truncate.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

main() {
	"$REPO/scripts/deps.sh"
	"$REPO/scripts/fetch-base.sh"
	"$REPO/scripts/apply-series.sh"
	"$REPO/scripts/build-kernel.sh" test
	"$REPO/scripts/build-tests.sh"
	local run status
	run=$("$REPO/scripts/run-guest.sh" demo | tee /dev/stderr | tail -n 1) || die "demo: the guest failed"
	status=$(sed -n 's/^status=//p' "$run/guest/result")
	[ "$status" = 0 ] || die "demo: a step did not behave as documented; see $run/guest/job.log"
	say "demo: done in $(elapsed)s; guest log: $run/guest/job.log"
}

main "$@"
