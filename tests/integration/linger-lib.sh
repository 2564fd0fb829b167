# Helpers of the NOTW_LINGER tests (linger*.sh), sourced after lib.sh.

# timewait_to_port PORT: timewait sockets of connections TO port PORT (the
# client side).
timewait_to_port() {
	ss -tanoH state time-wait state fin-wait-2 "( dport = :$1 )" | grep -c 'timewait'
}

# The remote port of each socket line on stdin whose local port is $1.
_peer_ports() {
	awk -v p=":$1" '{
		for (i = 1; i < NF; i++)
			if (length($i) > length(p) && substr($i, length($i) - length(p) + 1) == p) {
				n = split($(i + 1), a, ":")
				print a[n]
				break
			}
	}' | sort -u
}

# established_peers PORT: the remote ports of the established connections on
# local port PORT, one a line, to name those connections later.
established_peers() {
	ss -tanH state established "( sport = :$1 )" | _peer_ports "$1"
}

# timewait_of_peers PORT PEERS: how many of the connections named by PEERS
# (from established_peers) are now timewait sockets on local port PORT.
# Unlike a count of the whole port it ignores older timewait sockets, and
# those a new connection reused (a client may pick the same port again).
# A dead server's orphan may also stay a full FIN-WAIT-2 socket (keepalive
# timer) when the ACK of its FIN lands while close() still holds it: every
# socket in either state counts, whatever its timer.
timewait_of_peers() {
	ss -tanH state time-wait state fin-wait-2 "( sport = :$1 )" | _peer_ports "$1" |
		comm -12 - <(printf '%s\n' "$2") | grep -c .
}

# start_server LINGER ARGS...: a new port (PORT + 1), SERVER_PROG (default
# linger_server) under the library with NOTW_LINGER=LINGER ("unset": not in
# the environment; "none": without the library). Sets PORT, SERVER, S_OUT,
# S_ERR.
start_server() {
	local linger=$1
	shift
	local runner=("${WITH_NOTW[@]}")
	case $linger in
	none) runner=("${WITHOUT_NOTW[@]}") ;;
	unset) runner=(env -u NOTW_LINGER "${WITH_NOTW[@]}") ;;
	*) runner=(env "NOTW_LINGER=$linger" "${WITH_NOTW[@]}") ;;
	esac
	PORT=$((PORT + 1))
	S_OUT=$WORK/server.$PORT.out
	S_ERR=$WORK/server.$PORT.err
	# SERVER_WRAPPER (an array, may be empty): a command the server runs
	# under (strace, to widen a window).
	start_bg "$S_OUT" "$S_ERR" ${SERVER_WRAPPER[@]+"${SERVER_WRAPPER[@]}"} "${runner[@]}" \
		"${SERVER_PROG:-$NOTW_PROGS/linger_server}" "$@" "$PORT"
	SERVER=$BG_PID
	wait_for_line "$S_OUT" "^listening $PORT\$" || not_ok "server on $PORT did not start"
}

# held LINGER ACTION [SERVER ARGS...]: N (set by the caller) clients connected and held open,
# then the server does ACTION (segv, abort, return, exit, _exit, _Exit) or
# is sent a signal (kill, term). Sets STATUS (the server's exit status), TW
# (the timewait sockets, and any other FIN-WAIT-2 orphan, left on its port
# once every client has seen its connection end), SUMMARY (the clients'
# summary line). The clients keep their ended connections open while the
# test counts: when they closed right after EOF, a loaded machine (tests in
# parallel) now and then reset some of the server's timewait sockets (Tcp
# OutRsts, without the library too), which made an exact count flaky.
held() {
	local linger=$1 action=$2 then=$2
	shift 2
	[ "$action" = kill ] || [ "$action" = term ] && then=wait
	start_server "$linger" --held "$N" --then "$then" "$@"
	start_bg "$WORK/clients.$PORT.out" "$WORK/clients.$PORT.err" \
		"$NOTW_PROGS/linger_client" --hold "$N" --keep --timeout 10 127.0.0.1 "$PORT"
	local client=$BG_PID
	wait_for_line "$WORK/clients.$PORT.out" "^connected $N\$" || not_ok "clients connected to $PORT"
	if [ "$then" = wait ]; then
		wait_for_line "$S_OUT" "^held $N\$" || not_ok "server on $PORT holds $N"
		kill -"${action^^}" "$SERVER"
	fi
	wait_exit "$SERVER" 10
	STATUS=$EXIT_STATUS
	wait_for_line "$WORK/clients.$PORT.out" '^summary ' 10
	wait_until fin_wait_1_settled "$PORT"
	TW=$(time_wait_or_fin_wait_2_on_port "$PORT")
	SUMMARY=$(grep '^summary ' "$WORK/clients.$PORT.out")
	kill -TERM "$client"
	wait_exit "$client" 5
}

status_of() {
	case $1 in
	segv) echo 139 ;;
	abort) echo 134 ;;
	kill) echo 137 ;;
	term) echo 143 ;;
	*) echo 0 ;;
	esac
}
