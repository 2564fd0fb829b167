#!/bin/bash
# notw attach: the cgroup BPF engine, for programs the library cannot reach.
# Every server here is drift_server, statically linked (no preload library
# loads into it), that never sets SO_REUSEADDR and moves to the next port
# when its port is busy. Each test makes cgroups of its own under the
# cgroup v2 mount (found in /proc/self/mountinfo), detaches and removes
# them at the end.
#
#   attach.sh static|raw-bind|file-capability|udp-and-ports|detach|two-cgroups|
#             child-cgroup|counters|refusals|systemd|no-bpf|pins-trust|
#             arguments|hostile-strings
. "$(dirname "$0")/lib.sh"
need_cli
MODE=${1:?mode}

# Built without the BPF engine: the command says so, the tests skip.
if [ "${NOTW_HAVE_BPF:-0}" != 1 ]; then
	out=$("$NOTW_CLI" attach --cgroup / 2>&1)
	rc=$?
	if [ "$rc" = 2 ] && [[ "$out" == *"built without BPF support"* ]]; then
		skip_all "notw was built without BPF support (it says so, exit 2)"
	fi
	not_ok "notw attach without BPF support: exit $rc, '$out'"
	finish
fi
[ "$MODE" = no-bpf ] && skip_all "notw was built with BPF support"

enter_netns "$@"
ulimit -c 0
SERVER=$NOTW_PROGS/drift_server
CG_ROOT=$(cgroup2_root)
if [ -z "$CG_ROOT" ]; then
	skip_all "no cgroup v2 hierarchy mounted"
fi
CGROUPS=()

