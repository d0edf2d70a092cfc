#!/usr/bin/env bash
# Stage "regen": write the series of branch "series" as format-patch output.
#   regen-series.sh [DIR]   (default: patches/ of this repository)
# With the fixed committer and dates of lib.sh and BASE, the same branch
# always gives the same bytes; scripts/check-stored.sh relies on that.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

dst=${1:-$REPO/patches}

format_series() {
	local tmp=$1 n
	n=$(kgit rev-list --count "base..$BRANCH")
	[ "$n" -gt 0 ] || return 0
	kgit -c core.abbrev=12 -c diff.renames=true -c format.thread=false \
		format-patch -q --no-signature --no-numbered-files --cover-letter \
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
}

main "$@"
