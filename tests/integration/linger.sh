#!/bin/bash
# NOTW_LINGER: connections of a dying server are reset (no timewait socket
# left on its port), while the closes the program makes itself stay
# graceful, unless the policy says otherwise.
#
#   linger.sh signals|graceful|exit|client|dup|own-option|bad-value
#
# signals     20 clients connected, the server dies of SIGSEGV, SIGABRT,
#             SIGKILL: crash leaves no timewait socket, off leaves 20; also
#             SIGTERM, exit and always, a dual-stack listener, a port
#             outside NOTW_PORTS (left alone)
# graceful    the server writes 4 MB and closes (close, fclose, close_range,
#             shutdown+close): the client reads it all and a clean EOF under
#             off, crash and exit; always resets it
# exit        a normal exit (return, exit, _exit, _Exit) with 20 connections
#             open, single- and multi-threaded: graceful under crash (and
#             off), reset under exit (and always); close_range(), closefrom()
#             of all of them
# client      an outgoing connection's remote port matches: a client making
#             1,000 connect/close cycles (always: all reset, no timewait
#             socket on its side; crash, off, always with the port outside
#             NOTW_PORTS: all graceful), crash on a killed client
# dup         dup, dup2, dup3, fcntl(F_DUPFD[_CLOEXEC]) copies: the socket
#             stays armed while one descriptor remains, and the last close
#             (dup2 onto it included, two threads closing two duplicates at
#             once) stays graceful
# own-option  a program that sets SO_LINGER itself gets what it set, and the
#             library leaves that socket alone; getsockopt never shows the
#             library's own settings
# bad-value   an invalid NOTW_LINGER: one error line, behaves as off
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linger-lib.sh"
enter_netns "$@"
ulimit -c 0

MODE=${1:?mode}
N=20
BIG=$((4 * 1024 * 1024))
# Below the ephemeral range (32768-60999), so that no client socket of the
# test can already hold a port a later server binds.
PORT=29200

# one_conn LINGER BYTES [SERVER ARGS...]: the server writes BYTES on one
# connection and closes it. Sets RESULT (the client's line for it: "bytes N
# eof", "bytes N reset", ...).
one_conn() {
	local linger=$1 bytes=$2
	shift 2
	start_server "$linger" --serve 1 --bytes "$bytes" "$@"
	RESULT=$("$NOTW_PROGS/linger_client" --timeout 10 127.0.0.1 "$PORT" | grep '^bytes ')
	kill -KILL "$SERVER"
	wait_exit "$SERVER" 5
}

ALL_RESET="summary conns=$N eof=0 reset=$N error=0 open=0 bytes=0"
ALL_EOF="summary conns=$N eof=$N reset=0 error=0 open=0 bytes=0"

