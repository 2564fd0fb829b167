#!/bin/bash
# The Debian package: scripts/package builds it from this source tree,
# lintian finds no error or warning, and then it is installed, used,
# upgraded and removed in a throwaway root: an overlay of this machine's
# root whose writes land in a tmpfs, in a private mount namespace, entered
# with chroot. dpkg's database, /etc/ld.so.preload and /usr of the machine
# are never written, whatever a maintainer script does; the mounts end with
# the namespace.
#
# In the throwaway root: apt-get install of the .deb, the seed scenario with
# the installed library and notw, notw enable with its default library, an
# upgrade while enabled (the entry stays), the loader error a removal
# without the prerm would leave (the control), then remove, purge, and a
# removal the prerm must refuse.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_cli
: "${NOTW_SOURCE_ROOT:?NOTW_SOURCE_ROOT must name the source tree}"

PRELOAD=/etc/ld.so.preload
LOCK=/etc/.notw-ld.so.preload.lock
ROOT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# What identifies one version of a file: content, inode, mode and owner.
fingerprint() {
	if [ -e "$1" ] || [ -L "$1" ]; then
		echo "$(sha256sum <"$1" | cut -d' ' -f1) $(stat -c '%i %a %u:%g %F' "$1")"
	else
		echo missing
	fi
}

# in_root COMMAND...: runs COMMAND in the throwaway root R with a clean
# environment; status in RC (never stops the script).
in_root() {
	RC=0
	chroot "$R" env -i PATH="$ROOT_PATH" HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
		"$@" || RC=$?
}

# run_root NAME COMMAND...: in_root with stdout and stderr in $WORK/NAME.out
# and $WORK/NAME.err.
run_root() {
	local name=$1
	shift
	in_root "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
}

# A program started in the root: what the loader printed on its stderr.
loader_stderr() {
	run_root true /bin/true
	cat "$WORK/true.err"
}

# The entries of the root's ld.so.preload that name the library.
entries() {
	[ -f "$R$PRELOAD" ] || { echo 0; return; }
	sed 's/#.*//' "$R$PRELOAD" | tr ' \t:' '\n\n\n' | grep -Fxc "$LIB" || true
}

# install_package DEB NAME: apt-get install of a local .deb in the root.
install_package() {
	cp "$1" "$R/tmp/$(basename "$1")"
	run_root "$2" apt-get install -y --no-install-recommends "/tmp/$(basename "$1")"
}

