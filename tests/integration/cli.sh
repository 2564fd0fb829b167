#!/bin/bash
# The notw command, checked against the kernel's own view (ss).
#
#   cli.sh messages|status-reap|status-answers|reap-reset|reap-reconnect|reap-in-flight|status-under-library|status-names|netns|run|run-paths
#
# reap-reset: where SOCK_DESTROY is refused (CAP_NET_ADMIN dropped from the
# bounding set), reap resets the sockets instead (CAP_NET_RAW): FIN-WAIT-2
# on IPv4 (also with tcp_rfc1337 = 1), v4-mapped and IPv6; TIME-WAIT of a
# remote peer (another namespace, through a veth pair); and says it cannot
# for TIME-WAIT when net.ipv4.tcp_rfc1337 = 1.
# messages: what an operator sees on a mistake: one line and where the
# help is, -V, a program in the current directory, a host name, no policy
# file on a fresh installation.
# status-answers: status never binds (a server starting at that instant
# would fail), exits 0 free / 1 held / 2 usage, says the next step and
# whether the holder has libnotw loaded.
# reap-reconnect: a client reconnects from the same port between reap's
# listing and its reset, or between its last look and the reset (the window
# held open with strace): the new, live connection on the same four-tuple
# is not reset.
. "$(dirname "$0")/lib.sh"
need_cli
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
	wait_until at_least "$N" timewait_timers_on_port "$PORT"
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
	wait_until at_least "$2" timewait_timers_on_port "$1"
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
	check_eq "the kernel shows $N FIN-WAIT-2 leftovers" "$N" "$(timewait_timers_on_port "$PORT")"
	# tcp_rfc1337 protects the TIME-WAIT sub-state only.
	sysctl -qw net.ipv4.tcp_rfc1337=1
	"${no_admin[@]}" "$NOTW_CLI" reap "$PORT" >"$WORK/reset.txt"
	check_eq "reap without CAP_NET_ADMIN, with CAP_NET_RAW (and tcp_rfc1337 = 1): exit 0" 0 $?
	sysctl -qw net.ipv4.tcp_rfc1337=0
	check_eq "... each FIN-WAIT-2 socket reset" "$N" "$(grep -c '^reset FIN-WAIT-2 127\.0\.0\.1:49200 ' "$WORK/reset.txt")"
	check "... and counted as such" grep -qx "port $PORT: $N destroyed ($N by reset), 0 refused, 0 left (0 still sending data, 0 of live processes); nothing holds the port any more" "$WORK/reset.txt"
	check_eq "the kernel agrees: no timewait socket left" 0 "$(timewait_timers_on_port "$PORT")"

	# A dual-stack server: v4-mapped sockets, reset with IPv4 segments.
	PORT=49220
	leftovers -6
	"${no_admin[@]}" "$NOTW_CLI" reap "$PORT" >"$WORK/mapped.txt"
	check_eq "v4-mapped leftovers of a [::] server: all reset" "$N" \
		"$(grep -c '^reset FIN-WAIT-2 \[::ffff:127\.0\.0\.1\]:49220 ' "$WORK/mapped.txt")"
	check_eq "the kernel agrees" 0 "$(timewait_timers_on_port "$PORT")"

	# IPv6, the clients still holding their ends (so that nothing but
	# notw's reset can end the sockets).
	PORT=49230
	mkfifo "$WORK/v6-fifo"
	v6_leftovers "$PORT" "$N"
	check_eq "IPv6 FIN-WAIT-2 leftovers on [::1]" "$N" "$(timewait_timers_on_port "$PORT")"
	"${no_admin[@]}" "$NOTW_CLI" reap "$PORT" >"$WORK/v6.txt"
	check_eq "IPv6: all reset" "$N" "$(grep -c '^reset FIN-WAIT-2 \[::1\]:49230 ' "$WORK/v6.txt")"
	check_eq "the kernel agrees" 0 "$(timewait_timers_on_port "$PORT")"
	v6_release

	# TIME-WAIT, with the peer on another host (a namespace behind a veth
	# pair) that cannot answer any more: notw sees the socket's answer
	# leave through the veth, and only its own reset can end the socket
	# (on loopback, the closed peer's kernel would reset it too).
	PORT=49240
	if ! command -v iptables >/dev/null; then
		echo "# iptables missing: the reset after the last look is not tried"
		finish
	fi
	peer_host 10.200.0
	peer=$PEER
	start_bg "$WORK/rs.out" "$WORK/rs.err" "$NOTW_PROGS/seed_server" "$PORT"
	rs=$BG_PID
	wait_for_line "$WORK/rs.out" "^listening $PORT\$"
	start_bg "$WORK/rc.out" "$WORK/rc.err" nsenter -t "$peer" -n -- \
		"$NOTW_PROGS/linger_client" --hold "$N" --keep --timeout 60 10.200.0.1 "$PORT"
	rc=$BG_PID
	wait_for_line "$WORK/rc.out" "^connected $N\$"
	wait_until at_least "$N" established_on_port "$PORT"
	wait_until accept_queue_empty "$PORT"
	kill -KILL "$rs"
	wait_exit "$rs" 10
	kill -TERM "$rc" # the clients close: TIME-WAIT here
	wait_exit "$rc" 10
	wait_until at_least "$N" time_wait_state_on_port "$PORT"
	check_eq "TIME-WAIT leftovers of remote clients" "$N" "$(time_wait_state_on_port "$PORT")"
	nsenter -t "$peer" -n -- ip addr del 10.200.0.2/24 dev notw-b # the peer goes silent
	sysctl -qw net.ipv4.tcp_rfc1337=1
	"${no_admin[@]}" "$NOTW_CLI" reap "$PORT" >"$WORK/rfc1337.txt"
	check_eq "TIME-WAIT with net.ipv4.tcp_rfc1337 = 1: exit 1" 1 $?
	check_eq "... saying why, for each" "$N" \
		"$(grep -c 'net.ipv4.tcp_rfc1337 = 1 makes TIME-WAIT sockets ignore resets$' "$WORK/rfc1337.txt")"
	check_eq "... and the kernel still has them" "$N" "$(timewait_timers_on_port "$PORT")"
	sysctl -qw net.ipv4.tcp_rfc1337=0
	"${no_admin[@]}" "$NOTW_CLI" reap --json "$PORT" >"$WORK/tw.json"
	check_eq "TIME-WAIT, remote peer, reset: exit 0" 0 $?
	check_eq "... --json: $N destroyed, $N by reset, none remaining" "$N $N 0" \
		"$(json_get "$WORK/tw.json" '" ".join(str(d[k]) for k in ("destroyed", "by_reset", "remaining"))')"
	check_eq "the kernel agrees" 0 "$(timewait_timers_on_port "$PORT")"
	;;
