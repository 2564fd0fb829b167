#!/bin/bash
# notw enable / notw disable, always with --root on a root of the test's own:
# the machine's /etc/ld.so.preload is never touched. No sockets, so no
# network namespace.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_cli
# notw enable accepts only a library root owns (the copies made here would
# be this user's), and the lock tests need a second user.
need_root "notw enable, a second user"
make_work_dir

ROOT=$WORK/root
LIB=/usr/lib/x86_64-linux-gnu/libnotw.so
FILE=$ROOT/etc/ld.so.preload
mkdir -p "$ROOT/etc" "$ROOT/usr/lib/x86_64-linux-gnu"
cp "$NOTW_LIB" "$ROOT$LIB"

# notw ARGS...: runs the command; stdout, stderr and status in OUT, ERR, RC.
notw() {
	RC=0
	"$NOTW_CLI" "$@" >"$WORK/out" 2>"$WORK/err" || RC=$?
	OUT=$(cat "$WORK/out")
	ERR=$(cat "$WORK/err")
}

# The same notw as the unprivileged user nobody (root can read any file).
notw_as_nobody() {
	RC=0
	setpriv --reuid=65534 --regid=65534 --clear-groups -- "$NOTW_CLI" "$@" >"$WORK/out" 2>"$WORK/err" || RC=$?
	OUT=$(cat "$WORK/out")
	ERR=$(cat "$WORK/err")
}

# What identifies one version of a file: content, inode, mode and owner.
fingerprint() {
	if [ -e "$1" ] || [ -L "$1" ]; then
		echo "$(sha256sum <"$1" | cut -d' ' -f1) $(stat -c '%i %a %u:%g %F' "$1")"
	else
		echo missing
	fi
}

inode() { stat -c %i "$1"; }

# Everything in DIR but ld.so.preload and the lock file: a temporary file
# left behind.
LOCK_NAME=.notw-ld.so.preload.lock
leftovers() { find "$1" -mindepth 1 -maxdepth 1 ! -name ld.so.preload ! -name "$LOCK_NAME" -printf '%f\n'; }

enable() { notw enable --root "$ROOT" "$@"; }
disable() { notw disable --root "$ROOT" "$@"; }

# --- usage
notw enable --help
check_eq "enable --help: exit 0" 0 "$RC"
check "... usage on stdout" grep -q '^usage: notw enable \[--root DIR\] \[--library PATH\]$' "$WORK/out"
notw disable --help
check_eq "disable --help: exit 0" 0 "$RC"
check "... usage on stdout" grep -q '^usage: notw disable ' "$WORK/out"
enable --bogus
check_eq "an unknown option: exit 2" 2 "$RC"
check_eq "... one line saying so, then where the help is, nothing on stdout" \
	"notw enable: unknown option --bogus|try 'notw enable --help'|" "$(tr '\n' '|' <"$WORK/err")$OUT"
for cmd in enable disable; do
	notw_as_nobody "$cmd"
	check_eq "$cmd as a user (this system's file): exit 1" 1 "$RC"
	check_eq "... saying it needs root" "notw $cmd: needs root: it changes /etc/ld.so.preload, which only root may (run it with sudo, or as root)" "$ERR"
done
notw enable --root
check_eq "--root without its value: exit 2" 2 "$RC"
enable extra
check_eq "an extra argument: exit 2" 2 "$RC"
enable --library usr/lib/libnotw.so
check_eq "enable with a relative --library: exit 2" 2 "$RC"
check "... saying why" grep -q '^notw: --library usr/lib/libnotw.so: must be an absolute path$' "$WORK/err"
disable --library libnotw.so
check_eq "disable with a relative --library: exit 2" 2 "$RC"
enable --library "/usr/lib/a b.so"
check_eq "a --library ld.so would split (a space): exit 2" 2 "$RC"
enable --library "/usr/lib/a:b.so"
check_eq "a --library ld.so would split (a colon): exit 2" 2 "$RC"
check_eq "no usage error created the file" missing "$(fingerprint "$FILE")"

# --- enable on a missing file
enable --library "$LIB"
check_eq "enable, no file yet: exit 0" 0 "$RC"
check_eq "... saying what it did" "notw: added $LIB to $FILE" "$OUT"
check_eq "... the file holds exactly the entry" "$LIB" "$(cat "$FILE")"
check_eq "... on a line of its own" "$(printf '%s\n' "$LIB" | sha256sum)" "$(sha256sum <"$FILE")"
check_eq "... mode 0644" 644 "$(stat -c %a "$FILE")"
check_eq "... no temporary file left" "" "$(leftovers "$ROOT/etc")"

