#!/bin/bash
# The library's first-use work (looking up the next definitions, getting
# ready at the first socket) in the places a program may first reach it:
# a library's constructor, a signal-free but threaded start, after chdir()
# or clearenv(), a fork()ed child of a threaded parent, a vfork() child.
. "$(dirname "$0")/lib.sh"
enter_netns "$@"
S=$NOTW_PROGS/startup

# dlopen() holds the loader's lock while the constructors run: a worker's
# first close() must not have to take it.
check_eq "a constructor waiting for a thread's first close() under dlopen()" "loaded" \
	"$(timeout 10 "${WITH_NOTW[@]}" "$S" thread-in-constructor "$NOTW_PROGS/libstartup_lib.so" 2>&1)"

# The settings and the relative log path are the program's at start.
mkdir -p "$WORK/start" "$WORK/elsewhere"
(cd "$WORK/start" && NOTW_LOG=file:notw.log NOTW_LOG_LEVEL=debug \
	"${WITH_NOTW[@]}" "$S" chdir-then-socket "$WORK/elsewhere")
check "a relative NOTW_LOG file is in the start directory after chdir()" test -s "$WORK/start/notw.log"
check "and not in the directory the program moved to" test ! -e "$WORK/elsewhere/notw.log"
NOTW_LOG=file:$WORK/env.log NOTW_LOG_LEVEL=debug "${WITH_NOTW[@]}" "$S" clearenv-then-socket
check "the NOTW_* environment at start holds after clearenv()" grep -q "ready:" "$WORK/env.log"
NOTW_LOG=file:$WORK/title.log NOTW_LOG_LEVEL=debug "${WITH_NOTW[@]}" "$S" retitle-then-socket
check "and after the program wrote its process title over it" grep -q "ready:" "$WORK/title.log"

check_eq "fork()ed children of a threaded parent: first socket()" "children ok" \
	"$(timeout 30 "${WITH_NOTW[@]}" "$S" fork-threaded 2>&1)"
check_eq "vfork() children whose first hooked call is execve() or dup2()" "execve 0
dup2 0" "$(timeout 10 "${WITH_NOTW[@]}" "$S" vfork-first-calls 2>&1)"

NOTW_LOG_LEVEL=debug NOTW_LINGER=crash timeout 20 "${WITH_NOTW[@]}" "$S" race 29601 \
	>"$WORK/race.out" 2>"$WORK/race.err"
check_eq "32 threads' first socket, bind, listen, connect, accept at once" "failed 0" "$(cat "$WORK/race.out")"
check_eq "the policy loaded once" "1" "$(grep -c "ready:" "$WORK/race.err")"
check_eq "every listener bound with SO_REUSEADDR" "32" "$(grep -c "set SO_REUSEADDR" "$WORK/race.err")"
check_no_sanitizer_reports
finish
