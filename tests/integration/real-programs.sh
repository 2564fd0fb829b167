#!/bin/bash
# The real-program matrix (issue 10): servers people run, from Debian's
# packages, under LD_PRELOAD=libnotw.so NOTW_LINGER=crash.
#
#   real-programs.sh PROGRAM      (one of the names in the table below)
#
# For each program:
#  (a) crash: 5 clients connected, each in the middle of a request, then
#      SIGKILL of every process of the server at once (each server runs in
#      a PID namespace of its own; killing its process 1 kills them all,
#      whatever process group or session they moved to). Counted: the
#      TIME-WAIT and FIN-WAIT-2 sockets those 5 connections left on the
#      server's port. A control run without the library must leave some
#      (else the check could not fail); under the library a program the
#      table says is covered must leave none; for one it says is not
#      covered the count is reported, as expected.
#  (b) graceful load, under the library: 2,000 requests 20 at a time, each
#      on a connection of its own that the server closes (or, for echo
#      servers, after the client's half close), plus four slow readers of
#      a 4 MiB body; every body byte-identical (sha256) and no reset sent
#      from the server's port, counted by the kernel (an iptables rule in
#      the test's network namespace); one or two that no close sent (the
#      abort counters, TCPAbortOnData among them for a zero-linger close,
#      did not move: the kernel answering a segment for a connection
#      already gone, seen without the library too) are reported, not failed. Programs with an action (nginx
#      reload, binary upgrade) do it while the first half of the load and
#      two slow readers are in flight; the second half then runs against
#      the new generation, and the crash check is of the new generation.
# The clients (real/client.py, dbclient) run without the library.
# dropbear: the 2,000 requests are SSH version exchanges (the forked child
# ends after the client's half close), then 20 real sessions that cat a
# file; its 4 MiB sessions are read at full speed (client.py says why).
# After the load the script prints the namespace's reset and abort counters
# (nstat), to tell a reset a close sent (TCPAbortOnData: zero linger) from
# one the kernel sent for a segment that found no connection.
# REAL_BASELINE=1 runs the "under the library" part without it: the load
# checks must pass then too (else they test the program, not the library),
# and the crash check fails for every covered program.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linger-lib.sh"

# What the crash check expects under NOTW_LINGER=crash, per program:
# "covered" = SIGKILL leaves no timewait socket; "timewait" = the library
# leaves the connections unprotected by design (fork per connection: the
# parent disarms at its close, shim/linger-protocol.md): one timewait
# socket per connection and a clean EOF for every client, as without the
# library; "not-covered" = the library cannot protect it, the count is
# only reported (the graceful-load checks apply to every program all the
# same).
declare -A CRASH_EXPECT=(
	[nginx]=covered                 # master + 2 workers (pre-fork)
	[nginx-reload]=covered          # SIGHUP during the load: new workers
	[nginx-upgrade]=not-covered     # USR2 + QUIT: nginx drops LD_PRELOAD, the new binary runs without the library
	[nginx-upgrade-env]=covered     # the same with "env LD_PRELOAD; env NOTW_LINGER;" in nginx.conf: the new generation arms what it accepts
	[node-http]=covered             # libuv closes through syscall(SYS_close)
	[node-net]=covered
	[busybox-nc]=not-covered        # nc -ll -e cat: vfork + exec per connection: the connection survives exec, disarmed
	[busybox-httpd]=timewait        # fork per connection
	[socat]=not-covered             # TCP-LISTEN,fork EXEC:cat: the connection leaks into cat's exec, disarmed there
	[python-threading]=covered      # socketserver.ThreadingTCPServer
	[python-forking]=timewait       # socketserver.ForkingTCPServer: fork per connection
	[redis]=covered
	[memcached]=covered             # sets SO_LINGER{0,0} itself
	[haproxy]=covered               # master-worker, in front of busybox httpd; sets SO_LINGER{0,0} itself
	[dropbear]=timewait             # fork per connection; sets SO_LINGER{1,5} itself
)

