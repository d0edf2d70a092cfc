#!/usr/bin/env bash
# Check "stored": patches/ applies to the base and regenerates to the same
# bytes, so what is reviewed is exactly what is built and tested.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

main() {
	# global: the EXIT trap runs after main has returned
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	"$REPO/scripts/regen-series.sh" "$tmp" >/dev/null
	if ! diff -ru "$REPO/patches" "$tmp" >"$LOGS/stored.diff"; then
		head -n 40 "$LOGS/stored.diff" >&2
		die "stored: patches/ differs from what branch '$BRANCH' regenerates; full diff: $LOGS/stored.diff"
	fi
	say "stored: patches/ equals its regeneration ($(wc -l <"$tmp/series") patches)"
}

main "$@"
