#!/bin/bash
# NOTW_LINGER in a fork-per-connection server: the parent accepts, forks,
# closes its copy; the child serves the connection (or holds it) and exits.
# Then a pre-fork server (children accept from the inherited listener).
#
# Asserted: the children's own closes stay graceful (every client reads all
# the data and a clean EOF), under off and crash; SIGKILL of the whole
# process group leaves one timewait socket per held connection under both:
# under crash the parent's close of its copy disarms the connection, since
# nothing is left armed on account of another process
# (shim/linger-protocol.md), and the clients see a clean EOF, never a
# reset. Pre-fork: no timewait socket under crash (each worker arms what it
# accepts), one per connection under off.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linger-lib.sh"
enter_netns "$@"

N=20
BYTES=$((1024 * 1024))
# Below the ephemeral range (32768-60999), so that no client socket of the
# test can already hold a port a later server binds.
PORT=29300

for linger in off crash; do
	PORT=$((PORT + 1))
	start_bg "$WORK/server.$linger.out" "$WORK/server.$linger.err" env NOTW_LINGER=$linger \
		"${WITH_NOTW[@]}" "$NOTW_PROGS/linger_server" --fork --pgrp --serve "$N" --bytes "$BYTES" \
		--held "$N" --timeout 30 "$PORT"
	server=$BG_PID
	wait_for_line "$WORK/server.$linger.out" "^listening $PORT\$"

	# Served: each child writes BYTES and closes.
	"$NOTW_PROGS/linger_client" --threads 4 --conns $((N / 4)) --timeout 10 127.0.0.1 "$PORT" \
		>"$WORK/served.$linger.out"
	check_eq "$linger: every child's close is graceful (all bytes, clean EOF)" \
		"summary conns=$N eof=$N reset=0 error=0 open=0 bytes=$((N * BYTES))" \
		"$(grep '^summary ' "$WORK/served.$linger.out")"
	echo "# $linger: timewait sockets left by the children's own closes: $(timewait_timers_on_port "$PORT")"

	# Held: each child keeps its connection open, then the group dies.
	start_bg "$WORK/held.$linger.out" "$WORK/held.$linger.err" \
		"$NOTW_PROGS/linger_client" --hold "$N" --keep --timeout 10 127.0.0.1 "$PORT"
	client=$BG_PID
	wait_for_line "$WORK/held.$linger.out" "^connected $N\$"
	wait_for_line "$WORK/server.$linger.out" "^held $N\$"
	for ((i = 0; i < 100; i++)); do
		[ "$(pgrep -c -g "$server")" -gt "$N" ] && break
		sleep 0.05
	done
	check "$linger: the $N children are running" [ "$(pgrep -c -g "$server")" -gt "$N" ]
	for ((i = 0; i < 100; i++)); do
		peers=$(established_peers "$PORT")
		[ "$(grep -c . <<<"$peers")" -ge "$N" ] && break
		sleep 0.05
	done
	check_eq "$linger: $N connections established" "$N" "$(grep -c . <<<"$peers")"
	kill -KILL -- -"$server"
	wait_exit "$server" 10
	# Every client has seen its connection end: every copy of it is closed
	# (the killed processes may linger on as zombies, holding no socket).
	wait_for_line "$WORK/held.$linger.out" '^summary ' 10
	wait_until fin_wait_1_settled "$PORT"
	tw=$(timewait_of_peers "$PORT" "$peers")
	summary=$(grep '^summary ' "$WORK/held.$linger.out")
	kill -TERM "$client"
	wait_exit "$client" 5
	echo "# $linger: SIGKILL of the process group left $tw timewait sockets; clients: $summary"
	check_eq "$linger: SIGKILL of the group leaves $N timewait sockets (the parent disarmed at its close)" \
		"$N" "$tw"
	check_eq "$linger: every client saw a clean EOF, no reset" \
		"summary conns=$N eof=$N reset=0 error=0 open=0 bytes=0" "$summary"
done
check "crash: the listener's connections were armed" grep -q 'arm SO_LINGER{1,0} on connections accepted on' "$WORK/server.crash.err"

# Pre-fork: 4 children accept from the listener they inherited and hold
# their connections; then the whole group dies.
for linger in off crash; do
	PORT=$((PORT + 1))
	start_bg "$WORK/prefork.$linger.out" "$WORK/prefork.$linger.err" env NOTW_LINGER=$linger \
		"${WITH_NOTW[@]}" "$NOTW_PROGS/linger_server" --prefork 4 --pgrp --report --timeout 30 "$PORT"
	server=$BG_PID
	wait_for_line "$WORK/prefork.$linger.out" "^listening $PORT\$"
	start_bg "$WORK/pre-held.$linger.out" "$WORK/pre-held.$linger.err" \
		"$NOTW_PROGS/linger_client" --hold "$N" --keep --timeout 10 127.0.0.1 "$PORT"
	client=$BG_PID
	wait_for_line "$WORK/pre-held.$linger.out" "^connected $N\$"
	for ((i = 0; i < 200; i++)); do
		[ "$(grep -c '^accepted SO_LINGER ' "$WORK/prefork.$linger.out")" -ge "$N" ] && break
		sleep 0.05
	done
	check_eq "pre-fork, $linger: the children accepted the $N connections" "$N" \
		"$(grep -c '^accepted SO_LINGER ' "$WORK/prefork.$linger.out")"
	peers=$(established_peers "$PORT")
	kill -KILL -- -"$server"
	wait_exit "$server" 10
	wait_for_line "$WORK/pre-held.$linger.out" '^summary ' 10
	wait_until fin_wait_1_settled "$PORT"
	tw=$(timewait_of_peers "$PORT" "$peers")
	summary=$(grep '^summary ' "$WORK/pre-held.$linger.out")
	kill -TERM "$client"
	wait_exit "$client" 5
	if [ "$linger" = off ]; then
		check_eq "pre-fork, off: SIGKILL of the group leaves $N timewait sockets" "$N" "$tw"
	else
		check_eq "pre-fork, crash: SIGKILL of the group leaves no timewait socket" 0 "$tw"
		check_eq "pre-fork, crash: every client saw ECONNRESET" \
			"summary conns=$N eof=0 reset=$N error=0 open=0 bytes=0" "$summary"
	fi
done
finish
