#!/usr/bin/env python3
"""Every list a user reads has one source; this checks the copies against it.

The commands and their options: the command table (notw --help, from
cli/notw.c) and each command's own usage (notw COMMAND --help, whose
options are the command's getopt table; notw run's come from the settings
table). Checked against them: each command's getopt table in cli/*.c, the
SYNOPSIS and OPTIONS of man/notw.1, the notw --help block of README.md and
the bash completion (run in bash, with and without bash-completion).

The settings: core/settings.h. Each one must appear in man/libnotw.7.in
(ENVIRONMENT), man/notw.ini.5 (KEYS), config/notw.ini (the example
policy), tests/fuzz/notw.dict and README.md's settings table, with its notw
run option there.

    check-docs.py SOURCE_ROOT NOTW
"""
import os
import pathlib
import re
import shlex
import subprocess
import sys

ROOT = pathlib.Path(sys.argv[1]).resolve()
NOTW = str(pathlib.Path(sys.argv[2]).resolve())
COMPLETION = ROOT / "config" / "bash-completion" / "notw"
BASH_COMPLETION = pathlib.Path("/usr/share/bash-completion/bash_completion")

failures = []
checks = 0


def check(ok, what):
    """One TAP line (meson's protocol 'tap'); main() prints the plan."""
    global checks
    checks += 1
    print(("ok - " if ok else "not ok - ") + what)
    if not ok:
        failures.append(what)


def check_eq(expected, got, what):
    ok = expected == got
    check(ok, what)
    if not ok:
        print(f"#   expected: {expected!r}\n#   got:      {got!r}")


def notw(*args):
    return subprocess.run([NOTW, *args], capture_output=True, text=True, check=False)


def words(text):
    return " ".join(text.split())


# --- the sources -----------------------------------------------------------

def command_table():
    """notw --help: {command: [form, ...]} in its order."""
    table = {}
    for line in notw("--help").stdout.splitlines():
        m = re.match(r"(?:usage:)?\s+notw ([a-z][a-z-]*) (.*)$|usage: notw ([a-z][a-z-]*) (.*)$", line)
        if m:
            name, form = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
            table.setdefault(name, []).append(words(form))
    return table


def usage_forms(name):
    """The synopsis of notw NAME --help: its forms, wrapped lines joined."""
    lines = notw(name, "--help").stdout.splitlines()
    forms = []
    for line in lines:
        if line.startswith("usage: notw " + name + " ") or re.match(r"\s+notw " + re.escape(name) + " ", line):
            forms.append(line.split("notw " + name + " ", 1)[1])
        elif forms and line.startswith(" ") and line.strip().startswith(("[", "(", "PROGRAM")):
            forms[-1] += " " + line.strip()
        elif forms:
            break
    return [words(f) for f in forms]


OPTION = re.compile(r"--([a-z][a-z-]*)(?: ([^\s\[\]()|][^\s\])]*))?")


def options_of(forms):
    """{option: takes a value} named in the forms, plus --help."""
    found = {"help": False}
    for form in forms:
        for m in OPTION.finditer(form):
            found[m.group(1)] = m.group(2) is not None
    return found


def metavars_of(forms):
    return {m.group(1): m.group(2) for form in forms for m in OPTION.finditer(form) if m.group(2)}


def settings():
    """core/settings.h: [(ENV, key, run option or None)]."""
    text = (ROOT / "core" / "settings.h").read_text()
    # the table itself, not the example in the comment above it
    text = text[text.index("#define NOTW_SETTINGS(X)"):]
    text = text[:text.index("\n\n")]
    entries = re.findall(r'X\(\s*[A-Z_]+,\s*"([a-z_]+)",\s*"(NOTW_[A-Z_]+)",\s*(NULL|"[a-z-]+")', text)
    return [(env, key, None if opt == "NULL" else opt.strip('"')) for key, env, opt in entries]


def getopt_tables():
    """cli/*.c: {file: {option: takes a value}} of every struct option table."""
    tables = {}
    for path in sorted((ROOT / "cli").glob("*.c")):
        found = re.findall(r'\{\s*"([a-z][a-z-]*)",\s*(no|required|optional)_argument', path.read_text())
        if found:
            tables[path.name] = {name: kind != "no" for name, kind in found}
    return tables


