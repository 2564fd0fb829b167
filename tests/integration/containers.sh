#!/bin/bash
# Containers: notw oci-hook run by podman (a hooks.d file given with
# --hooks-dir, the annotation io.notw.ports), notw attach on a parent
# cgroup, and the hook called directly with crafted states. The container's
# image is a directory made here (podman --rootfs) holding drift_server,
# the static server of the attach tests; no image is pulled. Containers run
# with --network host, which for podman started in this test's network
# namespace is that namespace: a container restarted after a crash meets
# its predecessor's leftovers there, as in a Kubernetes pod's sandbox.
#
#   containers.sh hook-errors|hook-direct|restart|file-capability|churn|runtime-killed
. "$(dirname "$0")/lib.sh"
need_cli
MODE=${1:?mode}

if [ "${NOTW_HAVE_BPF:-0}" != 1 ]; then
	skip_all "notw was built without BPF support (notw oci-hook needs it)"
fi
need_root "BPF programs on cgroups, podman"
enter_netns "$@"
ulimit -c 0
SERVER=$NOTW_PROGS/drift_server
CG_ROOT=$(cgroup2_root)
if [ -z "$CG_ROOT" ]; then
	skip_all "no cgroup v2 hierarchy mounted"
fi
if ! bpftool prog help >/dev/null 2>&1 && ! /usr/sbin/bpftool prog help >/dev/null 2>&1; then
	skip_all "bpftool is not installed (the tests read the kernel's view with it)"
fi
PATH=$PATH:/usr/sbin

# The machine's hard limits are below podman's defaults here.
PODMAN_RUN=(podman run --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network host)
PREFIX=notw-test-$MODE-$$
CONTAINERS=()
CGROUPS=()

need_podman() {
	if ! command -v podman >/dev/null; then
		skip_all "podman is not installed (scripts/install-deps installs it)"
	fi
	make_rootfs
	local out
	if ! out=$("${PODMAN_RUN[@]}" --rm --rootfs "$ROOTFS" /drift_server --exit 0 2>&1); then
		skip_all "podman cannot run a container here: $out"
	fi
}

# The image: a directory with the static server (and a copy that has a
# file capability).
make_rootfs() {
	ROOTFS=$WORK/rootfs
	mkdir -p "$ROOTFS"
	cp "$SERVER" "$ROOTFS/drift_server"
	cp "$SERVER" "$ROOTFS/cap_server"
	setcap cap_net_bind_service=+ep "$ROOTFS/cap_server"
	chmod 755 "$WORK" "$ROOTFS"
}

# The hooks.d file of the package, with this build's notw.
make_hooks_dir() {
	HOOKS=$WORK/hooks.d
	mkdir -p "$HOOKS"
	sed "s|@BINDIR@/notw|$NOTW_CLI|" "$NOTW_SOURCE_ROOT/config/oci/notw-hook.json.in" >"$HOOKS/notw-hook.json"
}

