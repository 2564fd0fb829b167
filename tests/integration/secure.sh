#!/bin/bash
# Secure-execution mode: a set-user-ID program ignores the NOTW_* environment,
# NOTW_CONFIG included, and reads only the default policy file, and that
# only when root owns it and nobody else can write it.
#
# The dynamic loader preloads into a set-id program only a library named
# without a slash, found in a trusted directory, and itself set-user-ID. The
# test puts such a copy of the library into the library directory through
# an overlay mount in a private mount namespace: the machine's own
# directory is never changed.
. "$(dirname "$0")/lib.sh"
need_root "a set-user-ID root program and an overlay mount"
if [ -n "${NOTW_PRELOAD_PREFIX:-}" ]; then
	skip_all "the sanitizer runtime cannot be preloaded into a set-id program"
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

# A policy file saying reuseaddr = off, for NOTW_CONFIG.
printf '[defaults]\nreuseaddr = off\n' >"$WORK/off.ini"
chmod 644 "$WORK/off.ini"

# run_as_nobody PROGRAM PORT: with NOTW_REUSEADDR=off and NOTW_CONFIG=off.ini
# in the environment. The default policy file's directory is an empty tmpfs;
# with DEFAULT_INI set, that file (and its mode) is put there as the default
# policy file.
# REUSE_ENV empty: NOTW_REUSEADDR is left out.
export WORK libdir NOTW_DEFAULT_CONFIG DEFAULT_INI= REUSE_ENV=off
run_as_nobody() {
	unshare -m -- bash -c '
		mount --make-rprivate /
		mount -t overlay overlay -o "lowerdir=$libdir,upperdir=$WORK/upper,workdir=$WORK/ovl-work" "$libdir" || exit 99
		# An empty tmpfs over the directory of the default file: a policy file
		# installed on this machine stays out of the test.
		dir=$(dirname "$NOTW_DEFAULT_CONFIG")
		if [ -d "$dir" ]; then
			mount -t tmpfs tmpfs "$dir" || exit 98
		fi
		if [ -n "$DEFAULT_INI" ]; then
			[ -d "$dir" ] || exit 98
			cp -p "$DEFAULT_INI" "$NOTW_DEFAULT_CONFIG"
		fi
		setpriv --reuid=65534 --regid=65534 --clear-groups -- \
			env LD_PRELOAD=libnotw-secure-test.so NOTW_REUSEADDR=off NOTW_LOG=file:/dev/null \
			NOTW_CONFIG="$WORK/off.ini" "$1" reuse tcp4 "$2"' run_as_nobody "$@"
}

plain=$(run_as_nobody "$WORK/probe-plain" 49700 2>"$WORK/plain.err")
if [ $? -eq 99 ]; then
	skip_all "overlay mounts are not available here"
fi
check_eq "control: an ordinary program honours NOTW_REUSEADDR=off" "SO_REUSEADDR=0" "$plain"
setuid=$(run_as_nobody "$WORK/probe-setuid" 49701 2>"$WORK/setuid.err")
check_eq "a set-user-ID program ignores NOTW_REUSEADDR=off and NOTW_CONFIG (reuseaddr = off): the default applies" "SO_REUSEADDR=1" "$setuid"
check "... and logs to stderr, ignoring NOTW_LOG" grep -Eq '^notw\[[0-9]+\]: bind 0\.0\.0\.0:49701 fd=[0-9]+: set SO_REUSEADDR$' "$WORK/setuid.err"

# The default policy file does steer a set-id program, when root owns it.
cp "$WORK/off.ini" "$WORK/default-good.ini"
DEFAULT_INI=$WORK/default-good.ini
out=$(run_as_nobody "$WORK/probe-setuid" 49702 2>"$WORK/default-good.err")
rc=$?
if [ $rc -eq 98 ]; then
	skip "a set-user-ID program follows the default file $NOTW_DEFAULT_CONFIG" \
		"$(dirname "$NOTW_DEFAULT_CONFIG") does not exist here"
else
	check_eq "a set-user-ID program follows the default file $NOTW_DEFAULT_CONFIG (root's, 0644)" \
		"SO_REUSEADDR=0" "$out"
	cp "$WORK/off.ini" "$WORK/default-writable.ini"
	chmod 666 "$WORK/default-writable.ini"
	DEFAULT_INI=$WORK/default-writable.ini
	out=$(run_as_nobody "$WORK/probe-setuid" 49703 2>"$WORK/default-writable.err")
	check_eq "... but not a default file others can write" "SO_REUSEADDR=1" "$out"
	check "... and says why" grep -q "error: $NOTW_DEFAULT_CONFIG: ignored in this set-id program: the file must be owned by root" \
		"$WORK/default-writable.err"
	DEFAULT_INI=$WORK/default-good.ini REUSE_ENV=
	printf '[defaults]\nreuseaddr = on\n' >"$WORK/default-good.ini"
	out=$(run_as_nobody "$WORK/probe-plain" 49704 2>/dev/null)
	check_eq "control: an ordinary program takes NOTW_CONFIG (off) over the default file (on)" "SO_REUSEADDR=0" "$out"
fi
finish
