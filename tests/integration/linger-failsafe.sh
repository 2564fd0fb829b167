#!/bin/bash
# NOTW_LINGER=crash must fail safe: every way a program closes, execs or
# exits gracefully stays graceful (all 4 MiB, a clean EOF, no reset sent by
# the kernel), including the ways a preload library once missed; where the
# library cannot see a close, it notices and switches zero linger off.
#
#   linger-failsafe.sh closes|execs|exits|processes|net
#
# closes  glibc's syscall() for close, close_range, dup2, dup3 and accept4;
#         shutdown() followed by a close no library sees
# execs   close-on-exec connection at execve, fexecve, execveat,
#         syscall(SYS_execve); vfork + exec (busybox nc -e), with and
#         without the library in the new program; a listener shared with a
#         parent handed to a program without the library (nginx binary
#         upgrade); a listener passed to another program (SCM_RIGHTS); the
#         program's own SO_LINGER{1,0} on a listener kept across exec
# exits   quick_exit(), syscall(SYS_exit_group), syscall(SYS_exit) of the
#         last thread (and of two threads that are not the last: no exit
#         then), a connection accepted by a library's destructor after
#         libnotw's ran, SO_LINGER set by one; a child holding a connection
#         killed after the parent's close or fclose()
# processes  decisions for another process (shim/linger-protocol.md), with
#         strace widening the window each race needs: a signal handler's
#         _exit() inside close(); a parent's close and its child's exit at
#         once; a child's own SO_LINGER (through the parent's close, exit
#         and exec); a parent's SO_LINGER after a child
#         made by fork, _Fork, syscall(SYS_fork) or clone exec'd; a
#         signal handler that jumps out of an accept() while the library
#         arms, or forks there; exit() while another thread arms past the
#         bounded wait
# net     a close the library cannot see, then the number reused by
#         open(): one warning, every armed socket disarmed; errno after a
#         successful close; listen() twice logs the arming once
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linger-lib.sh"
enter_netns "$@"
ulimit -c 0

MODE=${1:?mode}
BIG=$((4 * 1024 * 1024))
case $MODE in
closes) PORT=29600 ;;
execs) PORT=29650 ;;
exits) PORT=29700 ;;
net) PORT=29750 ;;
*) PORT=29800 ;;
esac
SERVER_PROG=$NOTW_PROGS/close_paths

# Resets this network namespace's kernel has sent (Tcp OutRsts).
out_rsts() {
	awk '/^Tcp:/ { if (!seen) { for (i = 1; i <= NF; i++) if ($i == "OutRsts") col = i; seen = 1 } else print $col }' \
		/proc/net/snmp
}

# graceful CASE [WAIT_LINE]: close_paths CASE under crash, one client that
# reads everything (after WAIT_LINE in the server's output, if given).
graceful() {
	local how=$1 line=${2:-}
	local before
	before=$(out_rsts)
	start_server crash "$how"
	[ -z "$line" ] || wait_for_line "$S_OUT" "$line" || not_ok "$how: server printed $line"
	RESULT=$("$NOTW_PROGS/linger_client" --timeout 10 127.0.0.1 "$PORT" | grep '^bytes ')
	wait_exit "$SERVER" 10
	check_eq "$how: the client got all 4 MiB and a clean EOF" "bytes $BIG eof" "$RESULT"
	check_eq "$how: the kernel sent no reset" 0 $(($(out_rsts) - before))
	[ -n "${KILLED:-}" ] && return
	check_eq "$how: the server did what it was told (exit status)" 0 "$EXIT_STATUS"
}

case $MODE in
closes)
	for how in syscall-close syscall-close-range syscall-dup2 syscall-dup3 syscall-accept shutdown; do
		graceful "$how"
	done
	# A listener the kernel has armed but this process's table does not
	# know as armed must not hand out connections its close resets: more
	# duplicates than the library lists, a socket a child listened on, a
	# close_range() the kernel refused.
	for how in dups9 bind-fork close-range-einval; do
		graceful "$how"
	done
	# An accept the library does not see (the system call instruction, as
	# an io_uring loop does): the connection is not armed, so the program's
	# close of it is graceful. A clone(CLONE_VM|CLONE_VFORK) child that
	# closes every descriptor leaves the parent's bookkeeping alone.
	for how in raw-accept clone-vfork; do
		graceful "$how"
	done
	;;
