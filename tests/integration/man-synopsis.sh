#!/bin/bash
# notw's command table (cli/notw.c, printed by notw --help) is the one
# source of the synopses: the SYNOPSIS of notw(1) must say the same, command
# by command (spacing and roff markup aside).
. "$(dirname "$0")/lib.sh"
: "${NOTW_CLI:?NOTW_CLI must name the notw command}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/notw-test.XXXXXX")
trap cleanup EXIT

"$NOTW_CLI" --help | sed -n 's/^\(usage:\)\? *notw \([a-z][a-z-]*\) \(.*\)$/\2 \3/p' >"$WORK/table"
# The man page's SYNOPSIS: ".B notw NAME" then the line of its arguments.
sed -n '/^\.SH SYNOPSIS/,/^\.SH /p' "$NOTW_SOURCE_ROOT/man/notw.1" | python3 -c '
import re, sys
lines = sys.stdin.read().split("\n")
for i, l in enumerate(lines):
    m = re.match(r"^\.B notw (\S+)$", l)
    if m and i + 1 < len(lines) and not lines[i + 1].startswith("."):
        args = re.sub(r"\\f[BIR]", "", lines[i + 1]).replace("\\-", "-")
        print(m.group(1).replace("\\-", "-"), args)' >"$WORK/man"
squash() { tr -d ' ' <"$1"; }
check "the command table lists commands" test "$(wc -l <"$WORK/table")" -ge 10
while read -r name rest; do
	want=$(tr -d ' ' <<<"$name$rest")
	got=$(squash "$WORK/man" | grep -x -- "$name.*" | grep -xF -- "$want")
	check "notw(1) SYNOPSIS: notw $name $rest" test -n "$got"
done <"$WORK/table"
check_eq "notw(1) SYNOPSIS: no command the table lacks" "$(cut -d' ' -f1 "$WORK/table" | sort)" "$(cut -d' ' -f1 "$WORK/man" | sort)"
finish
