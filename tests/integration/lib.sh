# Shared helpers for the integration tests (bash). Each test script sources
# this, calls enter_netns (or make_work_dir), runs checks with
# check/ok/not_ok/skip, and ends with finish. Every wait is bounded.
#
# The scripts speak TAP, as meson's protocol 'tap' reads it: one
# "ok - WHAT" or "not ok - WHAT" line per check on stdout, a skipped check
# as "ok - WHAT # SKIP WHY", and the plan "1..N" last (finish); a script
# that cannot run at all prints "1..0 # SKIP WHY" (skip_all). Everything
# else a script prints on stdout starts with "#". A script exits 0 when its
# lines carry the verdict, nonzero only when it broke off.
set -u

: "${NOTW_LIB:?NOTW_LIB must name libnotw.so}"
: "${NOTW_PROGS:?NOTW_PROGS must name the directory of the test programs}"

TEST_NAME=$(basename "$0" .sh)
PASSED=0
FAILED=0
SKIPPED=0
BG_PIDS=()

# need_cli: NOTW_CLI names the notw command.
need_cli() {
	: "${NOTW_CLI:?NOTW_CLI must name the notw command}"
}

# need_root WHY: the whole script is skipped unless it runs as root.
need_root() {
	[ "$(id -u)" = 0 ] || skip_all "needs root ($1)"
}

# make_work_dir: WORK, a private directory removed (with every process
# start_bg started) when the script exits.
make_work_dir() {
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/notw-test.XXXXXX")
	trap cleanup EXIT
}

# Re-run this script in a network namespace of its own, with loopback up,
# so tests never share ports or leftovers and run in parallel safely.
enter_netns() {
	if [ -z "${NOTW_IN_NETNS:-}" ]; then
		export NOTW_IN_NETNS=1
		if [ "$(id -u)" = 0 ]; then
			exec unshare -n -- "$0" "$@"
		else
			exec unshare -rn -- "$0" "$@"
		fi
	fi
	ip link set lo up
	# Client sockets take ports above every port a test binds (the kernel's
	# default range, 32768-60999, covers the 49xxx ports of the seed
	# scenario), so a client can never hold the port a server drifts to.
	sysctl -qw net.ipv4.ip_local_port_range="50000 60999"
	make_work_dir
	# A policy file installed on this machine would steer every program the
	# tests run: give them an empty one of their own instead (a test that
	# is about policy files sets NOTW_CONFIG itself). Without one, the tests
	# take the path most installations take: no file at all.
	if [ -e "${NOTW_DEFAULT_CONFIG:-}" ] && [ -z "${NOTW_CONFIG+set}" ]; then
		echo "# $NOTW_DEFAULT_CONFIG exists: the tests use an empty policy file instead"
		: >"$WORK/no-policy.ini"
		export NOTW_CONFIG=$WORK/no-policy.ini
	fi
}

# kill_background: SIGKILL to every process start_bg started, reaped.
kill_background() {
	local pid
	for pid in "${BG_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	BG_PIDS=()
}

cleanup() {
	kill_background
	rm -rf "$WORK"
}

# Command prefixes: "${WITH_NOTW[@]}" prog args... runs prog under the
# library (env execs it, so a background pid is the program's own). A
# sanitizer build needs its runtime first in the list (NOTW_PRELOAD_PREFIX).
WITH_NOTW=(env "LD_PRELOAD=${NOTW_PRELOAD_PREFIX:+$NOTW_PRELOAD_PREFIX:}$NOTW_LIB")
WITHOUT_NOTW=(env -u LD_PRELOAD)
# "${STRACE[@]}" ARGS...: strace, with what a sanitizer runtime needs in the
# traced programs (LeakSanitizer cannot run under ptrace: it would fail them).
STRACE=(env ${ASAN_OPTIONS+"ASAN_OPTIONS=$ASAN_OPTIONS:detect_leaks=0"} strace)

ok() {
	echo "ok - $1"
	PASSED=$((PASSED + 1))
}

not_ok() {
	echo "not ok - $1"
	FAILED=$((FAILED + 1))
}

