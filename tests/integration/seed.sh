#!/bin/bash
# The seed scenario: a server without SO_REUSEADDR crashes with clients
# connected and is restarted at once.
#
#   seed.sh without|segv|kill|excluded|v6
#
# without   both generations without the library: the restart drifts to
#           the next port (proves the test sees the problem)
# segv      both under the library, generation 1 dies of a real SIGSEGV
# kill      both under the library, generation 1 is sent SIGKILL
# excluded  both under the library with NOTW_PORTS not naming the port:
#           no SO_REUSEADDR, the restart drifts as without the library
# v6        both under the library, dual-stack [::] listener, IPv4 and
#           IPv6 clients, SIGKILL
. "$(dirname "$0")/lib.sh"
enter_netns "$@"

MODE=${1:?mode}
PORT=49200
CLIENTS=5
family_flag=()
runner=("${WITH_NOTW[@]}")
case $MODE in
without) runner=("${WITHOUT_NOTW[@]}") ;;
excluded) export NOTW_PORTS=1-1000,50000-60000 ;;
v6) family_flag=(-6) ;;
esac

# Generation 1, with clients connected, then its death.
gen1_args=("${family_flag[@]}")
[ "$MODE" = segv ] || [ "$MODE" = without ] && gen1_args+=(--crash-after "$CLIENTS")
start_bg "$WORK/gen1.out" "$WORK/gen1.err" "${runner[@]}" "$NOTW_PROGS/seed_server" "${gen1_args[@]}" "$PORT"
GEN1=$BG_PID
check "generation 1 listens on $PORT" wait_for_line "$WORK/gen1.out" "^listening $PORT\$"
if [ "$MODE" = v6 ]; then
	start_bg "$WORK/c4.out" "$WORK/c4.err" "$NOTW_PROGS/hold_clients" 127.0.0.1 "$PORT" 3
	start_bg "$WORK/c6.out" "$WORK/c6.err" "$NOTW_PROGS/hold_clients" ::1 "$PORT" 2
	check "IPv4 clients connected" wait_for_line "$WORK/c4.out" '^connected 3$'
	check "IPv6 clients connected" wait_for_line "$WORK/c6.out" '^connected 2$'
else
	start_bg "$WORK/clients.out" "$WORK/clients.err" "$NOTW_PROGS/hold_clients" 127.0.0.1 "$PORT" "$CLIENTS"
	check "$CLIENTS clients connected" wait_for_line "$WORK/clients.out" "^connected $CLIENTS\$"
fi

case $MODE in
segv | without)
	wait_exit "$GEN1" 10
	check_eq "generation 1 died of SIGSEGV" 139 "$EXIT_STATUS"
	;;
*)
	# Let the server accept everything before killing it.
	for ((i = 0; i < 200; i++)); do
		[ "$(established_on_port "$PORT")" -ge "$CLIENTS" ] && break
		sleep 0.05
	done
	kill -KILL "$GEN1"
	wait_exit "$GEN1" 10
	check_eq "generation 1 died of SIGKILL" 137 "$EXIT_STATUS"
	;;
esac

left=$(timewait_timers_on_port "$PORT")
check "the crash left timewait sockets on $PORT (kernel: $left)" [ "$left" -ge 1 ]

# Generation 2, restarted at once.
start_bg "$WORK/gen2.out" "$WORK/gen2.err" "${runner[@]}" "$NOTW_PROGS/seed_server" "${family_flag[@]}" "$PORT"
GEN2=$BG_PID
wait_for_line "$WORK/gen2.out" '^listening ' 10
got=$(sed -n 's/^listening //p' "$WORK/gen2.out")
case $MODE in
without | excluded)
	check_eq "generation 2 drifts to the next port" $((PORT + 1)) "$got"
	check "the kernel shows no listener on $PORT" [ "$(listener_on_port "$PORT")" -eq 0 ]
	;;
*)
	check_eq "generation 2 gets port $PORT back" "$PORT" "$got"
	check "the kernel shows the listener on $PORT" [ "$(listener_on_port "$PORT")" -eq 1 ]
	addr='0\.0\.0\.0'
	[ "$MODE" = v6 ] && addr='\[::\]'
	check "generation 2 logged its decision" \
		grep -Eq "^notw\[$GEN2\]: bind $addr:$PORT fd=[0-9]+: set SO_REUSEADDR\$" "$WORK/gen2.err"
	;;
esac
case $MODE in
excluded)
	check "nothing logged at info for an excluded port" \
		bash -c "! grep -q 'set SO_REUSEADDR' '$WORK/gen1.err' '$WORK/gen2.err'" ;;
esac
kill -TERM "$GEN2"
finish
