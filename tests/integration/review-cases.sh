#!/bin/bash
# Cases found in review, each of which once turned a graceful close into a
# reset, overrode the program's own option, or kept a restart from its port.
. "$(dirname "$0")/lib.sh"
enter_netns "$@"
ulimit -c 0
E=$NOTW_PROGS/edge_cases
FULL="read 4194304 EOF"

for mode in crash exit; do
	check_eq "linger=$mode: bind, dup, listen on one, accept on the other: graceful" "$FULL" \
		"$(NOTW_LINGER=$mode "${WITH_NOTW[@]}" "$E" dup-before-listen 29501 2>/dev/null)"
	check_eq "linger=$mode: connect through a duplicate, close it, write through the original: graceful" "$FULL" \
		"$(NOTW_LINGER=$mode "${WITH_NOTW[@]}" "$E" dup-before-connect 29502 2>/dev/null)"
	check_eq "linger=$mode: a connection queued on a listener handed over through exec: graceful" "$FULL" \
		"$(NOTW_LINGER=$mode "${WITH_NOTW[@]}" "$E" exec-listener 29503 2>/dev/null)"
	check_eq "linger=$mode: the parent's close keeps a forked child's own SO_LINGER" "child reads {1,7}" \
		"$(NOTW_LINGER=$mode "${WITH_NOTW[@]}" "$E" fork-own-linger 29504 2>/dev/null)"
done

# A generation under the library killed while its clients did not read:
# FIN-WAIT-1 sockets no process holds. The restart gets the port.
NOTW_LOG=none "${WITH_NOTW[@]}" "$E" stalled-crash 29505 3 >"$WORK/stalled.out" 2>&1
check "the crash left closing sockets no process holds" \
	bash -c "ss -tanH state fin-wait-1 '( sport = :29505 )' | grep -q ."
check_eq "the restart under the library gets the port" "SO_REUSEADDR=1" \
	"$("${WITH_NOTW[@]}" "$NOTW_PROGS/probe" reuse tcp4 29505 2>"$WORK/restart.err")"
finish