# new_cgroup NAME: a cgroup of this test; its path in CG.
new_cgroup() {
	CG=$CG_ROOT/notw-test-$TEST_NAME-$MODE-$$-${#CGROUPS[@]}-$1
	mkdir "$CG" || return 1
	CGROUPS+=("$CG")
}

# Detach, kill what is left in them, remove the test's cgroups (children
# first: CGROUPS lists them after their parents).
remove_cgroups() {
	local i cg
	for ((i = ${#CGROUPS[@]} - 1; i >= 0; i--)); do
		cg=${CGROUPS[i]}
		[ -d "$cg" ] || continue
		"$NOTW_CLI" detach --cgroup "$cg" >/dev/null 2>&1
		echo 1 >"$cg/cgroup.kill" 2>/dev/null
		wait_until rmdir "$cg" 2>/dev/null
	done
}
trap 'remove_cgroups; cleanup' EXIT

# "${IN_CGROUP[@]}" CG COMMAND...: COMMAND as a process of the cgroup CG
# (a shell moves itself there, then becomes COMMAND: the same pid).
IN_CGROUP=(sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' in_cgroup)

# start_server NAME CG SERVER-ARGS...: a server in CG (or none: "-"); its
# pid in SRV, the port it bound in BOUND.
start_server() {
	local name=$1 cg=$2
	shift 2
	if [ "$cg" = - ]; then
		start_bg "$WORK/$name.out" "$WORK/$name.err" "$@"
	else
		start_bg "$WORK/$name.out" "$WORK/$name.err" "${IN_CGROUP[@]}" "$cg" "$@"
	fi
	SRV=$BG_PID
	BOUND=
	wait_for_line "$WORK/$name.out" '^bound ' || return 1
	BOUND=$(awk '/^bound /{ print $2; exit }' "$WORK/$name.out")
}

# crash_and_restart NAME CG PORT SERVER...: the server on PORT with 5
# clients connected, SIGKILLed, restarted at once in the same cgroup; the
# restarted one's port in BOUND (the first's in FIRST).
crash_and_restart() {
	local name=$1 cg=$2 port=$3
	shift 3
	start_server "$name-1" "$cg" "$@" "$port" || return 1
	FIRST=$BOUND
	local first_pid=$SRV
	start_bg "$WORK/$name-cl.out" "$WORK/$name-cl.err" "$NOTW_PROGS/hold_clients" 127.0.0.1 "$FIRST" 5 30
	wait_for_line "$WORK/$name-cl.out" '^connected 5$' || return 1
	wait_until at_least 5 established_on_port "$FIRST"
	kill -KILL "$first_pid"
	wait_exit "$first_pid" 10
	start_server "$name-2" "$cg" "$@" "$port"
}

# expect_same_port NAME: after a crash, the restarted server has its port
# back, and the kernel shows its listener there beside the leftovers.
expect_same_port() {
	check_eq "$1: the first server bound its port" "$2" "$FIRST"
	check_eq "$1: restarted at once, the same port" "$2" "$BOUND"
	check "$1: the kernel shows the listener on $2" wait_until at_least 1 listener_on_port "$2"
	check "$1: beside the crashed generation's leftovers" at_least 1 time_wait_or_fin_wait_2_on_port "$2"
}

expect_drift() {
	check_eq "$1: the first server bound its port" "$2" "$FIRST"
	check_eq "$1: restarted, it drifts to the next port" "$(($2 + 1))" "$BOUND"
	check "$1: no listener on $2" test "$(listener_on_port "$2")" = 0
}

attach() {
	"$NOTW_CLI" attach "$@" >"$WORK/attach.out" 2>"$WORK/attach.err"
}

# counters CG: "binds set already" from notw attached --json.
counters() {
	"$NOTW_CLI" attached --json | python3 -c '
import json, sys
for e in json.load(sys.stdin):
    if e["cgroup"] == sys.argv[1]:
        print(e["binds"], e["reuseaddr_set"], e["reuseaddr_already"])' "$1"
}

# The same scenario with and without the cgroup attached: the port back, or
# the next port.
same_or_next() {
	local what=$1 port=$2
	shift 2
	new_cgroup on
	local on=$CG
	new_cgroup off
	local off=$CG
	check "$what: notw attach --cgroup" attach --cgroup "$on" --ports "$port"
	crash_and_restart "$what-on" "$on" "$port" "$@"
	expect_same_port "$what attached" "$port"
	kill_background
	crash_and_restart "$what-off" "$off" "$((port + 20))" "$@"
	expect_drift "$what not attached" "$((port + 20))"
	kill_background
}

case "$MODE" in
static)
	same_or_next "static server" 49200 "$SERVER"
	same_or_next "static server, IPv6" 49240 "$SERVER" -6
	;;
raw-bind)
	same_or_next "syscall(SYS_bind)" 49200 "$SERVER" --raw-bind
	;;
file-capability)
	# A copy with cap_net_bind_service, run as nobody: the loader would
	# ignore LD_PRELOAD for it. Port 480 needs the capability.
	mkdir -m 755 "$WORK/cap"
	chmod 711 "$WORK"
	cp "$SERVER" "$WORK/cap/server"
	setcap cap_net_bind_service=+ep "$WORK/cap/server"
	AS_NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)
	check "the copy has a file capability" sh -c "getcap '$WORK/cap/server' | grep -q cap_net_bind_service"
	new_cgroup plain
	start_server nobody "$CG" "${AS_NOBODY[@]}" "$WORK/cap/server" 470
	check_eq "as nobody, it binds port 470 (its capability)" 470 "$BOUND"
	check_eq "it runs as nobody" 65534 "$(stat -c %u "/proc/$SRV")"
	kill_background
	same_or_next "file capability, as nobody" 480 "${AS_NOBODY[@]}" "$WORK/cap/server"
	;;
udp-and-ports)
	new_cgroup on
	check "attach --ports 49200" attach --cgroup "$CG" --ports 49200
	start_server udp "$CG" "$SERVER" --udp 49200
	check_eq "UDP on a managed port: SO_REUSEADDR left off" "bound 49200 reuseaddr 0" "$(head -1 "$WORK/udp.out")"
	start_server tcp "$CG" "$SERVER" --exit 49200
	check_eq "TCP on a managed port: SO_REUSEADDR on" "bound 49200 reuseaddr 1" "$(head -1 "$WORK/tcp.out")"
	start_server any "$CG" "$SERVER" --exit 0
	check "TCP on port 0: SO_REUSEADDR left off" grep -q 'reuseaddr 0$' "$WORK/any.out"
	kill_background
	crash_and_restart outside "$CG" 49201 "$SERVER"
	expect_drift "a port outside --ports" 49201
	kill_background
	;;
