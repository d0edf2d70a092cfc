# shellcheck shell=bash
# Common helpers for the harness scripts.  Sourced, never run.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${OUT:-$REPO/out}
SRC=$OUT/src/linux
BASE_SRC=$OUT/src/base	# a work tree of $SRC at the base: the kernel without the series
BUILD_ROOT=$OUT/build
LOGS=$OUT/logs
BRANCH=series

# shellcheck source=../BASE
. "$REPO/BASE"

# Deterministic git: no user or system configuration leaks into the
# commits we make or the patches we write.
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME="$BASE_COMMIT_NAME" GIT_AUTHOR_EMAIL="$BASE_COMMIT_EMAIL"
export GIT_COMMITTER_NAME="$BASE_COMMIT_NAME" GIT_COMMITTER_EMAIL="$BASE_COMMIT_EMAIL"

# No stage dies silently: an unexpected failure names its script and line.
trap 'echo "ERROR: $(basename "$0"): line $LINENO: \"$BASH_COMMAND\" failed" >&2' ERR

_t0=${_t0:-$(date +%s)}
export _t0

elapsed() { echo $(($(date +%s) - _t0)); }

# Progress line: "[  42s] stage: message"
say() { printf '[%5ss] %s\n' "$(elapsed)" "$*"; }

die() { printf '[%5ss] ERROR: %s\n' "$(elapsed)" "$*" >&2; exit 1; }

# stage NAME CMD...: announce a stage of a front-door script and run it;
# die naming the stage if it fails.
stage() {
	local name=$1
	shift
	say "== $name"
	"$@" || die "$name failed"
}

# run_logged STAGE LOGFILE CMD...: run CMD with its output in LOGFILE,
# saying every minute what it is doing; on failure name the stage and show
# the tail of the log.
run_logged() {
	local stage=$1 log=$2 pid rc=0
	shift 2
	mkdir -p "$(dirname "$log")"
	"$@" >"$log" 2>&1 &
	pid=$!
	while ! wait_or_tick "$pid" 60; do
		say "$stage: still running: $(tail -n 1 "$log" | sed 's/^ *//' | cut -c1-80)"
	done
	wait "$pid" || rc=$?
	if [ "$rc" != 0 ]; then
		tail -n 30 "$log" >&2
		die "$stage failed; full log: $log"
	fi
}

# wait_or_tick PID SECONDS: true once PID has ended, false after SECONDS.
wait_or_tick() {
	local i
	for ((i = 0; i < $2; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 1
	done
	! kill -0 "$1" 2>/dev/null
}

# git in the kernel work tree.
kgit() { git -C "$SRC" "$@"; }

base_commit() { kgit rev-parse --verify -q 'refs/tags/base^{commit}'; }

# base_tree: make $BASE_SRC, the base kernel, for A/B comparisons.
base_tree() {
	base_commit >/dev/null || die "no base tree in $SRC (make apply)"
	kgit worktree prune
	[ -d "$BASE_SRC" ] || kgit worktree add -q --detach "$BASE_SRC" base
	git -C "$BASE_SRC" checkout -q --detach base
}

# series_patches: the patch files named by patches/series, in order.
series_patches() {
	local p
	[ -f "$REPO/patches/series" ] || return 0
	while read -r p; do
		case "$p" in "" | \#*) continue ;; esac
		echo "$REPO/patches/$p"
	done <"$REPO/patches/series"
}

# Does the tree at $1 have the RDMA side of the series?  Decided from the
# source, never from how the kernel behaves, so that a test comparing the
# two can fail.
tree_has_series() {
	grep -q 'gup_longterm' "$1/drivers/infiniband/core/umem.c" 2>/dev/null
}
