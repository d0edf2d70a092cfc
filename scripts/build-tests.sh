#!/usr/bin/env bash
# Stage "tests": build on the host everything the guest runs.
#   build-tests.sh [SOURCE_DIR [BUILD_DIR]]
# Writes $OUT/tests: the harness's own programs, and under kselftest/ the
# selftests of the series (tools/testing/selftests/gup_longterm, plus the
# programs of any other selftest directory the series touches).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# Absolute: make -C runs the selftests' build from another directory.
src=$(realpath -m "${1:-$SRC}")
bld=$(realpath -m "${2:-$BUILD_ROOT/test}")
dst=$OUT/tests

harness_programs() {
	local prog
	for prog in env_test mr_hold map_hold swapon_test bench_reg bench_swap bench_frag soak_pin; do
		gcc -Wall -Werror -O2 -I"$src/tools/testing/selftests" -isystem "$bld/usr/include" \
			-o "$dst/$prog" "$REPO/tests/$prog.c" -libverbs
	done
	# librpma's two ends (Debian's librpma 1.2 and libpmem2).
	for prog in rpma_server rpma_client; do
		gcc -Wall -Werror -O2 -isystem "$bld/usr/include" \
			-o "$dst/$prog" "$REPO/tests/$prog.c" -lrpma -lpmem2 -libverbs
	done
}

# Selftest programs the series adds or changes, as run_kselftest.sh
# arguments: the whole gup_longterm collection, single programs elsewhere.
kselftest_args() {
	local f dir prog
	[ -d "$src/tools/testing/selftests/gup_longterm" ] && echo "-c gup_longterm"
	base_commit >/dev/null || return 0
	git -C "$src" diff --name-only base HEAD -- tools/testing/selftests |
		while read -r f; do
			dir=${f#tools/testing/selftests/} prog=${dir#*/} dir=${dir%%/*}
			case "$dir:$prog" in
			gup_longterm:* | *:*/*) ;;
			*:*.c) echo "-t $dir:${prog%.c}" ;;
			esac
		done | sort -u
}

kselftests() {
	local args targets
	args=$(kselftest_args | paste -sd' ')
	echo "$args" >"$dst/kselftest.args"
	[ -n "$args" ] || { say "tests: the series has no selftests yet"; return 0; }
	targets=$(echo "$args" | grep -oE '(-c |-t )[a-z_0-9-]+' | sed -E 's/^-. //' | sort -u | paste -sd' ')
	say "tests: building selftests ($targets)"
	run_logged tests "$LOGS/selftests.log" make -C "$src/tools/testing/selftests" \
		TARGETS="$targets" KHDR_INCLUDES="-isystem $bld/usr/include" \
		O="$dst/kselftest-build" INSTALL_PATH="$dst/kselftest" install
}

main() {
	[ -d "$bld/usr/include" ] || die "tests: no kernel headers in $bld (build the kernel first)"
	rm -rf "$dst"
	mkdir -p "$dst"
	say "tests: building the harness's guest programs"
	harness_programs
	kselftests
}

main "$@"