# --- enable twice
before=$(fingerprint "$FILE")
enable --library "$LIB"
check_eq "enable again: exit 0" 0 "$RC"
check_eq "... says it is already there" "notw: $LIB already in $FILE" "$OUT"
check_eq "... and does not rewrite the file" "$before" "$(fingerprint "$FILE")"
check_eq "... one entry" 1 "$(grep -c libnotw "$FILE")"
# The same file under another name: a hard link, and an absolute symbolic
# link that only leads to the library when resolved inside the root.
ln "$ROOT$LIB" "$ROOT/usr/lib/libnotw-hard.so"
ln -s "$LIB" "$ROOT/usr/lib/libnotw-link.so"
enable --library /usr/lib/libnotw-hard.so
check_eq "enable of a hard link to an entry: already there" \
	"0 notw: /usr/lib/libnotw-hard.so already in $FILE (as $LIB)" "$RC $OUT"
enable --library /usr/lib/libnotw-link.so
check_eq "enable of an absolute symbolic link inside the root: already there" \
	"0 notw: /usr/lib/libnotw-link.so already in $FILE (as $LIB)" "$RC $OUT"
check_eq "... the file still not rewritten" "$before" "$(fingerprint "$FILE")"

# --- disable of the only entry, then disable when absent
old_inode=$(inode "$FILE")
disable --library "$LIB"
check_eq "disable: exit 0" 0 "$RC"
check_eq "... saying what it did" "notw: removed $LIB from $FILE" "$OUT"
check_eq "... the line is gone: the file is empty" 0 "$(stat -c %s "$FILE")"
check "... rewritten by a rename (a new inode)" test "$old_inode" != "$(inode "$FILE")"
check_eq "... no temporary file left" "" "$(leftovers "$ROOT/etc")"
before=$(fingerprint "$FILE")
disable --library "$LIB"
check_eq "disable when absent: exit 0" 0 "$RC"
check_eq "... saying so" "notw: $LIB was not in $FILE" "$OUT"
check_eq "... file not rewritten (content, inode, mode)" "$before" "$(fingerprint "$FILE")"

# --- ld.so replaces $LIB, $PLATFORM and $ORIGIN (also ${LIB}...) in the
# names of ld.so.preload: such an entry loads the library as surely as its
# plain name, so disable removes it and enable finds it there.
PLATFORM_DIR=/usr/lib/$(uname -m)
mkdir -p "$ROOT$PLATFORM_DIR" "$ROOT/usr/bin"
ln "$ROOT$LIB" "$ROOT$PLATFORM_DIR/libnotw.so"
for entry in '/usr/$LIB/libnotw.so' '/usr/${LIB}/libnotw.so' '/usr/lib/$PLATFORM/libnotw.so' \
	'$ORIGIN/../lib/x86_64-linux-gnu/libnotw.so'; do
	printf '/lib/a.so %s # site\n' "$entry" >"$FILE"
	enable --library "$LIB"
	check_eq "enable with '$entry' there: already there" "0 notw: $LIB already in $FILE (as $entry)" "$RC $OUT"
	disable --library "$LIB"
	check_eq "disable removes '$entry'" "0 notw: removed $LIB from $FILE" "$RC $OUT"
	check_eq "... and keeps the rest" "/lib/a.so # site" "$(cat "$FILE")"
done
mkdir -p "$ROOT/usr/lib_X"
ln "$ROOT$LIB" "$ROOT/usr/lib_X/libnotw.so"
printf '/usr/$LIB_X/libnotw.so /usr/${LIBX}/libnotw.so\n' >"$FILE"
disable --library "$LIB"
check_eq "'\$LIB_X' and '\${LIBX}' are not tokens ld.so replaces: not the library" "0 notw: $LIB was not in $FILE" "$RC $OUT"
rm -r "$ROOT/usr/lib_X"
rm "$ROOT$PLATFORM_DIR/libnotw.so"
: >"$FILE"

