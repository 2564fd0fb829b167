#!/bin/bash
# What the library costs a connection, in system calls, counted by strace:
# the overhead benchmark's churn (bench_churn: socket, connect, accept,
# close, close per cycle) with and without the library.
#
# Each count is per cycle: the difference between a run of SHORT and a run
# of LONG cycles, divided by LONG - SHORT, so start-up (the loader, the
# library's initialisation, a sanitizer's runtime) cancels out and any call
# made once per connection shows up as a whole number.
#
# Expected, per cycle, against the same program without the library:
#   default settings            nothing added, nothing taken away
#   NOTW_LINGER=crash / exit    2 setsockopt: the accepted connection is
#                               armed at accept() and disarmed before its
#                               close (the listener is never armed: the
#                               kernel would pass zero linger on to
#                               connections the library may not see); the
#                               outgoing one is left alone unless asked
#   ... NOTW_LINGER_OUTGOING=on 4 setsockopt: the outgoing connection is
#                               also armed at connect() and disarmed before
#                               its close
#   NOTW_LINGER=always          2 setsockopt: the arming of the accepted and
#                               of the outgoing connection; no disarm, every
#                               close resets
#   crash, port not in NOTW_PORTS   nothing added
#   crash, --server-only        2 setsockopt (the clients run without the
#                               library): what a server pays per connection
. "$(dirname "$0")/lib.sh"
if [ -n "${NOTW_PRELOAD_PREFIX:-}" ]; then
	# Their runtimes make calls of their own (TSan's allocator maps memory
	# at its own pace), and LeakSanitizer refuses to run under ptrace.
	skip_all "the counts are the normal build's: skipped in a sanitizer build"
fi
enter_netns "$@"
export LC_ALL=C # join and sort must agree on the order

: "${NOTW_BENCH_CHURN:?NOTW_BENCH_CHURN must name bench_churn}"
if ! command -v strace >/dev/null; then
	skip_all "strace not installed (scripts/install-deps installs it)"
fi
if ! strace -qq -o /dev/null true 2>/dev/null; then
	skip_all "strace cannot trace here (ptrace refused)"
fi

# Each run its own port: a server-side close leaves timewait sockets on the
# port (--server-only), which the next run without the library could not
# bind, and which would send a run with it through its recovery path.
PORT=29300
SHORT=100
LONG=600

# counts CYCLES OUTFILE [VAR=VALUE | VAR ...] [-- BENCH ARGS...]: strace -c
# summary of one churn run, as "syscall calls" lines. The assignments (a bare
# VAR removes it) apply to the benchmark only, not to strace.
counts() {
	local cycles=$1 out=$2
	shift 2
	local -a envs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		envs+=(-E "$1")
		shift
	done
	[ $# -gt 0 ] && shift
	local summary=$WORK/strace.$PORT
	PORT=$((PORT + 1))
	if ! strace -f -qq -c -U name,calls -o "$summary" "${envs[@]}" \
		"$NOTW_BENCH_CHURN" --iterations "$cycles" --batches 1 --warmup 0 \
		--port "$((PORT - 1))" "$@" >/dev/null 2>"$WORK/bench.err"; then
		echo "# bench_churn failed:" >&2
		sed 's/^/#   /' "$WORK/bench.err" >&2
		return 1
	fi
	# Rows are "name calls"; the header, the rules and the total are not.
	awk 'NF == 2 && $2 ~ /^[0-9]+$/ && $1 != "total" { print $1, $2 }' "$summary" | sort >"$out"
}

# per_cycle NAME [VAR=VALUE | VAR ...] [-- BENCH ARGS...]: writes $WORK/NAME.per-cycle
# ("syscall calls-per-cycle", only the calls made per cycle), or fails when
# some call's count does not grow by a whole number per cycle.
per_cycle() {
	local name=$1
	shift
	counts "$SHORT" "$WORK/$name.short" "$@" || return 1
	counts "$LONG" "$WORK/$name.long" "$@" || return 1
	join -a 1 -a 2 -e 0 -o 0,1.2,2.2 "$WORK/$name.short" "$WORK/$name.long" |
		awk -v d=$((LONG - SHORT)) -v name="$name" '
		{ delta = $3 - $2
		  if (delta % d != 0) {
			printf "# %s: %s went from %d to %d calls, not a whole number per cycle\n",
				name, $1, $2, $3 > "/dev/stderr"; bad = 1 }
		  else if (delta != 0) print $1, delta / d }
		END { exit bad }' >"$WORK/$name.per-cycle"
}

# added BASE NAME: what NAME makes per cycle beyond BASE, as "call +N" /
# "call -N" words on one line ("" when nothing).
added() {
	join -a 1 -a 2 -e 0 -o 0,1.2,2.2 "$WORK/$1.per-cycle" "$WORK/$2.per-cycle" |
		awk '$3 != $2 { printf "%s%s %+d", sep, $1, $3 - $2; sep = ", " } END { print "" }'
}

# (A policy file installed on the machine is kept out by enter_netns.)
LIB=(LD_PRELOAD="${NOTW_PRELOAD_PREFIX:+$NOTW_PRELOAD_PREFIX:}$NOTW_LIB" NOTW_LOG=none)

check "without the library: counts taken" per_cycle none LD_PRELOAD
echo "# per cycle without the library: $(tr '\n' ' ' <"$WORK/none.per-cycle")"
check_eq "without the library: 5 calls per cycle (socket, connect, accept, 2 close)" 5 \
	"$(awk '{ n += $2 } END { print n }' "$WORK/none.per-cycle")"

check "default settings: counts taken" per_cycle default "${LIB[@]}"
check_eq "default settings add no system call per connection" "" "$(added none default)"

for mode in crash exit; do
	check "linger=$mode: counts taken" per_cycle "$mode" "${LIB[@]}" NOTW_LINGER=$mode
	check_eq "linger=$mode: 2 setsockopt per cycle (arm + disarm accepted; outgoing left alone)" \
		"setsockopt +2" "$(added none "$mode")"
	check "linger=$mode, outgoing armed too: counts taken" per_cycle "$mode-out" "${LIB[@]}" \
		NOTW_LINGER=$mode NOTW_LINGER_OUTGOING=on
	check_eq "linger=$mode, NOTW_LINGER_OUTGOING=on: 4 setsockopt per cycle (arm + disarm of each)" \
		"setsockopt +4" "$(added none "$mode-out")"
done

check "linger=always: counts taken" per_cycle always "${LIB[@]}" NOTW_LINGER=always
check_eq "linger=always: 2 setsockopt per cycle (arm accepted and outgoing; closes reset, no disarm)" \
	"setsockopt +2" "$(added none always)"

check "linger=crash, port outside NOTW_PORTS: counts taken" \
	per_cycle excluded "${LIB[@]}" NOTW_LINGER=crash NOTW_PORTS=1-1000
check_eq "linger=crash leaves a port outside NOTW_PORTS alone" "" "$(added none excluded)"

check "server only, without the library: counts taken" \
	per_cycle server-none LD_PRELOAD -- --server-only
check "server only, linger=crash: counts taken" \
	per_cycle server-crash "${LIB[@]}" NOTW_LINGER=crash -- --server-only
check_eq "server only, linger=crash: 2 setsockopt per connection (arm at accept, disarm before close)" \
	"setsockopt +2" "$(added server-none server-crash)"

finish
