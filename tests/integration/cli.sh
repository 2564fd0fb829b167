#!/bin/bash
# The notw command, checked against the kernel's own view (ss).
#
#   cli.sh status-reap|reap-reset|netns|run
#
# reap-reset: where SOCK_DESTROY is refused (CAP_NET_ADMIN dropped from the
# bounding set), reap resets the sockets instead (CAP_NET_RAW): FIN-WAIT-2
# on IPv4 (also with tcp_rfc1337 = 1), v4-mapped and IPv6; TIME-WAIT of a
# remote peer (another namespace, through a veth pair); and says it cannot
# for TIME-WAIT when net.ipv4.tcp_rfc1337 = 1.
. "$(dirname "$0")/lib.sh"
: "${NOTW_CLI:?NOTW_CLI must name the notw command}"
enter_netns "$@"
ulimit -c 0
MODE=${1:?mode}
PORT=49200
N=3

# leftovers [SERVER OPTIONS]: a server without the library on PORT killed
# with N clients holding their ends, so its N leftovers stay in the
# FIN-WAIT-2 sub-state.
leftovers() {
	start_bg "$WORK/srv.out" "$WORK/srv.err" "$NOTW_PROGS/seed_server" "$@" "$PORT"
	local srv=$BG_PID
	wait_for_line "$WORK/srv.out" "^listening $PORT\$"
	start_bg "$WORK/cl.out" "$WORK/cl.err" "$NOTW_PROGS/linger_client" --hold "$N" --keep --timeout 60 127.0.0.1 "$PORT"
	wait_for_line "$WORK/cl.out" "^connected $N\$"
	wait_until at_least "$N" established_on_port "$PORT"
	kill -KILL "$srv"
	wait_exit "$srv" 10
	wait_until at_least "$N" timewait_on_port "$PORT"
}

# v6_leftovers PORT N: a server on [::1] without the library killed with N
# clients holding their ends: N FIN-WAIT-2 sockets. v6_release lets the
# clients go.
v6_leftovers() {
	start_bg "$WORK/v6srv.out" "$WORK/v6srv.err" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET6)
s.bind(("::1", int(sys.argv[1])))
s.listen(16)
print("listening", flush=True)
held = [s.accept() for _ in range(int(sys.argv[2]))]
print("held", flush=True)
time.sleep(60)' "$1" "$2"
	local srv=$BG_PID
	wait_for_line "$WORK/v6srv.out" '^listening$'
	python3 -c '
import socket, sys
conns = [socket.create_connection(("::1", int(sys.argv[1]))) for _ in range(int(sys.argv[2]))]
sys.stdin.read()' "$1" "$2" <"$WORK/v6-fifo" &
	V6_CLIENTS=$!
	exec 7>"$WORK/v6-fifo"
	wait_for_line "$WORK/v6srv.out" '^held$'
	kill -KILL "$srv"
	wait_exit "$srv" 10
	wait_until at_least "$2" timewait_on_port "$1"
}

v6_release() {
	exec 7>&-
	wait "$V6_CLIENTS"
}

json_get() { # json_get FILE PYTHON-EXPRESSION-ON-d
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}