detach)
	new_cgroup on
	check "attach" attach --cgroup "$CG" --ports 49200-49299
	crash_and_restart before "$CG" 49200 "$SERVER"
	expect_same_port "attached" 49200
	kill_background
	check "notw detach" "$NOTW_CLI" detach --cgroup "$CG"
	check "no program left on the cgroup (bpftool's view)" \
		sh -c "! command -v bpftool >/dev/null || [ -z \"\$(bpftool cgroup show '$CG' 2>/dev/null)\" ]"
	check "notw attached no longer lists it" sh -c "! '$NOTW_CLI' attached | grep -qF '$CG'"
	crash_and_restart after "$CG" 49220 "$SERVER"
	expect_drift "after detach" 49220
	kill_background
	check "detach again: nothing attached, still exit 0" "$NOTW_CLI" detach --cgroup "$CG"
	# A cgroup removed while attached: the kernel drops the programs with
	# it; the pins stay until notw detach --id.
	new_cgroup removed
	check "attach" attach --cgroup "$CG"
	ID=$(awk '{ for (i = 1; i < NF; i++) if ($i == "(id") { sub(/\),?/, "", $(i + 1)); print $(i + 1) } }' "$WORK/attach.out")
	rmdir "$CG"
	check "notw attached shows the cgroup as removed" wait_until sh -c "'$NOTW_CLI' attached --json | grep -q '\"name\":\"$ID\",\"cgroup\":null,\"removed\":true'"
	check "notw detach --id $ID" "$NOTW_CLI" detach --id "$ID"
	check "its pins are gone" test ! -e "/sys/fs/bpf/notw/cgroup/$ID"
	;;
two-cgroups)
	new_cgroup a
	A=$CG
	new_cgroup b
	B=$CG
	check "attach a --ports 49200" attach --cgroup "$A" --ports 49200
	check "attach b --ports 49220" attach --cgroup "$B" --ports 49220
	crash_and_restart a-own "$A" 49200 "$SERVER"
	expect_same_port "cgroup a, its port" 49200
	kill_background
	crash_and_restart a-other "$A" 49220 "$SERVER"
	expect_drift "cgroup a, b's port" 49220
	kill_background
	crash_and_restart b-own "$B" 49240 "$SERVER"
	expect_drift "cgroup b, a port of neither" 49240
	kill_background
	check "attach b again, --ports 49260 (one attachment, new ports)" attach --cgroup "$B" --ports 49260
	check_eq "still one pair of programs on b" 2 "$(bpftool cgroup show "$B" | grep -c notw_bind)"
	check_eq "notw attached: b's new ports" 49260 "$("$NOTW_CLI" attached --json | python3 -c '
import json, sys
print([e["ports"] for e in json.load(sys.stdin) if e["cgroup"] == sys.argv[1]][0])' "$B")"
	crash_and_restart b-new "$B" 49260 "$SERVER"
	expect_same_port "cgroup b, its new port" 49260
	kill_background
	;;
child-cgroup)
	new_cgroup parent
	P=$CG
	mkdir "$P/child"
	CGROUPS+=("$P/child")
	check "attach the parent" attach --cgroup "$P" --ports 49200
	crash_and_restart child "$P/child" 49200 "$SERVER"
	expect_same_port "a server in a child cgroup" 49200
	kill_background
	;;