PROGRAM=${1:-}
if [ -z "$PROGRAM" ] || [ -z "${CRASH_EXPECT[$PROGRAM]+set}" ]; then
	echo "usage: $0 PROGRAM (one of: ${!CRASH_EXPECT[*]})" >&2
	exit 2
fi
if [ "$(id -u)" != 0 ] && [ -z "${NOTW_IN_NETNS:-}" ]; then
	skip_all "the real programs run as root (nginx workers, dropbear's root login)"
fi
enter_netns "$@"

# Without SYN cookies a full accept queue makes the kernel drop and retry
# (clients connect later) instead of now and then resetting a connection
# whose cookie fails (busybox nc listens with a backlog of 1): every reset
# counted is then one a close in the server sent.
sysctl -qw net.ipv4.tcp_syncookies=0
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
CLIENT=("${WITHOUT_NOTW[@]}" "$PY" "$HERE/real/client.py")
N_HELD=5
REQUESTS=2000
CONCURRENCY=20
SLOW=2              # slow readers of 4 MiB in each half of the load
CTL_PORT=20080      # the control run, without the library
PORT=20081          # the run under the library
BACKEND_PORT=20090  # haproxy's backend

# The bodies: 1 KiB, 16 KiB, 64 KiB, 4 MiB of random bytes.
mkdir -p "$WORK/www"
head -c 1024 /dev/urandom >"$WORK/www/a"
head -c 16384 /dev/urandom >"$WORK/www/b"
head -c 65536 /dev/urandom >"$WORK/www/c"
head -c $((4 * 1024 * 1024)) /dev/urandom >"$WORK/www/big"

# --- the programs ----------------------------------------------------------

# program_setup: what the program needs once (keys, configuration shared by
# both runs); sets PROTO and NEEDS (the commands it needs).
program_setup() {
	case $PROGRAM in
	nginx*) PROTO=http NEEDS=(/usr/sbin/nginx) ;;
	node-http) PROTO=http NEEDS=(node) ;;
	node-net) PROTO=echo NEEDS=(node) ;;
	busybox-nc) PROTO=echo NEEDS=(busybox) ;;
	busybox-httpd) PROTO=http NEEDS=(busybox) ;;
	socat) PROTO=echo NEEDS=(socat) ;;
	python-*) PROTO=echo NEEDS=("$PY") ;;
	redis) PROTO=redis NEEDS=(redis-server) ;;
	memcached) PROTO=memcached NEEDS=(memcached) ;;
	haproxy) PROTO=http NEEDS=(haproxy busybox) ;;
	dropbear) PROTO=ssh NEEDS=(dropbear dropbearkey dbclient) ;;
	esac
	local c missing=()
	for c in "${NEEDS[@]}" "$PY" iptables; do
		command -v "$c" >/dev/null || missing+=("$c")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		not_ok "$PROGRAM: not installed: ${missing[*]} (scripts/install-deps installs them)"
		finish
	fi
	if [ "$PROGRAM" = dropbear ]; then
		# root's home, for dropbear in its own mount namespace, is a
		# directory of the test: its authorized_keys holds the test's key.
		mkdir -p "$WORK/home/.ssh"
		chmod 700 "$WORK/home" "$WORK/home/.ssh"
		dropbearkey -t ed25519 -f "$WORK/hostkey" >/dev/null 2>&1
		dropbearkey -t ed25519 -f "$WORK/id" >/dev/null 2>&1
		dropbearkey -y -f "$WORK/id" 2>/dev/null | grep '^ssh-' >"$WORK/home/.ssh/authorized_keys"
		awk -F: -v OFS=: -v home="$WORK/home" '$1 == "root" { $6 = home } { print }' /etc/passwd >"$WORK/passwd"
	fi
	if [ "$PROGRAM" = haproxy ]; then
		# The backend runs without the library, outside the server's namespace.
		start_bg "$WORK/backend.out" "$WORK/backend.err" "${WITHOUT_NOTW[@]}" \
			busybox httpd -f -p "127.0.0.1:$BACKEND_PORT" -h "$WORK/www"
		wait_listening "$BACKEND_PORT" || not_ok "haproxy's backend (busybox httpd) listens"
	fi
}