# --- other entries, a comment, no newline at the end
printf '/lib/a.so:/lib/b.so # keep this\n\n# a comment line\n\t/lib/c.so' >"$FILE"
original=$(sha256sum <"$FILE")
size=$(stat -c %s "$FILE")
old_inode=$(inode "$FILE")
enable --library "$LIB"
check_eq "enable next to other entries: exit 0" 0 "$RC"
check_eq "... what was there is byte-identical" "$original" "$(head -c "$size" "$FILE" | sha256sum)"
check_eq "... then a newline and the entry on its own line" "$(printf '\n%s\n' "$LIB" | sha256sum)" \
	"$(tail -c +"$((size + 1))" "$FILE" | sha256sum)"
check "... a new inode" test "$old_inode" != "$(inode "$FILE")"
printf '/lib/a.so # %s is only named in this comment' "$LIB" >"$FILE"
enable --library "$LIB"
check_eq "a comment naming the library is not an entry" "0 notw: added $LIB to $FILE" "$RC $OUT"
check_eq "... the entry does not end up in the comment" \
	"$(printf '/lib/a.so # %s is only named in this comment\n%s\n' "$LIB" "$LIB" | sha256sum)" "$(sha256sum <"$FILE")"

# --- disable removes only our entries
cat >"$FILE" <<EOF
# header: $LIB goes last
/lib/a.so $LIB # c
$LIB
	/lib/b.so:$LIB:/lib/c.so
$LIB.1 /usr/lib/libnotw-hard.so
$LIB:$LIB   # only ours, twice
  $LIB # ticket 123
/lib/d.so
EOF
cat >"$WORK/expected" <<EOF
# header: $LIB goes last
/lib/a.so # c
	/lib/b.so:/lib/c.so
$LIB.1
# only ours, twice
  # ticket 123
/lib/d.so
EOF
disable --library "$LIB"
check_eq "disable among other entries: exit 0" "0 notw: removed $LIB from $FILE" "$RC $OUT"
check "... removes our entries (also by another name) and lines left empty, keeps the rest and every comment" \
	cmp -s "$WORK/expected" "$FILE"
cmp -s "$WORK/expected" "$FILE" || diff "$WORK/expected" "$FILE" | sed 's/^/#   /' >&2 || true
disable --library "$LIB"
check_eq "disable again: was not in" "0 notw: $LIB was not in $FILE" "$RC $OUT"
check "... the file unchanged" cmp -s "$WORK/expected" "$FILE"

# --- disable of a library that no longer exists: by its name
printf '/lib/a.so\n/usr/lib/gone.so\n' >"$FILE"
disable --library /usr/lib/gone.so
check_eq "disable of a missing library's entry: exit 0" "0 notw: removed /usr/lib/gone.so from $FILE" "$RC $OUT"
check_eq "... removed" "/lib/a.so" "$(cat "$FILE")"

# --- mode and owner of an existing file are kept
printf '/lib/a.so\n' >"$FILE"
chmod 0600 "$FILE"
chown 65534:65534 "$FILE" 2>/dev/null || true
owner=$(stat -c %u:%g "$FILE")
enable --library "$LIB"
check_eq "enable on a 0600 file: exit 0" 0 "$RC"
check_eq "... mode 0600 and owner kept" "600 $owner" "$(stat -c '%a %u:%g' "$FILE")"
disable --library "$LIB"
check_eq "... and after disable too" "600 $owner" "$(stat -c '%a %u:%g' "$FILE")"
check_eq "... back to the old content" "/lib/a.so" "$(cat "$FILE")"

