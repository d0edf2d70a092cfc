#!/usr/bin/env bash
# Stage "report": judge finished check runs (one per guest boot).
#   report.sh RUN_DIR...
# Counts the TAP of every group, fails on any kernel splat in the console
# log (even when every test passed) and on unbalanced FOLL_PIN counters
# (a run whose power was cut on purpose is judged by its console alone),
# and ends with the plain line "N passed, N failed, N skipped".
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -gt 0 ] || die "usage: report.sh RUN_DIR..."

# Kernel reports that fail a run whatever the tests said.
SPLATS='BUG:|WARNING:|Oops|Kernel panic|kernel BUG at|general protection fault|KASAN:|UBSAN:|possible circular locking|INFO: task .* blocked for more than|soft lockup|hard LOCKUP|rcu: INFO|Call Trace:'

# count_tap FILE...: "pass fail skip" over leaf results.  A program run by
# run_kselftest.sh reports its own tests as "# ok"/"# not ok" lines; those
# are counted, and its summary line only when it had none (or when it
# failed although its tests did not: a crash after the last test).
count_tap() {
	awk '
	function leaf(line, skip) {
		skip = (line ~ /# *[Ss][Kk][Ii][Pp]/)
		if (skip) s++; else if (line ~ /not ok/) f++; else p++
	}
	/^(# )+(not )?ok / { np++; nf += ($0 ~ /not ok/ && $0 !~ /# *[Ss][Kk][Ii][Pp]/);
			     sub(/^(# )+/, ""); leaf($0); next }
	/^(not )?ok / {
		if (np == 0) { leaf($0) }
		else if ($0 ~ /^not ok/ && nf == 0 && $0 !~ /# *[Ss][Kk][Ii][Pp]/) { f++ }
		np = 0; nf = 0
	}
	END { printf "%d %d %d\n", p, f, s }' "$@"
}

list_failures() {
	grep -HE '^(# )*not ok ' "$@" | grep -viE '# *skip' | sed 's/^/  FAIL /' || true
}

scan_splats() {
	local console=$run/console.log
	if grep -qE "$SPLATS" "$console"; then
		echo "  kernel reports in $console:"
		grep -nE "$SPLATS" "$console" | head -n 10 | sed 's/^/    /'
		return 1
	fi
}

pins_balanced() {
	local after=$run/guest/vmstat-after acq rel
	[ -f "$after" ] || { echo "  no pin counters ($after)"; return 1; }
	acq=$(awk '$1 == "nr_foll_pin_acquired" {print $2}' "$after")
	rel=$(awk '$1 == "nr_foll_pin_released" {print $2}' "$after")
	[ "$acq" = "$rel" ] || { echo "  pins leaked: nr_foll_pin_acquired $acq, nr_foll_pin_released $rel"; return 1; }
	echo "  pins balanced: $acq acquired, $rel released"
}

main() {
	local taps=() pass=0 fail=0 skip=0 status bad=0
	shopt -s nullglob
	for run in "$@"; do
		# A guest whose power the host cut (scripts/pair.sh) has no
		# verdict and no counters: its console is all there is.
		if [ -f "$run/power-cut" ]; then
			scan_splats || { echo "  the kernel reported a problem before the power cut"; bad=1; }
			taps+=("$run"/guest/tap/*.tap)
			continue
		fi
		status=$(sed -n 's/^status=//p' "$run/guest/result" 2>/dev/null)
		[ "$status" = 0 ] || { echo "  guest job exited with status ${status:-none}; see $run/guest/job.log"; bad=1; }
		scan_splats || { echo "  the kernel reported a problem: the run fails even if the tests passed"; bad=1; }
		pins_balanced || bad=1
		taps+=("$run"/guest/tap/*.tap)
	done
	if [ "${#taps[@]}" -gt 0 ]; then
		read -r pass fail skip < <(count_tap "${taps[@]}")
		list_failures "${taps[@]}"
	fi
	[ "$((pass + fail + skip))" -gt 0 ] || { echo "  no test ran"; bad=1; }
	echo "$pass passed, $fail failed, $skip skipped"
	[ "$fail" = 0 ] && [ "$bad" = 0 ]
}

main "$@"