counters)
	new_cgroup on
	check "attach --ports 49200" attach --cgroup "$CG" --ports 49200
	check_eq "counters start at 0" "0 0 0" "$(counters "$CG")"
	start_server s1 "$CG" "$SERVER" --exit 49200          # set
	start_server s2 "$CG" "$SERVER" --exit --reuseaddr 49200  # already
	start_server s3 "$CG" "$SERVER" --exit --raw-bind -6 49200 # set
	start_server s4 "$CG" "$SERVER" --udp --exit 49200     # seen only
	start_server s5 "$CG" "$SERVER" --exit 49201           # seen only
	start_server s6 "$CG" "$SERVER" --exit 0               # seen only
	start_server s7 - "$SERVER" --exit 49200               # not in the cgroup
	check_eq "binds seen 6, SO_REUSEADDR set 2, already set 1" "6 2 1" "$(counters "$CG")"
	"$NOTW_CLI" attached >"$WORK/attached.txt"
	check "the text says the same" grep -q 'binds 6, SO_REUSEADDR set 2, already set 1' "$WORK/attached.txt"
	check "the text names the cgroup" grep -qF "cgroup \"$CG\"" "$WORK/attached.txt"
	check "the text shows the ports" grep -q '^  ports 49200$' "$WORK/attached.txt"
	;;
refusals)
	new_cgroup x
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$NOTW_CLI" attach --cgroup "$CG" 2>&1)
	check_eq "not root: exit 1" 1 "$?"
	check "not root: says what is needed" grep -q 'CAP_BPF and CAP_NET_ADMIN' <<<"$out"
	out=$("$NOTW_CLI" attach --cgroup "$CG_ROOT/notw-no-such-cgroup-$$" 2>&1)
	check_eq "no such cgroup: exit 1" 1 "$?"
	check "no such cgroup: said" grep -q 'no such cgroup' <<<"$out"
	V1=$(awk '$3 == "cgroup" { print $2; exit }' /proc/mounts)
	if [ -n "$V1" ]; then
		out=$("$NOTW_CLI" attach --cgroup "$V1" 2>&1)
		check_eq "a cgroup v1 path: exit 1" 1 "$?"
		check "a cgroup v1 path: said" grep -q 'cgroup v1' <<<"$out"
	else
		echo "# no cgroup v1 hierarchy mounted here: that refusal is not checked"
	fi
	out=$("$NOTW_CLI" attach --cgroup "$WORK" 2>&1)
	check_eq "not a cgroup: exit 1" 1 "$?"
	check "not a cgroup: said" grep -q 'not a cgroup v2 directory' <<<"$out"
	out=$(unshare -m sh -c "umount -l '$CG_ROOT' && '$NOTW_CLI' attach --pid $$" 2>&1)
	check_eq "no cgroup v2 mounted: exit 1" 1 "$?"
	check "no cgroup v2 mounted: said" grep -q 'no cgroup v2 hierarchy is mounted' <<<"$out"
	if [ -d /run/systemd/system ]; then
		echo "# systemd runs here: the --unit refusal is not checked"
	else
		out=$("$NOTW_CLI" attach --unit notw-test.service 2>&1)
		check_eq "--unit without systemd: exit 1" 1 "$?"
		check "--unit without systemd: said" grep -q 'systemd is not running' <<<"$out"
	fi
	out=$("$NOTW_CLI" attach --cgroup "$CG" --ports 70000 2>&1)
	check_eq "a bad port list: exit 2" 2 "$?"
	out=$("$NOTW_CLI" attach --cgroup "$CG" --pid 1 2>&1)
	check_eq "two selectors: exit 2" 2 "$?"
	out=$("$NOTW_CLI" attach --pin 'a/b' 2>&1)
	check_eq "a bad pinned name: exit 2 (usage)" 2 "$?"
	out=$("$NOTW_CLI" attach --cgroup "$CG_ROOT/$(printf 'x\033]0;title\007')" 2>&1)
	check "a hostile path is escaped" sh -c '! printf %s "$1" | grep -q "$(printf "\033")"' sh "$out"
	check "nothing of this test attached" sh -c "! '$NOTW_CLI' attached | grep -qF '$CG'"
	;;