# skip DESCRIPTION WHY: a check that cannot be made here, said so.
skip() {
	echo "ok - $1 # SKIP $2"
	SKIPPED=$((SKIPPED + 1))
}

# skip_all WHY: the whole script cannot run here (before any check).
skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

# check DESCRIPTION COMMAND...: passes when COMMAND succeeds. What COMMAND
# prints goes to stderr, out of the TAP stream (and a redirection of the
# check's stdout would take its TAP line away).
check() {
	local what=$1
	shift
	if "$@" >&2; then ok "$what"; else not_ok "$what"; fi
}

# check_eq DESCRIPTION EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1 (expected '$2', got '$3')"
	fi
}

# wait_for_line FILE REGEX [SECONDS]: until a line of FILE matches.
wait_for_line() {
	local file=$1 re=$2 limit=${3:-10} i
	for ((i = 0; i < limit * 20; i++)); do
		if [ -f "$file" ] && grep -Eq "$re" "$file"; then
			return 0
		fi
		sleep 0.05
	done
	echo "# timed out after ${limit}s waiting for /$re/ in $file:" >&2
	sed 's/^/#   /' "$file" >&2 2>/dev/null
	return 1
}

# start_bg OUTFILE ERRFILE COMMAND...: run in the background, remember the pid in BG_PID.
start_bg() {
	local out=$1 err=$2
	shift 2
	"$@" >"$out" 2>"$err" &
	BG_PID=$!
	BG_PIDS+=("$BG_PID")
}