case $MODE in
reap-reset)
	no_admin=(setpriv --bounding-set -net_admin --)
	leftovers
	check_eq "the kernel shows $N FIN-WAIT-2 leftovers" "$N" "$(timewait_on_port "$PORT")"
	# tcp_rfc1337 protects the TIME-WAIT sub-state only.
	sysctl -qw net.ipv4.tcp_rfc1337=1
	"${no_admin[@]}" "$NOTW_CLI" reap "$PORT" >"$WORK/reset.txt"
	check_eq "reap without CAP_NET_ADMIN, with CAP_NET_RAW (and tcp_rfc1337 = 1): exit 0" 0 $?
	sysctl -qw net.ipv4.tcp_rfc1337=0
	check_eq "... each FIN-WAIT-2 socket reset" "$N" "$(grep -c '^reset FIN-WAIT-2 127\.0\.0\.1:49200 ' "$WORK/reset.txt")"
	check "... and counted as such" grep -qx "port $PORT: $N destroyed ($N by reset), 0 refused, 0 timewait socket(s) remain" "$WORK/reset.txt"
	check_eq "the kernel agrees: no timewait socket left" 0 "$(timewait_on_port "$PORT")"

	# A dual-stack server: v4-mapped sockets, reset with IPv4 segments.
	PORT=49220
	leftovers -6
	"${no_admin[@]}" "$NOTW_CLI" reap "$PORT" >"$WORK/mapped.txt"
	check_eq "v4-mapped leftovers of a [::] server: all reset" "$N" \
		"$(grep -c '^reset FIN-WAIT-2 \[::ffff:127\.0\.0\.1\]:49220 ' "$WORK/mapped.txt")"
	check_eq "the kernel agrees" 0 "$(timewait_on_port "$PORT")"

	# IPv6, the clients still holding their ends (so that nothing but
	# notw's reset can end the sockets).
	PORT=49230
	mkfifo "$WORK/v6-fifo"
	v6_leftovers "$PORT" "$N"
	check_eq "IPv6 FIN-WAIT-2 leftovers on [::1]" "$N" "$(timewait_on_port "$PORT")"
	"${no_admin[@]}" "$NOTW_CLI" reap "$PORT" >"$WORK/v6.txt"
	check_eq "IPv6: all reset" "$N" "$(grep -c '^reset FIN-WAIT-2 \[::1\]:49230 ' "$WORK/v6.txt")"
	check_eq "the kernel agrees" 0 "$(timewait_on_port "$PORT")"
	v6_release

	# TIME-WAIT, with the peer on another host (a namespace behind a veth
	# pair) that cannot answer any more: notw sees the socket's answer
	# leave through the veth, and only its own reset can end the socket
	# (on loopback, the closed peer's kernel would reset it too).
	PORT=49240
	start_bg "$WORK/peer.out" "$WORK/peer.err" unshare -n -- sleep 60
	peer=$BG_PID
	wait_until in_other_netns "$peer"
	ip link add notw-a type veth peer name notw-b
	ip link set notw-b netns "$peer"
	ip addr add 10.200.0.1/24 dev notw-a
	ip link set notw-a up
	nsenter -t "$peer" -n -- sh -c 'ip addr add 10.200.0.2/24 dev notw-b && ip link set notw-b up'
	start_bg "$WORK/rs.out" "$WORK/rs.err" "$NOTW_PROGS/seed_server" "$PORT"
	rs=$BG_PID
	wait_for_line "$WORK/rs.out" "^listening $PORT\$"
	start_bg "$WORK/rc.out" "$WORK/rc.err" nsenter -t "$peer" -n -- \
		"$NOTW_PROGS/linger_client" --hold "$N" --keep --timeout 60 10.200.0.1 "$PORT"
	rc=$BG_PID
	wait_for_line "$WORK/rc.out" "^connected $N\$"
	wait_until at_least "$N" established_on_port "$PORT"
	kill -KILL "$rs"
	wait_exit "$rs" 10
	kill -TERM "$rc" # the clients close: TIME-WAIT here
	wait_exit "$rc" 10
	wait_until at_least "$N" time_wait_on_port "$PORT"
	check_eq "TIME-WAIT leftovers of remote clients" "$N" "$(time_wait_on_port "$PORT")"
	nsenter -t "$peer" -n -- ip addr del 10.200.0.2/24 dev notw-b # the peer goes silent
	sysctl -qw net.ipv4.tcp_rfc1337=1
	"${no_admin[@]}" "$NOTW_CLI" reap "$PORT" >"$WORK/rfc1337.txt"
	check_eq "TIME-WAIT with net.ipv4.tcp_rfc1337 = 1: exit 1" 1 $?
	check_eq "... saying why, for each" "$N" \
		"$(grep -c 'net.ipv4.tcp_rfc1337 = 1 makes TIME-WAIT sockets ignore resets$' "$WORK/rfc1337.txt")"
	check_eq "... and the kernel still has them" "$N" "$(timewait_on_port "$PORT")"
	sysctl -qw net.ipv4.tcp_rfc1337=0
	"${no_admin[@]}" "$NOTW_CLI" reap --json "$PORT" >"$WORK/tw.json"
	check_eq "TIME-WAIT, remote peer, reset: exit 0" 0 $?
	check_eq "... --json: $N destroyed, $N by reset, none remaining" "$N $N 0" \
		"$(json_get "$WORK/tw.json" '" ".join(str(d[k]) for k in ("destroyed", "by_reset", "remaining"))')"
	check_eq "the kernel agrees" 0 "$(timewait_on_port "$PORT")"
	;;
