#!/usr/bin/env bash
# "make check-series": is the series fit to be read, applied, built and
# bisected?  On the pinned base, one line per check:
#   - the stored patches apply and regenerate identically (check-stored.sh);
#   - checkpatch --strict and kernel-doc (check-patches.sh);
#   - every patch, applied in turn, builds and links (incrementally);
#   - W=1 and sparse (C=2) on every object the series touches, with no
#     warning the base did not already have;
#   - the configuration variants in configs/variants/ build.
# Long: see README.md for how long.  make check runs the cheap part.
# Environment, to re-check part of it: GUPL_CHECK_PARTS, a subset of
# "text bisect warnings variants" (default all); GUPL_CHECK_FROM=N, build
# patches N.. only; GUPL_CHECK_BRANCH, a branch of out/src/linux to check
# instead of "series" (make check-harness checks a broken one).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

WT=$OUT/src/check-series	# a detached work tree of $SRC
BLD=$BUILD_ROOT/check-series
RESULTS=$OUT/check-series
SERIES=${GUPL_CHECK_BRANCH:-$BRANCH}
PARTS=${GUPL_CHECK_PARTS:-text bisect warnings variants}
FROM=${GUPL_CHECK_FROM:-1}
failed=0

line() { say "check-series: $*"; }
fail() { line "FAIL $*"; failed=1; }

# A work tree of our own, so $SRC and its build stay as they are.
worktree() {
	if [ ! -d "$WT" ]; then
		kgit worktree add -q --detach "$WT" base
	fi
	git -C "$WT" checkout -q --detach "$1"
}

build_at() {
	"$REPO/scripts/build-kernel.sh" test "$WT" "$BLD" >"$RESULTS/build.log" 2>&1
}

# Objects the series' C files compile to in this configuration.
touched_objects() {
	local f
	kgit diff --name-only --diff-filter=AM base "$SERIES" -- '*.c' |
		while read -r f; do
			case "$f" in tools/*) continue ;; esac
			[ -f "$BLD/${f%.c}.o" ] && echo "${f%.c}.o"
		done
}

# extra_warnings OBJECTS...: W=1 and sparse on the objects, at the current
# commit of the work tree; warnings with line numbers dropped.
extra_warnings() {
	make -C "$WT" O="$BLD" ARCH=x86_64 CC="ccache gcc" W=1 C=2 CHECK=sparse \
		"$@" 2>&1 | { grep -E 'warning:|error:' || true; } |
		sed -E "s|^$WT/||;s|:[0-9]+:[0-9]+:|:|;s|:[0-9]+:|:|" | sort -u
}

# show LOG: the findings of a failed check, indented, at most 20 lines.
show() { grep -vE '^\[ *[0-9]+s\]' "$1" | head -n 20 | sed 's/^/    /'; }

check_text() {
	if "$REPO/scripts/check-stored.sh" >"$RESULTS/stored.log" 2>&1; then
		line "ok   stored patches apply and regenerate identically"
	else
		fail "stored patches: see $RESULTS/stored.log"
		show "$RESULTS/stored.log"
	fi
	if "$REPO/scripts/check-patches.sh" >"$RESULTS/patches.log" 2>&1; then
		line "ok   checkpatch --strict and kernel-doc"
	else
		fail "checkpatch or kernel-doc: see $RESULTS/patches.log"
		show "$RESULTS/patches.log"
	fi
}

check_bisect() {
	local commits c i=0 n t
	mapfile -t commits < <(kgit rev-list --reverse "base..$SERIES")
	n=${#commits[@]}
	for c in "${commits[@]}"; do
		i=$((i + 1))
		[ "$i" -ge "$FROM" ] || continue
		t=$(date +%s)
		worktree "$c"
		if build_at; then
			line "ok   patch $i/$n builds ($(($(date +%s) - t))s): $(kgit log -1 --format=%s "$c")"
		else
			cat "$RESULTS/build.log" "$LOGS/build-$(basename "$BLD").log" \
				>"$RESULTS/build-patch-$i.log" 2>/dev/null || true
			fail "patch $i/$n does not build: $(kgit log -1 --format=%s "$c"); log: $RESULTS/build-patch-$i.log"
			grep -E ' error: ' "$RESULTS/build-patch-$i.log" | sed "s|$WT/||" |
				head -n 5 | sed 's/^/    /' || true
			return
		fi
	done
}

check_warnings() {
	local objs new
	worktree "$SERIES"
	build_at || { fail "the series does not build"; return; }
	mapfile -t objs < <(touched_objects)
	extra_warnings "${objs[@]}" >"$RESULTS/warnings-series.txt"
	worktree base
	# Objects new in the series do not exist at base: nothing to compare.
	# shellcheck disable=SC2046
	extra_warnings $(for o in "${objs[@]}"; do
		[ -f "$WT/${o%.o}.c" ] && echo "$o"; done) >"$RESULTS/warnings-base.txt" || true
	worktree "$SERIES"
	new=$(comm -13 "$RESULTS/warnings-base.txt" "$RESULTS/warnings-series.txt")
	if [ -n "$new" ]; then
		fail "W=1 / sparse warnings the series adds on ${#objs[@]} objects:"
		echo "$new" | sed 's/^/    /'
	else
		line "ok   W=1 and sparse on the ${#objs[@]} objects the series touches: nothing new"
	fi
}

check_variants() {
	local v name t
	worktree "$SERIES"
	for v in "$REPO"/configs/variants/*.config; do
		name=$(basename "$v" .config)
		t=$(date +%s)
		if "$REPO/scripts/build-kernel.sh" "variant-$name" "$WT" "$BUILD_ROOT/variant-$name" \
			>"$RESULTS/variant-$name.log" 2>&1; then
			line "ok   variant $name builds ($(($(date +%s) - t))s): $(grep -v '^#' "$v" | paste -sd' ')"
		else
			fail "variant $name does not build; log: $RESULTS/variant-$name.log"
		fi
	done
}

main() {
	mkdir -p "$RESULTS"
	command -v sparse >/dev/null || die "check-series: sparse is not installed (make deps)"
	"$REPO/scripts/fetch-base.sh"
	"$REPO/scripts/apply-series.sh"
	local part
	for part in $PARTS; do
		case "$part" in
		text | bisect | warnings | variants) "check_$part" ;;
		*) die "check-series: unknown part '$part'" ;;
		esac
	done
	[ "$failed" = 0 ] || die "check-series: some checks failed (lines above)"
	line "all checks passed in $(elapsed)s"
}

main "$@"
