#!/usr/bin/env bash
# Stage "build": configure and build a kernel out of tree with ccache.
#   build-kernel.sh FLAVOUR [SOURCE_DIR [BUILD_DIR]]
# FLAVOUR is "test" (configs/base + debug), "bench" (configs/base + bench),
# "kasan" (test + configs/kasan, for measuring KASAN's cost) or
# "variant-NAME" (test + configs/variants/NAME, for make check-series).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavour=${1:?usage: build-kernel.sh test|bench|kasan|variant-NAME [SOURCE_DIR [BUILD_DIR]]}
# Absolute: make -C resolves a relative O= against the source tree.
src=$(realpath -m "${2:-$SRC}")
bld=$(realpath -m "${3:-$BUILD_ROOT/$flavour}")

fragments() {
	echo "$REPO/configs/base.config"
	case "$flavour" in
	test) echo "$REPO/configs/debug.config" ;;
	kasan) echo "$REPO/configs/debug.config"; echo "$REPO/configs/kasan.config" ;;
	bench) echo "$REPO/configs/bench.config" ;;
	variant-*)
		[ -f "$REPO/configs/variants/${flavour#variant-}.config" ] ||
			die "build: no configs/variants/${flavour#variant-}.config"
		echo "$REPO/configs/debug.config"
		echo "$REPO/configs/variants/${flavour#variant-}.config" ;;
	*) die "build: unknown flavour '$flavour'" ;;
	esac
}

kmake() {
	make -C "$src" O="$bld" ARCH=x86_64 CC="ccache gcc" HOSTCC="ccache gcc" \
		KBUILD_BUILD_TIMESTAMP="$BASE_COMMIT_DATE" KBUILD_BUILD_USER=gupl \
		KBUILD_BUILD_HOST=harness "$@"
}

# What the configuration is made of: the fragments and every Kconfig file.
config_inputs_hash() {
	{
		cat $(fragments)
		git -C "$src" ls-files -z -- '*Kconfig*' | (cd "$src" && xargs -0 cat)
		git -C "$src" diff HEAD -- '*Kconfig*'
	} | sha256sum | cut -d' ' -f1
}

# Build the configuration in a scratch directory and install it only when
# it differs, so an unchanged configuration costs no rebuild; skip all of
# it when nothing it is made of changed.
configure() {
	local scratch=$bld/.config-scratch stamp=$bld/.config-inputs want
	want=$(config_inputs_hash)
	if [ -f "$bld/.config" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
		return 0
	fi
	mkdir -p "$scratch"
	kmake -s O="$scratch" tinyconfig >/dev/null
	# shellcheck disable=SC2046
	"$src/scripts/kconfig/merge_config.sh" -m -O "$scratch" "$scratch/.config" $(fragments) >/dev/null
	kmake -s O="$scratch" olddefconfig >/dev/null
	check_fragments "$scratch/.config"
	if ! cmp -s "$scratch/.config" "$bld/.config"; then
		cp "$scratch/.config" "$bld/.config"
		say "build: configuration changed"
	fi
	echo "$want" >"$stamp"
}

# Every symbol the fragments set must have, in the final configuration,
# the value of the last fragment that sets it.
check_fragments() {
	local config=$1 line sym val bad=0
	declare -A want=()
	while IFS= read -r line; do
		case "$line" in CONFIG_*=*) want[${line%%=*}]=${line#*=} ;; esac
	done < <(cat $(fragments))
	for sym in "${!want[@]}"; do
		val=${want[$sym]}
		if [ "$val" = n ]; then
			grep -q "^$sym=" "$config" || continue
		else
			grep -qx "$sym=$val" "$config" && continue
		fi
		echo "  wanted $sym=$val, got: $(grep -E "^(# )?$sym[= ]" "$config" || echo unset)" >&2
		bad=1
	done
	[ "$bad" = 0 ] || die "build: configuration fragments not satisfied (missing dependency?)"
}

main() {
	command -v ccache >/dev/null || die "build: ccache is not installed (make deps)"
	mkdir -p "$bld"
	say "build: $flavour kernel from $src in $bld"
	configure
	# Logs named after the build directory: flavours share no log.
	local targets=bzImage name
	name=$(basename "$bld")
	say "build: compiling (log: $LOGS/build-$name.log)"
	grep -qx CONFIG_MODULES=y "$bld/.config" && targets="bzImage modules"
	# shellcheck disable=SC2086
	run_logged build "$LOGS/build-$name.log" kmake -j"$(nproc)" $targets
	run_logged build "$LOGS/headers-$name.log" kmake -s headers
	say "build: $bld/arch/x86/boot/bzImage ($(du -h "$bld/arch/x86/boot/bzImage" | cut -f1))"
}

main "$@"