reap-reconnect)
	# The server closes first: TIME-WAIT on its side, 127.0.0.1:PORT to
	# 127.0.0.1:CPORT. The same client port then connects again (the
	# timewait socket lets the SYN through) while reap is held (strace
	# delays one of its system calls by 3 s) at a chosen step.
	#
	# reconnect_during NAME PORT CPORT READY-COMMAND STRACE-OPTIONS...: runs
	# reap PORT under strace; once READY-COMMAND succeeds, the client
	# reconnects; then the client's connection is tried. The server listens
	# on SRV_ADDR, the client runs with CLIENT_PREFIX from CL_ADDR. Output in
	# $WORK/NAME.*, the client's verdict in VERDICT, reap's status in REAP_RC.
	SRV_ADDR=127.0.0.1 CL_ADDR=127.0.0.1 CLIENT_PREFIX=()
	reconnect_during() {
		local name=$1 port=$2 cport=$3 ready=$4
		shift 4
		mkfifo "$WORK/$name.ctl"
		start_bg "$WORK/$name.srv.out" "$WORK/$name.srv.err" python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[2], int(sys.argv[1])))
s.listen(4)
print("listening", flush=True)
c, _ = s.accept()
c.close()
c, _ = s.accept()
while True:
    data = c.recv(100)
    if not data:
        break
    c.sendall(data)' "$port" "$SRV_ADDR"
		wait_for_line "$WORK/$name.srv.out" '^listening$'
		start_bg "$WORK/$name.cl.out" "$WORK/$name.cl.err" "${CLIENT_PREFIX[@]}" python3 -c '
import socket, sys
def connect():
    c = socket.socket()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    c.bind((sys.argv[5], int(sys.argv[2])))
    c.connect((sys.argv[4], int(sys.argv[1])))
    return c
c = connect()
c.recv(1)
c.close()
print("closed", flush=True)
ctl = open(sys.argv[3])
ctl.readline()
c = connect()
print("reconnected", flush=True)
ctl.readline()
try:
    c.sendall(b"ping")
    print("answer", c.recv(100).decode() or "EOF", flush=True)