# --- enable refuses what ld.so could not preload; the file stays as it is
chmod 0644 "$FILE"
chown 0:0 "$FILE" 2>/dev/null || true
before=$(fingerprint "$FILE")
refused() { # refused DESCRIPTION STDERR-REGEX
	check_eq "$1: exit 1, nothing on stdout" "1 " "$RC $OUT"
	check "... saying why on stderr" grep -Eq "^notw: $2" "$WORK/err"
	check_eq "... the file untouched" "$before" "$(fingerprint "$FILE")"
	check_eq "... no temporary file left" "" "$(leftovers "$ROOT/etc")"
}
enable --library /usr/lib/x86_64-linux-gnu/missing.so
refused "a missing library" ".*/usr/lib/x86_64-linux-gnu/missing.so: No such file or directory"
printf 'not an ELF file at all, just text that is long enough for a header\n' >"$ROOT/usr/lib/text.so"
enable --library /usr/lib/text.so
refused "a file that is not ELF" "refusing .*/usr/lib/text.so: not an ELF file"
# ELF headers of the right kind but for something else: e_type (bytes 16-17)
# ET_EXEC, e_machine (bytes 18-19) EM_SPARC; both little-endian, as on x86.
cp "$ROOT$LIB" "$ROOT/usr/lib/exec.so"
printf '\002\000' | dd of="$ROOT/usr/lib/exec.so" bs=1 seek=16 conv=notrunc status=none
enable --library /usr/lib/exec.so
refused "an ELF executable" "refusing .*: an ELF file but not a shared object"
cp "$ROOT$LIB" "$ROOT/usr/lib/sparc.so"
printf '\002\000' | dd of="$ROOT/usr/lib/sparc.so" bs=1 seek=18 conv=notrunc status=none
enable --library /usr/lib/sparc.so
refused "a shared object for another machine" "refusing .*: an ELF file for another machine"
# A position-independent executable is ET_DYN too; ld.so would refuse to
# preload it with an error line in every program.
cp "$NOTW_PROGS/pie_hello" "$ROOT/usr/lib/program.so"
enable --library /usr/lib/program.so
refused "a position-independent executable" \
	"refusing .*/usr/lib/program.so: a program \(position-independent executable\), not a shared library"
head -c 10 "$ROOT$LIB" >"$ROOT/usr/lib/short.so"
enable --library /usr/lib/short.so
refused "a truncated ELF file" "refusing .*: not an ELF file"
enable --library /usr/lib
refused "a directory" "refusing .*/usr/lib: not a regular file"

if [ "$(id -u)" = 0 ]; then
	chmod 755 "$WORK"
	cp "$ROOT$LIB" "$ROOT/usr/lib/unreadable.so"
	chmod 000 "$ROOT/usr/lib/unreadable.so"
	notw_as_nobody enable --root "$ROOT" --library /usr/lib/unreadable.so
	refused "an unreadable library (as nobody)" ".*/usr/lib/unreadable.so: Permission denied"
	# A failure after the temporary file exists: nobody may write into
	# etc but cannot give the new file root's ownership. (The lock file
	# is root's, which nobody cannot open: theirs is made afresh.)
	chown 65534 "$ROOT/etc"
	rm -f "$ROOT/etc/$LOCK_NAME"
	notw_as_nobody enable --root "$ROOT" --library "$LIB"
	refused "a new file that cannot keep the old owner (as nobody)" "cannot give the new file the owner and mode of .*ld.so.preload: Operation not permitted"
	notw_as_nobody disable --root "$ROOT" --library "$LIB"
	check_eq "disable as nobody of an absent entry: exit 0, not rewritten" \
		"0 notw: $LIB was not in $FILE" "$RC $OUT"
	chown 0 "$ROOT/etc"
	rm -f "$ROOT/etc/$LOCK_NAME"
else
	echo "# not root: the unprivileged cases skipped"
fi

# --- bounds and odd targets
head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' '#' >"$FILE"
before=$(fingerprint "$FILE")
enable --library "$LIB"
refused "an ld.so.preload over 1 MiB (enable)" ".*ld.so.preload: larger than 1 MiB"
disable --library "$LIB"
refused "an ld.so.preload over 1 MiB (disable)" ".*ld.so.preload: larger than 1 MiB"
printf '/lib/a.so\n' >"$WORK/elsewhere"
rm -f "$FILE"
ln -s "$WORK/elsewhere" "$FILE"
before=$(fingerprint "$FILE")
enable --library "$LIB"
refused "a symbolic link as ld.so.preload: not replaced by a file" ".*ld.so.preload is a symbolic link"
check_eq "... nor the file it points to changed" "/lib/a.so" "$(cat "$WORK/elsewhere")"
rm -f "$FILE"

