#!/bin/bash
# Log lines never reach anyone they must not, and foreign text cannot forge
# them.
#
#   log-safety.sh inetd|inetd-journal|forged-lines
#
# inetd          an inetd-style service (the client connection on 0, 1 and
#                2) under the library with the default NOTW_LOG=stderr: the
#                client receives the service's output and no "notw[" byte;
#                the line goes to syslog when /dev/log is there, nowhere when
#                it is not (a private mount namespace with a stand-in /dev).
# inetd-journal  the same with JOURNAL_STREAM naming that socket, as systemd
#                does for a service whose stderr is the journal's stream: the
#                journal's socket is a log, so the line is written there.
# forged-lines   NOTW_CONFIG and NOTW_LOG values with a newline and an escape
#                sequence: each stays inside its own line, escaped.
. "$(dirname "$0")/lib.sh"
enter_netns "$@"

MODE=${1:?mode}
PORT=49510
SERVICE_PORT=49511

# One connection to an inetd-style service under the library:
# inetd_once NAME [--journal]: the client's bytes in $WORK/NAME.client.
inetd_once() {
	local name=$1
	shift
	"$NOTW_PROGS/inetd" "$@" "$PORT" env "LD_PRELOAD=${NOTW_PRELOAD_PREFIX:+$NOTW_PRELOAD_PREFIX:}$NOTW_LIB" \
		"$NOTW_PROGS/probe" timed-bind "$SERVICE_PORT" >"$WORK/$name.inetd" 2>&1 &
	local inetd=$! i
	for ((i = 0; i < 100; i++)); do grep -q listening "$WORK/$name.inetd" 2>/dev/null && break; sleep 0.05; done
	"$NOTW_PROGS/bulk" dump "$PORT" 5 >"$WORK/$name.client"
	wait "$inetd"
}
export -f inetd_once
export PORT SERVICE_PORT

case $MODE in
inetd)
	in_private_dev '
		inetd_once nosyslog
		start_syslog_sink
		inetd_once syslog
		for ((i = 0; i < 100; i++)); do grep -q "$SERVICE_PORT" "$WORK/syslog.txt" 2>/dev/null && break; sleep 0.05; done
		kill %1'
	check "the client gets the service's own output" grep -q '^bind ok [0-9]* us$' "$WORK/syslog.client"
	check_eq "... and no log line (syslog there)" 0 "$(grep -c 'notw\[' "$WORK/syslog.client")"
	check "the line went to syslog instead" \
		grep -Eq "^<14>notw\[[0-9]+\]: bind 0\.0\.0\.0:$SERVICE_PORT fd=[0-9]+: set SO_REUSEADDR\$" "$WORK/syslog.txt"
	check "without /dev/log: the client gets the service's output" grep -q '^bind ok [0-9]* us$' "$WORK/nosyslog.client"
	check_eq "... and no log line, nor any error line" 0 "$(grep -c 'notw\[' "$WORK/nosyslog.client")"
	;;
inetd-journal)
	inetd_once journal --journal
	check "the journal's stream on descriptor 2 is a log: the line is written there" \
		grep -Eq "^notw\[[0-9]+\]: bind 0\.0\.0\.0:$SERVICE_PORT fd=[0-9]+: set SO_REUSEADDR\$" "$WORK/journal.client"
	;;
forged-lines)
	forged=$'/nonexistent/x\nnotw[1]: error: forged\e[2J'
	env NOTW_CONFIG="$forged" "${WITH_NOTW[@]}" "$NOTW_PROGS/probe" reuse tcp4 "$PORT" >/dev/null 2>"$WORK/config.err"
	check_eq "a NOTW_CONFIG path with a newline forges no line" 0 "$(grep -c '^notw\[1\]' "$WORK/config.err")"
	check "... it is escaped inside its own line" \
		grep -Fq 'warning: NOTW_CONFIG=/nonexistent/x\x0anotw[1]: error: forged\x1b[2J: no such file; using the built-in defaults' "$WORK/config.err"
	check_eq "... no escape byte reaches the terminal" 0 "$(grep -c $'\e' "$WORK/config.err")"
	env NOTW_LOG="file:$forged" "${WITH_NOTW[@]}" "$NOTW_PROGS/probe" reuse tcp4 "$PORT" >/dev/null 2>"$WORK/log.err"
	check_eq "a NOTW_LOG path with a newline forges no line" 0 "$(grep -c '^notw\[1\]' "$WORK/log.err")"
	check "... it is escaped inside its own line" \
		grep -Fq 'error: NOTW_LOG=file:/nonexistent/x\x0anotw[1]: error: forged\x1b[2J: cannot open the log file: ENOENT' "$WORK/log.err"
	;;
*)
	echo "unknown mode $MODE" >&2
	exit 2
	;;
esac
finish
