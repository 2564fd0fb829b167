#!/bin/bash
# What bind() recovery does with each kind of leftover (core/port_socket.c),
# as root with the default NOTW_REAP=on.
#
#   leftovers.sh drain|drain-timeout|client-timewait|quiet-refusal
#
# drain            a server WITHOUT the library writes 4 MB to a slow client,
#                  closes gracefully and exits: the kernel keeps a FIN-WAIT-1
#                  socket still sending. The next generation binds under the
#                  library: it waits for the data to be delivered (never
#                  destroys it), says so, then reaps and gets the port; the
#                  client receives all 4 MB intact.
# drain-timeout    the same with a slower client and NOTW_WAIT=1: the wait
#                  ends first, the bind fails (the server drifts) with a
#                  warning naming the data in flight; the client still gets
#                  all 4 MB.
# client-timewait  a client's TIME-WAIT socket on its ephemeral port blocks a
#                  server binding that port: reaped, and the log says it was
#                  a client's socket that merely shared the port, not one
#                  "left by a process without SO_REUSEADDR".
# quiet-refusal    300 binds refused by a live listener with NOTW_LOG=none:
#                  no look at /proc at all (strace); with the log on, the
#                  warning still names the listener's process.
. "$(dirname "$0")/lib.sh"
enter_netns "$@"
ulimit -c 0

MODE=${1:?mode}
PORT=49300
BYTES=4194304

# send_queue_fin_wait_1 PORT: bytes in the send queue of the FIN-WAIT-1
# sockets on local port PORT (0 when there is none).
send_queue_fin_wait_1() {
	ss -tanH state fin-wait-1 "( sport = :$1 )" | awk '{ q += $2 } END { print q + 0 }'
}

# A server without the library hands BYTES to a client reading at RATE
# KB/s, closes and exits; leaves its connection sending.
bulk_generation_1() {
	local rate=$1
	start_bg "$WORK/gen1.out" "$WORK/gen1.err" "${WITHOUT_NOTW[@]}" "$NOTW_PROGS/bulk" serve "$PORT" "$BYTES"
	GEN1=$BG_PID
	wait_for_line "$WORK/gen1.out" "^listening $PORT\$"
	start_bg "$WORK/client.out" "$WORK/client.err" "$NOTW_PROGS/bulk" read "$PORT" 1500 "$rate" 60
	CLIENT=$BG_PID
	wait_for_line "$WORK/client.out" '^connected$'
	wait_exit "$GEN1" 10
	check_eq "generation 1 closed gracefully and exited" "closed $BYTES/0" "$(tail -n1 "$WORK/gen1.out")/$EXIT_STATUS"
	queued=$(send_queue_fin_wait_1 "$PORT")
	check "... leaving a FIN-WAIT-1 socket with data still queued ($queued bytes)" test "$queued" -gt 100000
}

case $MODE in
drain)
	bulk_generation_1 3000
	start=$(date +%s%N)
	start_bg "$WORK/gen2.out" "$WORK/gen2.err" "${WITH_NOTW[@]}" "$NOTW_PROGS/seed_server" "$PORT"
	GEN2=$BG_PID
	wait_for_line "$WORK/gen2.out" '^listening ' 20
	took=$((($(date +%s%N) - start) / 1000000))
	check_eq "generation 2 gets port $PORT once the data is delivered" "listening $PORT" "$(cat "$WORK/gen2.out")"
	wait_exit "$CLIENT" 30
	check_eq "the client received all $BYTES bytes, intact, then EOF" "bytes $BYTES eof intact" "$(cat "$WORK/client.out" | tail -n1)"
	check "the log says it waits for the data instead of destroying it" \
		grep -Eq "^notw\[$GEN2\]: bind 0\.0\.0\.0:$PORT fd=[0-9]+: waiting up to 5 s for 1 closing socket\(s\) of a process without SO_REUSEADDR to deliver [0-9]+ byte\(s\) their peers have not acknowledged \(destroying them would lose that data\)\$" "$WORK/gen2.err"
	check "... that it was delivered" grep -Eq "bind 0\.0\.0\.0:$PORT fd=[0-9]+: their data was delivered after [0-9]+\.[0-9] s\$" "$WORK/gen2.err"
	check "... and what it reaped afterwards" \
		grep -Eq "bind 0\.0\.0\.0:$PORT fd=[0-9]+: reaped 1 of 1 timewait socket\(s\) left by a process without SO_REUSEADDR\$" "$WORK/gen2.err"
	check "generation 2 waited for the delivery (${took} ms, under 6 s)" test "$took" -lt 6000
	;;