status-reap)
	check "--version" bash -c "'$NOTW_CLI' --version | grep -q '^notw [0-9]'"
	check "--help exits 0" "$NOTW_CLI" --help
	"$NOTW_CLI" status >/dev/null 2>&1
	check_eq "status without a port: usage error (2)" 2 $?
	"$NOTW_CLI" reap 70000 >/dev/null 2>&1
	check_eq "reap of port 70000: usage error (2)" 2 $?
	leftovers
	check_eq "the kernel shows $N timewait sockets" "$N" "$(timewait_on_port "$PORT")"
	"$NOTW_CLI" status "$PORT" >"$WORK/status.txt"
	check_eq "status lists them, FIN-WAIT-2 with their time left" "$N" \
		"$(grep -Ec '^  FIN-WAIT-2 +127\.0\.0\.1:49200 .* timewait, [0-9]+ s left$' "$WORK/status.txt")"
	check "status: a bind without SO_REUSEADDR fails now" grep -q 'without SO_REUSEADDR: EADDRINUSE' "$WORK/status.txt"
	"$NOTW_CLI" status --json "$PORT" >"$WORK/status.json"
	check_eq "status --json parses, and counts what ss counts" "$N" "$(json_get "$WORK/status.json" 'd["timewait"]')"
	check_eq "status --json: each socket's sub-state" "FIN-WAIT-2" \
		"$(json_get "$WORK/status.json" '",".join(sorted(set(s["state"] for s in d["sockets"])))')"
	"$NOTW_CLI" reap --dry-run "$PORT" >"$WORK/dry.txt"
	check_eq "reap --dry-run: exit 1 (they remain)" 1 $?
	check_eq "reap --dry-run: lists each" "$N" "$(grep -c '^would destroy FIN-WAIT-2 ' "$WORK/dry.txt")"
	check_eq "reap --dry-run: the kernel still has them" "$N" "$(timewait_on_port "$PORT")"
	chmod 755 "$WORK"
	setpriv --reuid=65534 --regid=65534 --clear-groups -- "$NOTW_CLI" reap "$PORT" >"$WORK/unpriv.txt"
	check_eq "reap without CAP_NET_ADMIN: exit 1, no false success" 1 $?
	check_eq "... each one with its causes" "$N" \
		"$(grep -c 'cause: SOCK_DESTROY needs CAP_NET_ADMIN over this network namespace; the reset method needs CAP_NET_RAW$' "$WORK/unpriv.txt")"
	check_eq "... and the kernel still has them" "$N" "$(timewait_on_port "$PORT")"
	"$NOTW_CLI" reap --json "$PORT" >"$WORK/reap.json"
	check_eq "reap as root: exit 0" 0 $?
	check_eq "reap --json parses: $N destroyed, none by reset, none refused, none remaining" "$N 0 0 0" \
		"$(json_get "$WORK/reap.json" '" ".join(str(d[k]) for k in ("destroyed", "by_reset", "refused", "remaining"))')"
	check_eq "the kernel agrees: no timewait socket left" 0 "$(timewait_on_port "$PORT")"
	"$NOTW_CLI" status "$PORT" >"$WORK/after.txt"
	check "status now: the bind succeeds without SO_REUSEADDR" grep -q 'without SO_REUSEADDR: ok' "$WORK/after.txt"
	;;