except OSError as e:
    print("error", e.strerror, flush=True)' "$port" "$cport" "$WORK/$name.ctl" "$SRV_ADDR" "$CL_ADDR"
		exec 8>"$WORK/$name.ctl"
		wait_for_line "$WORK/$name.cl.out" '^closed$'
		wait_until at_least 1 time_wait_state_on_port "$port"
		check_eq "$name: the server's TIME-WAIT socket towards the client's port" 1 \
			"$(ss -tanH state time-wait "( sport = :$port and dport = :$cport )" | grep -c .)"
		start_bg "$WORK/$name.reap.out" "$WORK/$name.reap.err" setpriv --bounding-set -net_admin -- \
			"${STRACE[@]}" -qq -o "$WORK/$name.trace" "$@" "$NOTW_CLI" reap "$port"
		local reap=$BG_PID
		wait_until "$ready" "$name" || echo "# $name: reap never reached the step"
		echo >&8
		wait_for_line "$WORK/$name.cl.out" '^reconnected$'
		check_eq "$name: the client is connected again from the same port" 1 \
			"$(ss -tanH state established "( sport = :$port and dport = :$cport )" | grep -c .)"
		wait_exit "$reap" 20
		REAP_RC=$EXIT_STATUS
		sed 's/^/# reap: /' "$WORK/$name.reap.out" "$WORK/$name.reap.err"
		echo >&8
		exec 8>&-
		wait_for_line "$WORK/$name.cl.out" '^(answer|error) '
		VERDICT=$(grep -E '^(answer|error) ' "$WORK/$name.cl.out")
	}
	# Between the listing and the reset: the capture socket of the reset
	# method exists (its filter is set next, in the delayed setsockopt()).
	capture_made() { ss -0Hp | grep -q '"notw"'; }
	reconnect_during listed "$PORT" 50123 capture_made \
		-e trace=setsockopt -e inject=setsockopt:delay_enter=3000000
	check_eq "reap: exit 1 (the server's listener still holds the port)" 1 "$REAP_RC"
	check "... says the timewait socket was gone before its reset" \
		grep -q "^already gone TIME-WAIT 127\.0\.0\.1:$PORT 127\.0\.0\.1:50123\$" "$WORK/listed.reap.out"
	check_eq "... and counts no reset" 0 "$(grep -c '^reset ' "$WORK/listed.reap.out")"
	check_eq "the live connection on the same four-tuple was not reset: it answers" "answer ping" "$VERDICT"

	# The narrowest window: after reap's last look at the socket, right
	# before the reset itself (the 7th sendto(): two for the listing, one
	# for SOCK_DESTROY, the look, the probe, the look again, the reset).
	# The reset carries the timewait socket's next sequence number, which
	# lies before the new connection's window: the kernel drops it. The
	# client is on another host (a namespace behind a veth pair) whose own
	# resets are dropped: on loopback, the client's kernel would answer the
	# probe's answer with a reset of its own and end the timewait socket
	# before reap's last look.
	if ! command -v iptables >/dev/null; then
		echo "# iptables missing: the reset after the last look is not tried"
		finish
	fi
	peer_host 10.201.0 'iptables -A OUTPUT -p tcp --tcp-flags RST RST -j DROP'
	peer=$PEER
	SRV_ADDR=10.201.0.1 CL_ADDR=10.201.0.2 CLIENT_PREFIX=(nsenter -t "$peer" -n --)
	six_sent() { [ "$(grep -c '^sendto(' "$WORK/$1.trace" 2>/dev/null)" -ge 6 ]; }
	reconnect_during last-look $((PORT + 1)) 50124 six_sent \
		-e trace=sendto -e inject=sendto:delay_enter=3000000:when=7
	check "the reset was sent (the socket was there at reap's last look)" \
		grep -q "^reset TIME-WAIT 10\.201\.0\.1:$((PORT + 1)) 10\.201\.0\.2:50124\$" "$WORK/last-look.reap.out"
	check_eq "a reconnection between reap's last look and its reset: the new connection answers" \
		"answer ping" "$VERDICT"
	;;
reap-in-flight)
	# A server without the library fills the send queues of clients that
	# never read, then is killed: the kernel keeps each connection as an
	# orphan in FIN-WAIT-1, still sending. reap must not destroy them (the
	# clients would lose that data) nor report the port free.
	start_bg "$WORK/fill.out" "$WORK/fill.err" python3 -c '
import os, signal, socket, sys
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(8)
print("listening", flush=True)
conns = [s.accept()[0] for _ in range(int(sys.argv[2]))]
for c in conns:
    c.setblocking(False)
    try:
        while True:
            c.send(b"x" * 65536)
    except BlockingIOError:
        pass
print("full", flush=True)
os.kill(os.getpid(), signal.SIGKILL)' "$PORT" "$N"
	wait_for_line "$WORK/fill.out" '^listening$'
	start_bg "$WORK/slow.out" "$WORK/slow.err" python3 -c '
import socket, sys, time
cs = []
for _ in range(int(sys.argv[2])):
    c = socket.socket()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    c.connect(("127.0.0.1", int(sys.argv[1])))
    cs.append(c)
print("connected", flush=True)
time.sleep(60)' "$PORT" "$N"
	wait_for_line "$WORK/fill.out" '^full$'
	in_flight() { ss -tanH state fin-wait-1 "( sport = :$PORT )" | awk '$2 > 0' | grep -c .; }
	wait_until at_least "$N" in_flight
	check_eq "the kernel shows $N FIN-WAIT-1 orphans with data queued" "$N" "$(in_flight)"
	"$NOTW_CLI" status --json "$PORT" >"$WORK/flight.json"
	check_eq "status counts them as closing sockets still sending data" "$N $N" \
		"$(json_get "$WORK/flight.json" '"%d %d" % (d["closing"], d["draining"])')"
	"$NOTW_CLI" reap "$PORT" >"$WORK/flight.txt"
	check_eq "reap: exit 1 (they still hold the port)" 1 $?
	check_eq "... says for each that data is still in flight" "$N" \
		"$(grep -c '^  cause: data still in flight' "$WORK/flight.txt")"
	check_eq "... lists each as left" "$N" "$(grep -c '^left FIN-WAIT-1 127\.0\.0\.1:49200 ' "$WORK/flight.txt")"
	check "... and does not call the port free" grep -q "^port $PORT: 0 destroyed .* $N socket(s) still hold it\$" "$WORK/flight.txt"
	check_eq "the kernel still has them, still sending" "$N" "$(in_flight)"
	"$NOTW_CLI" reap --json "$PORT" >"$WORK/flight-reap.json"
	check_eq "reap --json: none destroyed, $N left, $N draining, $N remaining" "0 $N $N $N" \
		"$(json_get "$WORK/flight-reap.json" '" ".join(str(d[k]) for k in ("destroyed", "left", "draining", "remaining"))')"
	;;