# Which commands each file's getopt table serves (notw run's is made from
# the settings table, checked below).
GETOPT_FILES = {
    "status.c": ["status"],
    "reap.c": ["reap"],
    "check_config.c": ["check-config"],
    "preload.c": ["enable", "disable"],
    "attach.c": ["attach", "detach"],
    "attached.c": ["attached"],
}


# --- roff ------------------------------------------------------------------

def unroff(line):
    line = re.sub(r"\\f[BIRP]", "", line).replace("\\-", "-").replace("\\(em", "-")
    m = re.match(r"\.(B|I|BI|IB|BR|RB|IR|RI)\s+(.*)$", line)
    if m:
        parts = shlex.split(m.group(2)) if '"' in m.group(2) else m.group(2).split()
        joiner = " " if m.group(1) in ("B", "I") else ""
        line = joiner.join(parts)
    return line


def man_sections(path):
    sections, name = {}, None
    for line in path.read_text().splitlines():
        if line.startswith(".SH "):
            name = line[4:].strip().strip('"')
            sections[name] = []
        elif name:
            sections[name].append(line)
    return sections


def man_synopsis(path):
    """notw.1's SYNOPSIS: ["notw NAME FORM", ...]."""
    out, current = [], []
    for line in man_sections(path)["SYNOPSIS"] + [".br"]:
        if line.startswith(".br"):
            if current:
                out.append(words(" ".join(current)))
            current = []
        else:
            current.append(unroff(line))
    return out


def man_tags(lines):
    """The tag line after each .TP, unroffed."""
    return [unroff(lines[i + 1]) for i, line in enumerate(lines[:-1]) if line.startswith(".TP")]


# --- bash completion -------------------------------------------------------

def complete(line, with_bash_completion):
    """COMPREPLY for the command line `line` (the cursor at its end)."""
    script = ""
    if with_bash_completion:
        script += f"source {shlex.quote(str(BASH_COMPLETION))}\n"
    script += f"source {shlex.quote(str(COMPLETION))}\n"
    split = line.split()
    if line.endswith(" "):
        split.append("")
    script += "COMP_WORDS=(" + " ".join(shlex.quote(w) for w in split) + ")\n"
    script += f"COMP_CWORD={len(split) - 1}\nCOMP_LINE={shlex.quote(line)}\nCOMP_POINT={len(line)}\n"
    script += "COMP_TYPE=9 COMP_KEY=9\n_notw notw \"${COMP_WORDS[COMP_CWORD]}\" \"${COMP_WORDS[COMP_CWORD-1]}\"\n"
    script += 'printf "%s\\n" "${COMPREPLY[@]}"\n'
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/nonexistent", "LC_ALL": "C"}
    r = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True, text=True,
                       env=env, cwd="/", timeout=60, check=False)
    return sorted(w for w in r.stdout.splitlines() if w)


def check_completion(table, per_command, metavars, mode):
    check_eq(sorted(list(table) + ["--help", "--version"]), complete("notw ", mode),
             f"completion ({mode}): notw TAB offers the commands of notw --help")
    for name, options in per_command.items():
        check_eq(sorted("--" + o for o in options), complete(f"notw {name} --", mode),
                 f"completion ({mode}): notw {name} --TAB offers exactly its options")
        for option, valued in options.items():
            # After an option that takes a value, "-" is the start of a
            # value, not of an option.
            offered = complete(f"notw {name} --{option} -", mode)
            check_eq(valued, not any(w.startswith("--") for w in offered),
                     f"completion ({mode}): notw {name} --{option} {'takes' if valued else 'takes no'} value")
    for option, metavar in metavars.items():
        if "|" in metavar and re.fullmatch(r"[a-z|]+", metavar):
            check_eq(sorted(metavar.split("|")), complete(f"notw run --{option} ", mode),
                     f"completion ({mode}): notw run --{option} TAB offers {metavar}")
    offered = complete("notw run --linger crash ./myserver --", mode)
    check("--linger" not in offered, f"completion ({mode}): after PROGRAM, notw run's options are not offered")


# --- the checks ------------------------------------------------------------