netns)
	# A namespace of the test's own, held by a sleeping process; the
	# leftovers are made inside it, notw looks from outside with --netns PID.
	start_bg "$WORK/ns.out" "$WORK/ns.err" unshare -n -- sleep 60
	NS=$BG_PID
	wait_until in_other_netns "$NS"
	nsenter -t "$NS" -n -- bash -c "
		ip link set lo up
		'$NOTW_PROGS/seed_server' $PORT >'$WORK/srv.out' 2>&1 &
		srv=\$!
		for ((i = 0; i < 100; i++)); do grep -q listening '$WORK/srv.out' && break; sleep 0.05; done
		'$NOTW_PROGS/linger_client' --hold $N --keep --timeout 60 127.0.0.1 $PORT >'$WORK/cl.out' 2>&1 &
		echo \$! >'$WORK/cl.pid'
		for ((i = 0; i < 100; i++)); do grep -q connected '$WORK/cl.out' && break; sleep 0.05; done
		sleep 0.2
		kill -KILL \$srv"
	sleep 0.2
	check_eq "this namespace has nothing on the port" 0 "$(timewait_on_port "$PORT")"
	"$NOTW_CLI" status --json --netns "$NS" "$PORT" >"$WORK/ns.json"
	check_eq "status --netns PID sees the other namespace's $N timewait sockets" "$N" \
		"$(json_get "$WORK/ns.json" 'd["timewait"]')"
	"$NOTW_CLI" reap --netns "$NS" "$PORT" >"$WORK/ns-reap.txt"
	check_eq "reap --netns PID: exit 0" 0 $?
	check_eq "... and the kernel of that namespace agrees" 0 \
		"$(nsenter -t "$NS" -n -- ss -tanoH state time-wait state fin-wait-2 "( sport = :$PORT )" | grep -c timewait)"
	"$NOTW_CLI" status --netns /nonexistent "$PORT" >/dev/null 2>"$WORK/bad-ns.err"
	check_eq "--netns to nothing: usage error (2)" 2 $?
	kill -TERM "$(cat "$WORK/cl.pid")" 2>/dev/null
	;;
run)
	# notw run puts libnotw first; a sanitizer build's runtime then comes
	# second (as an existing LD_PRELOAD), which its check must accept.
	existing=/nonexistent-other.so
	runner=("$NOTW_CLI")
	if [ -n "${NOTW_PRELOAD_PREFIX:-}" ]; then
		runner=(env "LD_PRELOAD=$NOTW_PRELOAD_PREFIX" "ASAN_OPTIONS=${ASAN_OPTIONS:-}:verify_asan_link_order=0" "$NOTW_CLI")
		existing=$NOTW_PRELOAD_PREFIX
	fi
	out=$("${runner[@]}" run --reuseaddr on --log-level debug -- "$NOTW_PROGS/probe" reuse tcp4 49201 2>"$WORK/run.err")
	check_eq "notw run: the program runs under the library" "SO_REUSEADDR=1" "$out"
	check "... which logs its decisions" grep -q 'bind 0.0.0.0:49201 fd=[0-9]*: set SO_REUSEADDR' "$WORK/run.err"
	out=$("${runner[@]}" run --reuseaddr off -- "$NOTW_PROGS/probe" reuse tcp4 49202 2>/dev/null)
	check_eq "notw run --reuseaddr off reaches the library" "SO_REUSEADDR=0" "$out"
	out=$(env "LD_PRELOAD=$existing" "${runner[@]}" run -- "$NOTW_PROGS/probe" env LD_PRELOAD 2>/dev/null)
	case $out in
	*/libnotw.so:"$existing") ok "an existing LD_PRELOAD is kept, after libnotw" ;;
	*) not_ok "an existing LD_PRELOAD is kept, after libnotw (got '$out')" ;;
	esac
	"$NOTW_CLI" run --linger sometimes -- true 2>"$WORK/bad.err"
	check_eq "an invalid option value: exit 2" 2 $?
	"$NOTW_CLI" run -- "$NOTW_PROGS/static_hello" >"$WORK/static.out" 2>"$WORK/static.err"
	check_eq "a statically linked program: refused, exit 2" 2 $?
	check "... saying why" grep -q 'statically linked' "$WORK/static.err"
	check_eq "... and not run" "" "$(cat "$WORK/static.out")"
	cp "$NOTW_PROGS/probe" "$WORK/probe-setuid"
	chmod 4755 "$WORK/probe-setuid"
	"$NOTW_CLI" run -- "$WORK/probe-setuid" reuse tcp4 49203 >/dev/null 2>"$WORK/setuid.err"
	check_eq "a set-user-ID program: refused, exit 2" 2 $?
	check "... saying why" grep -q 'set-user-ID' "$WORK/setuid.err"
	;;
esac
finish