# The part that runs in the private mount namespace.
throwaway_root() {
	local layers=$WORK/layers
	mkdir "$layers"
	mount -t tmpfs notw-package-test "$layers"
	mkdir "$layers/upper" "$layers/work" "$layers/root"
	mount -t overlay notw-package-test -o "lowerdir=/,upperdir=$layers/upper,workdir=$layers/work" "$layers/root"
	R=$layers/root
	mount -t proc proc "$R/proc"
	mount --rbind /dev "$R/dev"

	# The root starts as a copy of the machine: no notw installed (checked
	# before), and a site's own ld.so.preload, which must survive byte for
	# byte. A comment only: every program in the root loads what it names.
	printf '# this site'"'"'s own line\n' >"$R$PRELOAD"
	local site_preload
	site_preload=$(fingerprint "$R$PRELOAD")

	# --- install
	install_package "$DEB" install
	check_eq "apt-get install ./$(basename "$DEB"): exit 0" 0 "$RC"
	in_root dpkg-query -W -f='${Status} ${Version}' notw >"$WORK/status" 2>&1
	check_eq "... the package is installed" "install ok installed $VERSION" "$(cat "$WORK/status")"
	check_eq "... the library is in place, root's, mode 644" "644 0:0" "$(stat -c '%a %u:%g' "$R$LIB")"
	run_root version notw --version
	check_eq "... notw --version, from /usr/bin, says the package's version" "notw $VERSION" "$(cat "$WORK/version.out")"
	check_eq "... installing enabled nothing: ld.so.preload as it was" "$site_preload" "$(fingerprint "$R$PRELOAD")"
	check "... and installed no policy file" test ! -e "$R/etc/notw.ini"
	run_root hook sh -c 'echo "{\"id\":\"c\",\"pid\":1}" | notw oci-hook createRuntime'
	check_eq "notw oci-hook, installed: a container without the annotation starts (exit 0), nothing said" \
		"0 " "$RC $(cat "$WORK/hook.out" "$WORK/hook.err" 2>/dev/null)"

	# --- the seed scenario with the installed library and notw
	run_root seed env NOTW_LIB="$LIB" NOTW_CLI=/usr/bin/notw NOTW_PROGS="$NOTW_PROGS" \
		NOTW_DEFAULT_CONFIG=/etc/notw.ini "$NOTW_SOURCE_ROOT/tests/integration/seed.sh" kill
	check_eq "seed scenario (SIGKILL, restart) with $LIB: passes" 0 "$RC"
	check "... generation 2 got its port back" grep -q '^ok - generation 2 gets port 49200 back$' "$WORK/seed.out"
	[ "$RC" = 0 ] || sed 's/^/#   /' "$WORK/seed.out" "$WORK/seed.err"
	run_root run notw run -- /bin/sh -c 'echo "$LD_PRELOAD"'
	check_eq "notw run preloads the installed library" "0 $LIB" "$RC $(cat "$WORK/run.out")"

	# --- system-wide: notw enable with its default library
	run_root enable notw enable
	check_eq "notw enable (its default library): exit 0" 0 "$RC"
	check_eq "... adds the package's library" "notw: added $LIB to $PRELOAD" "$(cat "$WORK/enable.out")"
	check_eq "... one entry" 1 "$(entries)"
	run_root maps cat /proc/self/maps
	check "... every program loads it" grep -q " $LIB\$" "$WORK/maps.out"
	check_eq "... with no loader error" "" "$(loader_stderr)"

	# --- an upgrade while enabled keeps the entry (the same path)
	dpkg-deb -R "$DEB" "$WORK/upgrade"
	sed -i "s/^Version: .*/Version: $VERSION+1/" "$WORK/upgrade/DEBIAN/control"
	dpkg-deb -b "$WORK/upgrade" "$WORK/notw_$VERSION+1_upgrade.deb" >/dev/null
	install_package "$WORK/notw_$VERSION+1_upgrade.deb" upgrade
	check_eq "an upgrade while enabled: exit 0" 0 "$RC"
	in_root dpkg-query -W -f='${Version}' notw >"$WORK/status" 2>&1
	check_eq "... to the new version" "$VERSION+1" "$(cat "$WORK/status")"
	check_eq "... the entry stays" 1 "$(entries)"
	check "... and the upgrade did not take it out" bash -c "! grep -q 'removed' '$WORK/upgrade.out' '$WORK/upgrade.err'"
	check_eq "... no loader error after it" "" "$(loader_stderr)"

	# --- the control: the library's file gone while the entry stays (what a
	# removal without the prerm leaves) makes every program print an error
	mv "$R$LIB" "$R$LIB.away"
	check "control: with the file gone and the entry kept, the loader complains" \
		grep -Fq "ERROR: ld.so: object '$LIB' from $PRELOAD cannot be preloaded" <(loader_stderr)
	mv "$R$LIB.away" "$R$LIB"
	check_eq "... and is quiet with the file back" "" "$(loader_stderr)"

	# --- remove while enabled
	run_root remove dpkg -r notw
	check_eq "dpkg -r notw while enabled: exit 0" 0 "$RC"
	check "... says it took the library out" grep -Fqx "notw: removed $LIB from $PRELOAD" "$WORK/remove.out"
	check_eq "... ld.so.preload no longer names it" 0 "$(entries)"
	check_eq "... the site's line is kept byte for byte" "$(printf '# this site'"'"'s own line\n' | sha256sum)" \
		"$(sha256sum <"$R$PRELOAD")"
	check "... the library is gone" test ! -e "$R$LIB"
	check_eq "... a program starts with no loader error" "" "$(loader_stderr)"

	# --- purge while enabled
	install_package "$DEB" reinstall
	run_root enable notw enable
	check_eq "reinstalled and enabled again" "0 1" "$RC $(entries)"
	run_root purge dpkg -P notw
	check_eq "dpkg -P notw while enabled: exit 0" 0 "$RC"
	check "... says it took the library out" grep -Fqx "notw: removed $LIB from $PRELOAD" "$WORK/purge.out"
	check_eq "... ld.so.preload no longer names it" 0 "$(entries)"
	check "... the lock file of notw enable/disable is gone" test ! -e "$R$LOCK"
	check "... the library is gone" test ! -e "$R$LIB"
	check_eq "... a program starts with no loader error" "" "$(loader_stderr)"

	# --- remove while the entry names the library through ld.so's $LIB
	install_package "$DEB" reinstall-lib
	printf '# this site'"'"'s own line\n/usr/$LIB/notw/libnotw.so\n' >"$R$PRELOAD"
	run_root maps cat /proc/self/maps
	check "an entry /usr/\$LIB/notw/libnotw.so: every program loads the library" grep -q " $LIB\$" "$WORK/maps.out"
	run_root remove-lib dpkg -r notw
	check_eq "dpkg -r with that entry: exit 0" 0 "$RC"
	check "... notw disable took it out" grep -Fqx "notw: removed $LIB from $PRELOAD" "$WORK/remove-lib.out"
	check_eq "... the site's line is kept byte for byte" "$(printf '# this site'"'"'s own line\n' | sha256sum)" \
		"$(sha256sum <"$R$PRELOAD")"
	check_eq "... a program starts with no loader error" "" "$(loader_stderr)"

	# --- a removal the prerm must refuse: notw disable cannot edit the file
	# (a symbolic link), which still names the library
	install_package "$DEB" reinstall2
	run_root enable notw enable
	mv "$R$PRELOAD" "$R/etc/ld.so.preload.real"
	ln -s ld.so.preload.real "$R$PRELOAD"
	run_root refused dpkg -r notw
	check "dpkg -r with an entry notw disable cannot take out: refused" test "$RC" != 0
	check "... saying what to do" grep -Fq "notw: $PRELOAD still names $LIB; the package is not removed" \
		"$WORK/refused.err"
	check "... the library is still there" test -e "$R$LIB"
	check_eq "... so programs start with no loader error" "" "$(loader_stderr)"
	printf '/usr/${LIB}/notw/libnotw.so\n' >"$R/etc/ld.so.preload.real"
	run_root refused-lib dpkg -r notw
	check "... also when the entry is /usr/\${LIB}/notw/libnotw.so: refused" test "$RC" != 0
	check "... the library is still there" test -e "$R$LIB"
	# The administrator removes the entry by hand: then the removal goes through.
	printf '# this site'"'"'s own line\n' >"$R/etc/ld.so.preload.real"
	run_root removed dpkg -r notw
	check_eq "... after the entry is removed by hand: dpkg -r succeeds" 0 "$RC"
	check "... and the package is gone" test ! -e "$R$LIB" -a ! -e "$R/usr/bin/notw"
	check_eq "... a program starts with no loader error" "" "$(loader_stderr)"

	echo "$PASSED $FAILED" >"$WORK/throwaway.counts"
}