# program_command PORT: sets CMD, the server's command line, writing its
# configuration into $WORK/srv.PORT.
program_command() {
	local port=$1 dir=$WORK/srv.$1
	mkdir -p "$dir"
	case $PROGRAM in
	nginx*)
		local env_lines= daemon=off
		[ "$PROGRAM" = nginx-upgrade-env ] && env_lines='env LD_PRELOAD; env NOTW_LINGER;'
		# nginx ignores USR2 while the process that started it is still its
		# parent: the upgrade variants run it as a daemon, as Debian does
		# (its master is then a child of the namespace's process 1).
		[ "${PROGRAM#nginx-upgrade}" != "$PROGRAM" ] && daemon=on
		cat >"$dir/nginx.conf" <<-EOF
			daemon $daemon;
			master_process on;
			worker_processes 2;
			user root;
			pid $dir/nginx.pid;
			error_log $dir/error.log notice;
			$env_lines
			events { worker_connections 512; }
			http {
			    access_log off;
			    client_body_temp_path $dir/body;
			    proxy_temp_path $dir/proxy;
			    fastcgi_temp_path $dir/fastcgi;
			    uwsgi_temp_path $dir/uwsgi;
			    scgi_temp_path $dir/scgi;
			    default_type application/octet-stream;
			    server {
			        listen 127.0.0.1:$port;
			        root $WORK/www;
			    }
			}
		EOF
		# An absolute path: the binary upgrade re-executes argv[0].
		CMD=(/usr/sbin/nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log")
		;;
	node-http) CMD=(node "$HERE/real/node-http.js" "$WORK/www" "$port") ;;
	node-net) CMD=(node "$HERE/real/node-net.js" "$port") ;;
	busybox-nc) CMD=(busybox nc -ll -p "$port" -e cat) ;;
	busybox-httpd) CMD=(busybox httpd -f -p "127.0.0.1:$port" -h "$WORK/www") ;;
	socat) CMD=(socat "TCP-LISTEN:$port,bind=127.0.0.1,fork,reuseaddr,backlog=128" EXEC:cat) ;;
	python-threading) CMD=("$PY" "$HERE/real/pyserver.py" threading "$port") ;;
	python-forking) CMD=("$PY" "$HERE/real/pyserver.py" forking "$port") ;;
	redis)
		CMD=(redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no
			--daemonize no --protected-mode no --dir "$dir" --logfile '')
		;;
	memcached) CMD=(memcached -u root -l 127.0.0.1 -p "$port" -U 0 -I 8m -m 64 -t 2) ;;
	haproxy)
		cat >"$dir/haproxy.cfg" <<-EOF
			global
			    maxconn 1000
			defaults
			    mode http
			    timeout connect 5s
			    timeout client 30s
			    timeout server 30s
			frontend front
			    bind 127.0.0.1:$port
			    default_backend back
			backend back
			    server web 127.0.0.1:$BACKEND_PORT
		EOF
		CMD=(haproxy -W -db -f "$dir/haproxy.cfg" -p "$dir/haproxy.pid")
		;;
	dropbear)
		CMD=(dropbear -F -E -m -r "$WORK/hostkey" -p "127.0.0.1:$port" -P "$dir/dropbear.pid")
		;;
	esac
}

# --- running a server in a PID namespace of its own ------------------------

# wait_listening PORT [SECONDS]: until something listens on PORT.
wait_listening() {
	local i
	for ((i = 0; i < ${2:-15} * 20; i++)); do
		[ "$(listener_on_port "$1")" -ge 1 ] && return 0
		sleep 0.05
	done
	return 1
}