# wait_exit PID [SECONDS]: wait for a background process, bounded; sets EXIT_STATUS.
wait_exit() {
	local pid=$1 limit=${2:-10} i
	for ((i = 0; i < limit * 20; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" 2>/dev/null
			EXIT_STATUS=$?
			return 0
		fi
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	EXIT_STATUS=timeout
	return 1
}

# The kernel's view of local port PORT: established connections, timewait
# mini-sockets (TIME-WAIT and FIN-WAIT-2 sub-states), listeners.
# wait_until COMMAND...: runs COMMAND every 50 ms until it succeeds, 100
# times at most (5 s); returns its last status.
wait_until() {
	local i
	for ((i = 0; i < 100; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

# at_least N COMMAND...: the number COMMAND prints is N or more.
at_least() {
	local n=$1
	shift
	[ "$("$@")" -ge "$n" ]
}

# in_other_netns PID: PID's network namespace is not this one (yet).
in_other_netns() {
	[ "$(readlink "/proc/$1/ns/net")" != "$(readlink /proc/self/ns/net)" ]
}

# peer_host NET [COMMAND]: another host for this test, a network namespace
# of its own behind a veth pair: this side is NET.1, it is NET.2 (NET: the
# first three numbers of an address); COMMAND runs there once its address
# is up. Sets PEER (a process in it: nsenter -t "$PEER" -n). Both ends are
# in namespaces the test made.
peer_host() {
	local net=$1 extra=${2:-true}
	start_bg "$WORK/peer.out" "$WORK/peer.err" unshare -n -- sleep 60
	PEER=$BG_PID
	wait_until in_other_netns "$PEER"
	ip link add notw-a type veth peer name notw-b
	ip link set notw-b netns "$PEER"
	ip addr add "$net.1/24" dev notw-a
	ip link set notw-a up
	nsenter -t "$PEER" -n -- sh -c "ip addr add $net.2/24 dev notw-b && ip link set notw-b up && $extra"
}

# cgroup2_root: where the cgroup v2 hierarchy is mounted (nothing when it
# is not).
cgroup2_root() {
	awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") { print $5; exit } break } }' /proc/self/mountinfo
}

# time_wait_state_on_port PORT: sockets in the TIME-WAIT sub-state only.
time_wait_state_on_port() {
	ss -tanH state time-wait "( sport = :$1 )" | wc -l
}

# accept_queue_empty PORT: the listener on PORT has accepted every
# connection the kernel completed (its Recv-Q, for a listener the accept
# queue, is 0). A listener closed with connections still queued resets
# them: a test that kills a server after its clients connected waits for
# this first.
accept_queue_empty() {
	[ "$(ss -tlnH "( sport = :$1 )" | awk '{ n += $2 } END { print n + 0 }')" = 0 ]
}

established_on_port() {
	ss -tanH state established "( sport = :$1 )" | grep -c .
}

# timewait_timers_on_port PORT: the timewait mini-sockets on local port PORT,
# in either sub-state (TIME-WAIT, or FIN-WAIT-2 with a timewait timer).
timewait_timers_on_port() {
	ss -tanoH state time-wait state fin-wait-2 "( sport = :$1 )" | grep -c 'timewait'
}

# time_wait_or_fin_wait_2_on_port PORT: every TIME-WAIT and FIN-WAIT-2
# socket on local port PORT, whatever its timer: for a port whose process
# is gone. Besides the
# timewait mini-sockets this counts an orphan the kernel left a full
# FIN-WAIT-2 socket with a keepalive timer: the ACK of its FIN arrived
# while the closing process still held the socket lock, after close() had
# turned what it could into mini-sockets (tcp_rcv_state_process()); it
# lives as long and holds the port the same way.
time_wait_or_fin_wait_2_on_port() {
	ss -tanH state time-wait state fin-wait-2 "( sport = :$1 )" | grep -c .
}

# fin_wait_1_settled PORT: no socket on local port PORT still waits for the
# ACK of its FIN. A peer may read the FIN (and report EOF) before its ACK
# leaves, delayed; until it arrives the socket is FIN-WAIT-1, not yet one of
# the timewait sockets a count is after.
fin_wait_1_settled() {
	[ -z "$(ss -tanH state fin-wait-1 "( sport = :$1 )")" ]
}

listener_on_port() {
	ss -tlnH "( sport = :$1 )" | grep -c LISTEN
}

# A sanitizer report fails the test wherever it landed: in a program's
# captured stderr (UBSan with halt_on_error writes there) or in a file.
check_no_sanitizer_reports() {
	local found
	[ -n "${WORK:-}" ] || return 0
	found=$(grep -rlE 'ERROR: (Address|Leak)Sanitizer|runtime error:|WARNING: ThreadSanitizer' "$WORK" 2>/dev/null)
	if [ -n "$found" ]; then
		not_ok "sanitizer reports in: $found"
		sed 's/^/#   /' $found >&2
	fi
}

# in_private_dev SCRIPT [ARG...]: runs the bash SCRIPT (ARG... its $1...)
# in a private mount namespace whose /dev is an empty tmpfs but for
# /dev/null: no /dev/log unless SCRIPT starts a stand-in
# (start_syslog_sink). WORK and the NOTW_* variables are exported to it.
in_private_dev() {
	local script=$1
	shift
	export WORK NOTW_LIB NOTW_PROGS NOTW_CLI NOTW_PRELOAD_PREFIX
	export -f start_syslog_sink
	unshare -m -- bash -c '
		set -e
		mount --make-rprivate /
		mkdir -p "$WORK/dev"
		mount -t tmpfs tmpfs "$WORK/dev"
		touch "$WORK/dev/null"
		mount --bind /dev/null "$WORK/dev/null"
		mount --bind "$WORK/dev" /dev
		'"$script" in_private_dev "$@"
}

# start_syslog_sink (in in_private_dev's SCRIPT): a stand-in /dev/log in
# the background (job %1 when it is the first) that writes what it
# receives to $WORK/syslog.txt and ends after 5 s; returns once it listens.
start_syslog_sink() {
	local i
	"$NOTW_PROGS/syslog_sink" /dev/log "$WORK/syslog.txt" 5 >"$WORK/sink.out" &
	for ((i = 0; i < 100; i++)); do
		grep -q ready "$WORK/sink.out" 2>/dev/null && break
		sleep 0.05
	done
}

# finish: the summary and the plan; a script that made no check fails.
finish() {
	check_no_sanitizer_reports
	[ $((PASSED + FAILED + SKIPPED)) -gt 0 ] || not_ok "$TEST_NAME: at least one check ran"
	echo "# $TEST_NAME: $PASSED passed, $FAILED failed, $SKIPPED skipped"
	echo "1..$((PASSED + FAILED + SKIPPED))"
	exit 0
}
