#!/bin/sh
# long.sh: run fuzz harnesses to a number of executions and report, per
# harness, executions, libFuzzer's coverage figures (cov: edges, ft:
# features), the corpus size, the time taken, the rate and the crashes.
# Run by `make fuzz-long` (test/fuzz/Makefile); exits 1 if any harness
# crashed (or stopped early), 0 otherwise.
#
#   sh test/fuzz/long.sh BUILD_DIR RUNS "name|libFuzzer options|seed dirs" ...
#
# The runs are niced (FUZZ_NICE, default 10): the machines are shared.
# Each harness grows BUILD_DIR/corpus/<name>, so a second fuzz-long goes on
# from where the first stopped.  Logs: BUILD_DIR/long/<name>.log; each
# harness's line of the table: BUILD_DIR/long/<name>.result; the table of
# every harness run so far (two fuzz-long may run side by side, with
# different FUZZ_ONLY): BUILD_DIR/long/summary.txt.
set -u
F=$1
RUNS=$2
shift 2
NICE=${FUZZ_NICE:-10}
mkdir -p "$F/long"
header=$(printf '%-8s %10s %6s %7s %6s %8s %7s %s' harness execs cov ft corpus \
    seconds execs/s crashes)
failed=0
names=
for spec in "$@"; do
    name=${spec%%|*}
    rest=${spec#*|}
    opts=${rest%%|*}
    seeds=${rest#*|}
    names="$names $name"
    log="$F/long/$name.log"
    art="$F/artifacts/$name"
    mkdir -p "$F/corpus/$name" "$art"
    before=$(ls "$art" | wc -l)
    echo "fuzz-long: fuzz_$name to $RUNS runs (log $log)"
    # shellcheck disable=SC2086  # options and seed directories are lists
    nice -n "$NICE" "$F/fuzz_$name" -runs="$RUNS" -print_final_stats=1 \
        $opts "$F/corpus/$name" $seeds > "$log" 2>&1
    rc=$?
    crashes=$(( $(ls "$art" | wc -l) - before ))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
    last=$(grep -E '^#[0-9]+' "$log" | grep 'cov: ' | tail -n 1)
    cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
    corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
    secs=${secs:--} # a crash ends the run before "Done"
    rate=-
    if [ -n "$execs" ] && [ "$secs" != "-" ] && [ "$secs" -gt 0 ]; then
        rate=$(( execs / secs ))
    fi
    if [ $rc -ne 0 ] && [ $crashes -eq 0 ]; then
        crashes=1 # stopped early without leaving an input: count it
    fi
    [ $crashes -ne 0 ] && failed=1
    printf '%-8s %10s %6s %7s %6s %8s %7s %s\n' "$name" "${execs:--}" \
        "${cov:--}" "${ft:--}" "${corp:--}" "$secs" "$rate" "$crashes" \
        > "$F/long/$name.result"
    cat "$F/long/$name.result"
done
{ echo "$header"; cat "$F"/long/*.result; } > "$F/long/summary.txt"
echo
echo "$header"
for name in $names; do
    cat "$F/long/$name.result"
done
if [ $failed -ne 0 ]; then
    echo "fuzz-long: crashes above; inputs in $F/artifacts/<harness>/" >&2
    exit 1
fi
echo "fuzz-long: no crashes"