case $MODE in
signals)
	for sig in segv abort kill; do
		held crash "$sig"
		check_eq "crash, $sig: the server died of it" "$(status_of "$sig")" "$STATUS"
		check_eq "crash, $sig: no timewait socket left on its port" 0 "$TW"
		check_eq "crash, $sig: every client saw ECONNRESET" "$ALL_RESET" "$SUMMARY"
		check "crash, $sig: the arming is logged at info" grep -Eq \
			"^notw\[$SERVER\]: arm SO_LINGER\{1,0\} on connections accepted on 0\.0\.0\.0:$PORT \(linger=crash\)\$" "$S_ERR"

		held off "$sig"
		check_eq "off, $sig: the server died of it" "$(status_of "$sig")" "$STATUS"
		check_eq "off, $sig: $N timewait sockets left on its port" "$N" "$TW"
		check_eq "off, $sig: every client saw EOF" "$ALL_EOF" "$SUMMARY"
		check "off, $sig: nothing armed" bash -c "! grep -q 'arm SO_LINGER' '$S_ERR'"
	done
	held crash term
	check_eq "crash, SIGTERM (default action): no timewait socket" 0 "$TW"
	check_eq "crash, SIGTERM: every client saw ECONNRESET" "$ALL_RESET" "$SUMMARY"
	for linger in exit always; do
		held "$linger" kill
		check_eq "$linger, kill: no timewait socket" 0 "$TW"
		check_eq "$linger, kill: every client saw ECONNRESET" "$ALL_RESET" "$SUMMARY"
	done
	held unset kill
	check_eq "NOTW_LINGER unset (off), kill: $N timewait sockets" "$N" "$TW"
	held crash kill -6
	check_eq "crash, dual-stack [::] listener, kill: no timewait socket" 0 "$TW"
	check_eq "crash, dual-stack [::] listener, kill: every client saw ECONNRESET" "$ALL_RESET" "$SUMMARY"
	check "crash, dual-stack: the arming is logged" grep -q "arm SO_LINGER{1,0} on connections accepted on \[::\]:$PORT (linger=crash)" "$S_ERR"
	held off kill -6
	check_eq "off, dual-stack [::] listener, kill: $N timewait sockets" "$N" "$TW"
	export NOTW_PORTS=1-1000,50000-60000
	held crash kill
	check_eq "crash, port outside NOTW_PORTS, kill: $N timewait sockets" "$N" "$TW"
	check "crash, port outside NOTW_PORTS: nothing armed" bash -c "! grep -q 'arm SO_LINGER' '$S_ERR'"
	export NOTW_PORTS=29000-29999
	held crash kill
	check_eq "crash, port inside NOTW_PORTS, kill: no timewait socket" 0 "$TW"
	unset NOTW_PORTS
	;;
graceful)
	for linger in off crash exit; do
		one_conn "$linger" "$BIG"
		check_eq "$linger: the client reads 4 MB and a clean EOF" "bytes $BIG eof" "$RESULT"
	done
	# Other ways a program closes its own connection.
	for via in fclose close_range shutdown; do
		one_conn crash "$BIG" --close-via "$via"
		check_eq "crash, closed with $via: the client reads 4 MB and a clean EOF" "bytes $BIG eof" "$RESULT"
	done
	one_conn crash "$BIG" --accept4
	check_eq "crash, accepted with accept4(): the client reads 4 MB and a clean EOF" "bytes $BIG eof" "$RESULT"
	one_conn always "$BIG"
	check "always: the close resets the connection (client: $RESULT)" \
		[ "$RESULT" != "bytes $BIG eof" ]
	check_eq "always: no timewait socket" 0 "$(timewait_timers_on_port "$PORT")"
	;;
exit)
	for how in return exit _exit _Exit; do
		held crash "$how"
		check_eq "crash, $how: exit status" 0 "$STATUS"
		check_eq "crash, $how: the $N connections closed gracefully (timewait sockets)" "$N" "$TW"
		check_eq "crash, $how: every client saw EOF" "$ALL_EOF" "$SUMMARY"
		held exit "$how"
		check "exit, $how: the arming is logged" grep -q "arm SO_LINGER{1,0} on connections accepted on 0.0.0.0:$PORT (linger=exit)" "$S_ERR"
		check_eq "exit, $how: exit status" 0 "$STATUS"
		check_eq "exit, $how: no timewait socket left" 0 "$TW"
		check_eq "exit, $how: every client saw ECONNRESET" "$ALL_RESET" "$SUMMARY"
	done
	# Closed by the program all at once, behind close()'s back.
	for how in close_range closefrom; do
		held crash "$how"
		check_eq "crash, $how then _exit: the $N connections closed gracefully" "$N" "$TW"
		check_eq "crash, $how then _exit: every client saw EOF" "$ALL_EOF" "$SUMMARY"
	done
	held off exit
	check_eq "off, exit: the $N connections closed gracefully" "$N" "$TW"
	held always exit
	check_eq "always, exit: no timewait socket left" 0 "$TW"
	# Other threads still blocked in accept() while the process exits.
	for how in return exit _exit; do
		held crash "$how" --threads 4
		check_eq "crash, 4 threads, $how: the $N connections closed gracefully" "$N" "$TW"
		check_eq "crash, 4 threads, $how: every client saw EOF" "$ALL_EOF" "$SUMMARY"
	done
	held exit exit --threads 4
	check_eq "exit, 4 threads, exit: no timewait socket left" 0 "$TW"
	;;