def main():
    table = command_table()
    check(len(table) >= 9, f"notw --help lists the commands ({', '.join(table)})")

    per_command, metavars = {}, {}
    for name, forms in table.items():
        own = usage_forms(name)
        if name == "run":
            collapsed = [re.sub(r"^(\[--[a-z-]+ [^\]]+\] )+", "[OPTIONS] ", f) for f in own]
            check_eq(forms, collapsed, "notw run --help: its synopsis is the table's, [OPTIONS] spelt out")
            metavars = metavars_of(own)
        else:
            check_eq(forms, own, f"notw {name} --help: its synopsis is the table's")
        per_command[name] = options_of(own)

    # notw run's options are the settings table's, and --config.
    run_options = {opt: True for _, _, opt in settings() if opt}
    run_options.update({"config": True, "help": False})
    check_eq(run_options, per_command.get("run"), "notw run: the options are the settings table's and --config")

    tables = getopt_tables()
    for path, names in GETOPT_FILES.items():
        union = {}
        for name in names:
            union.update(per_command.get(name, {}))
        check_eq(union, tables.get(path), f"cli/{path}: its getopt table is what {' and '.join(names)} --help name")

    # man/notw.1
    notw1 = ROOT / "man" / "notw.1"
    expected = [f"notw {name} {form}" for name, forms in table.items() for form in forms] + ["notw --version | -V"]
    check_eq(expected, man_synopsis(notw1), "notw.1 SYNOPSIS: the command table's, line for line")
    tags = man_tags(man_sections(notw1)["OPTIONS"])
    in_man = {m for tag in tags for m in re.findall(r"^--([a-z][a-z-]*)", tag)}
    every = {o for options in per_command.values() for o in options}
    check_eq(sorted(every), sorted(in_man), "notw.1 OPTIONS: an entry for every option of every command")

    # README.md's command list: the output of notw --help.
    readme = (ROOT / "README.md").read_text()
    m = re.search(r"^\$ notw --help\n(.*?)^```", readme, re.S | re.M)
    check_eq(notw("--help").stdout, m.group(1) if m else None, "README.md: its notw --help block is the output")

    # The settings
    libnotw7 = man_sections(ROOT / "man" / "libnotw.7.in")
    env_tags = " ".join(man_tags(libnotw7["ENVIRONMENT"]))
    key_tags = [tag.split()[0] for tag in man_tags(man_sections(ROOT / "man" / "notw.ini.5")["KEYS"])]
    example = (ROOT / "config" / "notw.ini").read_text()
    fuzz_dict = (ROOT / "tests" / "fuzz" / "notw.dict").read_text().splitlines()
    rows = [line for line in readme.splitlines() if line.startswith("| `NOTW_")]
    check(len(settings()) >= 9, f"core/settings.h: {len(settings())} settings")
    for env, key, opt in settings():
        check(re.search(r"(^|\s)" + env + "=", env_tags) is not None, f"libnotw.7 ENVIRONMENT: {env}")
        check(key in key_tags, f"notw.ini.5 KEYS: {key}")
        check(re.search(r"^;?\s*" + key + r"\s*=", example, re.M) is not None, f"config/notw.ini: {key}")
        check(f'"{key}"' in fuzz_dict, f"tests/fuzz/notw.dict: \"{key}\"")
        row = [r for r in rows if r.startswith(f"| `{env}` |")]
        check(len(row) == 1, f"README.md's settings table: a row for {env}")
        if row and opt:
            check(f"`--{opt}`" in row[0], f"... naming notw run --{opt}")

    # What a user copies out of the man pages names the library where it is.
    for page in ("notw.1", "libnotw.7.in", "notw.ini.5"):
        text = (ROOT / "man" / page).read_text()
        check("/usr/local/lib" not in text.replace("\\-", "-"), f"man/{page}: no /usr/local/lib path written in")
    synopsis = " ".join(libnotw7["SYNOPSIS"])
    check("@LIBRARY@" in synopsis and "@LIBRARY@" in " ".join(libnotw7["FILES"]),
          "libnotw.7: SYNOPSIS and FILES name the installed library (@LIBRARY@)")

    # The bash completion: in bash alone, and under bash-completion.
    check_completion(table, per_command, metavars, "plain bash")
    if BASH_COMPLETION.exists():
        check_completion(table, per_command, metavars, "bash-completion")
    else:
        print(f"# {BASH_COMPLETION} missing: the completion checked in plain bash only")

    print(f"# {len(failures)} failed")
    print(f"1..{checks}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
