#!/bin/bash
# What a program sees from the library, beyond the seed scenario: which
# sockets get SO_REUSEADDR, which are left alone, and that return values
# and errno are the real calls'.
. "$(dirname "$0")/lib.sh"
enter_netns "$@"

probe() {
	"$@" 2>>"$WORK/stderr"
}

reuse_with() { # reuse_with KIND PORT [VAR=VALUE...]: SO_REUSEADDR after bind under notw
	local kind=$1 port=$2
	shift 2
	probe env "$@" "${WITH_NOTW[@]}" "$NOTW_PROGS/probe" reuse "$kind" "$port"
}

check_eq "TCP/IPv4 without notw: SO_REUSEADDR stays 0" "SO_REUSEADDR=0" \
	"$(probe "${WITHOUT_NOTW[@]}" "$NOTW_PROGS/probe" reuse tcp4 49300)"
check_eq "TCP/IPv4 under notw: SO_REUSEADDR set" "SO_REUSEADDR=1" "$(reuse_with tcp4 49301)"
check_eq "TCP/IPv6 under notw: SO_REUSEADDR set" "SO_REUSEADDR=1" "$(reuse_with tcp6 49302)"
check_eq "UDP/IPv4 under notw: untouched" "SO_REUSEADDR=0" "$(reuse_with udp4 49303)"
check_eq "UDP/IPv6 under notw: untouched" "SO_REUSEADDR=0" "$(reuse_with udp6 49304)"
check_eq "ephemeral port 0: untouched" "SO_REUSEADDR=0" "$(reuse_with tcp4 0)"
check_eq "AF_UNSPEC with INADDR_ANY (the kernel binds it as IPv4): set" "SO_REUSEADDR=1" "$(reuse_with unspec 49316)"
check_eq "NOTW_PORTS naming the port in a range: set" "SO_REUSEADDR=1" \
	"$(reuse_with tcp4 49305 NOTW_PORTS=80,49000-49999)"
check_eq "NOTW_PORTS not naming the port: untouched" "SO_REUSEADDR=0" \
	"$(reuse_with tcp4 49306 NOTW_PORTS=80,49307-49400)"
for off in off 0 no false OFF; do
	check_eq "NOTW_REUSEADDR=$off: untouched" "SO_REUSEADDR=0" \
		"$(reuse_with tcp4 49308 NOTW_REUSEADDR=$off)"
done
for on in on 1 yes true True; do
	check_eq "NOTW_REUSEADDR=$on: set" "SO_REUSEADDR=1" "$(reuse_with tcp4 49309 NOTW_REUSEADDR=$on)"
done

# A live listener still wins: SO_REUSEADDR never lets a bind through.
out=$("${WITH_NOTW[@]}" "$NOTW_PROGS/probe" live 49310 2>"$WORK/live.err")
check_eq "bind over a live listener still fails with EADDRINUSE" "second bind: EADDRINUSE" "$out"
# The probe is itself the listener's process: the warning names it.
live_pid=$(sed -n 's/^notw\[\([0-9]*\)\]: warning: .*/\1/p' "$WORK/live.err")
check "... and the warning names the holder (pid and program, from /proc)" \
	grep -Eq "^notw\[$live_pid\]: warning: bind 0\.0\.0\.0:49310 fd=[0-9]+: EADDRINUSE: a live listener holds the port: pid $live_pid \(\"probe\"\)\$" "$WORK/live.err"

# Return values and errno are the real calls'; stdout is the program's alone.
"${WITHOUT_NOTW[@]}" "$NOTW_PROGS/probe" errno 49311 >"$WORK/errno.plain" 2>"$WORK/errno.plain.err"
plain=$?
"${WITH_NOTW[@]}" "$NOTW_PROGS/probe" errno 49312 >"$WORK/errno.notw" 2>"$WORK/errno.notw.err"
notw=$?
check_eq "errno probe passes without notw" 0 "$plain"
check_eq "errno probe passes under notw (errno kept, close(-1) EBADF, ...)" 0 "$notw"
check "the program's stdout is byte-identical with and without notw" \
	cmp -s "$WORK/errno.plain" "$WORK/errno.notw"
NOTW_LOG_LEVEL=debug "${WITH_NOTW[@]}" "$NOTW_PROGS/probe" errno 49313 >"$WORK/errno.debug" 2>"$WORK/errno.debug.err"
check "... also at NOTW_LOG_LEVEL=debug" cmp -s "$WORK/errno.plain" "$WORK/errno.debug"
# One connection served, in a namespace of its own each time so that the
# first run's leftovers cannot move the second to another port.
serve_one() {
	WORK=$WORK unshare -n -- bash -c '
		ip link set lo up
		"$@" "$NOTW_PROGS/seed_server" --exit-after 1 49314 2>>"$WORK/serve_one.err" &
		for ((i = 0; i < 100; i++)); do
			"$NOTW_PROGS/hold_clients" 127.0.0.1 49314 1 1 >/dev/null 2>&1 && break
			sleep 0.05
		done
		wait' serve_one "$@"
}
serve_one "${WITHOUT_NOTW[@]}" >"$WORK/seed.plain"
serve_one "${WITH_NOTW[@]}" >"$WORK/seed.notw"
check_eq "the server ran (stdout)" "listening 49314" "$(cat "$WORK/seed.notw")"
check "a server's stdout is byte-identical with and without notw" cmp -s "$WORK/seed.plain" "$WORK/seed.notw"

# A hook called from another library's constructor, before libnotw's own
# constructor has run (the loader runs the program's libraries first).
out=$(EARLY_PORT=49315 "${WITH_NOTW[@]}" "$NOTW_PROGS/early_main" 2>"$WORK/early.err")
check_eq "bind from an earlier constructor: the library readies itself" \
	"constructor: SO_REUSEADDR=1
main: early_lib loaded" "$out"
check "... and logs the decision" grep -Eq '^notw\[[0-9]+\]: bind 0\.0\.0\.0:49315 fd=[0-9]+: set SO_REUSEADDR$' "$WORK/early.err"

check "no probe wrote anything unexpected to stderr" bash -c "! grep -v '^notw\[' '$WORK/stderr'"
finish