execs)
	for how in exec-cloexec fexecve-cloexec execveat-cloexec syscall-execve vfork-exec vfork-exec-bare; do
		graceful "$how"
	done
	# The new program accepts only once it runs: a connection already
	# waiting in the listener's queue at exec carries the old linger
	# (README, Limits).
	graceful fork-exec-listener '^accepting$'
	# A listener armed by one process and passed to another (SCM_RIGHTS,
	# as haproxy's seamless reload does): the receiver's closes stay
	# graceful.
	graceful passed-listener '^accepting$'
	# A listener handed to a program without the library by the ways glibc
	# starts programs without the exec hooks, and with a connection already
	# waiting in its queue at the exec.
	for how in posix_spawn system popen; do
		graceful "spawn-listener-$how" '^accepting$'
	done
	graceful queued-exec-listener
	# A connection handed to another program (a spawn file action, sendmmsg),
	# then the process that had it is killed: the other program's close of
	# it stays graceful.
	KILLED=1
	graceful spawn-conn
	graceful sendmmsg-conn
	unset KILLED
	# Socket activation: an activator without the library holds the
	# listener and starts one generation after another on it; none may
	# leave it armed for the next, with or without the library.
	PORT=$((PORT + 1))
	before=$(out_rsts)
	"${WITHOUT_NOTW[@]}" NOTW_LINGER=crash timeout 60 python3 "$(dirname "$0")/activator.py" "$PORT" \
		"$NOTW_PROGS/close_paths" "${NOTW_PRELOAD_PREFIX:+$NOTW_PRELOAD_PREFIX:}$NOTW_LIB" lib lib bare \
		>"$WORK/activator.out" 2>"$WORK/activator.err"
	for gen in 1 2 3; do
		check "socket activation, generation $gen ($(sed -n "s/^gen $gen //p" "$WORK/activator.out")): all of it, a clean EOF" \
			grep -qx "gen $gen bytes $BIG eof" "$WORK/activator.out"
	done
	check_eq "socket activation: the kernel sent no reset" 0 $(($(out_rsts) - before))

	# A vfork() child whose exec failed calls exit(): its destructors run in
	# the parent's memory, and must not switch the parent's protection off
	# (a close-on-exec connection, which the child leaves to its parent).
	# A connection that would have survived the exec was disarmed by it and
	# stays so (shim/linger-protocol.md, rule B): a timewait socket.
	for variant in vfork-exit-crash-cloexec:0 vfork-exit-crash:1; do
		# ThreadSanitizer's vfork() is a fork(): the child's exec then
		# disarms what it closes, as any fork child's must.
		if [ "$variant" = vfork-exit-crash-cloexec:0 ] && [[ ${NOTW_PRELOAD_PREFIX:-} == *tsan* ]]; then
			skip "vfork-exit-crash-cloexec" "ThreadSanitizer makes vfork() a fork()"
			continue
		fi
		start_server crash "${variant%:*}"
		start_bg "$WORK/vx.out" "$WORK/vx.err" "$NOTW_PROGS/linger_client" --hold 1 --keep --timeout 10 127.0.0.1 "$PORT"
		vx_client=$BG_PID
		wait_for_line "$S_OUT" '^held$'
		kill -KILL "$SERVER"
		wait_exit "$SERVER" 10
		wait_for_line "$WORK/vx.out" '^summary ' 10
		wait_until fin_wait_1_settled "$PORT"
		check_eq "${variant%:*}: vfork child exit() after a failed exec, then SIGKILL: timewait sockets" \
			"${variant#*:}" "$(time_wait_or_fin_wait_2_on_port "$PORT")"
		kill -TERM "$vx_client" 2>/dev/null
		wait_exit "$vx_client" 5
	done

	# Memory: vfork + execl (the library builds the vector on the stack). A
	# page mapped per call and left in the parent would be 8 MiB; the normal
	# build grows about 300 kB, a ThreadSanitizer runtime's own bookkeeping
	# of 2,000 children about 1 MiB.
	PORT=$((PORT + 1))
	growth=$(NOTW_LINGER=crash "${WITH_NOTW[@]}" "$NOTW_PROGS/close_paths" vfork-execl 2000 | sed -n 's/^rss-growth //p')
	check "2,000 vfork + execl: the parent's memory grows by under 4 MiB (${growth} kB)" [ "${growth:-99999}" -lt 4096 ]

	# Cost: exec looks at the table's armed sockets, not at every descriptor.
	if [ -z "${NOTW_PRELOAD_PREFIX:-}" ] && strace -qq -o /dev/null true 2>/dev/null; then
		PORT=$((PORT + 1))
		start_bg "$WORK/mf.out" "$WORK/mf.err" strace -f -qq -c -U name,calls -e trace=getsockopt,getdents64 \
			-o "$WORK/mf.strace" env NOTW_LINGER=crash "${WITH_NOTW[@]}" "$NOTW_PROGS/close_paths" exec-many-fds "$PORT"
		mf=$BG_PID
		wait_for_line "$WORK/mf.out" "^listening $PORT\$"
		RESULT=$("$NOTW_PROGS/linger_client" --timeout 10 127.0.0.1 "$PORT" | grep '^bytes ')
		wait_exit "$mf" 10
		calls=$(awk '$1 == "getsockopt" || $1 == "getdents64" { n += $2 } END { print n + 0 }' "$WORK/mf.strace")
		check "exec with 2,000 files open: a handful of getsockopt/getdents64 calls, not one per descriptor ($calls)" \
			[ "$calls" -lt 50 ]
		check_eq "... and the close-on-exec connection closed gracefully" "bytes $BIG eof" "$RESULT"
	fi

	before=$(out_rsts)
	start_server crash own-reset-exec
	wait_for_line "$S_OUT" '^accepting$'
	RESULT=$("$NOTW_PROGS/linger_client" --timeout 10 127.0.0.1 "$PORT" | grep '^bytes ')
	wait_exit "$SERVER" 10
	check "the program's own SO_LINGER{1,0} on a listener it keeps across exec: its close resets as it asked ($RESULT)" \
		[ "$RESULT" != "bytes $BIG eof" ]
	;;
