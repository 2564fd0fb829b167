#!/bin/bash
# The policy file (NOTW_CONFIG / the default notw.ini) as programs see it.
#
#   config.sh two-programs|env-overrides|enabled|diagnostics|deleted-executable|check-config|reading
#
# two-programs   one file, two servers under different names: the one its
#                [program:] section gives linger = crash leaves no timewait
#                socket when killed, the other leaves one per connection
# env-overrides  NOTW_* variables win over the file, also for linger at a
#                real crash
# enabled        enabled = off in [defaults] passes every call through
#                (nothing set, nothing logged); a [program:] section or
#                NOTW_ENABLED turns it back on
# diagnostics    a broken file: each problem once with file:line, the valid
#                rest applies, the program runs on; a missing NOTW_CONFIG
#                file warns; a misspelt NOTW_ variable warns once, naming the
#                one it looks like; log = file:PATH from the file is used
# deleted-executable  a program started from a file already removed (the
#                kernel names it "PATH (deleted)") still gets its
#                [program:NAME] section
# reading        the system calls that reading the policy file costs a
#                program, counted by strace: none but the open when there
#                is no file; open, fstat, one read and close for a small
#                one; the executable's path looked up only when a
#                [program:] section has to be matched
# check-config   notw check-config on the shipped example, a broken file, a
#                missing one, a program found through a symbolic link; notw
#                run --config with a good, a broken and a missing file
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linger-lib.sh"
enter_netns "$@"
ulimit -c 0

MODE=${1:?mode}
N=20
PORT=29600
CONF=$WORK/notw.ini
mkdir -p "$WORK/bin"
export NOTW_CONFIG=$CONF
unset NOTW_LINGER NOTW_REUSEADDR NOTW_PORTS NOTW_LOG NOTW_LOG_LEVEL NOTW_REAP NOTW_WAIT NOTW_ENABLED

# as NAME PROGRAM: a copy of test program PROGRAM called NAME (the library
# matches [program:NAME] on the executable's name).
as() {
	cp "$NOTW_PROGS/$2" "$WORK/bin/$1"
	echo "$WORK/bin/$1"
}

# probe_reuse PROGRAM PORT [ENV...]: SO_REUSEADDR after a bind under the library.
probe_reuse() {
	local prog=$1 port=$2
	shift 2
	env "$@" "${WITH_NOTW[@]}" "$prog" reuse tcp4 "$port"
}

