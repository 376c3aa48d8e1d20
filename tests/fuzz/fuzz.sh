#!/bin/sh
# fuzz.sh: runs one libFuzzer harness for a while on a copy of its corpus.
#
#	fuzz.sh NAME BINARY FUZZDIR WORKDIR SECONDS MAXLEN
#
# FUZZDIR is the source tests/fuzz directory: its corpus/NAME and
# regress/NAME are copied into WORKDIR/corpus, so the committed files
# are never modified.  New inputs stay in WORKDIR/corpus; a crash, leak
# or timeout leaves its input in WORKDIR/artifacts and makes the exit
# status 1.  The log is WORKDIR/log.
set -u

if [ $# -ne 6 ]; then
	echo "usage: $0 NAME BINARY FUZZDIR WORKDIR SECONDS MAXLEN" >&2
	exit 2
fi
name=$1 bin=$2 src=$3 work=$4 secs=$5 maxlen=$6

rm -rf "$work" || exit 1
mkdir -p "$work/corpus" "$work/artifacts" || exit 1
for d in "$src/corpus/$name" "$src/regress/$name"; do
	[ -d "$d" ] || continue
	for f in "$d"/*; do
		[ -f "$f" ] && cp "$f" "$work/corpus/" || :
	done
done

"$bin" -max_total_time="$secs" -max_len="$maxlen" -timeout=25 \
    -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "$work/corpus" >"$work/log" 2>&1
rc=$?

runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log")
ncorp=$(ls "$work/corpus" | wc -l)
found=$(ls "$work/artifacts" | wc -l)
if [ "$rc" -ne 0 ] || [ "$found" -ne 0 ]; then
	echo "FAIL: fuzz_$name (exit $rc): see $work/log and $work/artifacts/"
	grep -E '^(==[0-9]+==ERROR|SUMMARY|invariant failed|ALARM)' \
	    "$work/log" | head -n 5
	exit 1
fi
echo "PASS: fuzz_$name: ${runs:-?} runs, ${rate:-?} exec/s, $ncorp corpus files"
exit 0
