#!/usr/bin/env bash
# Stage "fetch": install the pinned linux-source package, verify it, unpack
# it and record it as one deterministic git commit tagged "base".
set -euo pipefail
. "$(dirname "$0")/lib.sh"

installed_version() {
	dpkg-query -W -f '${Version}' "$BASE_PACKAGE" 2>/dev/null || true
}

install_pinned_package() {
	[ "$(installed_version)" = "$BASE_VERSION" ] && return 0
	say "fetch: installing $BASE_PACKAGE=$BASE_VERSION"
	if ! apt-cache show "$BASE_PACKAGE=$BASE_VERSION" >/dev/null 2>&1; then
		apt-get update -qq >/dev/null 2>&1 || true
	fi
	if ! apt-cache show "$BASE_PACKAGE=$BASE_VERSION" >/dev/null 2>&1; then
		die "the archive no longer serves $BASE_PACKAGE $BASE_VERSION; it serves: $(apt-cache madison "$BASE_PACKAGE" | awk '{print $3}' | paste -sd' ')"
	fi
	local sha
	sha=$(apt-cache show "$BASE_PACKAGE=$BASE_VERSION" | awk '/^SHA256:/ {print $2; exit}')
	[ "$sha" = "$BASE_DEB_SHA256" ] ||
		die "$BASE_PACKAGE $BASE_VERSION: archive SHA-256 $sha, BASE pins $BASE_DEB_SHA256"
	run_logged fetch "$LOGS/fetch-apt.log" \
		env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		--allow-downgrades "$BASE_PACKAGE=$BASE_VERSION"
}

verify_tarball() {
	local sha
	sha=$(sha256sum "$BASE_TARBALL" | cut -d' ' -f1)
	[ "$sha" = "$BASE_TARBALL_SHA256" ] ||
		die "$BASE_TARBALL: SHA-256 $sha, BASE pins $BASE_TARBALL_SHA256"
}

# The tree is current when its base tag is the pinned commit.
tree_is_current() {
	[ -d "$SRC/.git" ] && [ "$(base_commit)" = "$BASE_COMMIT" ]
}

# Debian's tarball ends its .gitignore with a packaging rule that ignores
# everything at the top level but debian/; in a git tree of the source it
# would keep every new file of the series out of "git add".  Drop exactly
# that block (BASE says so) and make sure a new file is addable.
drop_debian_ignore() {
	sed -i '/^# Debian packaging: ignore everything at the top level/,/^!\/debian\/$/d' "$SRC/.gitignore"
	! git -C "$SRC" check-ignore -q fs/new-file.c ||
		die "fetch: new files under fs/ are still ignored by $SRC/.gitignore"
}

unpack_and_commit() {
	say "fetch: unpacking $(basename "$BASE_TARBALL") into $SRC"
	rm -rf "$SRC"
	mkdir -p "$SRC"
	tar -C "$SRC" --strip-components=1 -xf "$BASE_TARBALL"
	kgit init -q -b "$BRANCH"
	drop_debian_ignore
	say "fetch: recording the base commit"
	# -f: the tarball is the source of truth, the kernel's .gitignore is not.
	kgit add -A -f .
	GIT_AUTHOR_DATE="$BASE_COMMIT_DATE" GIT_COMMITTER_DATE="$BASE_COMMIT_DATE" \
		kgit commit -q -m "Debian $BASE_PACKAGE $BASE_VERSION ($BASE_UPSTREAM_TAG)" \
		-m "Unpacked from $(basename "$BASE_TARBALL"), sha256 $BASE_TARBALL_SHA256," \
		-m "without the Debian packaging rule of .gitignore that ignores every top-level path."
	GIT_COMMITTER_DATE="$BASE_COMMIT_DATE" kgit tag -a -m "$BASE_TARBALL_SHA256" base
}

main() {
	install_pinned_package
	verify_tarball
	if tree_is_current; then
		say "fetch: base tree up to date ($(base_commit | cut -c1-12))"
	else
		unpack_and_commit
	fi
	local id
	id=$(kgit rev-parse 'base^{commit}')
	[ -z "${BASE_COMMIT:-}" ] || [ "$id" = "$BASE_COMMIT" ] ||
		die "base commit is $id, BASE pins $BASE_COMMIT (non-deterministic unpack?)"
	say "fetch: base commit $id"
}

main "$@"
