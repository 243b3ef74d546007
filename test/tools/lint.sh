#!/bin/sh
# lint: checks a machine can make, run by `make lint` and `make check`.
#  1. banned functions (STYLE.md 3): unbounded copies and formats, gets,
#     strtok (not re-entrant);
#  2. a size ceiling: no function longer than MAX_LINES (80) lines, so that
#     state machines stay one small function per state (STYLE.md 5);
#  3. no file-level call loops: no two files of common/, server/ or client/
#     reach each other through the symbols they reference (from the
#     objects, so `make lint` builds first).
# 2 and 3 allow what exists today outside common/, listed in
# test/tools/long-functions.allow and test/tools/call-loops.allow; those
# lists only shrink (test/tools/codemap.py says how).
set -eu
cd "$(dirname "$0")/../.."
MAX_LINES=${MAX_LINES:-80}
status=0
files=$(ls common/*.c common/*.h server/*.c server/*.h server/ftpcert/*.c server/ftpcert/*.h \
    client/*.c client/*.h test/bench/*.c test/bench/*.h 2>/dev/null)

banned='\b(strcpy|strcat|sprintf|vsprintf|gets|strtok)[[:space:]]*\('
if grep -nE "$banned" $files; then
    echo "lint: banned function above (use snprintf, ftp_buf_*, strtok_r)" >&2
    status=1
fi

python3 test/tools/codemap.py funcs --max "$MAX_LINES" \
    --allow test/tools/long-functions.allow || status=1
python3 test/tools/codemap.py loops --allow test/tools/call-loops.allow || status=1

[ $status = 0 ] && echo "lint: ok"
exit $status