systemd)
	NAME=notw-test-$$
	check "notw attach --pin" attach --pin "$NAME" --ports 49200
	check "the programs are pinned" test -e "/sys/fs/bpf/notw/unit/$NAME/bind4" -a -e "/sys/fs/bpf/notw/unit/$NAME/bind6"
	check "it prints the BPFProgram= lines" grep -qF "BPFProgram=bind4:/sys/fs/bpf/notw/unit/$NAME/bind4" "$WORK/attach.out"
	# What systemd does at each start of the unit: attach the pinned
	# programs to its cgroup (bpftool does the same here).
	new_cgroup unit
	bpftool cgroup attach "$CG" bind4 pinned "/sys/fs/bpf/notw/unit/$NAME/bind4" multi &&
		bpftool cgroup attach "$CG" bind6 pinned "/sys/fs/bpf/notw/unit/$NAME/bind6" multi
	crash_and_restart unit "$CG" 49200 "$SERVER"
	expect_same_port "the pinned programs attached as systemd does" 49200
	kill_background
	bpftool cgroup detach "$CG" bind4 pinned "/sys/fs/bpf/notw/unit/$NAME/bind4" 2>/dev/null
	bpftool cgroup detach "$CG" bind6 pinned "/sys/fs/bpf/notw/unit/$NAME/bind6" 2>/dev/null
	if command -v systemd-analyze >/dev/null; then
		mkdir -p "$WORK/units/notw-test.service.d"
		printf '[Service]\nExecStart=/bin/true\n' >"$WORK/units/notw-test.service"
		sed "s/NAME/$NAME/g" "$NOTW_SOURCE_ROOT/config/systemd/notw-attach.conf" \
			>"$WORK/units/notw-test.service.d/notw-attach.conf"
		SYSTEMD_UNIT_PATH=$WORK/units: systemd-analyze verify "$WORK/units/notw-test.service" >"$WORK/verify.out" 2>&1
		check_eq "systemd-analyze verify accepts the drop-in" 0 "$?"
		check "and says nothing against BPFProgram=" sh -c "! grep -i bpfprogram '$WORK/verify.out'"
		sed 's/^/# /' "$WORK/verify.out"
	else
		skip "systemd-analyze verify accepts the drop-in" "systemd-analyze is not installed"
	fi
	check "notw detach --pin" "$NOTW_CLI" detach --pin "$NAME"
	check "the pins are gone" test ! -e "/sys/fs/bpf/notw/unit/$NAME"
	;;
