#!/bin/bash
# Secure-execution mode: a set-user-ID program ignores the NOTW_* environment.
#
# The dynamic loader preloads into a set-id program only a library named
# without a slash, found in a trusted directory, and itself set-user-ID. The
# test puts such a copy of the library into the library directory through
# an overlay mount in a private mount namespace: the machine's own
# directory is never changed.
. "$(dirname "$0")/lib.sh"
if [ "$(id -u)" != 0 ]; then
	echo "# needs root (a set-user-ID root program and an overlay mount): skipped"
	exit 77
fi
if [ -n "${NOTW_PRELOAD_PREFIX:-}" ]; then
	echo "# the sanitizer runtime cannot be preloaded into a set-id program: skipped"
	exit 77
fi
enter_netns "$@"

libdir=$(dirname "$(ldd "$NOTW_PROGS/probe" | awk '/libc\.so/ {print $3}')")
libdir=$(readlink -f "$libdir")
chmod 755 "$WORK"
mkdir -p "$WORK/upper" "$WORK/ovl-work"
cp "$NOTW_LIB" "$WORK/upper/libnotw-secure-test.so"
chmod 4755 "$WORK/upper/libnotw-secure-test.so"
cp "$NOTW_PROGS/probe" "$WORK/probe-setuid"
chmod 4755 "$WORK/probe-setuid"
cp "$NOTW_PROGS/probe" "$WORK/probe-plain"
chmod 755 "$WORK/probe-plain"

# run_as_nobody PROGRAM PORT: with NOTW_REUSEADDR=off in the environment.
export WORK libdir
run_as_nobody() {
	unshare -m -- bash -c '
		mount --make-rprivate /
		mount -t overlay overlay -o "lowerdir=$libdir,upperdir=$WORK/upper,workdir=$WORK/ovl-work" "$libdir" || exit 99
		setpriv --reuid=65534 --regid=65534 --clear-groups -- \
			env LD_PRELOAD=libnotw-secure-test.so NOTW_REUSEADDR=off NOTW_LOG=file:/dev/null \
			"$1" reuse tcp4 "$2"' run_as_nobody "$@"
}

plain=$(run_as_nobody "$WORK/probe-plain" 49700 2>"$WORK/plain.err")
if [ $? -eq 99 ]; then
	echo "# overlay mounts are not available here: skipped"
	exit 77
fi
check_eq "control: an ordinary program honours NOTW_REUSEADDR=off" "SO_REUSEADDR=0" "$plain"
setuid=$(run_as_nobody "$WORK/probe-setuid" 49701 2>"$WORK/setuid.err")
check_eq "a set-user-ID program ignores NOTW_REUSEADDR=off (the default applies)" "SO_REUSEADDR=1" "$setuid"
check "... and logs to stderr, ignoring NOTW_LOG" grep -Eq '^notw\[[0-9]+\]: bind 0\.0\.0\.0:49701 fd=[0-9]+: set SO_REUSEADDR$' "$WORK/setuid.err"
finish