status-under-library)
	# After notw enable every program loads the library, notw included: its
	# probe bind must not go through the library's bind hook (which as root
	# would destroy the leftovers to let the bind through).
	leftovers
	"$NOTW_CLI" status "$PORT" >"$WORK/plain.txt"
	"${WITH_NOTW[@]}" NOTW_LOG=stderr "$NOTW_CLI" status "$PORT" >"$WORK/under.txt" 2>"$WORK/under.err"
	check_eq "status under LD_PRELOAD=libnotw: exit 1 (the leftovers hold the port)" 1 $?
	check_eq "... reports what it reports without the library" "$(grep -v '^  ' "$WORK/plain.txt")" \
		"$(grep -v '^  ' "$WORK/under.txt")"
	check "... a bind without SO_REUSEADDR fails now" grep -q 'without SO_REUSEADDR: EADDRINUSE' "$WORK/under.txt"
	check_eq "... the library logged nothing about it" "" "$(grep 'notw\[' "$WORK/under.err")"
	check_eq "... and destroyed nothing" "$N" "$(timewait_timers_on_port "$PORT")"
	;;
messages)
	# errs NAME ARGS...: notw ARGS; status in RC, stderr in $WORK/NAME.err, one line per '|'.
	errs() {
		local name=$1
		shift
		RC=0
		"$NOTW_CLI" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || RC=$?
		ERRS=$(tr '\n' '|' <"$WORK/$name.err")
	}
	errs st status --jsn "$PORT"
	check_eq "a mistyped option (status): one line, where the help is, exit 2" \
		"2 notw status: unknown option --jsn|try 'notw status --help'|" "$RC $ERRS"
	errs rn run --lingr crash -- true
	check_eq "a mistyped option (run): one line, where the help is, exit 2" \
		"2 notw run: unknown option --lingr|try 'notw run --help'|" "$RC $ERRS"
	errs cc check-config -x
	check_eq "a mistyped short option (check-config): one line, where the help is" \
		"2 notw check-config: unknown option -x|try 'notw check-config --help'|" "$RC $ERRS"
	errs np reap
	check_eq "no port: one line, where the help is" "2 notw reap: which port?|try 'notw reap --help'|" "$RC $ERRS"
	errs uc statsu "$PORT"
	check_eq "an unknown command: one line, where the help is" "2 notw: unknown command 'statsu'|try 'notw --help'|" "$RC $ERRS"
	check_eq "-V is --version" "$("$NOTW_CLI" --version)" "$("$NOTW_CLI" -V)"
	errs host status localhost:"$PORT"
	check_eq "a host name in ADDR:PORT: usage error, saying names are not resolved" \
		"2 notw: localhost:$PORT: host names are not resolved (a name may stand for several addresses, or none); give an address: 127.0.0.1:PORT, [::1]:PORT, or PORT alone for every address|" \
		"$RC $ERRS"
	# Words of the command line reach the terminal escaped, whichever
	# message repeats them (a name from elsewhere: a file name, a script's
	# variable): an unknown command or option, a value refused, a program
	# or a file not there.
	ESC=$(printf '\033]0;forged\007\033[2J')
	for args in "$ESC" "status --$ESC" "run --lingr=$ESC true" "run --ports $ESC true" "run $ESC" \
		"run ./$ESC" "status $ESC" "reap 1:$ESC" "enable --library $ESC" "disable $ESC" \
		"enable --root /$ESC" "check-config /$ESC" "status -$ESC"; do
		IFS=' ' read -r -a words <<<"$args"
		errs hostile "${words[@]}"
		check "hostile bytes in 'notw ${args//$ESC/ESC}': said escaped (exit $RC)" \
			sh -c '[ -s "$1" ] && ! LC_ALL=C grep -q "$(printf "[\001-\010\016-\037\177]")" "$1"' x "$WORK/hostile.err"
	done
	# A program in the current directory: a name without '/' is looked
	# up in PATH only, as a shell does.
	mkdir "$WORK/here"
	printf '#!/bin/sh\necho ran\n' >"$WORK/here/srv"
	chmod 755 "$WORK/here/srv"
	(cd "$WORK/here" && "$NOTW_CLI" run srv) >/dev/null 2>"$WORK/here.err"
	check_eq "notw run srv with ./srv here: exit 2" 2 $?
	check_eq "... says how to run the one here" \
		"notw run: srv: no such program in PATH (a name without '/' is looked up there only); to run the file here: notw run ./srv" \
		"$(cat "$WORK/here.err")"
	(cd "$WORK" && "$NOTW_CLI" run srv) >/dev/null 2>"$WORK/nohere.err"
	check_eq "... and without it, just that it is not there" "notw run: srv: no such program" "$(cat "$WORK/nohere.err")"
	# No policy file on a fresh installation is the normal state.
	if [ -n "${NOTW_DEFAULT_CONFIG:-}" ] && [ ! -e "$NOTW_DEFAULT_CONFIG" ]; then
		env -u NOTW_CONFIG "$NOTW_CLI" check-config >"$WORK/fresh.out" 2>"$WORK/fresh.err"
		check_eq "check-config, no file anywhere: exit 0" 0 $?
		check "... says no file means the defaults" grep -qx "$NOTW_DEFAULT_CONFIG: no such file, the normal state: the library runs every program with its built-in defaults (notw.ini(5) tells how to write one):" "$WORK/fresh.out"
		check_eq "... no error" "" "$(cat "$WORK/fresh.err")"
		env -u NOTW_CONFIG "$NOTW_CLI" check-config "$NOTW_DEFAULT_CONFIG" >/dev/null 2>&1
		check_eq "... but the same file named: cannot be read (exit 1)" 1 $?
	else
		echo "# $NOTW_DEFAULT_CONFIG exists here: the fresh-installation case skipped"
	fi
	;;
