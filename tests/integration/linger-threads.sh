#!/bin/bash
# NOTW_LINGER=crash in a multi-threaded server under concurrent load: 8
# threads accept and serve (write, close) at once while 8 client threads make
# 200 connections each (accept4(), as most servers do). Every close the program makes stays graceful (every
# client gets all the bytes and a clean EOF); then, with 20 connections held
# open, SIGKILL leaves no timewait socket. Plain pthreads, so it runs under
# ThreadSanitizer too (NOTW_PRELOAD_PREFIX).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linger-lib.sh"
enter_netns "$@"

# Below the ephemeral range (32768-60999), so that no client socket of the
# test can already hold a port a later server binds.
PORT=29400
THREADS=8
PER_THREAD=200
SERVED=$((THREADS * PER_THREAD))
BYTES=32768
N=20

start_bg "$WORK/server.out" "$WORK/server.err" env NOTW_LINGER=crash "${WITH_NOTW[@]}" \
	"$NOTW_PROGS/linger_server" --accept4 --threads "$THREADS" --serve "$SERVED" --bytes "$BYTES" \
	--held "$N" --timeout 60 "$PORT"
server=$BG_PID
check "the server listens" wait_for_line "$WORK/server.out" "^listening $PORT\$"

"$NOTW_PROGS/linger_client" --threads "$THREADS" --conns "$PER_THREAD" --timeout 40 127.0.0.1 "$PORT" \
	>"$WORK/load.out" 2>"$WORK/load.err"
check_eq "$SERVED connections from $THREADS threads: all bytes and a clean EOF on each" \
	"summary conns=$SERVED eof=$SERVED reset=0 error=0 open=0 bytes=$((SERVED * BYTES))" \
	"$(grep '^summary ' "$WORK/load.out")"
served_tw=$(timewait_timers_on_port "$PORT")
echo "# timewait sockets left by the server's own closes: $served_tw"
check "the server's own closes were graceful: timewait sockets left ($served_tw)" [ "$served_tw" -ge 1 ]

start_bg "$WORK/held.out" "$WORK/held.err" "$NOTW_PROGS/linger_client" --hold "$N" --keep --timeout 20 \
	127.0.0.1 "$PORT"
client=$BG_PID
check "$N clients connected" wait_for_line "$WORK/held.out" "^connected $N\$"
check "the server holds them" wait_for_line "$WORK/server.out" "^held $N\$"
peers=$(established_peers "$PORT")
check_eq "$N connections established" "$N" "$(grep -c . <<<"$peers")"
kill -KILL "$server"
wait_exit "$server" 10
check_eq "the server died of SIGKILL" 137 "$EXIT_STATUS"
wait_for_line "$WORK/held.out" '^summary ' 10
check_eq "SIGKILL: none of the $N held connections left a timewait socket" 0 "$(timewait_of_peers "$PORT" "$peers")"
check_eq "SIGKILL: every held client saw ECONNRESET" \
	"summary conns=$N eof=0 reset=$N error=0 open=0 bytes=0" "$(grep '^summary ' "$WORK/held.out")"
kill -TERM "$client"
wait_exit "$client" 5
check "nothing on the server's stderr but the library's lines" \
	bash -c "! grep -v '^notw\[' '$WORK/server.err'"
check_eq "at info level, nothing logged per connection (bind and arm lines only)" 2 \
	"$(grep -c . "$WORK/server.err")"
finish
