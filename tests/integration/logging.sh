#!/bin/bash
# The decision log: sinks, levels, invalid settings, and a log that never
# writes into a descriptor the program has taken back.
. "$(dirname "$0")/lib.sh"
enter_netns "$@"

PROBE=$NOTW_PROGS/probe
LINE_RE='^notw\[[0-9]+\]: bind 0\.0\.0\.0:[0-9]+ fd=[0-9]+: set SO_REUSEADDR$'

run_probe() { # run_probe NAME [VAR=VALUE...] -- PROBE ARGS...: stdout/stderr in $WORK/NAME.{out,err}
	local name=$1
	shift
	local vars=()
	while [ "$1" != -- ]; do vars+=("$1"); shift; done
	shift
	env "${vars[@]}" "${WITH_NOTW[@]}" "$PROBE" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
	echo $? >"$WORK/$name.rc"
}

lines() { grep -c "$2" "$WORK/$1.err"; }

# Default: stderr, level info, exactly one line for the bind.
run_probe default -- reuse tcp4 49400
check "default sink is stderr with the decision line" grep -Eq "$LINE_RE" "$WORK/default.err"
check_eq "exactly one line at the default level" 1 "$(grep -c . "$WORK/default.err")"

# Levels.
run_probe debug NOTW_LOG_LEVEL=debug -- reuse tcp4 49401
check "debug: per-call tracing (close)" grep -Eq '^notw\[[0-9]+\]: close fd=[0-9]+$' "$WORK/debug.err"
check "debug: the decision line too" grep -Eq "$LINE_RE" "$WORK/debug.err"
run_probe warn NOTW_LOG_LEVEL=warn -- reuse tcp4 49402
check_eq "warn: no info line" 0 "$(grep -c . "$WORK/warn.err")"
run_probe warn_live NOTW_LOG_LEVEL=warn -- live 49403
check "warn: warnings still shown" grep -q 'warning: bind' "$WORK/warn_live.err"
run_probe error_live NOTW_LOG_LEVEL=error -- live 49404
check_eq "error: warnings hidden" 0 "$(grep -c . "$WORK/error_live.err")"

# NOTW_LOG=none leaves stderr exactly as without the library.
"${WITHOUT_NOTW[@]}" "$PROBE" live 49405 >"$WORK/plain.out" 2>"$WORK/plain.err"
run_probe none NOTW_LOG=none NOTW_LOG_LEVEL=debug -- live 49406
check "NOTW_LOG=none: stderr identical to a run without notw" cmp -s "$WORK/plain.err" "$WORK/none.err"
check "NOTW_LOG=none: stdout identical too" cmp -s "$WORK/plain.out" "$WORK/none.out"

# File sink.
run_probe file NOTW_LOG="file:$WORK/notw.log" -- reuse tcp4 49407
check "file sink: the line is in the file" grep -Eq "$LINE_RE" "$WORK/notw.log"
check_eq "file sink: nothing on stderr" 0 "$(grep -c . "$WORK/file.err")"
run_probe file2 NOTW_LOG="file:$WORK/notw.log" -- reuse tcp4 49408
check_eq "file sink appends" 2 "$(grep -Ec "$LINE_RE" "$WORK/notw.log")"
run_probe badfile NOTW_LOG="file:$WORK/no/such/dir/notw.log" -- reuse tcp4 49409
check "unopenable log file: one error line on stderr" \
	grep -q "error: NOTW_LOG=file:$WORK/no/such/dir/notw.log: cannot open the log file: ENOENT" "$WORK/badfile.err"
check_eq "... and the program runs on" "SO_REUSEADDR=1" "$(cat "$WORK/badfile.out")"