mkdir -p "$WORK/bare/usr/lib"
cp "$NOTW_LIB" "$WORK/bare/usr/lib/libnotw.so"
notw enable --root "$WORK/bare" --library /usr/lib/libnotw.so
check_eq "enable under a root without /etc: exit 1" 1 "$RC"
check "... saying why" grep -q "^notw: cannot create a temporary file in $WORK/bare/etc: No such file or directory" "$WORK/err"
check "... and creating nothing" test ! -e "$WORK/bare/etc"
notw disable --root "$WORK/bare" --library /usr/lib/libnotw.so
check_eq "disable there: nothing to remove" "0 notw: /usr/lib/libnotw.so was not in $WORK/bare/etc/ld.so.preload" "$RC $OUT"
notw enable --root "$WORK/nonexistent" --library "$LIB"
check_eq "a --root that does not exist: exit 1" 1 "$RC"
notw enable --root "$ROOT///" --library "$LIB"
check_eq "--root with trailing slashes: the file shown without them" "0 notw: added $LIB to $FILE" "$RC $OUT"

# --- a comment sharing the line with the only entry stays, indentation too
printf '/lib/a.so\n/usr/lib/x/libnotw.so # ticket 123\n\t/usr/lib/x/libnotw.so\t# indented\n' >"$FILE"
disable --library /usr/lib/x/libnotw.so
check_eq "disable of an entry with a comment on its line: exit 0" \
	"0 notw: removed /usr/lib/x/libnotw.so from $FILE" "$RC $OUT"
check_eq "... the comments stay, without the entry" \
	"$(printf '/lib/a.so\n# ticket 123\n\t# indented\n' | sha256sum)" "$(sha256sum <"$FILE")"
rm -f "$FILE"

# --- --root whose etc is a symbolic link: looked up inside the root, so the
# file written is DIR/<target>/ld.so.preload; a directory outside the root
# is never read or written, whatever the link says.
OUTSIDE=$WORK/outside
mkdir -p "$OUTSIDE"
printf '/lib/outside.so\n' >"$OUTSIDE/ld.so.preload"
outside_state() { echo "$(fingerprint "$OUTSIDE/ld.so.preload") $(ls -A "$OUTSIDE" | tr '\n' ' ')"; }
outside_before=$(outside_state)
outside_same() { check_eq "$1" "$outside_before" "$(outside_state)"; }
# confined_root DIR LINK: a root with the library and etc -> LINK.
confined_root() {
	mkdir -p "$1/usr/lib"
	cp "$NOTW_LIB" "$1/usr/lib/libnotw.so"
	ln -s "$2" "$1/etc"
}
ABS=$WORK/absroot
confined_root "$ABS" "$OUTSIDE"
notw enable --root "$ABS" --library /usr/lib/libnotw.so
check_eq "etc -> an absolute path outside, missing inside the root: exit 1" 1 "$RC"
check "... saying there is no such directory" \
	grep -q "^notw: cannot create a temporary file in $ABS/etc: No such file or directory" "$WORK/err"
outside_same "... the directory outside untouched (no file, no temporary file)"
notw disable --root "$ABS" --library /usr/lib/libnotw.so
check_eq "... disable there: nothing to remove" \
	"0 notw: /usr/lib/libnotw.so was not in $ABS/etc/ld.so.preload" "$RC $OUT"
mkdir -p "$ABS$OUTSIDE"
notw enable --root "$ABS" --library /usr/lib/libnotw.so
check_eq "etc -> an absolute path that exists inside the root: exit 0" \
	"0 notw: added /usr/lib/libnotw.so to $ABS/etc/ld.so.preload" "$RC $OUT"
check_eq "... written to DIR/<target>/ld.so.preload" "/usr/lib/libnotw.so" "$(cat "$ABS$OUTSIDE/ld.so.preload")"
check_eq "... no temporary file left there" "" "$(leftovers "$ABS$OUTSIDE")"
outside_same "... the directory outside untouched"
notw disable --root "$ABS" --library /usr/lib/libnotw.so
check_eq "... disable: removed from the file inside the root" \
	"0 notw: removed /usr/lib/libnotw.so from $ABS/etc/ld.so.preload 0" \
	"$RC $OUT $(stat -c %s "$ABS$OUTSIDE/ld.so.preload")"
outside_same "... the directory outside still untouched"

REL=$WORK/relroot
confined_root "$REL" ../outside
notw enable --root "$REL" --library /usr/lib/libnotw.so
check_eq "etc -> ../outside (outside the root), missing inside: exit 1" 1 "$RC"
outside_same "... the directory outside untouched"
mkdir "$REL/outside"
notw enable --root "$REL" --library /usr/lib/libnotw.so
check_eq "etc -> ../outside: '..' stops at the root, DIR/outside is written" \
	"0 notw: added /usr/lib/libnotw.so to $REL/etc/ld.so.preload /usr/lib/libnotw.so" \
	"$RC $OUT $(cat "$REL/outside/ld.so.preload")"