exits)
	for how in quick-exit syscall-exit-group syscall-exit late-destructor late-linger fork-helper-kill; do
		graceful "$how"
	done
	# Threads that end with syscall(SYS_exit) while others live on are not
	# the process's exit: a connection accepted after two of them is still
	# armed, and a SIGKILL then leaves no timewait socket. A sanitizer
	# runtime cannot follow a thread ended that way (its next thread trips
	# its own bookkeeping): the normal build checks it.
	if [ -n "${NOTW_PRELOAD_PREFIX:-}" ]; then
		skip "thread-raw-exits" "a sanitizer runtime cannot follow threads ended by a raw SYS_exit"
	else
		start_server crash thread-raw-exits
		start_bg "$WORK/tr.out" "$WORK/tr.err" "$NOTW_PROGS/linger_client" --hold 1 --keep --timeout 10 127.0.0.1 "$PORT"
		tr_client=$BG_PID
		wait_for_line "$S_OUT" '^held$'
		kill -KILL "$SERVER"
		wait_exit "$SERVER" 10
		wait_for_line "$WORK/tr.out" '^summary ' 10
		wait_until fin_wait_1_settled "$PORT"
		check_eq "thread-raw-exits: two threads ended by syscall(SYS_exit), then SIGKILL: timewait sockets" \
			0 "$(time_wait_or_fin_wait_2_on_port "$PORT")"
		kill -TERM "$tr_client" 2>/dev/null
		wait_exit "$tr_client" 5
	fi
	# fclose() of a stream whose buffer holds the whole answer, a helper
	# child killed after it: the answer arrives (the close disarms before
	# libc writes the buffer out, whatever children hold the connection).
	before=$(out_rsts)
	start_server crash fork-fclose
	start_bg "$WORK/ff.out" "$WORK/ff.err" "$NOTW_PROGS/linger_client" --delay-ms 500 --timeout 10 127.0.0.1 "$PORT"
	ff_client=$BG_PID
	wait_for_line "$S_OUT" '^closed '
	kill -KILL "$(sed -n 's/^closed //p' "$S_OUT")"
	wait_exit "$ff_client" 10
	check_eq "fork-fclose: the helper killed after the fclose(): all 1 MiB, clean EOF" \
		"bytes $((1024 * 1024)) eof" "$(grep '^bytes ' "$WORK/ff.out")"
	check_eq "fork-fclose: the kernel sent no reset" 0 $(($(out_rsts) - before))
	# An inetd-style child moves the connection onto 0 and 1 before the
	# parent closes its copy (busybox httpd): the parent's close disarms it
	# (nothing is left armed on account of another process), so SIGKILL of
	# both leaves a timewait socket and the client a clean EOF.
	start_server crash fork-stdio-crash
	start_bg "$WORK/fs.out" "$WORK/fs.err" "$NOTW_PROGS/linger_client" --hold 1 --keep --timeout 10 127.0.0.1 "$PORT"
	fs_client=$BG_PID
	wait_for_line "$S_OUT" '^held '
	fs_child=$(sed -n 's/^held //p' "$S_OUT")
	kill -KILL "$SERVER" "$fs_child"
	wait_exit "$SERVER" 10
	wait_for_line "$WORK/fs.out" '^summary ' 10
	wait_until fin_wait_1_settled "$PORT"
	check_eq "a child that moved the connection onto 0 and 1, then SIGKILL of both: one timewait socket" 1 \
		"$(time_wait_or_fin_wait_2_on_port "$PORT")"
	check "... and the client saw a clean EOF, no reset" grep -q '^summary conns=1 eof=1 reset=0' "$WORK/fs.out"
	kill -TERM "$fs_client" 2>/dev/null
	# A child forked while a connection is open (a snapshot child) is
	# killed after the parent's own close, with the parent's data not yet
	# acknowledged: that data must still arrive (the parent disarms).
	before=$(out_rsts)
	start_server crash fork-snapshot
	RESULT=$("$NOTW_PROGS/linger_client" --delay-ms 500 --timeout 10 127.0.0.1 "$PORT" | grep '^bytes ')
	wait_exit "$SERVER" 10
	wrote=$(sed -n 's/^wrote //p' "$S_OUT")
	check_eq "fork-snapshot: the child killed after the parent's close: the parent's $wrote bytes arrive, clean EOF" \
		"bytes $wrote eof" "$RESULT"
	check_eq "fork-snapshot: the kernel sent no reset" 0 $(($(out_rsts) - before))
	;;
