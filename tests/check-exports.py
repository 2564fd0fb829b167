#!/usr/bin/env python3
"""The library's exports against their two hand-kept lists.

What the dynamic loader can bind in libnotw.so (nm -D --defined-only) must
be exactly the hooked functions of shim/hooked.h plus the hooks that have
no next definition of their own (below); and
shim/libnotw.map, the version script that makes them global, must name the
same functions. A hook missing from the map is silently internal: the
program's calls go straight to libc.

    check-exports.py SOURCE_ROOT LIBNOTW CPU_FAMILY

Speaks TAP (meson's protocol 'tap'); exits 0 when its lines carry the
verdict.
"""
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(sys.argv[1])
LIBRARY = sys.argv[2]
CPU_FAMILY = sys.argv[3]

# Outside hooked.h: syscall() binds its own next definition (hooks_syscall.c,
# asm_x86_64.S); vfork() is assembly, on x86-64 only (shim/meson.build);
# execl, execlp and execle call the library's own vector forms
# (hooks_exec.c). A new hook of that kind is added here too.
OUTSIDE_TABLE = {"syscall", "vfork", "execl", "execlp", "execle"}
OUTSIDE_TABLE_HERE = OUTSIDE_TABLE - ({"vfork"} if CPU_FAMILY != "x86_64" else set())

checks = 0


def check(ok, what, detail=""):
    global checks
    checks += 1
    print(("ok - " if ok else "not ok - ") + what)
    if not ok and detail:
        print("#   " + detail)


def hooked_functions():
    """The names in NOTW_HOOKED_FUNCTIONS's body: the second argument of
    NOTW_FN and NOTW_FN_VA, the first of NOTW_FN_VOID."""
    text = (ROOT / "shim" / "hooked.h").read_text()
    start = text.index("#define NOTW_HOOKED_FUNCTIONS(")
    body = []
    for line in text[start:].splitlines()[1:]:
        body.append(line)
        if not line.rstrip().endswith("\\"):
            break
    body = re.sub(r"/\*.*?\*/", "", "\n".join(body), flags=re.S)
    names = re.findall(r"\bNOTW_FN(?:_VA)?\(\s*[^,]+,\s*(\w+)\s*,", body)
    names += re.findall(r"\bNOTW_FN_VOID\(\s*(\w+)\s*,", body)
    return set(names)


def map_globals():
    """The names under global: in shim/libnotw.map."""
    text = re.sub(r"/\*.*?\*/", "", (ROOT / "shim" / "libnotw.map").read_text(), flags=re.S)
    m = re.search(r"global:(.*?)local:", text, flags=re.S)
    return set(re.findall(r"(\w+)\s*;", m.group(1))) if m else set()


def exported():
    out = subprocess.run(["nm", "-D", "--defined-only", LIBRARY], capture_output=True, text=True, check=True)
    return {line.split()[-1].split("@")[0] for line in out.stdout.splitlines() if line.strip()}


def differences(want, got):
    missing, extra = sorted(want - got), sorted(got - want)
    return "missing: %s; not expected: %s" % (", ".join(missing) or "none", ", ".join(extra) or "none")


def main():
    hooked = hooked_functions()
    check(len(hooked) > 40, "shim/hooked.h: the table read (%d functions)" % len(hooked))
    table = hooked | OUTSIDE_TABLE
    in_map = map_globals()
    check(in_map == table, "shim/libnotw.map names exactly hooked.h's functions and " + ", ".join(sorted(OUTSIDE_TABLE)),
          differences(table, in_map))
    want = hooked | OUTSIDE_TABLE_HERE
    got = exported()
    check(got == want, "nm -D: libnotw.so exports exactly hooked.h's functions and %s (%d symbols)" %
          (", ".join(sorted(OUTSIDE_TABLE_HERE)), len(got)), differences(want, got))
    print("1..%d" % checks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
