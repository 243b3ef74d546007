#!/bin/sh
# lint: checks a machine can make, run by `make lint` and `make check`.
#  1. banned functions (STYLE.md 3): unbounded copies and formats, gets,
#     strtok (not re-entrant);
#  2. a size ceiling: no function longer than MAX_LINES lines, so that state
#     machines stay one small function per state (STYLE.md 5).
set -eu
cd "$(dirname "$0")/../.."
MAX_LINES=${MAX_LINES:-150}
status=0
files=$(ls common/*.c common/*.h server/*.c server/*.h server/ftpcert/*.c server/ftpcert/*.h \
    client/*.c client/*.h test/bench/*.c test/bench/*.h 2>/dev/null)

banned='\b(strcpy|strcat|sprintf|vsprintf|gets|strtok)[[:space:]]*\('
if grep -nE "$banned" $files; then
    echo "lint: banned function above (use snprintf, ftp_buf_*, strtok_r)" >&2
    status=1
fi

# Function bodies: from a line that is exactly "{" or ends a signature with
# ") {" at column 0, to the next "}" at column 0.
for f in $files; do
    awk -v max="$MAX_LINES" -v file="$f" '
        /^[a-z].*\) \{$/ || /^\{$/ { start = NR; name = $0; next }
        /^\}/ && start { if (NR - start > max) printf "%s:%d: %d lines: %s\n", file, start, NR - start, name; start = 0 }
    ' "$f"
done > /tmp/lint.$$ 
if [ -s /tmp/lint.$$ ]; then
    cat /tmp/lint.$$ >&2
    echo "lint: functions above longer than $MAX_LINES lines: split them" >&2
    status=1
fi
rm -f /tmp/lint.$$
[ $status = 0 ] && echo "lint: ok"
exit $status
