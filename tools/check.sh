#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make check`: host unit tests (ctest) then one VM boot running every
# selftest. Ends with one line "N passed, N failed"; skips are listed
# separately and never counted as passed. Exit 1 on any failure.
set -uo pipefail
kver=$1 initrd=$2
top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build
t0=$(date +%s)

echo "== host unit tests"
ctest --test-dir "$build" -j "$(nproc)" --output-junit "$build/unit.xml" \
	--output-on-failure > "$build/unit.log" 2>&1
tail -n 4 "$build/unit.log" | sed '/^$/d'
upass=$(grep -c 'status="run"' "$build/unit.xml" 2>/dev/null || true)
ufail=$(grep -c 'status="fail"' "$build/unit.xml" 2>/dev/null || true)
uskip=$(grep -c 'status="disabled"\|status="notrun"' "$build/unit.xml" 2>/dev/null || true)
if [ "${upass:-0}" -eq 0 ] && [ "${ufail:-0}" -eq 0 ]; then
	echo "check: no unit test ran" >&2
	ufail=1
fi
grep -E '\*\*\*Failed|Not Run' "$build/unit.log" | sed 's/^/  /'

echo "== VM selftests (one boot)"
"$top/tools/vm/run" "$kver" "$initrd" check
tap=$build/vm/results.tap
vpass=$(grep -E '^ok ' "$tap" | grep -vc '# SKIP')
vskip=$(grep -E '^ok .*# SKIP' "$tap" | wc -l)
vfail=$(grep -c '^not ok ' "$tap")
if [ $((vpass + vfail + vskip)) -eq 0 ]; then
	echo "check: no VM test ran" >&2
	vfail=1
fi

# Each failed test's last lines of output, and its reason next to its
# name in the summary: a CI excerpt that keeps only the end of the run
# still shows why a test in the middle of the batch failed.
console=$build/vm/console.log
failed_tail() {
	local crashed=0
	grep -q '^not ok 0 vm-batch' "$tap" && crashed=1
	# From the test's fail_hook output if any (lib.sh prints it just
	# before the FAIL line), else the 24 lines before its FAIL line; at
	# most 60 lines. A batch that did not finish: its last 25 lines.
	tr -d '\r' < "$console" | awk -v crashed=$crashed '
		function show(title,   i, f, h, from, to) {
			print "--- " title
			f = -1; h = -1
			for (i = 0; i < c; i++) {
				if (buf[i] ~ /^# FAIL: /) f = i
				if (buf[i] ~ /^# --- fail_hook:/) h = i
			}
			if (h >= 0 && f > h && f - h <= 45) from = h
			else if (f >= 0) from = (f > 24 ? f - 24 : 0)
			else from = (c > 25 ? c - 25 : 0)
			to = (from + 60 < c ? from + 60 : c)
			for (i = from; i < to; i++) print buf[i]
		}
		/^(not )?ok [0-9]+ / {
			if ($1 == "not") show($0)
			c = 0; next
		}
		{ buf[c++] = $0 }
		END { if (crashed && c > 0) show("the batch did not finish; the console'"'"'s last lines:") }'
}
# reason_of TAP-LINE: the last "# FAIL:" line of that test's output.
reason_of() {
	tr -d '\r' < "$console" | awk -v t="$1" '
		$0 == t { print why; exit }
		/^(not )?ok [0-9]+ / { why = ""; next }
		/^# FAIL: / { why = $0 }'
}
if [ "$vfail" -gt 0 ] && [ -s "$console" ]; then
	echo "== the failed tests' last output"
	failed_tail
fi

echo "== summary (wall $(( $(date +%s) - t0 ))s)"
echo "host unit tests: ${upass:-0} passed, ${ufail:-0} failed"
echo "VM selftests:    $vpass passed, $vfail failed, $vskip skipped"
grep '^not ok ' "$tap" | while IFS= read -r line; do
	line=${line%$'\r'}
	echo "  failed: $line"
	why=
	[ -s "$console" ] && why=$(reason_of "$line")
	[ -z "$why" ] || echo "    $why"
done
grep -E '^ok .*# SKIP' "$tap" | sed 's/^/  skipped (not counted as passed): /'
pass=$(( ${upass:-0} + vpass ))
fail=$(( ${ufail:-0} + vfail ))
[ "$vskip" -gt 0 ] && echo "$vskip skipped"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