status-answers)
	traced() { # traced NAME ARGS...: notw ARGS under strace, its bind() calls in $WORK/NAME.trace
		local name=$1
		shift
		"${STRACE[@]}" -f -qq -e trace=bind -o "$WORK/$name.trace" "$NOTW_CLI" "$@" >"$WORK/$name.txt" 2>"$WORK/$name.err"
	}
	traced free status "$PORT"
	check_eq "status of a free port: exit 0" 0 $?
	check "... says so, and the next step" grep -qx 'next: the port is free: a server can bind it now' "$WORK/free.txt"
	check "... a bind would succeed" grep -q 'without SO_REUSEADDR: ok; with SO_REUSEADDR: ok$' "$WORK/free.txt"
	check_eq "... and it never binds (the port is not taken, not even for an instant)" 0 \
		"$(grep -c 'bind(' "$WORK/free.trace")"
	leftovers
	traced held status "$PORT"
	check_eq "status of a port leftovers hold: exit 1" 1 $?
	check_eq "... it never binds" 0 "$(grep -c 'bind(' "$WORK/held.trace")"
	check "... without SO_REUSEADDR: EADDRINUSE" grep -q 'without SO_REUSEADDR: EADDRINUSE;' "$WORK/held.txt"
	check "... with it: depends on the old server's SO_REUSEADDR" \
		grep -q 'with SO_REUSEADDR: ok only if the program that made those sockets had set SO_REUSEADDR too' "$WORK/held.txt"
	check "... the next step: notw reap" grep -Eqx "next: only leftovers of closed or crashed processes hold it; the timewait sockets expire within [0-9]+ s; to free it now: notw reap $PORT \\(as root\\)" "$WORK/held.txt"
	"$NOTW_CLI" status --json "$PORT" >"$WORK/held.json"
	check_eq "... --json: free false, with_reuseaddr depends" "False depends" \
		"$(json_get "$WORK/held.json" 'd["free"], d["bind_now"]["with_reuseaddr"]' | tr -d '(),'"'")"
	"$NOTW_CLI" reap "$PORT" >/dev/null
	# A live listener, without the library and under it.
	for how in without with; do
		prefix=("${WITHOUT_NOTW[@]}")
		[ "$how" = with ] && prefix=("${WITH_NOTW[@]}")
		start_bg "$WORK/l-$how.out" "$WORK/l-$how.err" "${prefix[@]}" "$NOTW_PROGS/seed_server" "$PORT"
		srv=$BG_PID
		wait_for_line "$WORK/l-$how.out" "^listening $PORT\$"
		"$NOTW_CLI" status "$PORT" >"$WORK/l-$how.txt"
		check_eq "a live listener $how libnotw: exit 1" 1 $?
		label="without libnotw"
		[ "$how" = with ] && label="libnotw loaded"
		check "... its line says '$label'" grep -q "pid $srv (\"seed_server\"), $label\$" "$WORK/l-$how.txt"
		check "... the next step names it" grep -qx "next: pid $srv (\"seed_server\"), $label listens on it; no option takes a port from a live listener: stop that process first (or bind another address)" "$WORK/l-$how.txt"
		"$NOTW_CLI" status --json "$PORT" >"$WORK/l-$how.json"
		check_eq "... --json: libnotw $how" "$([ "$how" = with ] && echo True || echo False)" \
			"$(json_get "$WORK/l-$how.json" '[x["libnotw"] for x in d["sockets"] if x["state"] == "LISTEN"][0]')"
		chmod 755 "$WORK"
		setpriv --reuid=65534 --regid=65534 --clear-groups -- "$NOTW_CLI" status "$PORT" >"$WORK/l-nobody.txt"
		check_eq "... as another user: exit 1 all the same" 1 $?
		check "... who cannot see the process: says so" grep -q '^next: a process this user cannot see (as root, status names it) listens on it' "$WORK/l-nobody.txt"
		kill -KILL "$srv"
		wait_exit "$srv" 10
		"$NOTW_CLI" reap "$PORT" >/dev/null
	done
	"$NOTW_CLI" status 70000 >/dev/null 2>&1
	check_eq "status of port 70000: usage error (2)" 2 $?
	;;
status-names)
	# A process name is anyone's to choose (prctl PR_SET_NAME): status must
	# print it escaped, and --json must stay valid JSON.
	start_bg "$WORK/named.out" "$WORK/named.err" python3 -c '
