#!/usr/bin/env bash
# Stage "apply": put branch "series" of the kernel tree at base + patches/.
# The cover letter's subject and text become the branch description, from
# which scripts/regen-series.sh writes it back.
# Refuses to throw away work: commits or edits in the tree that patches/
# does not have stop it (run "make regen" first, or FORCE=1 to discard).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

STAMP=$OUT/src/applied

# Hash of what patches/ says the branch must be.
patches_hash() {
	local f
	for f in "$REPO/patches/series" $(series_patches) "$REPO/patches/0000-cover-letter.patch"; do
		[ ! -f "$f" ] || cat "$f"
	done | sha256sum | cut -d' ' -f1
}

# The cover letter's subject (without "[PATCH 0/N]") and its text, up to
# the shortlog git writes after it.
cover_description() {
	local cover=$REPO/patches/0000-cover-letter.patch
	[ -f "$cover" ] || return 0
	awk '
	hdr && /^Subject: / { sub(/^Subject: (\[[^]]*\] )?/, ""); subj = $0; insub = 1; next }
	hdr && insub && /^[ \t]/ { sub(/^[ \t]+/, " "); subj = subj $0; next }
	hdr && /^$/ { hdr = 0; print subj; print ""; next }
	hdr { insub = 0; next }
	/^[^ ].* \([0-9]+\):$/ { exit }
	{ body[++n] = $0 }
	END { while (n > 0 && body[n] == "") n--; for (i = 1; i <= n; i++) print body[i] }
	BEGIN { hdr = 1 }' "$cover"
}

tree_is_ours() {
	local head
	head=$(kgit rev-parse HEAD)
	[ -z "$(kgit status --porcelain --untracked-files=no)" ] || return 1
	[ -f "$STAMP" ] && [ "$(sed -n 2p "$STAMP")" = "$head" ] && return 0
	[ "$head" = "$(kgit rev-parse 'base^{commit}')" ]
}

apply_all() {
	local p n=0
	kgit checkout -q -f -B "$BRANCH" base
	kgit config "branch.$BRANCH.description" "$(cover_description)"
	while read -r p; do
		[ -n "$p" ] || continue
		n=$((n + 1))
		if ! kgit am -q --committer-date-is-author-date "$p" >"$LOGS/apply.log" 2>&1; then
			kgit am --abort >/dev/null 2>&1 || true
			kgit checkout -q -f -B "$BRANCH" base
			printf 'failed\n%s\n' "$(kgit rev-parse HEAD)" >"$STAMP"
			cat "$LOGS/apply.log" >&2
			die "apply: $(basename "$p") does not apply to $(kgit log -1 --format='%h %s' HEAD)"
		fi
	done < <(series_patches)
	say "apply: $n patches on base $(kgit rev-parse --short=12 "base^{commit}")"
}

write_stamp() {
	printf '%s\n%s\n' "$(patches_hash)" "$(kgit rev-parse HEAD)" >"$STAMP"
}

main() {
	local want
	mkdir -p "$LOGS"
	if [ "${1:-}" = --stamp ]; then
		write_stamp
		return 0
	fi
	base_commit >/dev/null || die "apply: no base tree (run scripts/fetch-base.sh)"
	want=$(patches_hash)
	if [ -f "$STAMP" ] && [ "$(sed -n 1p "$STAMP")" = "$want" ] &&
		[ "$(sed -n 2p "$STAMP")" = "$(kgit rev-parse HEAD)" ] &&
		[ -z "$(kgit status --porcelain --untracked-files=no)" ]; then
		say "apply: tree already at patches/ ($(series_patches | wc -l) patches)"
		return 0
	fi
	if [ "${FORCE:-0}" != 1 ] && ! tree_is_ours; then
		die "apply: $SRC has commits or edits that patches/ lacks; run 'make regen' to keep them or FORCE=1 to discard them"
	fi
	apply_all
	write_stamp
}

main "$@"