client)
	# The server runs without the library, reads each connection to its end
	# ("drained eof" or "drained reset") and closes it after the client.
	for linger in always crash off always-excluded; do
		ports=$((PORT + 1))
		[ "$linger" = always-excluded ] && ports=1-1000
		start_server none --serve 100000 --drain
		out=$(env NOTW_LINGER=${linger%-excluded} NOTW_PORTS=$ports "${WITH_NOTW[@]}" \
			"$NOTW_PROGS/linger_client" --cycles 1000 --timeout 15 127.0.0.1 "$PORT" 2>"$WORK/cycles.$linger.err")
		check_eq "$linger: 1000 connect/close cycles" "cycles 1000 failed 0" "$out"
		for ((i = 0; i < 200; i++)); do
			[ "$(grep -c '^drained ' "$S_OUT")" -ge 1000 ] && break
			sleep 0.05
		done
		tw=$(timewait_to_port "$PORT")
		echo "# $linger: client-side timewait sockets after 1000 cycles: $tw (server side: $(timewait_timers_on_port "$PORT"))"
		if [ "$linger" = always ]; then
			always_port=$PORT
			check_eq "always: no timewait socket on the client side" 0 "$tw"
			check_eq "always: the server saw every connection reset" 1000 "$(grep -c '^drained reset$' "$S_OUT")"
		else
			check "$linger: the client's closes left timewait sockets ($tw)" [ "$tw" -ge 1 ]
			check_eq "$linger: the server saw a clean EOF on every connection" 1000 \
				"$(grep -c '^drained eof$' "$S_OUT")"
		fi
		kill -KILL "$SERVER"
		wait_exit "$SERVER" 5
	done
	check "always: the arming of outgoing connections is logged" \
		grep -q "arm SO_LINGER{1,0} on connections to 127.0.0.1:$always_port (linger=always)" "$WORK/cycles.always.err"
	check "always, remote port outside NOTW_PORTS: nothing armed" \
		bash -c "! grep -q 'arm SO_LINGER' '$WORK/cycles.always-excluded.err'"
	for linger in crash outgoing off; do
		outgoing=off
		if [ "$linger" = outgoing ]; then
			linger=crash
			outgoing=on
		fi
		start_server none --held "$N"
		start_bg "$WORK/client.$PORT.out" "$WORK/client.$PORT.err" env NOTW_LINGER=$linger \
			NOTW_LINGER_OUTGOING=$outgoing NOTW_PORTS=$PORT \
			"${WITH_NOTW[@]}" "$NOTW_PROGS/linger_client" --report --hold "$N" --timeout 10 127.0.0.1 "$PORT"
		client=$BG_PID
		wait_for_line "$WORK/client.$PORT.out" "^connected $N\$"
		check "$linger: SO_LINGER of an outgoing connection reads {0,0}" \
			grep -qx "connected SO_LINGER 0 0" "$WORK/client.$PORT.out"
		wait_for_line "$S_OUT" "^held $N\$"
		kill -KILL "$client"
		wait_exit "$client" 5
		tw=$(timewait_to_port "$PORT")
		if [ "$outgoing" = on ]; then
			check_eq "crash, NOTW_LINGER_OUTGOING=on: a killed client leaves no timewait socket" 0 "$tw"
		elif [ "$linger" = crash ]; then
			# Outgoing connections are armed under crash only when asked:
			# a client's timewait sockets sit on ephemeral ports.
			check_eq "crash: a killed client leaves its $N timewait sockets (outgoing not armed by default)" "$N" "$tw"
		else
			check_eq "off: a killed client leaves $N timewait sockets" "$N" "$tw"
		fi
		kill -KILL "$SERVER"
		wait_exit "$SERVER" 5
	done
	;;
