#!/bin/bash
# Recovery at bind(): generation 1 of a server ran WITHOUT the library (so
# its leftovers lack SO_REUSEADDR) and was killed with clients connected;
# generation 2 runs under the library.
#
#   recover.sh reap|reap-fin-wait-2|no-reap|unprivileged|wait|wait-short|second-instance
#
# reap              root in the namespace: the leftovers are destroyed
#                   (SOCK_DESTROY) and generation 2 gets the port
# reap-fin-wait-2   the same, checking that the leftovers are in the
#                   FIN-WAIT-2 sub-state (the clients hold their ends)
# no-reap           NOTW_REAP=off: EADDRINUSE, one warning saying why and
#                   when the port frees itself; generation 2 drifts
# unprivileged      generation 2 without CAP_NET_ADMIN: the warning names
#                   the missing privilege, the program runs on and drifts
# wait              NOTW_REAP=off NOTW_WAIT=70: generation 2 waits for the
#                   timers (about 60 s) and gets the port
# wait-short        NOTW_WAIT=3: generation 2 waits 3 s, says so (to the
#                   tenth: not "4 s"), and drifts
# second-instance   two instances bind before either listens: the second
#                   fails in bind() as without the library (no SO_REUSEADDR
#                   forced onto a port another live socket is bound to)
. "$(dirname "$0")/lib.sh"
enter_netns "$@"
ulimit -c 0

MODE=${1:?mode}
PORT=49200
N=5

if [ "$MODE" = second-instance ]; then
	start_bg "$WORK/a.out" "$WORK/a.err" "${WITH_NOTW[@]}" "$NOTW_PROGS/probe" bind-then-listen "$PORT" 2
	A=$BG_PID
	wait_for_line "$WORK/a.out" '^bound$'
	b=$("${WITH_NOTW[@]}" "$NOTW_PROGS/probe" bind-then-listen "$PORT" 0 2>"$WORK/b.err")
	check_eq "the second instance's bind fails, as without the library" "bind: EADDRINUSE" "$b"
	check "... with a warning that another socket is bound there" \
		grep -q "warning: bind 0.0.0.0:$PORT fd=[0-9]*: EADDRINUSE: 1 other socket(s) are bound to the port" "$WORK/b.err"
	wait_exit "$A" 10
	check_eq "the first instance listens" "listen: ok" "$(tail -n1 "$WORK/a.out")"
	finish
fi

# Generation 1, without the library, killed with N clients connected.
start_bg "$WORK/gen1.out" "$WORK/gen1.err" "${WITHOUT_NOTW[@]}" "$NOTW_PROGS/seed_server" "$PORT"
GEN1=$BG_PID
wait_for_line "$WORK/gen1.out" "^listening $PORT\$"
# The clients keep their ends until the test is over: a client closing
# while the server dies can race with it and reset a timewait socket (seen
# under load), which would make the counts below flaky.
start_bg "$WORK/clients.out" "$WORK/clients.err" \
	"$NOTW_PROGS/linger_client" --hold "$N" --keep --timeout 100 127.0.0.1 "$PORT"
wait_for_line "$WORK/clients.out" "^connected $N\$"
wait_until at_least "$N" established_on_port "$PORT"
kill -KILL "$GEN1"
wait_exit "$GEN1" 10
# Whatever their timer: under load an orphan can stay a full FIN-WAIT-2
# socket (see time_wait_or_fin_wait_2_on_port in lib.sh), seen once in a CI run.
wait_until fin_wait_1_settled "$PORT"
wait_until at_least "$N" time_wait_or_fin_wait_2_on_port "$PORT"
check_eq "generation 1 left $N timewait sockets (kernel)" "$N" "$(time_wait_or_fin_wait_2_on_port "$PORT")"
if [ "$MODE" = reap-fin-wait-2 ]; then
	fw2=$(ss -tanoH state fin-wait-2 "( sport = :$PORT )" | grep -c timewait)
	check_eq "... all in the FIN-WAIT-2 sub-state (the clients hold their ends)" "$N" "$fw2"
fi

