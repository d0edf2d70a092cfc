#!/usr/bin/env bash
# "make check-harness": prove that the harness fails a run for each fault
# it claims to catch, with a message that names the fault.  Needs a built
# test kernel and tests (make check once).  Each guest case is one boot;
# the broken patch and the checkpatch error run against a scratch copy of
# this repository, the build break against a branch of out/src/linux.
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

# scratch_repo DIR: this repository as it is now, committed or not.
scratch_repo() { rsync -a --exclude /out "$REPO/" "$1/"; }

# A copy of this repository whose first patch no longer applies, using the
# real kernel tree through a shared clone.
broken_patch() {
	local scratch
	scratch=$(mktemp -d)
	scratch_repo "$scratch/repo"
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

# amend_patch TREE N LINE: in the kernel tree TREE, append LINE to mm/gup.c
# in the N-th patch of branch "series" (rebased on).
amend_patch() {
	local script
	script=$(mktemp)
	printf '%s\n' "$3" >"$script.line"
	printf 'cat %q >>mm/gup.c && git commit -qa --amend --no-edit\n' "$script.line" >"$script"
	GIT_SEQUENCE_EDITOR="sed -i '$2a exec sh $script'" git -C "$1" rebase -q -i base
	rm -f "$script" "$script.line"
}

# The middle patch of the series (mm/gup) made not to compile: check-series
# must name it.  Only that patch is built (GUPL_CHECK_FROM), in check-series'
# own work tree and build directory.
series_build_break() {
	local wt mid rc=0
	mid=$((($(kgit rev-list --count base..series) + 1) / 2))
	wt=$(mktemp -d)
	kgit worktree add -q -B harness-break "$wt/linux" series
	amend_patch "$wt/linux" "$mid" 'int harness_break(void) { return }'
	kgit worktree remove --force "$wt/linux"
	rm -rf "$wt"
	GUPL_CHECK_BRANCH=harness-break GUPL_CHECK_PARTS=bisect GUPL_CHECK_FROM=$mid \
		"$REPO/scripts/check-series.sh" || rc=$?
	kgit branch -q -D harness-break
	return "$rc"
}

# A copy of this repository whose middle patch adds a line with trailing
# whitespace (regenerated, so that the stored patches stay consistent):
# check-series' text checks must name checkpatch.
series_checkpatch_error() {
	local scratch mid rc=0
	scratch=$(mktemp -d)
	scratch_repo "$scratch/repo"
	mkdir -p "$scratch/out/src"
	git clone -q --shared "$SRC" "$scratch/out/src/linux"
	OUT=$scratch/out FORCE=1 "$scratch/repo/scripts/apply-series.sh" >/dev/null
	mid=$((($(git -C "$scratch/out/src/linux" rev-list --count base..series) + 1) / 2))
	amend_patch "$scratch/out/src/linux" "$mid" '/* a comment with trailing whitespace */ '
	OUT=$scratch/out "$scratch/repo/scripts/regen-series.sh" >/dev/null
	OUT=$scratch/out GUPL_CHECK_PARTS=text "$scratch/repo/scripts/check-series.sh" || rc=$?
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
	expect_failure series-checkpatch 'FAIL checkpatch' series_checkpatch_error
	expect_failure series-build-break 'FAIL patch [0-9]+/[0-9]+ does not build' series_build_break
	expect_failure noboot 'did not boot to the guest init|kernel panicked' guest noboot
	expect_failure hang 'guest hung' guest hang 240
	expect_failure warn 'the kernel reported a problem' guest_and_report warn
	[ "$failures" = 0 ] || die "harness: $failures fault(s) not caught"
	say "harness: every fault was caught"
}

main "$@"