# new_cgroup NAME: a cgroup of this test under the v2 root; its path in CG.
new_cgroup() {
	CG=$CG_ROOT/$PREFIX-${#CGROUPS[@]}-$1
	mkdir "$CG" || return 1
	CGROUPS+=("$CG")
}

# A parent given to podman (--cgroup-parent): the runtime makes it in every
# hierarchy, v1 ones included; removed there too at the end, with what the
# runtime left below it.
PARENT_NAME=$PREFIX-parent
# remove_tree DIR: a cgroup and the ones below it, once their processes
# are gone (conmon may still be exiting).
remove_tree() {
	find "$1" -depth -type d -exec rmdir {} + 2>/dev/null
	[ ! -d "$1" ]
}
remove_everything() {
	local c i cg d
	for c in "${CONTAINERS[@]}"; do
		podman rm -f -t 0 "$c" >/dev/null 2>&1
	done
	for ((i = ${#CGROUPS[@]} - 1; i >= 0; i--)); do
		cg=${CGROUPS[i]}
		[ -d "$cg" ] || continue
		echo 1 >"$cg/cgroup.kill" 2>/dev/null
		wait_until rmdir "$cg" 2>/dev/null
	done
	# (podman leaves PARENT/conmon there, and a killed runtime its
	# container's directory: emptied of processes, removed children first)
	for d in /sys/fs/cgroup/*/"$PARENT_NAME" "$CG_ROOT/$PARENT_NAME"; do
		[ -d "$d" ] && wait_until remove_tree "$d"
	done
}
trap 'remove_everything; cleanup' EXIT

# hook STAGE [FILE]: notw oci-hook STAGE with FILE (or nothing) on stdin;
# status in RC, stderr in $WORK/hook.err, the time it took (ms) in MS.
hook() {
	local t0 t1
	t0=$(date +%s%N)
	"$NOTW_CLI" oci-hook "$1" <"${2:-/dev/null}" >"$WORK/hook.out" 2>"$WORK/hook.err"
	RC=$?
	t1=$(date +%s%N)
	MS=$(((t1 - t0) / 1000000))
}

# state FILE PID PORTS-JSON [ID]: a state as podman writes it (PORTS-JSON:
# the annotation's value as JSON text, or "" for no annotation).
state() {
	local ann=""
	[ -n "$3" ] && ann=",\"io.notw.ports\":$3"
	printf '{"ociVersion":"1.0.2-dev","id":"%s","status":"creating","pid":%s,"bundle":"/nonexistent","annotations":{"io.container.manager":"libpod"%s}}' \
		"${4:-notw-test-$$}" "$2" "$ann" >"$1"
}

# quiet COMMAND...: COMMAND with its stdout dropped (for check).
quiet() { "$@" >/dev/null; }

no_control() { ! LC_ALL=C grep -q "$(printf '[\001-\010\016-\037\177]')" "$1"; }

# notw_progs_on CG: the ids of notw's bind programs attached to CG.
notw_progs_on() {
	bpftool cgroup show "$1" 2>/dev/null | awk '/notw_bind/ { print $1 }'
}

# maps_of PROG-ID: the ids of its maps.
maps_of() {
	bpftool prog show id "$1" 2>/dev/null | sed -n 's/.*map_ids \([0-9,]*\).*/\1/p' | tr , ' '
}

# all_gone KIND IDS...: none of the programs (KIND prog) or maps (map)
# exists any more.
all_gone() {
	local kind=$1 id
	shift
	for id in "$@"; do
		bpftool "$kind" show id "$id" >/dev/null 2>&1 && return 1
	done
	return 0
}

# attached_below PATH: how many entries of notw attached --json name a
# cgroup at or below PATH, or a removed cgroup whose pins are still there.
attached_below() {
	"$NOTW_CLI" attached --json | python3 -c '
import json, sys
p = sys.argv[1]
print(sum(1 for e in json.load(sys.stdin) if (e["cgroup"] or "").startswith(p)))' "$1"
}

# The ids of notw attach's entries whose cgroup was removed.
removed_entries() {
	"$NOTW_CLI" attached --json | python3 -c '
import json, sys
print(" ".join(sorted(e["name"] for e in json.load(sys.stdin) if e["removed"])))'
}

# container_cgroup NAME: the cgroup v2 directory of a running container.
container_cgroup() {
	local pid
	pid=$(podman inspect -f '{{.State.Pid}}' "$1") || return 1
	echo "$CG_ROOT$(sed -n 's/^0:://p' "/proc/$pid/cgroup")"
}

# run_server NAME PORT [PODMAN-OPTIONS...] -- [SERVER-ARGS...]: a detached
# container running the server on PORT; its port in BOUND once bound.
run_server() {
	local tag=$1 name=$PREFIX-$1 port=$2 opts=() args=()
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	args=("$@")
	CONTAINERS+=("$name")
	BOUND=
	"${PODMAN_RUN[@]}" -d --name "$name" "${opts[@]}" --rootfs "$ROOTFS" "${args[@]:-/drift_server}" "$port" \
		>"$WORK/$tag.id" 2>"$WORK/$tag.err" || { sed 's/^/# /' "$WORK/$tag.err"; return 1; }
	wait_until sh -c "podman logs '$name' 2>/dev/null | grep -q '^bound '" || return 1
	BOUND=$(podman logs "$name" 2>/dev/null | awk '/^bound /{ print $2; exit }')
}

# crash_and_restart NAME PORT [PODMAN-OPTIONS...] [-- SERVER...]: the
# server's container with 5 clients connected, killed (SIGKILL), a new one
# started at once in the same network namespace; the first's port in
# FIRST, the new one's in BOUND.
crash_and_restart() {
	local name=$1 port=$2
	shift 2
	run_server "$name-1" "$port" "$@" || return 1
	FIRST=$BOUND
	start_bg "$WORK/$name-cl.out" "$WORK/$name-cl.err" "$NOTW_PROGS/hold_clients" 127.0.0.1 "$FIRST" 5 30
	wait_for_line "$WORK/$name-cl.out" '^connected 5$' || return 1
	wait_until at_least 5 established_on_port "$FIRST"
	podman kill "$PREFIX-$name-1" >/dev/null
	wait_until test "$(listener_on_port "$FIRST")" = 0
	run_server "$name-2" "$port" "$@"
}

expect_same_port() {
	check_eq "$1: the first container's server bound its port" "$2" "$FIRST"
	check_eq "$1: restarted at once, the same port" "$2" "$BOUND"
	check "$1: the kernel shows the listener on $2" wait_until at_least 1 listener_on_port "$2"
	check "$1: beside the crashed container's leftovers" at_least 1 time_wait_or_fin_wait_2_on_port "$2"
}

expect_drift() {
	check_eq "$1: the first container's server bound its port" "$2" "$FIRST"
	check_eq "$1: restarted, it drifts to the next port" "$(($2 + 1))" "$BOUND"
}

stop_containers() {
	local c
	for c in "${CONTAINERS[@]}"; do
		podman rm -f -t 0 "$c" >/dev/null 2>&1
	done
	CONTAINERS=()
	kill_background
}

case "$MODE" in
hook-errors)
	# The hook called as a runtime calls it, with crafted states: each
	# outcome as notw oci-hook(1) documents it, said in one line, in time.
	new_cgroup box
	start_bg "$WORK/box.out" "$WORK/box.err" sh -c 'echo $$ >"$1/cgroup.procs" && exec sleep 30' box "$CG"
	BOX=$BG_PID
	wait_until grep -q "$BOX" "$CG/cgroup.procs"
	# expect NAME RC GREP-PATTERN: the last hook's status and message.
	expect() {
		check_eq "$1: exit $2" "$2" "$RC"
		if [ -n "$3" ]; then
			check "$1: says so" grep -q -- "$3" "$WORK/hook.err"
		else
			check "$1: says nothing" test ! -s "$WORK/hook.err"
		fi
		check "$1: one line at most" test "$(wc -l <"$WORK/hook.err")" -le 1
		check "$1: no control byte in it" no_control "$WORK/hook.err"
		check "$1: nothing on stdout" test ! -s "$WORK/hook.out"
		check "$1: nothing attached" test -z "$(notw_progs_on "$CG")"
	}
	printf 'not json at all \033[2J' >"$WORK/s"
	hook createRuntime "$WORK/s"
	expect "not JSON" 0 "cannot read the container's state: not JSON.*starts without notw"
	printf '[1,2]' >"$WORK/s"
	hook createRuntime "$WORK/s"
	expect "not an object" 0 "not a JSON object"
	printf '{"pid":"12","annotations":{"io.notw.ports":"80"}}' >"$WORK/s"
	hook createRuntime "$WORK/s"
	expect "pid a string" 0 '"pid" is not a process id'
	printf '{"pid":%s,"annotations":{"io.notw.ports":80}}' "$BOX" >"$WORK/s"
	hook createRuntime "$WORK/s"
	expect "annotation a number" 0 "io.notw.ports is not a string"
	printf '{"pid":%s,"annotations":{"io.notw.ports":"80","io.notw.ports":"81"}}' "$BOX" >"$WORK/s"
	hook createRuntime "$WORK/s"
	expect "a duplicate key" 0 "duplicate object key"
	python3 -c 'import sys; sys.stdout.write("{\"pid\":1,\"x\":\"" + "a" * (2 << 20) + "\"}")' >"$WORK/s"
	hook createRuntime "$WORK/s"
	expect "a state of 2 MiB" 0 "larger than 1 MiB"
	: >"$WORK/s"
	hook createRuntime "$WORK/s"
	expect "an empty state" 0 "not JSON"
	# A runtime that never closes the pipe: the hook gives up after 2 s.
	hook_stalled() {
		mkfifo "$WORK/fifo"
		exec 9<>"$WORK/fifo"
		hook createRuntime "$WORK/fifo"
		exec 9>&-
	}
	hook_stalled
	expect "stdin never closed" 0 "did not arrive on standard input in time"
	check "stdin never closed: gave up within 3 s (${MS} ms)" test "$MS" -lt 3000
	state "$WORK/s" "$BOX" ""
	hook createRuntime "$WORK/s"
	expect "no annotation" 0 ""
	for bad in '""' '"8x"' '"70000"' '"0"' '"9100-9000"' '"80,,81"'; do
		state "$WORK/s" "$BOX" "$bad"
		hook createRuntime "$WORK/s"
		expect "annotation $bad" 1 "io.notw.ports=.* is not a port list.*the start fails"
	done
	state "$WORK/s" "$BOX" '"80\u001b]0;title\u0007\n\u001b[31mnotw: forged\r\u00ff"'
	hook createRuntime "$WORK/s"
	expect "a hostile annotation" 1 'is not a port list'
	check "  its bytes escaped" grep -qF '\x1b]0;title\x07\x0a\x1b[31mnotw: forged\x0d\xc3\xbf' "$WORK/hook.err"
	printf '{"id":"\\u001b[2Jx\\nnotw: forged","pid":%s,"annotations":{"io.notw.ports":"bad"}}' "$BOX" >"$WORK/s"
	hook createRuntime "$WORK/s"
	expect "a hostile container id" 1 '"\\x1b\[2Jx\\x0anotw: forged"'
	# A pid that is gone: the container starts without notw.
	sh -c 'exit 0' &
	GONE=$!
	wait "$GONE"
	state "$WORK/s" "$GONE" '"8080"'
	hook createRuntime "$WORK/s"
	expect "a pid that is gone" 0 'its process (the state.s "pid") is gone'
	state "$WORK/s" 0 '"8080"'
	hook createRuntime "$WORK/s"
	expect "no pid" 0 'names no process'
	# The root cgroup (a kernel thread's): never the whole machine.
	state "$WORK/s" 2 '"8080"'
	hook createRuntime "$WORK/s"
	expect "a process of the root cgroup" 0 'root cgroup'
	check "  nothing attached to the root cgroup" test -z "$(notw_progs_on "$CG_ROOT")"
	# Not root: the kernel refuses; the container starts without notw.
	state "$WORK/s" "$BOX" '"8080"'
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$NOTW_CLI" oci-hook createRuntime \
		<"$WORK/s" >"$WORK/hook.out" 2>"$WORK/hook.err"
	RC=$?
	expect "not root" 0 "not permitted.*CAP_BPF and CAP_NET_ADMIN.*starts without notw"
	hook postStart "$WORK/s"
	check_eq "an unknown stage: exit 2 (the hooks.d file is wrong)" 2 "$RC"
	check "  says which" grep -q '"postStart" is not a stage' "$WORK/hook.err"
	"$NOTW_CLI" oci-hook </dev/null >/dev/null 2>&1
	check_eq "no stage: exit 2" 2 "$?"
	# A process in the hook's own cgroup (a container left in its
	# runtime's cgroup): attaching there would change the binds of the
	# runtime and of everything else in that cgroup.
	new_cgroup runtime
	start_bg "$WORK/rt.out" "$WORK/rt.err" sh -c 'echo $$ >"$1/cgroup.procs" && exec sleep 30' box "$CG"
	wait_until grep -q "$BG_PID" "$CG/cgroup.procs"
	state "$WORK/s" "$BG_PID" '"8080"'
	sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" oci-hook createRuntime' x "$CG" "$NOTW_CLI" \
		<"$WORK/s" >"$WORK/hook.out" 2>"$WORK/hook.err"
	RC=$?
	expect "a process in the hook's own cgroup" 0 "cgroup is not its own.*starts without notw"
	# PID 1 (on a systemd machine, init.scope): a private pid namespace
	# whose first process is in a cgroup of the test, the hook in another.
	new_cgroup hook
	HOOK_CG=$CG
	new_cgroup init
	unshare -pf --mount-proc sh -c 'echo 1 >"$1/cgroup.procs" && sh -c "echo \$\$ >\"\$1/cgroup.procs\" && exec \"\$2\" oci-hook createRuntime" y "$2" "$3"' \
		x "$CG" "$HOOK_CG" "$NOTW_CLI" <<<'{"id":"c","pid":1,"annotations":{"io.notw.ports":"8080"}}' >"$WORK/hook.out" 2>"$WORK/hook.err"
	RC=$?
	expect "PID 1" 0 "cgroup is not its own.*starts without notw"
	# A BPF file system mounted without mode= (1777) lets any user make
	# /sys/fs/bpf/notw first and plant cgroup/ID, ID the container's
	# cgroup's: the hook must not take that for an attachment of notw's
	# ("attached already") and leave the container unprotected.
	new_cgroup planted
	start_bg "$WORK/planted.out" "$WORK/planted.err" sh -c 'echo $$ >"$1/cgroup.procs" && exec sleep 30' box "$CG"
	wait_until grep -q "$BG_PID" "$CG/cgroup.procs"
	state "$WORK/s" "$BG_PID" '"49200"'
	chmod 755 "$WORK"
	export NOTW_CLI WORK
	unshare -m --propagation private bash -c '
		mount -t bpf bpf /sys/fs/bpf || exit 1
		setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
			mkdir -p "/sys/fs/bpf/notw/cgroup/$(stat -c %i "$1")" || exit 1
		"$NOTW_CLI" oci-hook createRuntime <"$WORK/s" >"$WORK/hook.out" 2>"$WORK/hook.err"' planted "$CG"
	check_eq "an entry planted by another user in a /sys/fs/bpf/notw of theirs: exit 0" 0 "$?"
	check_eq "  both programs attached all the same" 2 "$(notw_progs_on "$CG" | wc -l)"
	# Each warning also goes to syslog (the hook's stderr is mostly
	# nobody's): a /dev/log of the test's own in a private mount namespace.
	state "$WORK/s" "$BOX" '"bad\u001b[2J"'
	in_private_dev '
		start_syslog_sink
		"$NOTW_CLI" oci-hook createRuntime <"$WORK/s" 2>/dev/null || true
		echo "{" | "$NOTW_CLI" oci-hook createRuntime 2>/dev/null
		for ((i = 0; i < 100; i++)); do [ "$(wc -l <"$WORK/syslog.txt")" -ge 2 ] 2>/dev/null && break; sleep 0.05; done
		kill %1'
	sed 's/^/# syslog: /' "$WORK/syslog.txt"
	check "syslog: the refused annotation, as an error (daemon.err)" \
		grep -q '^<27>.*notw\[[0-9]*\]: notw oci-hook: container .*io.notw.ports="bad\\x1b\[2J" is not a port list' "$WORK/syslog.txt"
	check "syslog: the unreadable state, as a warning (daemon.warning)" \
		grep -q "^<28>.*notw\[[0-9]*\]: notw oci-hook: createRuntime: cannot read the container's state" "$WORK/syslog.txt"
	check "syslog: no control byte" no_control "$WORK/syslog.txt"
	;;
hook-direct)
	# The hook's attachment, without podman: a process in a cgroup of the
	# test stands for the container's first process.
	new_cgroup box
	start_bg "$WORK/box.out" "$WORK/box.err" sh -c 'echo $$ >"$1/cgroup.procs" && exec sleep 30' box "$CG"
	BOX=$BG_PID
	wait_until grep -q "$BOX" "$CG/cgroup.procs"
	state "$WORK/s" "$BOX" '"49200,49300-49310"'
	hook createRuntime "$WORK/s"
	check_eq "attach: exit 0" 0 "$RC"
	check "attach: nothing on stderr" test ! -s "$WORK/hook.err"
	check "attach: in time (${MS} ms < 1000)" test "$MS" -lt 1000
	PROGS=$(notw_progs_on "$CG")
	check_eq "both programs on the cgroup" 2 "$(wc -w <<<"$PROGS")"
	check "attached without a link (no BPF link holds them)" python3 -c '
import json, subprocess, sys
links = json.loads(subprocess.run(["bpftool", "--json", "link", "show"], capture_output=True, text=True).stdout or "[]")
sys.exit(1 if any(str(l.get("prog_id")) in sys.argv[1:] for l in links) else 0)' $PROGS
	check "nothing pinned for it" test ! -e "/sys/fs/bpf/notw/cgroup/$(stat -c %i "$CG")"
	"$NOTW_CLI" attached --json >"$WORK/attached.json"
	check "notw attached lists it, unpinned, with its ports" python3 -c '
import json, sys
e = [e for e in json.load(open(sys.argv[1])) if e["cgroup"] == sys.argv[2]]
sys.exit(0 if len(e) == 1 and e[0]["kind"] == "unpinned" and e[0]["ports"] == "49200,49300-49310" and e[0]["pins"] is None else 1)' \
		"$WORK/attached.json" "$CG"
	"$NOTW_CLI" attached >"$WORK/attached.txt"
	check "notw attached (text) says it ends with the cgroup" grep -qF "cgroup \"$CG\" (id $(stat -c %i "$CG")), unpinned: ends with the cgroup" "$WORK/attached.txt"
	state "$WORK/s" "$BOX" '"49201"'
	hook createRuntime "$WORK/s"
	check_eq "the hook again: exit 0" 0 "$RC"
	check_eq "  still one pair of programs (the ports updated)" "$PROGS" "$(notw_progs_on "$CG")"
	check_eq "  the new ports" 49201 "$("$NOTW_CLI" attached --json | python3 -c '
import json, sys
print([e["ports"] for e in json.load(sys.stdin) if e["cgroup"] == sys.argv[1]][0])' "$CG")"
	start_bg "$WORK/s1.out" "$WORK/s1.err" sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' x "$CG" "$SERVER" --exit 49201
	wait_for_line "$WORK/s1.out" '^bound '
	check_eq "a server of the cgroup gets SO_REUSEADDR on the port" "bound 49201 reuseaddr 1" "$(head -1 "$WORK/s1.out")"
	start_bg "$WORK/s2.out" "$WORK/s2.err" sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' x "$CG" "$SERVER" --exit --reuseaddr 49201
	wait_for_line "$WORK/s2.out" '^bound '
	check_eq "the counters: binds 2, SO_REUSEADDR set 1, already set 1" "2 1 1" "$("$NOTW_CLI" attached --json | python3 -c '
import json, sys
e = [e for e in json.load(sys.stdin) if e["cgroup"] == sys.argv[1]][0]
print(e["binds"], e["reuseaddr_set"], e["reuseaddr_already"])' "$CG")"
	MAPS=$(for p in $PROGS; do maps_of "$p"; done)
	check "the programs have their maps" test -n "$MAPS"
	# The cgroup removed (the container's end, no poststop): the kernel
	# frees programs and maps.
	kill -KILL "$BOX"
	wait "$BOX" 2>/dev/null
	wait_until rmdir "$CG"
	check "the cgroup removed: its programs are gone" wait_until all_gone prog $PROGS
	check "  and their maps" wait_until all_gone map $MAPS
	check "  notw attached lists nothing of it" test "$(attached_below "$CG")" = 0
	# notw detach removes what the hook attached.
	new_cgroup box2
	start_bg "$WORK/box2.out" "$WORK/box2.err" sh -c 'echo $$ >"$1/cgroup.procs" && exec sleep 30' box "$CG"
	wait_until grep -q "$BG_PID" "$CG/cgroup.procs"
	state "$WORK/s" "$BG_PID" '"all"'
	hook createRuntime "$WORK/s"
	check_eq "io.notw.ports=all: exit 0" 0 "$RC"
	check_eq "  every port" all "$("$NOTW_CLI" attached --json | python3 -c '
import json, sys
print([e["ports"] for e in json.load(sys.stdin) if e["cgroup"] == sys.argv[1]][0])' "$CG")"
	PROGS=$(notw_progs_on "$CG")
	state "$WORK/s" "$BG_PID" '"all"' other-container
	hook poststop "$WORK/s"
	check_eq "poststop, a pid in a cgroup not named after the container: exit 0" 0 "$RC"
	check_eq "  nothing detached there (the pid may be another's by now)" "$PROGS" "$(notw_progs_on "$CG")"
	state "$WORK/s" "$BG_PID" '"all"' "$(basename "$CG" | cut -d- -f3-)"
	hook poststop "$WORK/s"
	check_eq "poststop while the container's cgroup lives: exit 0" 0 "$RC"
	check "  the programs detached" test -z "$(notw_progs_on "$CG")"
	check "  and freed" wait_until all_gone prog $PROGS
	hook createRuntime "$WORK/s"
	check "notw detach --cgroup removes the hook's programs" quiet "$NOTW_CLI" detach --cgroup "$CG"
	check "  none left on the cgroup" test -z "$(notw_progs_on "$CG")"
	# A cgroup notw attach pinned: the hook leaves it alone.
	check "notw attach (pinned)" quiet "$NOTW_CLI" attach --cgroup "$CG" --ports 49300
	hook createRuntime "$WORK/s"
	check_eq "the hook on a pinned attachment: exit 0" 0 "$RC"
	check_eq "  still one pair of programs" 2 "$(notw_progs_on "$CG" | wc -l)"
	check_eq "  its ports unchanged" 49300 "$("$NOTW_CLI" attached --json | python3 -c '
import json, sys
print([e["ports"] for e in json.load(sys.stdin) if e["cgroup"] == sys.argv[1]][0])' "$CG")"
	check "notw detach" quiet "$NOTW_CLI" detach --cgroup "$CG"
	# A set pinned for systemd (notw attach --pin), attached to a cgroup as
	# systemd's BPFProgram= does (no link): notw's own, not the hook's.
	NAME=notw-test-$$
	check "notw attach --pin" quiet "$NOTW_CLI" attach --pin "$NAME" --ports 49400
	trap 'bpftool cgroup detach "$CG" bind4 pinned "/sys/fs/bpf/notw/unit/$NAME/bind4" 2>/dev/null
		bpftool cgroup detach "$CG" bind6 pinned "/sys/fs/bpf/notw/unit/$NAME/bind6" 2>/dev/null
		"$NOTW_CLI" detach --pin "$NAME" >/dev/null 2>&1; remove_everything; cleanup' EXIT
	bpftool cgroup attach "$CG" bind4 pinned "/sys/fs/bpf/notw/unit/$NAME/bind4" multi &&
		bpftool cgroup attach "$CG" bind6 pinned "/sys/fs/bpf/notw/unit/$NAME/bind6" multi
	check_eq "a pinned set attached as systemd does: not listed as the hook's" 0 "$(attached_below "$CG")"
	out=$("$NOTW_CLI" detach --cgroup "$CG")
	check "  notw detach --cgroup: nothing attached (by notw attach or the hook) there" grep -q 'nothing attached' <<<"$out"
	check_eq "  systemd's programs still on the cgroup" 2 "$(notw_progs_on "$CG" | wc -l)"
	check_eq "  the pinned set's ports unchanged" 49400 "$("$NOTW_CLI" attached --json | python3 -c '
import json, sys
print([e["ports"] for e in json.load(sys.stdin) if e["name"] == sys.argv[1]][0])' "$NAME")"
	;;
restart)
	need_podman
	make_hooks_dir
	# Control: no notw. The restarted container's server drifts.
	crash_and_restart plain 49200
	expect_drift "no notw" 49200
	stop_containers
	# The hook (podman --hooks-dir, the annotation).
	crash_and_restart hook 49220 --hooks-dir "$HOOKS" --annotation io.notw.ports=49220
	expect_same_port "podman with notw oci-hook" 49220
	stop_containers
	check "the hook's containers removed: nothing of notw left for them" test "$(attached_below "$CG_ROOT/libpod_parent")" = 0
	# A value that is no port list fails the start, and podman shows why.
	# (Its error is kept out of $WORK: "OCI runtime error:" reads as a
	# sanitizer's report to lib.sh's finish.)
	bad_err=$("${PODMAN_RUN[@]}" --rm --hooks-dir "$HOOKS" --annotation io.notw.ports=8x --rootfs "$ROOTFS" \
		/drift_server --exit 49230 2>&1 >"$WORK/bad.out")
	check "a bad annotation: podman run fails" test "$?" != 0
	check "  its error is the hook's line" grep -q 'notw oci-hook: container ".*": the annotation io.notw.ports="8x" is not a port list.*the start fails' <<<"$bad_err"
	check "  the server never ran" test ! -s "$WORK/bad.out"
	# The hooks.d file's condition: without the annotation no hook runs.
	crash_and_restart no-annotation 49240 --hooks-dir "$HOOKS"
	expect_drift "hooks.d given, no annotation" 49240
	stop_containers
	# A parent cgroup attached: every container below it, no hook. As the
	# package's unit notw-attach@.service does it: its ExecStart= line, %f
	# the parent's path in the hierarchy, before the parent exists.
	UNIT=$NOTW_SOURCE_ROOT/config/systemd/notw-attach@.service.in
	exec_line() {
		sed -n "s|^$1=@BINDIR@/notw ||p" "$UNIT" | sed "s|%f|/$PARENT_NAME|; s|\$NOTW_ATTACH_OPTIONS|--ports 49260|"
	}
	read -ra START <<<"$(exec_line ExecStart)"
	check "the unit's ExecStart= (notw ${START[*]})" quiet "$NOTW_CLI" "${START[@]}"
	check "  made the parent" test -d "$CG_ROOT/$PARENT_NAME"
	if command -v systemd-analyze >/dev/null; then
		mkdir -p "$WORK/units"
		sed "s|@BINDIR@/notw|$NOTW_CLI|" "$UNIT" >"$WORK/units/notw-attach@.service"
		SYSTEMD_UNIT_PATH=$WORK/units: systemd-analyze verify "$WORK/units/notw-attach@$PARENT_NAME.service" \
			>"$WORK/verify.out" 2>&1
		# (man pages are not installed by a build: that complaint is no error)
		check "systemd-analyze verify accepts the unit" sh -c "! grep -v \"Command 'man \" '$WORK/verify.out' | grep -q ."
		sed 's/^/# /' "$WORK/verify.out"
	fi
	crash_and_restart parent 49260 --cgroup-parent "/$PARENT_NAME"
	expect_same_port "a parent cgroup attached" 49260
	check "the container's cgroup is below the parent" grep -q "^0::/$PARENT_NAME/" /proc/"$(podman inspect -f '{{.State.Pid}}' "$PREFIX-parent-2")"/cgroup
	stop_containers
	read -ra STOP <<<"$(exec_line ExecStop)"
	check "the unit's ExecStop= (notw ${STOP[*]})" quiet "$NOTW_CLI" "${STOP[@]}"
	check "  nothing left on the parent" test -z "$(notw_progs_on "$CG_ROOT/$PARENT_NAME")"
	;;
file-capability)
	need_podman
	make_hooks_dir
	# A server with a file capability run as an unprivileged user in the
	# container: the loader would ignore a preload library for it.
	AS_NOBODY=(--user 65534:65534)
	check "the copy has a file capability" sh -c "getcap '$ROOTFS/cap_server' | grep -q cap_net_bind_service"
	crash_and_restart cap-plain 470 "${AS_NOBODY[@]}" -- /cap_server
	check_eq "as nobody, it binds port 470 (its capability)" 470 "$FIRST"
	expect_drift "file capability, no notw" 470
	check_eq "it runs as nobody" 65534 "$(stat -c %u "/proc/$(podman inspect -f '{{.State.Pid}}' "$PREFIX-cap-plain-2")")"
	stop_containers
	crash_and_restart cap-hook 480 "${AS_NOBODY[@]}" --hooks-dir "$HOOKS" --annotation io.notw.ports=480 -- /cap_server
	expect_same_port "file capability, as nobody, with the hook" 480
	stop_containers
	check "notw attach --parent PARENT" quiet "$NOTW_CLI" attach --parent "/$PARENT_NAME" --ports 490
	crash_and_restart cap-parent 490 "${AS_NOBODY[@]}" --cgroup-parent "/$PARENT_NAME" -- /cap_server
	expect_same_port "file capability, as nobody, a parent cgroup attached" 490
	stop_containers
	check "notw detach --parent PARENT" quiet "$NOTW_CLI" detach --parent "/$PARENT_NAME"
	;;