gen2() { # gen2 [env assignments...]: generation 2 under the library
	start_bg "$WORK/gen2.out" "$WORK/gen2.err" env "$@" "${WITH_NOTW[@]}" "$NOTW_PROGS/seed_server" "$PORT"
	GEN2=$BG_PID
}
case $MODE in
reap | reap-fin-wait-2)
	gen2
	wait_for_line "$WORK/gen2.out" '^listening ' 10
	check_eq "generation 2 gets port $PORT back" "listening $PORT" "$(cat "$WORK/gen2.out")"
	check "... and says it reaped them" \
		grep -Eq "^notw\[$GEN2\]: bind 0\.0\.0\.0:$PORT fd=[0-9]+: reaped $N of $N timewait socket\(s\) left by a process without SO_REUSEADDR\$" "$WORK/gen2.err"
	check_eq "the kernel shows no timewait socket left" 0 "$(timewait_timers_on_port "$PORT")"
	;;
no-reap)
	gen2 NOTW_REAP=off
	wait_for_line "$WORK/gen2.out" '^listening ' 10
	check_eq "generation 2 drifts, as without the library" "listening $((PORT + 1))" "$(cat "$WORK/gen2.out")"
	check "one warning: how many, why, when they expire, what would free the port" \
		grep -Eq "warning: bind 0\.0\.0\.0:$PORT fd=[0-9]+: EADDRINUSE: $N timewait socket\(s\) left by a process without SO_REUSEADDR hold the port; they expire within [0-9]+ s \(NOTW_REAP=off\)\. To free it now: .*NOTW_WAIT=[0-9]+ to wait\$" "$WORK/gen2.err"
	check_eq "the leftovers are untouched" "$N" "$(timewait_timers_on_port "$PORT")"
	;;
unprivileged)
	chmod 755 "$WORK"
	start_bg "$WORK/gen2.out" "$WORK/gen2.err" setpriv --reuid=65534 --regid=65534 --clear-groups -- \
		"${WITH_NOTW[@]}" "$NOTW_PROGS/seed_server" "$PORT"
	wait_for_line "$WORK/gen2.out" '^listening ' 10
	check_eq "generation 2 without CAP_NET_ADMIN drifts, unharmed" "listening $((PORT + 1))" "$(cat "$WORK/gen2.out")"
	check "the warning names the missing privilege" \
		grep -q "hold the port; they expire within [0-9]* s (reaping needs CAP_NET_ADMIN over this network namespace)" "$WORK/gen2.err"
	check_eq "the leftovers are untouched" "$N" "$(timewait_timers_on_port "$PORT")"
	;;
wait)
	start=$(date +%s)
	gen2 NOTW_REAP=off NOTW_WAIT=70
	wait_for_line "$WORK/gen2.out" '^listening ' 75
	took=$(($(date +%s) - start))
	check_eq "generation 2 waits and gets port $PORT" "listening $PORT" "$(cat "$WORK/gen2.out")"
	check "... after the timers ran out (${took}s, between 30 and 70)" test "$took" -ge 30 -a "$took" -le 70
	check "it logged the start of the wait" grep -q "bind 0.0.0.0:$PORT fd=[0-9]*: waiting up to 70 s for $N timewait socket(s)" "$WORK/gen2.err"
	check "... and its end" grep -Eq "bind 0\.0\.0\.0:$PORT fd=[0-9]+: waited [0-9]+\.[0-9] s: the port is free" "$WORK/gen2.err"
	;;
wait-short)
	gen2 NOTW_REAP=off NOTW_WAIT=3
	wait_for_line "$WORK/gen2.out" '^listening ' 10
	check_eq "NOTW_WAIT=3, leftovers for a minute: generation 2 drifts after the wait" "listening $((PORT + 1))" \
		"$(cat "$WORK/gen2.out")"
	check "... and the log tells the wait it made: 3 s (it said 4 s)" \
		grep -Eq "warning: bind 0\.0\.0\.0:$PORT fd=[0-9]+: waited 3\.[0-4] s: still held\$" "$WORK/gen2.err"
	;;
esac
finish