outside_same "... the directory outside untouched"

# --- two runs at once take turns on a lock file in etc, mode 0600: a run
# that finds it taken waits (5 s at most), then says so and changes nothing.
LOCKROOT=$WORK/lockroot
mkdir -p "$LOCKROOT/usr/lib" "$LOCKROOT/etc"
cp "$NOTW_LIB" "$LOCKROOT/usr/lib/libnotw.so"
printf '/lib/a.so\n' >"$LOCKROOT/etc/ld.so.preload"
LOCKFILE=$LOCKROOT/etc/$LOCK_NAME
"$NOTW_CLI" disable --root "$LOCKROOT" --library /usr/lib/other.so >/dev/null
check_eq "the lock file: root's, mode 0600, a regular file" "0 600 regular empty file" "$(stat -c '%u %a %F' "$LOCKFILE")"
lock_taken() { ! flock -n "$LOCKFILE" true; }
flock "$LOCKFILE" sleep 1.5 &
BG_PIDS+=("$!")
wait_until lock_taken
start=$(date +%s%N)
rc=0
"$NOTW_CLI" enable --root "$LOCKROOT" --library /usr/lib/libnotw.so >"$WORK/lock.out" 2>&1 || rc=$?
waited_ms=$((($(date +%s%N) - start) / 1000000))
check_eq "enable while another run holds the lock: done" 0 "$rc"
check "... once the lock was free (waited ${waited_ms} ms)" [ "$waited_ms" -ge 500 ]
check_eq "... the entry added" "/lib/a.so
/usr/lib/libnotw.so" "$(cat "$LOCKROOT/etc/ld.so.preload")"
flock "$LOCKFILE" sleep 8 &
BG_PIDS+=("$!")
wait_until lock_taken
before=$(fingerprint "$LOCKROOT/etc/ld.so.preload")
rc=0
"$NOTW_CLI" disable --root "$LOCKROOT" --library /usr/lib/libnotw.so >"$WORK/lock.out" 2>"$WORK/lock.err" || rc=$?
check_eq "disable while the lock stays held: exit 1" 1 "$rc"
check "... saying why" grep -q "^notw: $LOCKROOT/etc: another notw enable or disable has held its lock for 5 s; nothing changed$" "$WORK/lock.err"
check_eq "... the file untouched" "$before" "$(fingerprint "$LOCKROOT/etc/ld.so.preload")"

# The reported race: etc swapped between a real directory and a link to the
# outside while notw runs. Every step after opening etc is relative to that
# one directory, so whatever the timing, nothing lands outside.
RACE=$WORK/raceroot
mkdir -p "$RACE/usr/lib" "$RACE/etc"
cp "$NOTW_LIB" "$RACE/usr/lib/libnotw.so"
printf '/lib/a.so\n' >"$RACE/etc/ld.so.preload"
outside_before=$(outside_state)
(
	while :; do
		mv -T "$RACE/etc" "$RACE/etc.real" 2>/dev/null
		ln -sfn "$OUTSIDE" "$RACE/etc"
		rm -f "$RACE/etc"
		mv -T "$RACE/etc.real" "$RACE/etc" 2>/dev/null
	done
) &
swapper=$!
BG_PIDS+=("$swapper")
for _ in $(seq 150); do
	"$NOTW_CLI" enable --root "$RACE" --library /usr/lib/libnotw.so >/dev/null 2>&1 || true
	"$NOTW_CLI" disable --root "$RACE" --library /usr/lib/libnotw.so >/dev/null 2>&1 || true
done
kill -KILL "$swapper" 2>/dev/null || true
wait "$swapper" 2>/dev/null || true
outside_same "etc swapped for a link outside during 300 runs: the directory outside untouched"