if [ "${1:-}" = --throwaway ]; then
	# In the private mount namespace; WORK, DEB, VERSION, LIB come from the
	# parent, which removes WORK after the namespace has ended.
	throwaway_root
	exit 0
fi

need_root "apt-get, mounts, chroot"
if ! command -v dpkg >/dev/null || ! command -v apt-get >/dev/null; then
	skip_all "not a Debian system"
fi
if dpkg-query -W -f='${Status}' notw 2>/dev/null | grep -q 'ok installed'; then
	# The throwaway root is a copy of this machine: it would start with notw.
	skip_all "the notw package is installed on this machine"
fi
"$NOTW_SOURCE_ROOT/scripts/install-deps" dpkg-dev debhelper lintian

make_work_dir
machine_preload=$(fingerprint "$PRELOAD")
machine_lock=$(fingerprint "$LOCK")

# --- build
VERSION=$("$NOTW_CLI" --version | sed -n 's/^notw //p')
start=$SECONDS
RC=0
"$NOTW_SOURCE_ROOT/scripts/package" --dest "$WORK/dist" >"$WORK/package.log" 2>&1 || RC=$?
check_eq "scripts/package: exit 0 (in $((SECONDS - start)) s)" 0 "$RC"
[ "$RC" = 0 ] || tail -n 40 "$WORK/package.log" | sed 's/^/#   /'
ARCH=$(dpkg --print-architecture)
MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
LIB=/usr/lib/$MULTIARCH/notw/libnotw.so
DEB=$WORK/dist/notw_${VERSION}_$ARCH.deb
CHANGES=$WORK/dist/notw_${VERSION}_$ARCH.changes
check "... into the destination: the .deb (named with notw --version's version) and .changes" \
	test -f "$DEB" -a -f "$CHANGES"
check "... nothing written into the source tree's debian/" \
	test ! -e "$NOTW_SOURCE_ROOT/debian/notw" -a ! -e "$NOTW_SOURCE_ROOT/debian/files"
