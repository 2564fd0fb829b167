#!/bin/bash
# An armed connection handed to a program through exec (inetd style) must
# still close gracefully when that program exits normally: the new program
# cannot see the library's table, so the library disarms what survives
# exec. Under NOTW_LINGER=crash and exit, for every exec form.
. "$(dirname "$0")/lib.sh"
enter_netns "$@"

BYTES=4194304
port=49800
for mode in crash exit; do
	for form in execv execvp execl execlp; do
		port=$((port + 1))
		prog=head
		[ "$form" = execv ] || [ "$form" = execl ] && prog=$(command -v head)
		NOTW_LINGER=$mode start_bg "$WORK/srv.out" "$WORK/srv-$mode-$form.err" \
			"${WITH_NOTW[@]}" "$NOTW_PROGS/exec_server" "$port" "$form" "$prog" -c "$BYTES" /dev/zero
		wait_for_line "$WORK/srv.out" "^listening $port\$"
		got=$("$NOTW_PROGS/read_all" "$port" 10)
		check_eq "linger=$mode, $form: the exec'd program's output arrives whole, then EOF" \
			"bytes $BYTES eof" "$got"
		wait_exit "$BG_PID" 10
	done
done
check "zero linger was on for the listener's connections (so the test means something)" \
	grep -q 'arm SO_LINGER{1,0} on connections accepted on 127.0.0.1:49801 (linger=crash)' "$WORK/srv-crash-execv.err"
finish