processes)
	# A SIGTERM handler that calls _exit(0), run while close() is between
	# its decision and the real close (strace holds the getsockopt() the
	# close makes after a fork for 0.4 s): the exit still finds the
	# connection armed and disarms it.
	before=$(out_rsts)
	SERVER_WRAPPER=("${STRACE[@]}" -o /dev/null -e trace=getsockopt -e inject=getsockopt:delay_enter=400000)
	start_server crash signal-in-close
	SERVER_WRAPPER=()
	start_bg "$WORK/sic.out" "$WORK/sic.err" "$NOTW_PROGS/linger_client" --timeout 15 127.0.0.1 "$PORT"
	sic_client=$BG_PID
	wait_for_line "$S_OUT" '^closing ' 15
	sleep 0.15
	kill -TERM "$(sed -n 's/^closing //p' "$S_OUT")"
	wait_exit "$SERVER" 10
	check_eq "signal-in-close: the handler's _exit() ran inside close() (exit status)" 0 "$EXIT_STATUS"
	wait_exit "$sic_client" 10
	check_eq "signal-in-close: all 4 MiB, clean EOF" "bytes $BIG eof" "$(grep '^bytes ' "$WORK/sic.out")"
	check_eq "signal-in-close: the kernel sent no reset" 0 $(($(out_rsts) - before))

	# The parent closes its copy (dup2() over it, held 0.5 s by strace
	# after the decision) while its child exits normally: each used to
	# leave the connection armed for the other.
	before=$(out_rsts)
	SERVER_WRAPPER=("${STRACE[@]}" -o /dev/null -e trace=dup2 -e inject=dup2:delay_enter=500000)
	start_server crash close-and-child-exit
	SERVER_WRAPPER=()
	RESULT=$("$NOTW_PROGS/linger_client" --timeout 10 127.0.0.1 "$PORT" | grep '^bytes ')
	wait_exit "$SERVER" 10
	check_eq "close-and-child-exit: the last close is graceful: a clean EOF" "bytes 0 eof" "$RESULT"
	check_eq "close-and-child-exit: the kernel sent no reset" 0 $(($(out_rsts) - before))

	# A child that sets its own SO_LINGER keeps it through the parent's close.
	before=$(out_rsts)
	start_server crash child-own-linger
	RESULT=$("$NOTW_PROGS/linger_client" --timeout 10 127.0.0.1 "$PORT" | grep '^bytes ')
	wait_exit "$SERVER" 10
	check "child-own-linger: the kernel still has the child's SO_LINGER{1,5} after the parent's close" \
		grep -qx "child linger 1 5" "$S_OUT"
	check_eq "child-own-linger: all 4 MiB, clean EOF" "bytes $BIG eof" "$RESULT"
	check_eq "child-own-linger: the kernel sent no reset" 0 $(($(out_rsts) - before))

	# ... and through the parent's exit or exec with its copy open: the
	# walk takes off only the library's {1,0}, as a close does.
	for how in exit exec; do
		before=$(out_rsts)
		start_server crash "child-own-linger-$how"
		RESULT=$("$NOTW_PROGS/linger_client" --timeout 10 127.0.0.1 "$PORT" | grep '^bytes ')
		wait_exit "$SERVER" 10
		wait_for_line "$S_OUT" '^child linger ' 10 || not_ok "child-own-linger-$how: the child printed its linger"
		check "child-own-linger-$how: the kernel still has the child's SO_LINGER{1,5} after the parent's $how" \
			grep -qx "child linger 1 5" "$S_OUT"
		check_eq "child-own-linger-$how: all 4 MiB, clean EOF" "bytes $BIG eof" "$RESULT"
		check_eq "child-own-linger-$how: the kernel sent no reset" 0 $(($(out_rsts) - before))
	done

	# A child made by each way of forking execs a program that writes on the
	# connection later; the parent sets its own SO_LINGER, which must not
	# arm the socket again (the child's exec disarmed it), and is killed.
	for how in fork _Fork syscall-fork clone; do
		before=$(out_rsts)
		start_server crash "rearm-$how"
		start_bg "$WORK/ra.out" "$WORK/ra.err" "$NOTW_PROGS/linger_client" --timeout 10 127.0.0.1 "$PORT"
		ra_client=$BG_PID
		wait_for_line "$S_OUT" '^held$'
		kill -KILL "$SERVER"
		wait_exit "$SERVER" 10
		wait_exit "$ra_client" 10
		check_eq "rearm-$how: the exec'd child's answer arrives after the parent's crash: clean EOF" \
			"bytes $BIG eof" "$(grep '^bytes ' "$WORK/ra.out")"
		check_eq "rearm-$how: the kernel sent no reset" 0 $(($(out_rsts) - before))
	done

	# An accept() with a timeout whose SIGALRM handler siglongjmp()s out
	# of it while the library arms the connection (strace holds that
	# setsockopt() for 0.3 s, the timer fires after 0.1 s): the arming
	# section is never left. The closes after it must not wait for it each
	# time (a wait of 0.2 s per close); on another thread, once at most.
	# strace counts each thread's calls: the arm is the main thread's
	# second setsockopt() (after SO_REUSEADDR on the listener), the other
	# thread's first.
	for how in accept-timeout-jump accept-timeout-jump-thread; do
		nth=2
		[ "$how" = accept-timeout-jump ] || nth=1
		SERVER_WRAPPER=("${STRACE[@]}" -f -o /dev/null -e trace=setsockopt -e "inject=setsockopt:delay_enter=300000:when=$nth")
		start_server crash "$how"
		SERVER_WRAPPER=()
		wait_for_line "$S_OUT" '^closes ' 20 || not_ok "$how: the server printed its closes"
		RESULT=$("$NOTW_PROGS/linger_client" --timeout 10 127.0.0.1 "$PORT" | grep '^bytes ')
		wait_exit "$SERVER" 10
		read -r _ total _ slowest < <(grep '^closes ' "$S_OUT")
		echo "# $how: 20 closes took ${total:-?} ms, the slowest ${slowest:-?} ms"
		if [ "$how" = accept-timeout-jump ]; then
			check "$how: no close waits for the section jumped out of (slowest ${slowest:-?} ms)" \
				[ "${slowest:-1000}" -lt 100 ]
		else
			check "$how: 20 closes after it take less than 0.5 s (${total:-?} ms)" [ "${total:-10000}" -lt 500 ]
			check_eq "$how: one warning says zero linger is off and why" 1 \
				"$(grep -c 'warning: zero linger switched off for this process: a thread stayed inside' "$S_ERR")"
		fi
		check_eq "$how: then the default case: all 4 MiB, clean EOF" "bytes $BIG eof" "$RESULT"
	done

	# A SIGALRM handler that forks while the library arms (strace holds the
	# setsockopt() 0.3 s, the timer fires after 0.1 s): the child ends the
	# section when the handler returns; its closes after it must not wait
	# 0.2 s each for a section that is over. (ThreadSanitizer's runtime
	# cannot fork inside a signal handler.)
	if [[ ${NOTW_PRELOAD_PREFIX:-} == *tsan* ]]; then
		echo "# fork-in-arming: skipped under ThreadSanitizer"
	else
		SERVER_WRAPPER=("${STRACE[@]}" -f -o /dev/null -e trace=setsockopt -e inject=setsockopt:delay_enter=300000:when=2)
		start_server crash fork-in-arming
		SERVER_WRAPPER=()
		wait_for_line "$S_OUT" '^closes ' 20 || not_ok "fork-in-arming: the child printed its closes"
		RESULT=$("$NOTW_PROGS/linger_client" --timeout 10 127.0.0.1 "$PORT" | grep '^bytes ')
		wait_exit "$SERVER" 10
		read -r _ total _ slowest < <(grep '^closes ' "$S_OUT")
		echo "# fork-in-arming: the child's 20 closes took ${total:-?} ms, the slowest ${slowest:-?} ms"
		check "fork-in-arming: the child's 20 closes take less than 1 s (${total:-?} ms)" [ "${total:-10000}" -lt 1000 ]
		check_eq "fork-in-arming: no warning (nothing outlived a wait)" 0 \
			"$(grep -c 'warning: zero linger switched off' "$S_ERR")"
		check_eq "fork-in-arming: then the default case: all 4 MiB, clean EOF" "bytes $BIG eof" "$RESULT"
	fi

	# exit() while another thread is inside the arming of a connection it
	# accepted (strace holds that setsockopt() for 0.5 s, past the exit's
	# bounded wait), and a library destructor after libnotw's joins the
	# thread, which answers and closes gracefully: the late arm must not
	# reset that close.
	before=$(out_rsts)
	SERVER_WRAPPER=("${STRACE[@]}" -f -o /dev/null -e trace=setsockopt -e inject=setsockopt:delay_enter=500000:when=1)
	start_server crash exit-during-arm
	SERVER_WRAPPER=()
	RESULT=$("$NOTW_PROGS/linger_client" --timeout 10 127.0.0.1 "$PORT" | grep '^bytes ')
	wait_exit "$SERVER" 10
	check_eq "exit-during-arm: all 4 MiB, clean EOF" "bytes $BIG eof" "$RESULT"
	check_eq "exit-during-arm: the kernel sent no reset" 0 $(($(out_rsts) - before))
	check_eq "exit-during-arm: the server did what it was told (exit status)" 0 "$EXIT_STATUS"
	[ "$EXIT_STATUS" = 0 ] || sed 's/^/# server: /' "$S_ERR"
	;;