# start_server with|without PORT: the program on PORT, under the library
# with NOTW_LINGER=crash, or without it. Sets SRV (the unshare process),
# SRV_INIT (process 1 of the server's namespace, as this namespace sees it),
# SRV_ERR (the server's stderr: the library's log).
start_server() {
	local mode=$1 port=$2 runner i
	if [ "$mode" = with ] && [ -z "${REAL_BASELINE:-}" ]; then
		runner=(env NOTW_LINGER=crash "${WITH_NOTW[@]}")
	else
		runner=("${WITHOUT_NOTW[@]}")
	fi
	program_command "$port"
	local ns=(unshare --pid --fork --kill-child)
	if [ "$PROGRAM" = dropbear ]; then
		ns+=(--mount --propagation private sh -c 'mount --bind "$0" /etc/passwd && exec "$@"' "$WORK/passwd")
	fi
	SRV_ERR=$WORK/server.$mode.$port.err
	start_bg "$WORK/server.$mode.$port.out" "$SRV_ERR" "${ns[@]}" "$NOTW_PROGS/pidns_init" "${runner[@]}" "${CMD[@]}"
	SRV=$BG_PID
	SRV_INIT=
	for ((i = 0; i < 100; i++)); do
		SRV_INIT=$(pgrep -P "$SRV" | head -1)
		[ -n "$SRV_INIT" ] && break
		sleep 0.05
	done
	if ! wait_listening "$port"; then
		not_ok "$PROGRAM ($mode the library) listens on $port"
		sed 's/^/#   /' "$SRV_ERR" "$WORK/server.$mode.$port.out" | tail -20
		finish
	fi
	if [ "$PROTO" = redis ] || [ "$PROTO" = memcached ]; then
		"${CLIENT[@]}" store "$PROTO" "$WORK/www" 127.0.0.1 "$port" --timeout 20 >/dev/null ||
			not_ok "$PROGRAM: the bodies are stored"
	fi
}

