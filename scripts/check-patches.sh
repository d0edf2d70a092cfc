#!/usr/bin/env bash
# Check "patches": checkpatch --strict on every stored patch, and
# kernel-doc on every file the series touches, failing on any warning the
# base did not already have.
# Ignored, everywhere: FILE_PATH_CHANGES (checkpatch asks about MAINTAINERS
# for every new file; the series has one MAINTAINERS entry).  Ignored in
# patches that only touch fs/xfs: OPEN_ENDED_LINE, because XFS style puts
# each parameter of a function definition on a line of its own.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# Debian's python3 modules (ply, git) for scripts/spdxcheck.py.
export PATH=/usr/bin:$PATH

checkpatch_one() {
	local patch=$1 ignore=FILE_PATH_CHANGES
	if ! grep '^diff --git' "$patch" | grep -qv ' a/fs/xfs/'; then
		ignore=$ignore,OPEN_ENDED_LINE
	fi
	(cd "$SRC" && perl scripts/checkpatch.pl --strict --terse --show-types \
		--ignore "$ignore" "$patch")
}

check_patches() {
	local p out bad=0
	while read -r p; do
		out=$(checkpatch_one "$p" 2>&1 | grep -E ': (ERROR|WARNING|CHECK):' || true)
		if [ -n "$out" ]; then
			echo "  $(basename "$p"):"
			echo "$out" | sed 's/^/    /'
			bad=1
		fi
	done < <(series_patches)
	return "$bad"
}

# kernel-doc warnings of FILE in the tree, and at base.
kdoc() { (cd "$SRC" && scripts/kernel-doc -none -Wall "$1" 2>&1 | sed "s|^$SRC/||;s|:[0-9]*:|:|") || true; }
kdoc_base() {
	local tmp=$1 f=$2
	mkdir -p "$tmp/$(dirname "$f")"
	kgit show "base:$f" >"$tmp/$f" 2>/dev/null || return 0
	(cd "$tmp" && "$SRC/scripts/kernel-doc" -none -Wall "$f" 2>&1 | sed "s|:[0-9]*:|:|") || true
}

check_kernel_doc() {
	local f tmp new bad=0
	tmp=$(mktemp -d)
	while read -r f; do
		case "$f" in *.c | *.h) ;; *) continue ;; esac
		new=$(comm -13 <(kdoc_base "$tmp" "$f" | sort -u) <(kdoc "$f" | sort -u))
		if [ -n "$new" ]; then
			echo "  kernel-doc $f:"
			echo "$new" | sed 's/^/    /'
			bad=1
		fi
	done < <(kgit diff --name-only --diff-filter=AM base HEAD)
	rm -rf "$tmp"
	return "$bad"
}

main() {
	local n bad=0
	n=$(series_patches | wc -l)
	check_patches || bad=1
	check_kernel_doc || bad=1
	[ "$bad" = 0 ] || die "patches: checkpatch or kernel-doc reported the lines above"
	say "patches: $n patches checkpatch --strict clean, kernel-doc clean on the files they touch"
}

main "$@"