net)
	start_server crash safety-net
	start_bg "$WORK/a.out" "$WORK/a.err" "$NOTW_PROGS/linger_client" --timeout 10 127.0.0.1 "$PORT"
	wait_until at_least 1 established_on_port "$PORT"
	before=$(out_rsts)
	RESULT=$("$NOTW_PROGS/linger_client" --timeout 10 127.0.0.1 "$PORT" | grep '^bytes ')
	wait_exit "$SERVER" 10
	check "the number of a socket closed behind the library's back came back from open()" \
		grep -qx "reused yes" "$S_OUT"
	check_eq "one warning names the descriptor and why zero linger is off" 1 \
		"$(grep -c "warning: zero linger switched off for this process: fd=[0-9]* open() returned a descriptor number the library still held as an armed socket" "$S_ERR")"
	check_eq "then another armed connection, closed where the library cannot see it: graceful" \
		"bytes $BIG eof" "$RESULT"

	start_server crash errno-after-close
	RESULT=$("$NOTW_PROGS/linger_client" --timeout 10 127.0.0.1 "$PORT" | grep '^bytes ')
	wait_exit "$SERVER" 10
	check "a successful close() leaves errno as it was" grep -qx "close 0 errno 0" "$S_OUT"
	check_eq "... and stays graceful (its duplicate was closed behind the library's back)" \
		"bytes $BIG eof" "$RESULT"

	PORT=$((PORT + 1))
	check_eq "sendmsg() with a bad message pointer: -1 and EFAULT, as without the library" "sendmsg -1 14" \
		"$(NOTW_LINGER=crash "${WITH_NOTW[@]}" "$NOTW_PROGS/close_paths" sendmsg-efault 0)"

	graceful listen-twice
	check_eq "listen() twice on one socket (nginx): the arming is logged once" 1 \
		"$(grep -c 'arm SO_LINGER{1,0} on connections accepted on' "$S_ERR")"
	;;
*)
	echo "unknown mode $MODE" >&2
	exit 2
	;;
esac
finish