# server_pids: every process of the server, as this namespace numbers them
# (process 1 of its namespace excluded).
server_pids() {
	local p ns
	ns=$(readlink "/proc/$SRV_INIT/ns/pid_for_children" 2>/dev/null) || return 0
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" = "$SRV_INIT" ] && continue
		[ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$ns" ] && echo "${p#/proc/}"
	done
}

# master_pid NAME: the oldest process of the server whose command line
# starts with NAME (nginx: "nginx: master").
master_pid() {
	local p
	for p in $(server_pids); do
		if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q "^$1"; then
			echo "$p"
			return
		fi
	done
}

# kill_server: SIGKILL to every process of the server at once.
kill_server() {
	kill -KILL "$SRV_INIT" 2>/dev/null
	# unshare ends once its child did, and that child only once the kernel
	# killed and reaped every process of the namespace.
	wait_exit "$SRV" 10 || echo "# the server's namespace did not end in 10 s"
}

# --- the checks --------------------------------------------------------------

# accept_queue PORT: connections waiting in the listener's accept queue.
accept_queue() {
	ss -tlnH "( sport = :$1 )" | awk '{ n += $2 } END { print n + 0 }'
}

# crash MODE PORT: N_HELD clients in the middle of a request, served (the
# accept queue is empty, an echo or a banner came back where the protocol
# gives one), then SIGKILL of every process of the server. Sets TW (the
# TIME-WAIT and FIN-WAIT-2 sockets those connections left on PORT: they
# alone come from 127.0.2.0/24) and ENDED (how the clients saw them end).
crash() {
	local mode=$1 port=$2 peers i out=$WORK/held.$1.$2.out client
	start_bg "$out" "$WORK/held.$mode.$port.err" "${CLIENT[@]}" hold "$PROTO" "$WORK/www" \
		127.0.0.1 "$port" --n "$N_HELD" --timeout 30 --ssh-key "$WORK/id"
	client=$BG_PID
	wait_for_line "$out" "^connected $N_HELD\$" 15 || not_ok "$mode: $N_HELD clients connected"
	for ((i = 0; i < 100; i++)); do
		# The held connections come from 127.0.2.x (client.py hold).
		peers=$(ss -tanH state established "( sport = :$port and dst 127.0.2.0/24 )" | _peer_ports "$port")
		[ "$(grep -c . <<<"$peers")" -ge "$N_HELD" ] && [ "$(accept_queue "$port")" = 0 ] && break
		sleep 0.05
	done
	# Let a fork-per-connection server finish handing each one over.
	sleep 0.3
	echo "# $mode: $(grep -c . <<<"$peers") connections established, $(server_pids | wc -l) server processes; SIGKILL to all"
	kill_server
	wait_for_line "$out" '^ended ' 10 || not_ok "$mode: the clients saw their connections end"
	wait_until fin_wait_1_settled "$port"
	TW=$(ss -tanH state time-wait state fin-wait-2 "( sport = :$port and dst 127.0.2.0/24 )" | grep -c .)
	ENDED=$(grep '^ended ' "$out")
	kill -TERM "$client" 2>/dev/null
	wait_exit "$client" 5
}

# rsts_from PORT: resets this namespace has sent from local port PORT.
rsts_from() {
	iptables -nvxL OUTPUT 2>/dev/null | awk -v spt="spt:$1" '$0 ~ spt"( |$)" { n += $1 } END { print n + 0 }'
}

# load_half NAME [&]: half the requests and SLOW slow readers; the summary
# lines go to $WORK/load.NAME.out.
load_half() {
	local extra=()
	[ "$PROTO" = ssh ] && extra=(--ssh-key "$WORK/id" --sessions "$SSH_SESSIONS")
	"${CLIENT[@]}" load "$PROTO" "$WORK/www" 127.0.0.1 "$PORT" --requests $((REQUESTS / 2)) \
		--concurrency "$CONCURRENCY" --slow "$SLOW" --timeout 60 "${extra[@]}" \
		>"$WORK/load.$1.out" 2>"$WORK/load.$1.err"
}

# check_load NAME: the summary lines of a half of the load.
check_load() {
	local s r total=$((REQUESTS / 2))
	[ "$PROTO" = ssh ] && total=$((total + SSH_SESSIONS))
	s=$(grep '^summary ' "$WORK/load.$1.out")
	r=$(grep '^slow ' "$WORK/load.$1.out")
	sed 's/^/#   /' "$WORK/load.$1.err" | head -12
	check_eq "$1: $total requests, every body byte-identical" \
		"requests=$total ok=$total bad=0 reset=0 error=0 unfinished=0" \
		"$(sed -e 's/^summary //' -e 's/ seconds=.*//' <<<"$s")"
	check_eq "$1: $SLOW slow readers of 4 MiB, every body byte-identical" \
		"readers=$SLOW ok=$SLOW bad=0 reset=0 error=0" \
		"$(sed -e 's/^slow //' -e 's/ seconds=.*//' <<<"$r")"
	echo "# $1: requests in ${s##*seconds=} s, slow readers done after ${r##*seconds=} s"
}

# The action some programs take while the first half of the load runs.
action() {
	local master new i
	case $PROGRAM in
	nginx-reload)
		master=$(master_pid "nginx: master")
		local before=$(server_pids | wc -l)
		kill -HUP "$master"
		# New workers start, the old ones finish what they serve and exit.
		check "reload: SIGHUP reconfigured nginx" wait_for_line "$(srv_dir)/error.log" 'reconfiguring' 10
		echo "# reload: SIGHUP to the master ($before processes before)"
		;;
	nginx-upgrade*)
		master=$(master_pid "nginx: master")
		kill -USR2 "$master"
		for ((i = 0; i < 200; i++)); do
			new=
			for p in $(server_pids); do
				[ "$p" != "$master" ] && tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q '^nginx: master' && new=$p
			done
			[ -n "$new" ] && [ "$(pgrep -c -P "$new")" -ge 2 ] && break
			sleep 0.05
		done
		check "upgrade: USR2 started a new master with its workers" [ -n "$new" ]
		local want=with has=without
		[ "$PROGRAM" = nginx-upgrade ] && want=without
		grep -q libnotw "/proc/$new/maps" 2>/dev/null && has=with
		check_eq "upgrade: the new master runs $want the library" "$want" "$has"
		kill -QUIT "$master"
		for ((i = 0; i < 200; i++)); do
			kill -0 "$master" 2>/dev/null || break
			sleep 0.05
		done
		check "upgrade: QUIT ended the old master" gone "$master"
		;;
	esac
}

srv_dir() { echo "$WORK/srv.$PORT"; }
gone() { ! kill -0 "$1" 2>/dev/null; }

# --- the run -----------------------------------------------------------------