# --- an unprivileged user cannot hold the lock: not by the etc directory,
# not by ld.so.preload (both readable by all), not by the lock file (0600);
# a lock file others could have opened is replaced before use.
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }
nobody_holds() { ! flock -n "$1" true; }
# nobody_holds_then DESCRIPTION EXPECTED-OUTPUT notw ARGS...: as root, while
# nobody holds what they hold, the command is done without waiting for the
# lock (a run that waits gives up after 5 s; a loaded machine may take 2).
nobody_holds_then() {
	local what=$1 expected=$2 start rc=0 ms
	shift 2
	start=$(date +%s%N)
	"$NOTW_CLI" "$@" >"$WORK/lock.out" 2>&1 || rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	check_eq "$what: done" "0 $expected" "$rc $(cat "$WORK/lock.out")"
	check "... without waiting for the lock (${ms} ms)" [ "$ms" -lt 4000 ]
}
chmod 755 "$WORK"
as_nobody flock "$LOCKROOT/etc" sleep 8 &
BG_PIDS+=("$!")
as_nobody flock "$LOCKROOT/etc/ld.so.preload" sleep 8 &
BG_PIDS+=("$!")
wait_until nobody_holds "$LOCKROOT/etc"
wait_until nobody_holds "$LOCKROOT/etc/ld.so.preload"
rc=0
as_nobody flock -n "$LOCKFILE" true 2>/dev/null || rc=$?
check "nobody cannot open the lock file" [ "$rc" != 0 ]
nobody_holds_then "disable while nobody holds etc and ld.so.preload" \
	"notw: removed /usr/lib/libnotw.so from $LOCKROOT/etc/ld.so.preload" \
	disable --root "$LOCKROOT" --library /usr/lib/libnotw.so
chmod 644 "$LOCKFILE"
old_lock=$(inode "$LOCKFILE")
as_nobody flock "$LOCKFILE" sleep 8 &
BG_PIDS+=("$!")
wait_until nobody_holds "$LOCKFILE"
nobody_holds_then "a lock file others could open (0644), held by nobody: enable" \
	"notw: added /usr/lib/libnotw.so to $LOCKROOT/etc/ld.so.preload" \
	enable --root "$LOCKROOT" --library /usr/lib/libnotw.so
check "... the lock file replaced by one of mode 0600" \
	[ "$(inode "$LOCKFILE") $(stat -c %a "$LOCKFILE")" != "$old_lock 600" -a "$(stat -c %a "$LOCKFILE")" = 600 ]

# --- enable refuses a library an unprivileged user could replace, or one
# others cannot read; the file stays as it is.
TRUST=$WORK/trustroot
mkdir -p "$TRUST/etc" "$TRUST/usr/lib" "$TRUST/opt/open" "$TRUST/opt/sticky" "$TRUST/opt/safe"
chmod 755 "$TRUST" "$TRUST/etc" "$TRUST/usr" "$TRUST/usr/lib" "$TRUST/opt" "$TRUST/opt/safe"
chmod 777 "$TRUST/opt/open"
chmod 1777 "$TRUST/opt/sticky"
printf '/lib/a.so\n' >"$TRUST/etc/ld.so.preload"
install -m 755 -o 0 "$NOTW_LIB" "$TRUST/usr/lib/good.so"
FILE=$TRUST/etc/ld.so.preload
ROOT=$TRUST
before=$(fingerprint "$FILE")
# untrusted NAME MODE OWNER DIR: a copy of the library, enabled.
untrusted() {
	install -m "$2" -o "$3" "$NOTW_LIB" "$TRUST$4/$1"
	enable --library "$4/$1"
}
untrusted nobody.so 755 65534 /usr/lib
refused "a library owned by nobody" "refusing .*/usr/lib/nobody.so: not owned by root"
untrusted groupw.so 775 0 /usr/lib
refused "a group-writable library" "refusing .*/usr/lib/groupw.so: writable by group or others"
untrusted otherw.so 757 0 /usr/lib
refused "an other-writable library" "refusing .*/usr/lib/otherw.so: writable by group or others"
untrusted open.so 755 0 /opt/open
refused "a library under a 0777 directory" "refusing .*/opt/open/open.so: /opt/open: a directory writable by group or others"
untrusted sticky.so 755 0 /opt/sticky
refused "a library under a sticky 1777 directory" "refusing .*/opt/sticky/sticky.so: /opt/sticky: a directory writable"
untrusted private.so 600 0 /usr/lib
refused "a library others cannot read (0600)" "refusing .*/usr/lib/private.so: others cannot read it"
ln -s /opt/open/open.so "$TRUST/usr/lib/link-to-open.so"
enable --library /usr/lib/link-to-open.so
refused "a root-owned link to a library under a 0777 directory" "refusing .*/usr/lib/link-to-open.so: /opt/open: a directory writable"
ln -s /usr/lib "$TRUST/opt/open/lib"
enable --library /opt/open/lib/good.so
refused "a path through a 0777 directory (a link there)" "refusing .*: /opt/open: a directory writable"
chmod 750 "$TRUST/opt/safe"
untrusted hidden.so 755 0 /opt/safe
refused "a library in a directory others cannot search" "refusing .*/opt/safe/hidden.so: /opt/safe: others cannot search it"
chmod 755 "$TRUST/opt/safe"
chmod 775 "$TRUST"
untrusted top.so 755 0 /usr/lib
refused "a root directory (--root) writable by group" "refusing .*/usr/lib/top.so: a directory above it: a directory writable"
chmod 755 "$TRUST"
enable --library /usr/lib/top.so
check_eq "a root-owned 0755 library in root-owned 0755 directories: added" \
	"0 notw: added /usr/lib/top.so to $FILE" "$RC $OUT"