drain-timeout)
	bulk_generation_1 400
	start_bg "$WORK/gen2.out" "$WORK/gen2.err" env NOTW_WAIT=1 "${WITH_NOTW[@]}" "$NOTW_PROGS/seed_server" "$PORT"
	GEN2=$BG_PID
	wait_for_line "$WORK/gen2.out" '^listening ' 20
	check_eq "generation 2 gives up after NOTW_WAIT and drifts, as without the library" "listening $((PORT + 1))" "$(cat "$WORK/gen2.out")"
	check "the log says it is still sending" grep -Eq "bind 0\.0\.0\.0:$PORT fd=[0-9]+: still sending after [0-9]+\.[0-9] s\$" "$WORK/gen2.err"
	check "the warning names the data in flight and that it is never destroyed" \
		grep -Eq "warning: bind 0\.0\.0\.0:$PORT fd=[0-9]+: EADDRINUSE: 1 closing socket\(s\) no process holds left by a process without SO_REUSEADDR hold the port; 1 of them still send data their peers have not acknowledged \([0-9]+ byte\(s\)\): never destroyed" "$WORK/gen2.err"
	wait_exit "$CLIENT" 30
	check_eq "the client still receives all $BYTES bytes, intact" "bytes $BYTES eof intact" "$(tail -n1 "$WORK/client.out")"
	;;
client-timewait)
	SERVER_PORT=9300 # outside the client ports (50000-60999, see lib.sh)
	start_bg "$WORK/server.out" "$WORK/server.err" "${WITHOUT_NOTW[@]}" "$NOTW_PROGS/seed_server" "$SERVER_PORT"
	wait_for_line "$WORK/server.out" "^listening $SERVER_PORT\$"
	"$NOTW_PROGS/bulk" client "$SERVER_PORT" >"$WORK/client.out"
	EPHEMERAL=$(sed -n 's/^local //p' "$WORK/client.out")
	wait_until at_least 1 time_wait_state_on_port "$EPHEMERAL"
	check_eq "the client's end is a TIME-WAIT socket on its ephemeral port $EPHEMERAL" 1 "$(time_wait_state_on_port "$EPHEMERAL")"
	start_bg "$WORK/gen2.out" "$WORK/gen2.err" "${WITH_NOTW[@]}" "$NOTW_PROGS/seed_server" "$EPHEMERAL"
	GEN2=$BG_PID
	wait_for_line "$WORK/gen2.out" '^listening ' 10
	check_eq "a server binding that port gets it" "listening $EPHEMERAL" "$(cat "$WORK/gen2.out")"
	check "the log says what it reaped: a client's socket that merely shared the port" \
		grep -Eq "^notw\[$GEN2\]: bind 0\.0\.0\.0:$EPHEMERAL fd=[0-9]+: reaped 1 of 1 timewait socket\(s\) of outgoing connections that had port $EPHEMERAL as their ephemeral port \(a client's sockets that merely shared the port\)\$" "$WORK/gen2.err"
	check_eq "... not one left by a server without SO_REUSEADDR" 0 "$(grep -c "left by a process without SO_REUSEADDR" "$WORK/gen2.err")"
	;;
quiet-refusal)
	if ! command -v strace >/dev/null || ! strace -qq -o /dev/null true 2>/dev/null; then
		skip_all "strace missing or cannot trace here"
	fi
	start_bg "$WORK/server.out" "$WORK/server.err" "${WITHOUT_NOTW[@]}" "$NOTW_PROGS/seed_server" "$PORT"
	SERVER=$BG_PID
	wait_for_line "$WORK/server.out" "^listening $PORT\$"
	# LeakSanitizer cannot run under ptrace: off for the traced run only.
	strace -f -qq -e trace=openat -o "$WORK/quiet.trace" \
		env ${ASAN_OPTIONS+ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0"} NOTW_LOG=none "${WITH_NOTW[@]}" "$NOTW_PROGS/probe" refused 300 "$PORT" >"$WORK/quiet.out" 2>"$WORK/quiet.err"
	check_eq "300 binds refused by the live listener" "refused 300 of 300" "$(cat "$WORK/quiet.out")"
	# The walk opens "/proc", then "/proc/PID/fd" of each process.
	check_eq "with NOTW_LOG=none, /proc is never walked to name its owner" 0 "$(grep -cE '"/proc("|/[0-9])' "$WORK/quiet.trace")"
	check_eq "... and nothing is written" "" "$(cat "$WORK/quiet.err")"
	"${WITH_NOTW[@]}" "$NOTW_PROGS/probe" refused 1 "$PORT" >"$WORK/loud.out" 2>"$WORK/loud.err"
	check "with the log on, the warning still names the listener's process" \
		grep -q "EADDRINUSE: a live listener holds the port: pid $SERVER (\"seed_server\")" "$WORK/loud.err"
	;;
*)
	echo "unknown mode $MODE" >&2
	exit 2
	;;
esac
finish