import ctypes, socket, sys, time
ctypes.CDLL(None).prctl(15, b"\x1b[2J\xff\xfe\x07ev\\il", 0, 0, 0)
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(1)
print("listening", flush=True)
time.sleep(60)' "$PORT"
	wait_for_line "$WORK/named.out" '^listening$'
	"$NOTW_CLI" status "$PORT" >"$WORK/names.txt"
	check_eq "status: exit 1 (the listener holds the port)" 1 $?
	check_eq "... no control byte reaches the terminal" 0 "$(tr -d '\n' <"$WORK/names.txt" | tr -dc '\000-\037\177' | wc -c)"
	check_eq "... no byte that is not ASCII either" 0 "$(LC_ALL=C tr -d '\000-\177' <"$WORK/names.txt" | wc -c)"
	check "... the name shown escaped" grep -qF 'pid '"$BG_PID"' ("\x1b[2J\xff\xfe\x07ev\x5cil")' "$WORK/names.txt"
	"$NOTW_CLI" status --json "$PORT" >"$WORK/names.json"
	check_eq "status --json: valid JSON (strict UTF-8), the name with U+FFFD for each invalid byte" \
		"$(printf '%s' '"\u001b[2J\ufffd\ufffd\u0007ev\\il"')" \
		"$(python3 -c 'import json, sys; d = json.loads(open(sys.argv[1], "rb").read().decode("utf-8")); print(json.dumps([s["program"] for s in d["sockets"] if s["program"]][0]))' "$WORK/names.json")"
	;;
status-reap)
	check "--version" bash -c "'$NOTW_CLI' --version | grep -q '^notw [0-9]'"
	check "--help exits 0" "$NOTW_CLI" --help
	"$NOTW_CLI" status >/dev/null 2>&1
	check_eq "status without a port: usage error (2)" 2 $?
	"$NOTW_CLI" reap 70000 >/dev/null 2>&1
	check_eq "reap of port 70000: usage error (2)" 2 $?
	leftovers
	check_eq "the kernel shows $N timewait sockets" "$N" "$(timewait_timers_on_port "$PORT")"
	"$NOTW_CLI" status "$PORT" >"$WORK/status.txt"
	check_eq "status lists them, FIN-WAIT-2 with their time left" "$N" \
		"$(grep -Ec '^  FIN-WAIT-2 +127\.0\.0\.1:49200 .* timewait, [0-9]+ s left$' "$WORK/status.txt")"
	check "status: a bind without SO_REUSEADDR fails now" grep -q 'without SO_REUSEADDR: EADDRINUSE' "$WORK/status.txt"
	"$NOTW_CLI" status --json "$PORT" >"$WORK/status.json"
	check_eq "status --json parses, and counts what ss counts" "$N" "$(json_get "$WORK/status.json" 'd["timewait"]')"
	check_eq "status --json: each socket's sub-state" "FIN-WAIT-2" \
		"$(json_get "$WORK/status.json" '",".join(sorted(set(s["state"] for s in d["sockets"])))')"
	# Options anywhere: after ADDR:PORT they still count, and ADDR too.
	"$NOTW_CLI" reap "127.0.0.1:$PORT" --dry-run >"$WORK/dry-after.txt"
	check_eq "reap ADDR:PORT --dry-run (the option last): exit 0, a reap would free the port" 0 $?
	check_eq "... it lists each as it would destroy it" "$N" "$(grep -c '^would destroy FIN-WAIT-2 ' "$WORK/dry-after.txt")"
	check_eq "... and destroys none" "$N" "$(timewait_timers_on_port "$PORT")"
	"$NOTW_CLI" reap "127.0.0.2:$PORT" --dry-run >"$WORK/other-addr.txt"
	check_eq "reap 127.0.0.2:PORT --dry-run: nothing there conflicts with that address: exit 0" 0 $?
	check_eq "... and it lists none of 127.0.0.1's" 0 "$(grep -c '^would destroy' "$WORK/other-addr.txt")"
	"$NOTW_CLI" reap "127.0.0.2:$PORT" --json >"$WORK/other-addr.json"
	check_eq "reap 127.0.0.2:PORT --json: exit 0, nothing destroyed" "0 0" "$? $(json_get "$WORK/other-addr.json" 'd["destroyed"]')"
	check_eq "... 127.0.0.1's leftovers are all still there" "$N" "$(timewait_timers_on_port "$PORT")"
	"$NOTW_CLI" reap --dry-run "$PORT" >"$WORK/dry.txt"
	check_eq "reap --dry-run: exit 0 (a dry run is no failure: a reap would free the port)" 0 $?
	check_eq "reap --dry-run: lists each" "$N" "$(grep -c '^would destroy FIN-WAIT-2 ' "$WORK/dry.txt")"
	check "... sums up what a reap would do" grep -qx "port $PORT, dry run (nothing done): $N would be destroyed, 0 left (0 still sending data, 0 of live processes); a reap would free the port" "$WORK/dry.txt"
	"$NOTW_CLI" reap --dry-run --json "$PORT" >"$WORK/dry.json"
	check_eq "... --json: would_destroy $N, none remaining" "$N 0" \
		"$(json_get "$WORK/dry.json" '" ".join(str(d[k]) for k in ("would_destroy", "remaining"))')"
	check_eq "reap --dry-run: the kernel still has them" "$N" "$(timewait_timers_on_port "$PORT")"
	chmod 755 "$WORK"
	setpriv --reuid=65534 --regid=65534 --clear-groups -- "$NOTW_CLI" reap "$PORT" >"$WORK/unpriv.txt"
	check_eq "reap without CAP_NET_ADMIN: exit 1, no false success" 1 $?
	check_eq "... each one with its causes" "$N" \
		"$(grep -c 'cause: SOCK_DESTROY needs CAP_NET_ADMIN over this network namespace; the reset method needs CAP_NET_RAW$' "$WORK/unpriv.txt")"
	check_eq "... and the kernel still has them" "$N" "$(timewait_timers_on_port "$PORT")"
	"$NOTW_CLI" reap --json "$PORT" >"$WORK/reap.json"
	check_eq "reap as root: exit 0" 0 $?
	check_eq "reap --json parses: $N destroyed, none by reset, none refused, none remaining" "$N 0 0 0" \
		"$(json_get "$WORK/reap.json" '" ".join(str(d[k]) for k in ("destroyed", "by_reset", "refused", "remaining"))')"
	check_eq "the kernel agrees: no timewait socket left" 0 "$(timewait_timers_on_port "$PORT")"
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
	check_eq "this namespace has nothing on the port" 0 "$(timewait_timers_on_port "$PORT")"
	"$NOTW_CLI" status --json --netns "$NS" "$PORT" >"$WORK/ns.json"
	check_eq "status --netns PID sees the other namespace's $N timewait sockets" "$N" \
		"$(json_get "$WORK/ns.json" 'd["timewait"]')"
	"$NOTW_CLI" reap --netns "$NS" "$PORT" >"$WORK/ns-reap.txt"
	check_eq "reap --netns PID: exit 0" 0 $?
	check_eq "... and the kernel of that namespace agrees" 0 \
		"$(nsenter -t "$NS" -n -- ss -tanoH state time-wait state fin-wait-2 "( sport = :$PORT )" | grep -c timewait)"
	"$NOTW_CLI" status --netns /nonexistent "$PORT" >/dev/null 2>"$WORK/bad-ns.err"
	check_eq "--netns to nothing: usage error (2)" 2 $?
	mkfifo "$WORK/fifo"
	timeout 10 "$NOTW_CLI" status --netns "$WORK/fifo" "$PORT" >/dev/null 2>"$WORK/fifo.err"
	check_eq "--netns FIFO: does not block, usage error (2)" 2 $?
	check "... saying it is not a network namespace" grep -q 'is not a network namespace' "$WORK/fifo.err"
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
	check "... and pointing to notw attach" grep -q 'notw attach reaches it instead' "$WORK/static.err"
	check_eq "... and not run" "" "$(cat "$WORK/static.out")"
	cp "$NOTW_PROGS/probe" "$WORK/probe-setuid"
	chmod 4755 "$WORK/probe-setuid"
	"$NOTW_CLI" run -- "$WORK/probe-setuid" reuse tcp4 49203 >/dev/null 2>"$WORK/setuid.err"
	check_eq "a set-user-ID program: refused, exit 2" 2 $?
	check "... saying why" grep -q 'set-user-ID' "$WORK/setuid.err"
	check "... and pointing to notw attach" grep -q 'notw attach reaches it instead' "$WORK/setuid.err"
	cp "$NOTW_PROGS/probe" "$WORK/probe-cap"
	setcap cap_net_bind_service=+ep "$WORK/probe-cap"
	"$NOTW_CLI" run -- "$WORK/probe-cap" reuse tcp4 49203 >/dev/null 2>"$WORK/cap.err"
	check_eq "a program with a file capability: refused, exit 2" 2 $?
	check "... saying why" grep -q 'with file capabilities' "$WORK/cap.err"
	check "... and pointing to notw attach" grep -q 'notw attach reaches it instead' "$WORK/cap.err"
	# A 32-bit statically linked program (a minimal i386 ELF that exits
	# 42): no loader runs in it either, whatever its word size.
	python3 -c '