pins-trust)
	# A BPF file system mounted without mode= is 1777 (the kernel's
	# default): anybody may make /sys/fs/bpf/notw before root does. notw
	# must not use what it did not make, never follow a link planted there,
	# keep its own pins out of others' reach, and not be locked out: it
	# mounts a BPF file system of its own over another user's directory,
	# renames anything else aside. All of it in a mount namespace of the
	# test's own, with a BPF file system of its own at /sys/fs/bpf (gone
	# with the namespace, and the pins with it).
	new_cgroup trust
	mkdir -p "$WORK/victim/sub"
	echo keep >"$WORK/victim/sub/file"
	chmod 755 "$WORK"
	export NOTW_CLI CG WORK
	unshare -m --propagation private bash -c '
		NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)
		step() { echo "$1 $2"; }
		programs() { bpftool cgroup show "$CG" | grep -c notw_bind; }
		mount -t bpf bpf /sys/fs/bpf || exit 1
		step mode "$(stat -c %a /sys/fs/bpf)"
		"${NOBODY[@]}" sh -c "mkdir -m 777 /sys/fs/bpf/notw && ln -s \"$WORK/victim\" /sys/fs/bpf/notw/staging &&
			mkdir -m 777 /sys/fs/bpf/notw/cgroup /sys/fs/bpf/notw/unit" || exit 1
		"$NOTW_CLI" attached >"$WORK/t0.out" 2>&1
		step squatted-attached $?
		"$NOTW_CLI" detach --cgroup "$CG" >>"$WORK/t0.out" 2>&1
		step squatted-detach $?
		"$NOTW_CLI" attach --cgroup "$CG" --ports 49200 >"$WORK/t1.out" 2>&1
		step planted-link $?
		step planted-link-programs "$(programs)"
		step own-fs "$(findmnt -n -o FSTYPE --mountpoint /sys/fs/bpf/notw)"
		step own-mode "$(stat -c %U:%a /sys/fs/bpf/notw)"
		"${NOBODY[@]}" ls /sys/fs/bpf/notw/cgroup >/dev/null 2>&1
		step nobody-lists $?
		"${NOBODY[@]}" flock -n /sys/fs/bpf/notw true >/dev/null 2>&1
		step nobody-locks $?
		"${NOBODY[@]}" mv /sys/fs/bpf/notw /sys/fs/bpf/other >/dev/null 2>&1
		step nobody-renames $?
		"$NOTW_CLI" attached >"$WORK/t1-attached.out" 2>&1
		step own-attached "$?"
		step own-attached-lists "$(grep -c "$CG" "$WORK/t1-attached.out")"
		"$NOTW_CLI" detach --cgroup "$CG" >/dev/null 2>&1
		step own-detach $?
		step own-detach-programs "$(programs)"
		umount /sys/fs/bpf/notw && rm -rf /sys/fs/bpf/notw
		"${NOBODY[@]}" ln -s "$WORK/victim" /sys/fs/bpf/notw || exit 1
		"$NOTW_CLI" attach --cgroup "$CG" --ports 49200 >"$WORK/t2.out" 2>&1
		step link-squatter $?
		step link-squatter-programs "$(programs)"
		step link-squatter-mode "$(stat -c %U:%a:%F /sys/fs/bpf/notw)"
		"$NOTW_CLI" detach --cgroup "$CG" >/dev/null 2>&1
		rm -rf /sys/fs/bpf/notw
		"$NOTW_CLI" attach --cgroup "$CG" --ports 49200 >"$WORK/t3.out" 2>&1
		step own $?
		step own-dir-mode "$(stat -c %U:%a /sys/fs/bpf/notw)"
		"$NOTW_CLI" detach --cgroup "$CG" >/dev/null 2>&1
		chmod 757 /sys/fs/bpf/notw
		"$NOTW_CLI" attach --cgroup "$CG" --ports 49200 >"$WORK/t4.out" 2>&1
		step writable $?
		step writable-programs "$(programs)"
	' >"$WORK/trust.out" 2>"$WORK/trust.err"
	sed 's/^/# /' "$WORK/trust.out" "$WORK/trust.err" "$WORK"/t[0-4]*.out
	result() { awk -v k="$1" '$1 == k { print $2 }' "$WORK/trust.out"; }
	check_eq "a BPF file system mounted without mode= is 1777" 1777 "$(result mode)"
	check_eq "a /sys/fs/bpf/notw of nobody's: attached finds nothing of notw's (exit 0)" 0 "$(result squatted-attached)"
	check_eq "... detach has nothing to detach (exit 0)" 0 "$(result squatted-detach)"
	check "... saying whose the directory is" grep -q 'belongs to uid 65534, not notw.s' "$WORK/t0.out"
	check_eq "a /sys/fs/bpf/notw of nobody's, with a link: root is not locked out: attached" 0 "$(result planted-link)"
	check "the link was not followed: nothing removed where it pointed" test -e "$WORK/victim/sub/file"
	check_eq "both programs attached" 2 "$(result planted-link-programs)"
	check "it says whose the directory was, and what it did" \
		grep -q 'belongs to uid 65534 .*: notw mounted a BPF file system of its own over it' "$WORK/t1.out"
	check_eq "a BPF file system of notw's own over it" bpf "$(result own-fs)"
	check_eq "... root's, 0700 (and the sticky bit the kernel gives the root of every BPF file system)" root:1700 "$(result own-mode)"
	check "nobody cannot list the pins" test "$(result nobody-lists)" != 0
	check "nobody cannot take the lock" test "$(result nobody-locks)" != 0
	check "nobody cannot rename it (a mount point)" test "$(result nobody-renames)" != 0
	check_eq "attached works there (exit 0)" 0 "$(result own-attached)"
	check_eq "... and lists the cgroup" 1 "$(result own-attached-lists)"
	check_eq "detach works there (exit 0)" 0 "$(result own-detach)"
	check_eq "... and the programs are gone" 0 "$(result own-detach-programs)"
	check_eq "a /sys/fs/bpf/notw that is nobody's symbolic link: renamed aside, attached" 0 "$(result link-squatter)"
	check_eq "... both programs" 2 "$(result link-squatter-programs)"
	check_eq "... in a directory of root's" "root:700:directory" "$(result link-squatter-mode)"
	check "... the link not followed" test -e "$WORK/victim/sub/file"
	check_eq "once removed, notw makes its own: attached" 0 "$(result own)"
	check_eq "root's, 0700" root:700 "$(result own-dir-mode)"
	check_eq "a /sys/fs/bpf/notw of root's made writable by others: refused" 1 "$(result writable)"
	check_eq "and nothing attached" 0 "$(result writable-programs)"
	check_eq "the namespace gone, no program left on the cgroup" "" "$(bpftool cgroup show "$CG" 2>/dev/null | grep notw_bind)"
	;;