# file_calls CONF PROGRAM...: the system calls PROGRAM makes under the
# library from the open of CONF on, on CONF's descriptor or for the
# executable's path or a mapping for the file's text, one name a line.
file_calls() {
	local conf=$1
	shift
	NOTW_CONFIG="$conf" strace -qq -o "$WORK/reading.trace" \
		-e trace=openat,open,fstat,newfstatat,statx,read,pread64,close,mmap,munmap,readlink,readlinkat \
		"${WITH_NOTW[@]}" "$@" >/dev/null
	awk -v conf="\"$conf\"" '
		index($0, "openat(AT_FDCWD, " conf ",") == 1 { print "openat"; fd = $NF; open = fd ~ /^[0-9]+$/; next }
		/\/proc\/self\/exe/ { sub(/\(.*/, ""); print; next }
		/^mmap\(NULL, 65537,/ { print "mmap"; next }
		open && (index($0, "(" fd ",") || index($0, "(" fd ")")) { name = $0; sub(/\(.*/, "", name); print name; if (name == "close") open = 0 }
	' "$WORK/reading.trace"
}

case $MODE in
reading)
	if [ -n "${NOTW_PRELOAD_PREFIX:-}" ] || ! strace -qq -o /dev/null true 2>/dev/null; then
		skip_all "needs strace and the normal build"
	fi
	# The policy is read at the program's first socket (probe binds one).
	probe=("$NOTW_PROGS/probe" reuse tcp4 29620)
	check_eq "no policy file: the open that fails, nothing else" "openat" \
		"$(file_calls "$WORK/none.ini" "${probe[@]}" | paste -sd' ')"
	printf '[defaults]\nenabled = off\n' >"$CONF"
	check_eq "[defaults] enabled = off: open, fstat, one read, close" "openat fstat read close" \
		"$(file_calls "$CONF" "${probe[@]}" | paste -sd' ')"
	check_eq "a program that opens no socket: the file is not even opened" "" \
		"$(file_calls "$CONF" /bin/true | paste -sd' ')"
	printf '[defaults]\nenabled = off\n[program:nothing-like-this]\nenabled = on\n' >"$CONF"
	check_eq "... and a [program:] section: the executable's path, once" "openat fstat read close readlinkat" \
		"$(file_calls "$CONF" "${probe[@]}" | paste -sd' ')"
	;;
two-programs)
	cat >"$CONF" <<-EOF
	[defaults]
	linger = off

	[program:srv-reset]
	linger = crash
	EOF
	SERVER_PROG=$(as srv-reset linger_server)
	held unset kill
	check_eq "srv-reset (linger = crash in its section), SIGKILL: no timewait socket" 0 "$TW"
	check "srv-reset: the arming is logged" grep -q "arm SO_LINGER{1,0} on connections accepted on 0.0.0.0:$PORT (linger=crash)" "$S_ERR"
	SERVER_PROG=$(as srv-keep linger_server)
	held unset kill
	check_eq "srv-keep (only [defaults]), SIGKILL: $N timewait sockets" "$N" "$TW"
	check "srv-keep: nothing armed" bash -c "! grep -q 'arm SO_LINGER' '$S_ERR'"

	# A glob on the full path selects by directory.
	cat >"$CONF" <<-EOF
	[program:$WORK/bin/*]
	linger = crash
	EOF
	held unset kill
	check_eq "[program:DIR/*] matches srv-keep by its path: no timewait socket" 0 "$TW"
	;;
env-overrides)
	cat >"$CONF" <<-EOF
	[defaults]
	reuseaddr = off
	[program:srv]
	linger = crash
	EOF
	probe=$(as probe probe)
	check_eq "reuseaddr = off in the file: SO_REUSEADDR not set" "SO_REUSEADDR=0" \
		"$(probe_reuse "$probe" 29501 2>/dev/null)"
	check_eq "NOTW_REUSEADDR=on overrides the file" "SO_REUSEADDR=1" \
		"$(probe_reuse "$probe" 29502 NOTW_REUSEADDR=on 2>/dev/null)"
	SERVER_PROG=$(as srv linger_server)
	held off kill
	check_eq "NOTW_LINGER=off overrides linger = crash of [program:srv], SIGKILL: $N timewait sockets" "$N" "$TW"
	held unset kill
	check_eq "control: the file alone, SIGKILL: no timewait socket" 0 "$TW"
	;;
enabled)
	cat >"$CONF" <<-EOF
	[defaults]
	enabled = off
	linger = crash
	log_level = debug
	[program:probe-on]
	enabled = on
	EOF
	off=$(as probe-off probe)
	on=$(as probe-on probe)
	check_eq "enabled = off: SO_REUSEADDR left alone" "SO_REUSEADDR=0" \
		"$(probe_reuse "$off" 29511 2>"$WORK/off.err")"
	check "enabled = off: nothing but the debug line saying so" bash -c \
		"[ \$(grep -vc 'disabled for this program\|ready:\|policy file' '$WORK/off.err') = 0 ] && grep -q 'disabled for this program' '$WORK/off.err'"
	check_eq "enabled = on in [program:probe-on]" "SO_REUSEADDR=1" \
		"$(probe_reuse "$on" 29512 2>/dev/null)"
	check_eq "NOTW_ENABLED=on overrides the file" "SO_REUSEADDR=1" \
		"$(probe_reuse "$off" 29513 NOTW_ENABLED=on 2>/dev/null)"
	check_eq "NOTW_ENABLED=off turns it off for probe-on" "SO_REUSEADDR=0" \
		"$(probe_reuse "$on" 29514 NOTW_ENABLED=off 2>/dev/null)"
	# With nothing to say, a disabled program opens no log sink.
	printf '[defaults]\nenabled = off\nlog = file:%s\n' "$WORK/never.log" >"$WORK/quiet.ini"
	out=$(NOTW_CONFIG=$WORK/quiet.ini probe_reuse "$off" 29515 2>"$WORK/quiet.err")
	check_eq "enabled = off, log = file:PATH: the program runs as without the library" "SO_REUSEADDR=0" "$out"
	check "... and the log file is never created" test ! -e "$WORK/never.log"
	check_eq "... nor anything written to stderr" "" "$(cat "$WORK/quiet.err")"
	# A disabled server leaves its connections alone (linger = crash not applied).
	SERVER_PROG=$(as srv-off linger_server)
	held unset kill
	check_eq "enabled = off, linger = crash, SIGKILL: $N timewait sockets" "$N" "$TW"
	;;
diagnostics)
	printf '[defaults]\nlinger = sometimes\nreuseaddr = off\nbogus = 1\n[nowhere]\nreap = off\n' >"$CONF"
	probe=$(as probe probe)
	out=$(probe_reuse "$probe" 29521 2>"$WORK/diag.err")
	check_eq "the valid rest of a broken file applies" "SO_REUSEADDR=0" "$out"
	check "a bad value: one error line with file:line" \
		grep -qx "notw\[[0-9]*\]: error: $CONF:2: linger = \"sometimes\": expected off, crash, exit or always; ignored" "$WORK/diag.err"
	check "an unknown key: one error line with file:line" \
		grep -qx "notw\[[0-9]*\]: error: $CONF:4: unknown key \"bogus\" in section \"defaults\"; ignored" "$WORK/diag.err"
	check "an unknown section: one error line with file:line" \
		grep -q "error: $CONF:5: unknown section \"nowhere\"" "$WORK/diag.err"
	check_eq "three problems, three lines" 3 "$(grep -c 'error:' "$WORK/diag.err")"
	check_eq "the program's own stdout is untouched" "SO_REUSEADDR=0" "$out"

	out=$(NOTW_CONFIG=$WORK/missing.ini probe_reuse "$probe" 29522 2>"$WORK/missing.err")
	check_eq "a missing NOTW_CONFIG file: built-in defaults" "SO_REUSEADDR=1" "$out"
	check "a missing NOTW_CONFIG file: one warning" \
		grep -qx "notw\[[0-9]*\]: warning: NOTW_CONFIG=$WORK/missing.ini: no such file; using the built-in defaults" "$WORK/missing.err"

	out=$(NOTW_CONFIG=$WORK probe_reuse "$probe" 29523 2>"$WORK/dir.err")
	check "a directory as NOTW_CONFIG: said so" grep -q "error: $WORK: cannot be read: it is a directory; ignored" "$WORK/dir.err"

	# A misspelt variable is said once, with the one it looks like; a
	# NOTW_ name far from every setting is some other program's.
	: >"$CONF"
	out=$(probe_reuse "$probe" 29525 NOTW_REUSEADR=off NOTW_LINGR=crash NOTW_LOG_LEVL=debug NOTW_BUILD_DIR=/x \
		2>"$WORK/typo.err")
	check_eq "misspelt variables change nothing" "SO_REUSEADDR=1" "$out"
	check "NOTW_LINGR: one warning, with the variable meant" \
		grep -qx 'notw\[[0-9]*\]: warning: "NOTW_LINGR": no such variable, ignored; did you mean NOTW_LINGER?' "$WORK/typo.err"
	check "NOTW_REUSEADR: the same" grep -q '"NOTW_REUSEADR": no such variable, ignored; did you mean NOTW_REUSEADDR?' "$WORK/typo.err"
	check "NOTW_LOG_LEVL: the same" grep -q '"NOTW_LOG_LEVL": no such variable, ignored; did you mean NOTW_LOG_LEVEL?' "$WORK/typo.err"
	check_eq "one line each, none for NOTW_BUILD_DIR" 3 "$(grep -c 'no such variable' "$WORK/typo.err")"
	check_eq "... and no other warning or error" 3 "$(grep -Ec ': (warning|error):' "$WORK/typo.err")"

	printf '[defaults]\nlog = file:%s\nlog_level = debug\n' "$WORK/from-file.log" >"$CONF"
	probe_reuse "$probe" 29524 >/dev/null 2>"$WORK/logfile.err"
	check "log = file:PATH from the file: lines go there" grep -q "bind 0.0.0.0:29524 fd=[0-9]*: set SO_REUSEADDR" "$WORK/from-file.log"
	check_eq "... and not to stderr" "" "$(cat "$WORK/logfile.err")"
	;;
deleted-executable)
	cat >"$CONF" <<-EOF
	[program:srv-gone]
	linger = crash
	EOF
	# run_removed NAME PORT: runs a copy called NAME from a descriptor after
	# its file is removed, as a server re-executing itself after an upgrade;
	# it binds PORT (the library reads its policy at the first socket).
	run_removed() {
		local exe
		exe=$(as "$1" probe)
		(
			exec 9<"$exe"
			rm -f "$exe"
			exec env NOTW_LOG=stderr NOTW_LOG_LEVEL=debug "${WITH_NOTW[@]}" /proc/self/fd/9 reuse tcp4 "$2"
		) >"$WORK/gone.out" 2>"$WORK/gone.err"
	}
	run_removed srv-gone 29610
	check_eq "the program ran" "SO_REUSEADDR=1" "$(cat "$WORK/gone.out")"
	check "its [program:srv-gone] section applied" \
		grep -q "1 \[program:\] section(s) apply" "$WORK/gone.err"
	check "... so linger = crash is in force" grep -q "ready: .* linger=crash" "$WORK/gone.err"
	run_removed srv-other 29611
	check "another removed program: no section applies" \
		grep -q "0 \[program:\] section(s) apply" "$WORK/gone.err"
	;;
check-config)
	example=$NOTW_SOURCE_ROOT/config/notw.ini
	"$NOTW_CLI" check-config "$example" >"$WORK/example.out" 2>"$WORK/example.err"
	check_eq "the shipped example has no problem: exit 0" 0 $?
	check_eq "... and nothing on stderr" "" "$(cat "$WORK/example.err")"
	check "... its [defaults] policy is shown" grep -qx '  linger          = off' "$WORK/example.out"
	"$NOTW_CLI" check-config --program myserver "$example" >"$WORK/myserver.out"
	check "the example's policy for myserver: linger = crash" grep -qx '  linger          = crash' "$WORK/myserver.out"
	check "... ports = 49200" grep -qx '  ports           = 49200' "$WORK/myserver.out"
	check "... from its section" grep -q 'from            = built-in defaults, \[defaults\], \[program:myserver\] (line [0-9]*)' "$WORK/myserver.out"

	printf '[defaults]\nlinger = sometimes\nports = 80,90-95\n[program:real]\nwait = 7\nbogus\n' >"$CONF"
	"$NOTW_CLI" check-config "$CONF" >"$WORK/broken.out" 2>"$WORK/broken.err"
	check_eq "a broken file: exit 1" 1 $?
	check_eq "... each problem as FILE:LINE: error:" \
		"$CONF:2: error: linger = \"sometimes\": expected off, crash, exit or always; ignored
$CONF:6: error: expected 'key = value', a [section] header or a comment" "$(cat "$WORK/broken.err")"
	check "... the valid rest is shown" grep -qx '  ports           = 80,90-95' "$WORK/broken.out"

	# The library matches the executable the kernel runs: a link's target.
	cp "$NOTW_PROGS/probe" "$WORK/bin/real"
	ln -s real "$WORK/bin/alias"
	PATH=$WORK/bin:$PATH "$NOTW_CLI" check-config --program alias "$CONF" >"$WORK/alias.out" 2>/dev/null
	check "--program alias (a link to real) gets [program:real]" grep -qx '  wait            = 7' "$WORK/alias.out"
	check "... and says which file it is" grep -q "policy for real ($WORK/bin/real)" "$WORK/alias.out"
	printf '#!%s\n' "$WORK/bin/alias" >"$WORK/bin/script"
	chmod +x "$WORK/bin/script"
	"$NOTW_CLI" check-config --program "$WORK/bin/script" "$CONF" >"$WORK/script.out" 2>/dev/null
	check "--program SCRIPT gets its interpreter's section" grep -qx '  wait            = 7' "$WORK/script.out"
	check "... and says so" grep -q "policy for real ($WORK/bin/real, the interpreter of the script $WORK/bin/script)" "$WORK/script.out"
	out=$(NOTW_LOG_LEVEL=warn NOTW_CONFIG=$CONF "${WITH_NOTW[@]}" "$WORK/bin/alias" env NOTW_CONFIG 2>/dev/null)
	check_eq "control: the program itself runs" "$CONF" "$out"

	"$NOTW_CLI" check-config "$WORK/missing.ini" >/dev/null 2>"$WORK/missing.err"
	check_eq "a missing file: exit 1" 1 $?
	check "... saying so" grep -q "$WORK/missing.ini: error: cannot be read: No such file or directory" "$WORK/missing.err"
	"$NOTW_CLI" check-config --bogus >/dev/null 2>&1
	check_eq "an unknown option: exit 2" 2 $?
	NOTW_CONFIG=$example "$NOTW_CLI" check-config >/dev/null 2>&1
	check_eq "without FILE: NOTW_CONFIG is read" 0 $?

	# As in cli.sh: a sanitizer build's runtime must stay first.
	run=("$NOTW_CLI" run)
	[ -z "${NOTW_PRELOAD_PREFIX:-}" ] ||
		run=(env "LD_PRELOAD=$NOTW_PRELOAD_PREFIX" "ASAN_OPTIONS=${ASAN_OPTIONS:-}:verify_asan_link_order=0" "$NOTW_CLI" run)
	printf '[defaults]\nreuseaddr = off\n' >"$CONF"
	out=$("${run[@]}" --config "$CONF" -- "$NOTW_PROGS/probe" reuse tcp4 29531 2>/dev/null)
	check_eq "notw run --config: the program follows the file" "SO_REUSEADDR=0" "$out"
	out=$(cd "$WORK" && "${run[@]}" --config notw.ini -- "$NOTW_PROGS/probe" env NOTW_CONFIG 2>/dev/null)
	check_eq "... given as an absolute path" "$CONF" "$out"
	printf '[defaults]\nreuseaddr = maybe\n' >"$CONF"
	"$NOTW_CLI" run --config "$CONF" -- "$NOTW_PROGS/probe" reuse tcp4 29532 >"$WORK/run-bad.out" 2>"$WORK/run-bad.err"
	check_eq "notw run --config with a broken file: exit 2" 2 $?
	check "... showing the problem" grep -q "$CONF:2: error: reuseaddr" "$WORK/run-bad.err"
	check_eq "... and not running the program" "" "$(cat "$WORK/run-bad.out")"
	"$NOTW_CLI" run --config "$WORK/missing.ini" -- true 2>/dev/null
	check_eq "notw run --config with a missing file: exit 2" 2 $?
	;;
*)
	not_ok "unknown mode $MODE"
	;;
esac
finish