# --- the loader stops reading ld.so.preload at a NUL byte: an entry after
# it would never load, so enable does not add one there.
printf '/lib/a.so\n\0/lib/b.so\n' >"$FILE"
before=$(fingerprint "$FILE")
enable --library /usr/lib/top.so
refused "enable on a file with a NUL byte" ".*ld.so.preload has a NUL byte at offset 10: the loader stops reading there"
printf '/lib/a.so\n\0/usr/lib/top.so\n' >"$FILE"
before=$(fingerprint "$FILE")
enable --library /usr/lib/top.so
refused "an entry after the NUL byte is not 'already there'" ".*ld.so.preload has a NUL byte at offset 10"
printf '/usr/lib/top.so\n\0junk' >"$FILE"
enable --library /usr/lib/top.so
check_eq "an entry before the NUL byte is there" "0 notw: /usr/lib/top.so already in $FILE" "$RC $OUT"
disable --library /usr/lib/top.so
check_eq "disable removes an entry before the NUL byte" "0 notw: removed /usr/lib/top.so from $FILE" "$RC $OUT"
check_eq "... and keeps the rest, the NUL byte included" "$(printf '\0junk' | sha256sum)" "$(sha256sum <"$FILE")"

# --- a library on a noexec mount: the loader cannot map it (every program
# would print "failed to map segment"). In a mount namespace of the test's
# own, with a tmpfs as /etc: the machine's ld.so.preload is never touched.
unshare -m --propagation private bash -c '
	mount -t tmpfs -o mode=755 tmpfs /etc &&
	mount -t tmpfs -o mode=755,noexec tmpfs /mnt &&
	cp "$1" /mnt/libnotw.so &&
	chmod 644 /mnt/libnotw.so || exit 99
	"$2" enable --library /mnt/libnotw.so >"$3/noexec.out" 2>"$3/noexec.err"
	echo "rc $?"
	echo "preload $(cat /etc/ld.so.preload 2>/dev/null)"
	mkdir -p "$3/noexec-root/etc" "$3/noexec-root/usr/lib"
	mount -t tmpfs -o mode=755,noexec tmpfs "$3/noexec-root/usr/lib" &&
	cp "$1" "$3/noexec-root/usr/lib/libnotw.so" || exit 99
	"$2" enable --root "$3/noexec-root" --library /usr/lib/libnotw.so >"$3/noexec-root.out" 2>"$3/noexec-root.err"
	echo "root-rc $?"
' _ "$NOTW_LIB" "$NOTW_CLI" "$WORK" >"$WORK/noexec.txt" 2>&1 || true
sed 's/^/# /' "$WORK/noexec.txt" "$WORK/noexec.err"
check_eq "enable of a library on a noexec mount: refused (exit 1)" "rc 1" "$(grep '^rc ' "$WORK/noexec.txt")"
check "... saying why" grep -q '^notw: refusing /mnt/libnotw.so: it is on a file system mounted noexec' "$WORK/noexec.err"
check_eq "... ld.so.preload not written" "preload " "$(grep '^preload' "$WORK/noexec.txt")"
check_eq "under --root (the target mounts its own file systems): added" "root-rc 0" "$(grep '^root-rc ' "$WORK/noexec.txt")"
check "... with a warning" grep -q 'warning: .*/usr/lib/libnotw.so is on a file system mounted noexec here' "$WORK/noexec-root.err"

# lib.sh's finish relies on commands failing in the open.
set +e
finish