dup)
	for how in dup dup2 dup3 fcntl fcntl-cloexec; do
		held crash kill --dup "$how"
		check_eq "$how, one copy closed, kill: no timewait socket (still armed)" 0 "$TW"
		check_eq "$how, kill: every client saw ECONNRESET" "$ALL_RESET" "$SUMMARY"
	done
	# dup2() of each new connection onto the same descriptor closes the one
	# before it: graceful, while the last one stays armed.
	held crash kill --dup dup2-same
	check_eq "dup2 onto a held connection: the $((N - 1)) replaced ones closed gracefully, the last one reset" \
		"summary conns=$N eof=$((N - 1)) reset=1 error=0 open=0 bytes=0" "$SUMMARY"
	check_eq "dup2 onto a held connection: $((N - 1)) timewait sockets" $((N - 1)) "$TW"
	for how in dup dup2 dup3 fcntl fcntl-cloexec dup2-over; do
		one_conn crash $((1024 * 1024)) --dup "$how"
		check_eq "$how, then the program's own close: graceful" "bytes $((1024 * 1024)) eof" "$RESULT"
	done
	# A connection and its duplicate closed by two threads at once: one of
	# the two closes must disarm.
	start_server crash --serve 400 --bytes 65536 --close-via dup-race
	out=$("$NOTW_PROGS/linger_client" --threads 4 --conns 100 --timeout 15 127.0.0.1 "$PORT" | grep '^summary ')
	check_eq "400 connections, each closed through two duplicates in two threads at once: all graceful" \
		"summary conns=400 eof=400 reset=0 error=0 open=0 bytes=$((400 * 65536))" "$out"
	kill -KILL "$SERVER"
	wait_exit "$SERVER" 5
	;;