arguments)
	new_cgroup args
	# usage ARGS...: notw ARGS exits 2 and attaches nothing to the test's
	# cgroup; its stderr in $WORK/usage.err.
	usage() {
		"$NOTW_CLI" "$@" >/dev/null 2>"$WORK/usage.err"
		local rc=$?
		[ "$rc" = 2 ] || echo "# notw $*: exit $rc: $(cat "$WORK/usage.err")"
		[ "$rc" = 2 ] && ! "$NOTW_CLI" attached | grep -qF "$CG"
	}
	check "--ports with an empty list: usage error (not every port)" usage attach --cgroup "$CG" --ports ''
	check "--ports of spaces only: usage error (not every port)" usage attach --cgroup "$CG" --ports '  '
	check "--ports of a tab and a space: usage error (not every port)" usage attach --cgroup "$CG" --ports "$(printf '\t ')"
	check "--ports twice: usage error (not the last one silently)" usage attach --cgroup "$CG" --ports 49200 --ports 49201
	check "--ports 0: usage error" usage attach --cgroup "$CG" --ports 0
	check "--ports 65536: usage error" usage attach --cgroup "$CG" --ports 65536
	check "--ports reversed range: usage error" usage attach --cgroup "$CG" --ports 9100-9000
	check "--pid 0: usage error" usage attach --pid 0
	check "--pid -1: usage error" usage attach --pid -1
	check "--pid 12x: usage error" usage attach --pid 12x
	check "detach --id 0: usage error" usage detach --id 0
	check "detach --ports: usage error" usage detach --cgroup "$CG" --ports 49200
	check "  that names --ports, not its argument" grep -q -- '--ports is for notw attach only' "$WORK/usage.err"
	check "attach --id: usage error" usage attach --id 5
	check "no selector: usage error" usage attach --ports 49200
	check "two selectors: usage error" usage attach --cgroup "$CG" --pin x
	check "an unknown option: usage error" usage attach --cgroup "$CG" --bogus
	check "a stray argument: usage error" usage attach --cgroup "$CG" stray
	"$NOTW_CLI" attach --help >"$WORK/help.out" 2>&1
	check_eq "attach --help: exit 0" 0 "$?"
	check "  the usage on stdout" grep -q '^usage: notw attach' "$WORK/help.out"
	# The root cgroup holds every process of the machine: refused without
	# --whole-machine (only port 1 asked, should a build attach anyway).
	root_untouched() {
		if bpftool cgroup show "$CG_ROOT" | grep -q notw_bind; then
			"$NOTW_CLI" detach --cgroup "$CG_ROOT" >/dev/null 2>&1
			return 1
		fi
	}
	check "--cgroup of the root cgroup: usage error" usage attach --cgroup "$CG_ROOT" --ports 1
	check "  says why and what to add" grep -q 'root cgroup.*--whole-machine' "$WORK/usage.err"
	check "  nothing attached to the root cgroup" root_untouched
	check "--pid of a kernel thread (the root cgroup): usage error" usage attach --pid 2 --ports 1
	check "  nothing attached to the root cgroup" root_untouched
	check "--cgroup ROOT/: the same refusal" usage attach --cgroup "$CG_ROOT/" --ports 1
	check "  nothing attached to the root cgroup" root_untouched
	# Other spellings of the same cgroup land on its one attachment.
	check "attach" attach --cgroup "$CG" --ports 49200
	check "a trailing slash: the same attachment, updated" attach --cgroup "$CG/" --ports 49201
	check "  says updated" grep -q 'updated' "$WORK/attach.out"
	check "ROOT/../ROOT/x: the same attachment" attach --cgroup "$CG_ROOT/../$(basename "$CG_ROOT")/$(basename "$CG")" --ports 49202
	check "  says updated" grep -q 'updated' "$WORK/attach.out"
	check "a relative path: the same attachment" sh -c "cd '$CG_ROOT' && '$NOTW_CLI' attach --cgroup '$(basename "$CG")' --ports 49203 | grep -q updated"
	check_eq "one pair of programs on the cgroup" 2 "$(bpftool cgroup show "$CG" | grep -c notw_bind)"
	check "detach" "$NOTW_CLI" detach --cgroup "$CG"
	out=$("$NOTW_CLI" detach --cgroup "$CG")
	check_eq "detach of what is not attached: exit 0" 0 "$?"
	check "  says nothing was attached" grep -q 'nothing attached to' <<<"$out"
	check "attached --json: valid JSON" sh -c "'$NOTW_CLI' attached --json | python3 -m json.tool >/dev/null"
	;;