churn)
	need_podman
	make_hooks_dir
	# 50 containers with the hook, started and stopped: their programs and
	# maps are freed, nothing is pinned, notw attached lists none of them.
	mkdir "$CG_ROOT/$PARENT_NAME"
	IDS=()
	MAPIDS=()
	CGIDS=()
	for ((i = 0; i < 50; i++)); do
		name=$PREFIX-$i
		CONTAINERS+=("$name")
		"${PODMAN_RUN[@]}" -d --name "$name" --cgroup-parent "/$PARENT_NAME" --hooks-dir "$HOOKS" \
			--annotation io.notw.ports=49200 --rootfs "$ROOTFS" /drift_server 0 >/dev/null 2>"$WORK/run.err" || break
		cg=$(container_cgroup "$name") || break
		CGIDS+=("$(stat -c %i "$cg")")
		for p in $(notw_progs_on "$cg"); do
			IDS+=("$p")
			MAPIDS+=($(maps_of "$p"))
		done
		podman rm -f -t 0 "$name" >/dev/null 2>&1
	done
	CONTAINERS=()
	check_eq "50 containers ran, each with both programs" 100 "${#IDS[@]}"
	check "their programs are gone" wait_until all_gone prog "${IDS[@]}"
	check "their maps are gone" wait_until all_gone map $(printf '%s\n' "${MAPIDS[@]}" | sort -u)
	check_eq "notw attached: nothing below the parent" 0 "$(attached_below "$CG_ROOT/$PARENT_NAME")"
	check_eq "notw attached: no removed cgroup of theirs" "" \
		"$(removed_entries | tr ' ' '\n' | grep -xF -f <(printf '%s\n' "${CGIDS[@]}"))"
	check_eq "nothing pinned for the containers' cgroups" "" \
		"$(ls /sys/fs/bpf/notw/cgroup 2>/dev/null | grep -xF -f <(printf '%s\n' "${CGIDS[@]}"))"
	;;