# Invalid values: one error line each naming the variable and the value;
# that setting falls back to its default, the others apply, the program runs.
run_probe invalid NOTW_REUSEADDR=maybe NOTW_PORTS=70000 NOTW_LOG_LEVEL=loud -- reuse tcp4 49410
check_eq "invalid values: the program runs on with the defaults" "SO_REUSEADDR=1" "$(cat "$WORK/invalid.out")"
check_eq "invalid values: exit status 0" 0 "$(cat "$WORK/invalid.rc")"
check_eq "NOTW_REUSEADDR=maybe: one error line" 1 "$(lines invalid 'error: NOTW_REUSEADDR="maybe": expected on or off')"
check_eq "NOTW_PORTS=70000: one error line" 1 "$(lines invalid 'error: NOTW_PORTS="70000": expected a port number')"
check_eq "NOTW_LOG_LEVEL=loud: one error line" 1 "$(lines invalid 'error: NOTW_LOG_LEVEL="loud": expected error, warn, info or debug')"
run_probe badsink NOTW_LOG=loudly -- reuse tcp4 49411
check_eq "NOTW_LOG=loudly: one error line, on stderr (the default sink)" 1 \
	"$(lines badsink 'error: NOTW_LOG="loudly": expected stderr, syslog, none or file:PATH')"
run_probe badports NOTW_PORTS=49412,oops -- reuse tcp4 49412
check "NOTW_PORTS with one bad item: reported" grep -q 'error: NOTW_PORTS="49412,oops"' "$WORK/badports.err"
run_probe ctrl "NOTW_PORTS=$(printf '1\x1b[31m')" -- reuse tcp4 49413
check "control characters in a bad value are escaped, not echoed" grep -q 'NOTW_PORTS="1\\x1b\[31m"' "$WORK/ctrl.err"

# The program closes fd 2 and opens a file there: the library must not
# write into the program's file.
run_probe fd2 -- fd2 "$WORK/program-file" 49414
check_eq "fd 2 reused by the program: the bind still works" "bind: ok" "$(cat "$WORK/fd2.out")"
check "fd 2 reused by the program: no notw line in the program's file" \
	bash -c "! grep -q 'notw\[' '$WORK/program-file'"
# The library gets ready at the first socket, after the program took fd 2:
# an error it must report (a log file it cannot open) does not go there
# either.
run_probe fd2bad NOTW_LOG="file:$WORK/no/such/dir/notw.log" -- fd2 "$WORK/program-file2" 49422
check_eq "fd 2 reused, unopenable log: the bind still works" "bind: ok" "$(cat "$WORK/fd2bad.out")"
check "fd 2 reused, unopenable log: no notw line in the program's file" \
	bash -c "! grep -q 'notw\[' '$WORK/program-file2'"

# The program closes every descriptor, the log file's included: the log
# notices and reopens.
run_probe closeall NOTW_LOG="file:$WORK/closeall.log" -- closeall 49415
check "log file closed by the program via close(): reopened, line written" \
	grep -Eq "$LINE_RE" "$WORK/closeall.log"
run_probe closerange NOTW_LOG="file:$WORK/closerange.log" -- closerange "$WORK/other-file" 49416
check_eq "close_range() then a file on the log's old number" "file fd: 3" "$(head -n1 "$WORK/closerange.out")"
check "... the line goes to the reopened log" grep -Eq "$LINE_RE" "$WORK/closerange.log"
check "... not into the program's file" bash -c "! grep -q 'notw\[' '$WORK/other-file'"

# The log never kills the program with SIGPIPE: its stderr is a pipe whose
# reader goes away while the library is writing (the program itself writes
# nothing to stderr). Many short runs, so the race is hit.
killed=0
for ((i = 0; i < 150; i++)); do
	"${WITH_NOTW[@]}" "$PROBE" binds 300 40000 2>&1 >/dev/null | head -c 200 >/dev/null
	[ "${PIPESTATUS[0]}" = 141 ] && killed=$((killed + 1))
done
check_eq "stderr reader gone mid-line: the program is never killed by SIGPIPE (150 runs)" 0 "$killed"

