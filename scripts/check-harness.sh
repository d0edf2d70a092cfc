#!/usr/bin/env bash
# "make check-harness": prove that the harness fails a run for each fault
# it claims to catch, with a message that names the fault.  Needs a built
# test kernel and tests (make check once).  Each case is one guest boot,
# except the broken patch, which runs against a scratch copy of patches/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

failures=0

# expect_failure NAME PATTERN CMD...: CMD must fail and print PATTERN.
expect_failure() {
	local name=$1 pattern=$2 log=$LOGS/harness-$1.log
	shift 2
	say "harness: $name"
	if "$@" >"$log" 2>&1; then
		say "  FAIL: succeeded; log: $log"
		failures=$((failures + 1))
	elif ! grep -qE "$pattern" "$log"; then
		say "  FAIL: failed without saying /$pattern/; log: $log"
		failures=$((failures + 1))
	else
		say "  ok: $(grep -m1 -oE "ERROR: .*|$pattern" "$log" | head -n 1)"
	fi
}

# A copy of this repository whose first patch no longer applies, using the
# real kernel tree through a shared clone.
broken_patch() {
	local scratch
	scratch=$(mktemp -d)
	git clone -q "$REPO" "$scratch/repo"
	mkdir -p "$scratch/out/src"
	git clone -q --shared "$SRC" "$scratch/out/src/linux"
	printf '%s\n' 0001-broken.patch >"$scratch/repo/patches/series"
	cat >"$scratch/repo/patches/0001-broken.patch" <<-'PATCH'
	From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
	From: Harness <harness@gup-longterm.invalid>
	Date: Thu, 1 Jan 2026 00:00:00 +0000
	Subject: [PATCH] mm/gup: a patch that does not apply

	---
	 mm/gup.c | 2 +-
	 1 file changed, 1 insertion(+), 1 deletion(-)

	diff --git a/mm/gup.c b/mm/gup.c
	--- a/mm/gup.c
	+++ b/mm/gup.c
	@@ -1,3 +1,3 @@
	-this line is not in mm/gup.c
	+nor is this one
	 // SPDX-License-Identifier: GPL-2.0-only
	PATCH
	local rc=0
	OUT=$scratch/out FORCE=1 "$scratch/repo/scripts/apply-series.sh" || rc=$?
	rm -rf "$scratch"
	return "$rc"
}

guest() { GUPL_INJECT=$1 GUPL_TIMEOUT=${2:-2400} "$REPO/scripts/run-guest.sh" check; }

# The splat scan belongs to the report: boot, then judge.
guest_and_report() {
	local run
	run=$(guest "$1" | tail -n 1)
	"$REPO/scripts/report.sh" "$run"
}

main() {
	expect_failure broken-patch '0001-broken.patch does not apply' broken_patch
	expect_failure noboot 'did not boot to the guest init|kernel panicked' guest noboot
	expect_failure hang 'guest hung' guest hang 240
	expect_failure warn 'the kernel reported a problem' guest_and_report warn
	[ "$failures" = 0 ] || die "harness: $failures fault(s) not caught"
	say "harness: every fault was caught"
}

main "$@"
