#!/bin/bash
# The library under valgrind's memcheck, inside real programs: no invalid
# access, no use of uninitialised memory, no leak it caused.
. "$(dirname "$0")/lib.sh"
if [ -n "${NOTW_PRELOAD_PREFIX:-}" ]; then
	skip_all "valgrind does not run sanitizer builds"
fi
command -v valgrind >/dev/null || skip_all "valgrind not installed"
enter_netns "$@"

memcheck() { # memcheck NAME PROGRAM ARGS...
	local name=$1
	shift
	LD_PRELOAD=$NOTW_LIB valgrind --quiet --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite --log-file="$WORK/$name.vg" \
		"$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
}

PROBE_SKIP_EFAULT=1 memcheck errno "$NOTW_PROGS/probe" errno 49500
check_eq "errno probe under memcheck: clean" 0 $?
NOTW_LOG="file:$WORK/vg.log" memcheck closerange "$NOTW_PROGS/probe" closerange "$WORK/f" 49501
check_eq "closerange probe with a file log under memcheck: clean" 0 $?
NOTW_LOG_LEVEL=debug memcheck live "$NOTW_PROGS/probe" live 49502
check_eq "live-listener probe at debug level under memcheck: clean" 0 $?
check "memcheck saw the library's lines" grep -q 'notw\[' "$WORK/live.err"
# The policy file's reader and parser, errors and a matching section included.
printf '\xef\xbb\xbf[defaults]\r\nlinger = crash ; c\nbogus = 1\n[program:probe]\nports = 1-100,49503\nlinger = nope\n[x\n' >"$WORK/vg.ini"
NOTW_CONFIG=$WORK/vg.ini memcheck config "$NOTW_PROGS/probe" reuse tcp4 49503
check_eq "a policy file with errors under memcheck: clean" 0 $?
# (valgrind's own launcher loads the library too, and says them as well)
check_eq "... its three problems reported" 3 "$(grep "error: $WORK/vg.ini:" "$WORK/config.err" | sort -u | wc -l)"
for f in "$WORK"/*.vg; do
	if [ -s "$f" ]; then
		echo "# $f:"
		sed 's/^/#   /' "$f"
	fi
done
finish