[ -f "$DEB" ] || { set +e; finish; }
check_eq "the package's version is meson.build's (notw --version)" "$VERSION" "$(dpkg-deb -f "$DEB" Version)"

# --- lintian: no error, no warning (those left are overridden, with a reason)
RC=0
lintian --fail-on error,warning "$CHANGES" >"$WORK/lintian.out" 2>&1 || RC=$?
sed 's/^/# lintian: /' "$WORK/lintian.out"
check_eq "lintian: exit 0" 0 "$RC"
check_eq "... no error or warning" "" "$(grep -E '^[EW]: ' "$WORK/lintian.out" || true)"

# --- what the package holds
dpkg-deb -c "$DEB" | awk '{print $6}' | sed 's|^\./|/|' >"$WORK/contents"
for f in "$LIB" /usr/bin/notw /usr/share/man/man1/notw.1.gz /usr/share/man/man5/notw.ini.5.gz \
	/usr/share/man/man7/libnotw.7.gz /usr/share/doc/notw/examples/notw.ini \
	/usr/share/doc/notw/examples/systemd/notw.conf /usr/share/doc/notw/copyright \
	/usr/share/bash-completion/completions/notw /usr/share/doc/notw/README.md.gz \
	/usr/share/doc/notw/docs/zero-linger.md.gz \
	/usr/share/containers/oci/hooks.d/notw-hook.json /lib/systemd/system/notw-attach@.service \
	/usr/share/doc/notw/docs/containers.md.gz; do
	check "the package holds $f" grep -Fqx "$f" "$WORK/contents"
done
check_eq "... nothing under /etc (no policy file, nothing that acts by itself)" "" "$(grep '^/etc' "$WORK/contents" || true)"
dpkg-deb --fsys-tarfile "$DEB" | tar -xOf - ./usr/share/doc/notw/examples/systemd/notw.conf >"$WORK/notw.conf"
check "the systemd drop-in preloads the package's library" grep -Fqx "Environment=LD_PRELOAD=$LIB" "$WORK/notw.conf"
dpkg-deb --fsys-tarfile "$DEB" | tar -xOf - ./usr/share/man/man7/libnotw.7.gz | gzip -d >"$WORK/libnotw.7"
check "libnotw(7) names the package's library" grep -Fqx ".BI LD_PRELOAD= $LIB" "$WORK/libnotw.7"
# The BPF engine is always built (debian/rules: -Dbpf=enabled).
dpkg-deb --fsys-tarfile "$DEB" | tar -xOf - ./usr/share/containers/oci/hooks.d/notw-hook.json >"$WORK/hook.json"
check "the hooks.d file runs the package's notw oci-hook createRuntime" python3 -c '
import json, sys
h = json.load(open(sys.argv[1]))
sys.exit(0 if h["hook"]["path"] == "/usr/bin/notw" and h["hook"]["args"] == ["notw", "oci-hook", "createRuntime"]
         and h["stages"] == ["createRuntime"] else 1)' "$WORK/hook.json"
check "the package depends on libbpf and jansson" sh -c "dpkg-deb -f '$DEB' Depends | grep -q libbpf && dpkg-deb -f '$DEB' Depends | grep -q libjansson"

# --- install, use, upgrade, remove: in the throwaway root
export WORK DEB VERSION LIB
RC=0
unshare -m --propagation private -- "$0" --throwaway || RC=$?
check_eq "the throwaway root's checks ran to the end" "0 yes" "$RC $([ -f "$WORK/throwaway.counts" ] && echo yes)"
if [ -f "$WORK/throwaway.counts" ]; then
	read -r passed failed <"$WORK/throwaway.counts"
	PASSED=$((PASSED + passed))
	FAILED=$((FAILED + failed))
fi

# --- the machine is as it was
check_eq "the machine's ld.so.preload is untouched" "$machine_preload" "$(fingerprint "$PRELOAD")"
check_eq "... and so is its lock file of notw enable/disable" "$machine_lock" "$(fingerprint "$LOCK")"
check "... notw is not installed on the machine" \
	bash -c "! dpkg-query -W -f='\${Status}' notw 2>/dev/null | grep -q 'ok installed'"
check "... $LIB is not on the machine" test ! -e "$LIB"
check_eq "... no mount of the test is left" "" "$(grep notw-package-test /proc/self/mounts || true)"

# lib.sh's finish relies on commands failing in the open.
set +e
finish