# A program started with stdout closed: the log file must not become its
# fd 1 (the program's output would land in the log).
NOTW_LOG="file:$WORK/stdout-closed.log" "${WITH_NOTW[@]}" "$PROBE" stdout-closed 49420 1>&- 2>"$WORK/stdout-closed.err"
check_eq "stdout closed, file log: the program's write(1) still fails with EBADF" 0 $?
check "... and the log file holds only the library's lines" bash -c "! grep -v '^notw\[' '$WORK/stdout-closed.log'"

# A relative log path stays where the program started.
(cd "$WORK" && NOTW_LOG=file:relative.log "${WITH_NOTW[@]}" "$PROBE" reuse tcp4 49421 >/dev/null 2>&1)
check "NOTW_LOG=file:relative.log is relative to the program's start directory" \
	grep -Eq "$LINE_RE" "$WORK/relative.log"

# syslog: a private mount namespace with a stand-in /dev/log.
syslog_run() {
	in_private_dev '
		env "$@" "$NOTW_PROGS/probe" reuse tcp4 49417 >"$WORK/syslog-nosink.out" 2>"$WORK/syslog-nosink.err"
		start_syslog_sink
		env "$@" "$NOTW_PROGS/probe" reuse tcp4 49418 >"$WORK/syslog.out" 2>"$WORK/syslog.err"
		# The sink writes what it received on its next poll: wait for it (a
		# kill right away lost the line now and then).
		for ((i = 0; i < 100; i++)); do grep -q 49418 "$WORK/syslog.txt" 2>/dev/null && break; sleep 0.05; done
		# The sink goes away while a program logs: one line on its stderr
		# says the rest is dropped, however many lines follow. (In a
		# sanitizer build the runtime comes with the library: python3, and
		# a launcher script in front of it, would report their own leaks.)
		mkfifo "$WORK/go"
		env ${ASAN_OPTIONS+"ASAN_OPTIONS=$ASAN_OPTIONS:detect_leaks=0"} "$@" python3 -c "
import socket, sys
def bind(port):
    s = socket.socket()
    s.bind((\"127.0.0.1\", port))
    return s
kept = [bind(49430)]
print(\"one\", flush=True)
open(sys.argv[1]).readline()
kept += [bind(p) for p in range(49431, 49436)]
print(\"six\", flush=True)" "$WORK/go" >"$WORK/lost.out" 2>"$WORK/lost.err" &
		for ((i = 0; i < 100; i++)); do grep -q one "$WORK/lost.out" 2>/dev/null && break; sleep 0.05; done
		kill %1
		wait %1 || true
		echo >"$WORK/go"
		wait %2' "$@"
}
syslog_run NOTW_LOG=syslog "${WITH_NOTW[@]:1}"
check "syslog: the line arrives with facility user, severity info" \
	grep -Eq '^<14>notw\[[0-9]+\]: bind 0\.0\.0\.0:49418 fd=[0-9]+: set SO_REUSEADDR$' "$WORK/syslog.txt"
check_eq "syslog: nothing on stderr" 0 "$(grep -c . "$WORK/syslog.err")"
check "syslog unreachable: one error line on stderr" \
	grep -qx 'notw\[[0-9]*\]: error: NOTW_LOG=syslog: cannot reach /dev/log: ENOENT; the library.s lines are dropped until it can (said once)' "$WORK/syslog-nosink.err"
check_eq "syslog unreachable: the program runs on" "SO_REUSEADDR=1" "$(cat "$WORK/syslog-nosink.out")"
check_eq "syslog gone while a program logs: it runs on" "one six" "$(tr '\n' ' ' <"$WORK/lost.out" | sed 's/ $//')"
check_eq "... one line on its stderr says the rest is dropped (5 lines lost)" \
	"error: syslog: cannot reach /dev/log: ECONNREFUSED; the library's lines are dropped until it can (said once)" \
	"$(sed 's/^notw\[[0-9]*\]: //' "$WORK/lost.err")"
finish