import struct, sys
code = bytes([0xb8, 1, 0, 0, 0, 0xbb, 42, 0, 0, 0, 0xcd, 0x80])  # exit(42)
base, eh_size, ph_size = 0x08048000, 52, 32
size = eh_size + ph_size + len(code)
eh = b"\x7fELF" + bytes([1, 1, 1, 0]) + bytes(8)
eh += struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, base + eh_size + ph_size, eh_size, 0, 0, eh_size, ph_size, 1, 0, 0, 0)
ph = struct.pack("<IIIIIIII", 1, 0, base, base, size, size, 5, 0x1000)
open(sys.argv[1], "wb").write(eh + ph + code)' "$WORK/static32"
	chmod 755 "$WORK/static32"
	"$NOTW_CLI" run -- "$WORK/static32" >"$WORK/static32.out" 2>"$WORK/static32.err"
	check_eq "a 32-bit statically linked program: refused, exit 2" 2 $?
	check "... saying why" grep -q 'refusing to run .*/static32: it is statically linked' "$WORK/static32.err"
	check "... and pointing to notw attach" grep -q 'notw attach reaches it instead' "$WORK/static32.err"
	printf '#!%s\n' "$NOTW_PROGS/static_hello" >"$WORK/static-script"
	chmod 755 "$WORK/static-script"
	"$NOTW_CLI" run -- "$WORK/static-script" >"$WORK/sscript.out" 2>"$WORK/sscript.err"
	check_eq "a script whose #! interpreter is statically linked: refused, exit 2" 2 $?
	check "... naming the interpreter" grep -q "refusing to run .*/static-script: its interpreter $NOTW_PROGS/static_hello is statically linked" "$WORK/sscript.err"
	check_eq "... and not run" "" "$(cat "$WORK/sscript.out")"
	printf '#!/usr/bin/env static_hello\n' >"$WORK/env-script"
	printf '#!%s\n' "$WORK/static32" >"$WORK/script32"
	printf '#!%s\n' "$WORK/static-script" >"$WORK/nested-script"
	chmod 755 "$WORK/env-script" "$WORK/script32" "$WORK/nested-script"
	PATH=$NOTW_PROGS:$PATH "$NOTW_CLI" run -- "$WORK/env-script" >/dev/null 2>"$WORK/escript.err"
	check_eq "#!/usr/bin/env STATIC (found in PATH): refused, exit 2" 2 $?
	"$NOTW_CLI" run -- "$WORK/script32" >/dev/null 2>&1
	check_eq "a script whose interpreter is a 32-bit static program: refused, exit 2" 2 $?
	"$NOTW_CLI" run -- "$WORK/nested-script" >/dev/null 2>"$WORK/nested.err"
	check_eq "a script whose interpreter is such a script: refused, exit 2" 2 $?
	printf 'echo not executable\n' >"$WORK/noexec"
	chmod 644 "$WORK/noexec"
	"$NOTW_CLI" run -- "$WORK/noexec" >/dev/null 2>"$WORK/noexec.err"
	check_eq "a file that is not executable: exit 2" 2 $?
	check_eq "... said so, not 'no such program'" "notw run: $WORK/noexec: not an executable file (Permission denied)" "$(cat "$WORK/noexec.err")"
	"$NOTW_CLI" run -- "$WORK/missing" >/dev/null 2>"$WORK/missing.err"
	check_eq "a missing file: exit 2, 'no such program'" "2 notw run: $WORK/missing: no such program" "$? $(cat "$WORK/missing.err")"
	"$NOTW_CLI" run -- "" >/dev/null 2>"$WORK/empty.err"
	check_eq "an empty program name: usage error (2)" 2 $?
	check "... saying so, with the usage" grep -q '^notw run: an empty program name$' "$WORK/empty.err"
	check "... not a directory of PATH refused" bash -c "! grep -q 'Permission denied' '$WORK/empty.err'"
	printf 'echo "plain script ran: $1 $LD_PRELOAD"\n' >"$WORK/plain-script"
	chmod 755 "$WORK/plain-script"
	out=$("${runner[@]}" run -- "$WORK/plain-script" arg1 2>"$WORK/plain.err")
	check_eq "a script without #!: run with sh, as a shell runs it (exit 0)" 0 $?
	case $out in
	"plain script ran: arg1 "*/libnotw.so*) ok "... with its arguments, under the library" ;;
	*) not_ok "... with its arguments, under the library (got '$out', $(cat "$WORK/plain.err"))" ;;
	esac
	;;