program_setup
SSH_SESSIONS=20    # dropbear: real sessions (5 at a time) after the version exchanges
EXPECT=${CRASH_EXPECT[$PROGRAM]}
echo "# $PROGRAM: crash check expects: $EXPECT"

# Control: the same crash without the library must leave timewait sockets.
start_server without "$CTL_PORT"
crash without "$CTL_PORT"
check "control, without the library: SIGKILL leaves timewait sockets ($TW of $N_HELD; clients: $ENDED)" [ "$TW" -gt 0 ]

# Resets a close sent, in the whole namespace: the kernel counts a
# zero-linger close as TCPAbortOnData, a close with unread data as
# TCPAbortOnClose.
close_reset_count() {
	nstat -asz 2>/dev/null | awk '$1 == "TcpExtTCPAbortOnData" || $1 == "TcpExtTCPAbortOnClose" ||
		$1 == "TcpExtTCPAbortOnLinger" || $1 == "TcpExtTCPAbortOnMemory" { n += $2 } END { print n + 0 }'
}

# Under the library: the load, then the crash.
close_resets_before=$(close_reset_count)
iptables -A OUTPUT -p tcp --sport "$PORT" --tcp-flags RST RST ||
	not_ok "an iptables rule counts the resets sent from port $PORT"
start_server with "$PORT"
load_half first &
load_pid=$!
BG_PIDS+=("$load_pid")
sleep 0.5
action
wait_exit "$load_pid" 90 || not_ok "the first half of the load ended within 90 s"
check_load first
load_half second
check_load second
# A reset from the port with no close counter moved is the kernel
# answering a segment for a connection already gone (seen now and then
# without the library too).
close_resets=$(($(close_reset_count) - close_resets_before))
port_resets=$(rsts_from "$PORT")
# The abort counters are the namespace's (haproxy resets its own backend
# connections): they only tell what a reset from the server's port was.
if [ "$port_resets" = 0 ]; then
	ok "no reset sent from port $PORT during the load (iptables)"
elif [ "$close_resets" = 0 ] && [ "$port_resets" -le 2 ]; then
	ok "no reset sent by a close from port $PORT ($port_resets answered a segment for a connection already gone: no close counter moved)"
else
	not_ok "no reset sent by a close from port $PORT during the load (iptables: $port_resets; abort counters: $close_resets)"
fi
# Diagnostics, for the whole namespace: a full accept queue makes the kernel
# itself reset now and then (a failed SYN cookie); TCPAbortOnData counts
# closes with zero linger, TCPAbortOnClose closes with unread data.
echo "# kernel counters: $(nstat -asz 2>/dev/null | awk '/^(TcpOutRsts|TcpExtListenOverflows|TcpExtSyncookiesFailed|TcpExtTCPAbort)/ {
	printf "%s=%s ", substr($1, 4), $2 }')"
# REAL_DEBUG=1: every non-zero counter of the namespace.
[ -n "${REAL_DEBUG:-}" ] && nstat -as | awk '$2 != 0' | sed 's/^/#   /'
grep -c 'notw\[' "$SRV_ERR" | sed 's/^/# library log lines: /'
grep 'notw\[' "$SRV_ERR" | grep -Ev 'set SO_REUSEADDR' | sort | uniq -c | sort -rn | head -5 | sed 's/^/#   /'

crash with "$PORT"
echo "# under the library: SIGKILL left $TW timewait sockets; clients: $ENDED"
if [ "$EXPECT" = covered ]; then
	check_eq "crash: SIGKILL of every process leaves no timewait socket (clients: $ENDED)" 0 "$TW"
elif [ "$EXPECT" = timewait ]; then
	check_eq "crash: SIGKILL of every process leaves one timewait socket per connection, as without the library" \
		"$N_HELD" "$TW"
	check_eq "crash: every client saw a clean EOF, no reset" "ended eof=$N_HELD reset=0 error=0 open=0" "$ENDED"
elif [ "$TW" -gt 0 ]; then
	ok "crash: SIGKILL of every process (not covered: $TW timewait, expected)"
else
	ok "crash: SIGKILL of every process (not covered, yet 0 timewait: the table could say covered)"
fi
finish