own-option)
	# What a program reads back: never the library's settings.
	one_conn crash "$BIG" --report --linger 1,5
	check "the library arms the listener's connections" grep -q "arm SO_LINGER{1,0} on connections accepted on 0.0.0.0:$PORT" "$S_ERR"
	check "... and set SO_REUSEADDR" grep -q "set SO_REUSEADDR" "$S_ERR"
	check "listener: SO_LINGER reads {0,0}" grep -qx "listener SO_LINGER 0 0" "$S_OUT"
	check "listener: SO_REUSEADDR reads 0" grep -qx "listener SO_REUSEADDR 0" "$S_OUT"
	check "armed accepted connection: SO_LINGER reads {0,0}" grep -qx "accepted SO_LINGER 0 0" "$S_OUT"
	check "accepted connection (inherits the listener's SO_REUSEADDR): reads 0, as without the library" \
		grep -qx "accepted SO_REUSEADDR 0" "$S_OUT"
	check "SO_LINGER {1,5} set by the program reads back {1,5}" grep -qx "set SO_LINGER 1 5 got 1 5" "$S_OUT"
	check_eq "linger {1,5}: the program's close stays graceful" "bytes $BIG eof" "$RESULT"
	one_conn crash 0 --report --reuseaddr
	check "SO_REUSEADDR set by the program on the listener reads 1" grep -qx "listener SO_REUSEADDR 1" "$S_OUT"
	check "... and 1 on its accepted connection, as without the library" \
		grep -qx "accepted SO_REUSEADDR 1" "$S_OUT"

	# {1,N} and {0,0} keep the program's own closes as it asked (restored
	# before them) and do not switch the crash protection off.
	held crash kill --linger 1,5
	check_eq "linger {1,5} set by the program, kill: still reset (no timewait socket)" 0 "$TW"
	check_eq "linger {1,5}, kill: every client saw ECONNRESET" "$ALL_RESET" "$SUMMARY"
	held crash kill --linger 0,0
	check_eq "linger {0,0} set by the program, kill: still reset (no timewait socket)" 0 "$TW"
	check "{0,0} reads back {0,0}" grep -qx "set SO_LINGER 0 0 got 0 0" "$S_OUT"
	# {1,5} is what the kernel has again when the program closes: seen in
	# the system calls (a sanitizer build cannot run under strace).
	if [ -z "${NOTW_PRELOAD_PREFIX:-}" ] && strace -qq -o /dev/null true 2>/dev/null; then
		PORT=$((PORT + 1))
		start_bg "$WORK/strace.out" "$WORK/strace.err" strace -f -qq -e trace=setsockopt,close \
			-o "$WORK/strace.log" env NOTW_LINGER=crash "${WITH_NOTW[@]}" \
			"$NOTW_PROGS/linger_server" --serve 1 --bytes 1000 --linger 1,5 "$PORT"
		wait_for_line "$WORK/strace.out" "^listening $PORT\$"
		"$NOTW_PROGS/linger_client" --timeout 10 127.0.0.1 "$PORT" >/dev/null
		wait_for_line "$WORK/strace.log" "close(4)"
		seq=$(grep -E 'SO_LINGER|close\(4\)' "$WORK/strace.log" | sed -E 's/^[0-9]+ +//' | tail -3 | tr '\n' ' ')
		check "{1,5}: zero linger back after the program's setsockopt, {1,5} restored right before its close ($seq)" \
			bash -c "grep -E 'SO_LINGER|close\(4\)' '$WORK/strace.log' | tail -3 | tr '\n' ' ' |
				grep -Eq 'l_onoff=1, l_linger=0.*l_onoff=1, l_linger=5.*close\(4\)'"
		kill -KILL "$BG_PID" 2>/dev/null
	fi

	one_conn crash "$BIG" --linger 1,0
	check "linger {1,0} set by the program: its close resets (client: $RESULT)" \
		[ "$RESULT" != "bytes $BIG eof" ]

	# Set through one descriptor, seen through a duplicate made before.
	one_conn crash "$BIG" --dup dup-both --linger 1,5
	check "{1,5} set on a connection reads back {1,5} through its duplicate" \
		grep -qx "set SO_LINGER 1 5 got 1 5" "$S_OUT"
	one_conn crash "$BIG" --dup dup-both --linger 1,0
	check "{1,0} set on a connection, closed through its duplicate: the close resets (client: $RESULT)" \
		[ "$RESULT" != "bytes $BIG eof" ]

	# Set on the listener: its connections are the program's too.
	held crash kill --listener-linger 0,0
	check "{0,0} set on the listener reads back {0,0}" grep -qx "set listener SO_LINGER 0 0 got 0 0" "$S_OUT"
	check_eq "{0,0} set on the listener (memcached, haproxy), kill: still reset" 0 "$TW"
	check_eq "{0,0} set on the listener, kill: every client saw ECONNRESET" "$ALL_RESET" "$SUMMARY"
	check "one info line says what the program's {0,0} means for the listener" \
		grep -q "the program set SO_LINGER{0,0} (the kernel's default): zero linger still applies at a crash" "$S_ERR"
	held crash kill --listener-linger 1,0
	check_eq "{1,0} set on the listener: the program's own resets, left alone (kill: no timewait)" 0 "$TW"
	check "one info line says the library leaves its connections alone" \
		grep -q "the program set SO_LINGER{1,0} itself" "$S_ERR"
	one_conn crash "$BIG" --listener-linger 1,0
	check "{1,0} set on the listener: the program's own close resets as it asked (client: $RESULT)" \
		[ "$RESULT" != "bytes $BIG eof" ]

	# Set on the socket before bind(), before the library tracks it.
	one_conn crash "$BIG" --early-listener-linger 1,5 --report
	check "{1,5} set before bind(): its connections read back {1,5}" grep -qx "accepted SO_LINGER 1 5" "$S_OUT"
	one_conn crash "$BIG" --early-listener-linger 1,0
	check "{1,0} set before bind(): the program's own close resets as it asked (client: $RESULT)" \
		[ "$RESULT" != "bytes $BIG eof" ]
	;;
bad-value)
	held sometimes kill
	check_eq "NOTW_LINGER=sometimes, kill: behaves as off ($N timewait sockets)" "$N" "$TW"
	check_eq "one error line naming NOTW_LINGER and the value" 1 \
		"$(grep -Ec "^notw\[$SERVER\]: error: NOTW_LINGER=\"sometimes\"" "$S_ERR")"
	check_eq "no other line about NOTW_LINGER" 1 "$(grep -c NOTW_LINGER "$S_ERR")"
	check "nothing armed" bash -c "! grep -q 'arm SO_LINGER' '$S_ERR'"
	;;
*)
	not_ok "unknown mode $MODE"
	;;
esac
finish