run-paths)
	# A script's "#!" is anyone's to write: one naming a FIFO must not hang
	# notw run (it opened the interpreter to read its "#!" and waited for a
	# writer forever); the kernel then refuses to run it.
	mkfifo "$WORK/fifo-interp"
	printf '#!%s\n' "$WORK/fifo-interp" >"$WORK/fifo-script"
	chmod 755 "$WORK/fifo-script"
	timeout 10 "$NOTW_CLI" run -- "$WORK/fifo-script" >/dev/null 2>"$WORK/fifo.err"
	rc=$?
	check "a #! naming a FIFO: notw run does not hang (exit $rc, 124 is the timeout)" test "$rc" != 124
	check "... and says the script cannot run" grep -q "fifo-script: Permission denied" "$WORK/fifo.err"
	# LD_PRELOAD splits names at spaces and colons: a library whose path
	# holds one would be loaded as other files, relative to the current
	# directory. notw run refuses rather than hand ld.so such a path.
	for dir in "my dir" "a:b"; do
		mkdir -p "$WORK/$dir/cli" "$WORK/$dir/shim"
		cp "$NOTW_CLI" "$WORK/$dir/cli/notw"
		cp "$NOTW_LIB" "$WORK/$dir/shim/libnotw.so"
		(cd "$WORK" && "$WORK/$dir/cli/notw" run -- "$NOTW_PROGS/probe" env LD_PRELOAD) \
			>"$WORK/odd.out" 2>"$WORK/odd.err"
		check_eq "notw run with the library under '$dir': refused, exit 2" 2 $?
		check "... saying why" grep -q "refusing to preload $WORK/$dir/shim/libnotw.so: LD_PRELOAD would split its path" "$WORK/odd.err"
		check_eq "... the program not run" "" "$(cat "$WORK/odd.out")"
	done
	;;
esac
finish
