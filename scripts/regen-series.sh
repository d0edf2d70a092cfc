#!/usr/bin/env bash
# Stage "regen": write the series of branch "series" as format-patch output.
#   regen-series.sh [DIR]   (default: patches/ of this repository)
# The output depends only on the commits' authors, dates, messages and
# trees: no commit ids (--zero-commit), the cover letter signed and dated
# as the last patch, no git version.  scripts/check-stored.sh relies on it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

dst=${1:-$REPO/patches}

format_series() {
	local tmp=$1 n
	n=$(kgit rev-list --count "base..$BRANCH")
	[ "$n" -gt 0 ] || return 0
	GIT_COMMITTER_NAME=$(kgit log -1 --format=%an "$BRANCH") \
	GIT_COMMITTER_EMAIL=$(kgit log -1 --format=%ae "$BRANCH") \
	GIT_COMMITTER_DATE=$(kgit log -1 --format=%aD "$BRANCH") \
	kgit -c core.abbrev=12 -c diff.renames=true -c format.thread=false \
		format-patch -q --zero-commit --no-signature --no-numbered-files --cover-letter \
		--cover-from-description=subject --base=base -o "$tmp" "base..$BRANCH"
	(cd "$tmp" && ls 0*.patch | grep -v '^0000-cover-letter.patch$') >"$tmp/series"
}

main() {
	# global: the EXIT trap runs after main has returned
	base_commit >/dev/null || die "regen: no base tree"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	: >"$tmp/series"
	format_series "$tmp"
	mkdir -p "$dst"
	rm -f "$dst"/*.patch "$dst/series"
	cp "$tmp"/* "$dst"/
	say "regen: $(wc -l <"$dst/series") patches written to $dst"
	# Written from the tree: the tree is what patches/ now says.
	[ "$dst" != "$REPO/patches" ] || "$REPO/scripts/apply-series.sh" --stamp
}

main "$@"