runtime-killed)
	need_podman
	make_hooks_dir
	# The runtime (conmon, podman's monitor) killed between createRuntime
	# and poststop, the container's process too: no poststop hook runs.
	# Once the cgroup is removed (here by the test, as a reboot or a later
	# cleanup would), nothing of notw is left.
	mkdir "$CG_ROOT/$PARENT_NAME"
	name=$PREFIX-killed
	CONTAINERS+=("$name")
	"${PODMAN_RUN[@]}" -d --name "$name" --cgroup-parent "/$PARENT_NAME" --hooks-dir "$HOOKS" \
		--annotation io.notw.ports=49200 --rootfs "$ROOTFS" /drift_server 49200 >/dev/null
	cg=$(container_cgroup "$name")
	CGID=$(stat -c %i "$cg")
	PROGS=$(notw_progs_on "$cg")
	MAPS=$(for p in $PROGS; do maps_of "$p"; done)
	check_eq "the hook attached both programs" 2 "$(wc -w <<<"$PROGS")"
	conmon=$(podman inspect -f '{{.State.ConmonPid}}' "$name")
	pid=$(podman inspect -f '{{.State.Pid}}' "$name")
	kill -KILL "$conmon" "$pid"
	wait_until sh -c "! kill -0 $pid 2>/dev/null"
	check "the cgroup outlives its runtime" test -d "$cg"
	check "  the programs with it" test -n "$(notw_progs_on "$cg")"
	wait_until rmdir "$cg"
	check "the cgroup removed without any hook: the programs are gone" wait_until all_gone prog $PROGS
	check "  and their maps" wait_until all_gone map $MAPS
	check_eq "  notw attached lists nothing of it" 0 "$(attached_below "$cg")"
	check "  nothing pinned for it" test ! -e "/sys/fs/bpf/notw/cgroup/$CGID"
	;;
*)
	echo "unknown mode $MODE" >&2
	exit 2
	;;
esac
finish