hostile-strings)
	# A cgroup name may hold anything but '/' and a newline: quotes, a
	# backslash, escape sequences, a tab, bytes that are not UTF-8.
	new_cgroup "sp ace\"q\\$(printf '\033]0;t\007\033[31m\t\xff\xfe')"
	check "attach to it" attach --cgroup "$CG" --ports 49200
	"$NOTW_CLI" attached >"$WORK/attached.txt"
	"$NOTW_CLI" attached --json >"$WORK/attached.json"
	no_control() { ! LC_ALL=C grep -q "$(printf '[\001-\010\016-\037\177]')" "$1"; }
	check "attach's text: no control byte" no_control "$WORK/attach.out"
	check "attached's text: no control byte" no_control "$WORK/attached.txt"
	check "attached --json: valid JSON" python3 -m json.tool "$WORK/attached.json"
	check "attached --json: no control byte" no_control "$WORK/attached.json"
	check "attached --json: the entry, its cgroup spelt with U+FFFD for the bytes" python3 -c '
import json, sys
want = sys.argv[1].encode("utf-8", "surrogateescape").decode("utf-8", "replace")
sys.exit(0 if any(e["cgroup"] == want for e in json.load(open(sys.argv[2]))) else 1)' "$CG" "$WORK/attached.json"
	check "detach it" "$NOTW_CLI" detach --cgroup "$CG"
	out=$("$NOTW_CLI" attach --cgroup "/$(printf 'a%.0s' $(seq 1 5000))" 2>&1)
	check_eq "a path longer than PATH_MAX: exit 1" 1 "$?"
	check "  said" grep -q 'too long' <<<"$out"
	out=$("$NOTW_CLI" attach --cgroup '' 2>&1)
	check_eq "an empty path: exit 1" 1 "$?"
	check "  said" grep -q 'empty path' <<<"$out"
	;;
*)
	echo "unknown mode $MODE" >&2
	exit 2
	;;
esac
finish
