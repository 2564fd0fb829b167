#!/usr/bin/env python3
"""The log's format strings use directives of their own (core/fmt.h: %A takes
two arguments, %E an errno value, %q a quoted string), which no compiler
checks. This reads every call of the formatting functions in the sources and
fails when a format string uses a directive fmt.h does not have, or when its
directives do not match the number of arguments given.

    check-log-formats.py SOURCE_ROOT
"""
import pathlib
import re
import sys

# function: index of the format argument
FORMATTERS = {
    "notw_log": 1,
    "notw_log_line": 1,
    "notw_log_error_to_stderr": 0,
    "notw_buf_format": 1,
    "say": 1,
    "say_to_syslog": 1,
}
# directive (after any length modifier): arguments it takes
DIRECTIVES = {"s": 1, "q": 1, "d": 1, "u": 1, "c": 1, "E": 1, "A": 2}
LENGTHS = ("l", "z")

CALL = re.compile(r"\b(" + "|".join(FORMATTERS) + r")\s*\(")


def split_arguments(text, start):
    """The arguments of the call whose '(' is at start, and the end index."""
    args, depth, current, i = [], 0, [], start + 1
    while i < len(text):
        c = text[i]
        if c in "\"'":
            j = i + 1
            while j < len(text) and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            current.append(text[i:j + 1])
            i = j + 1
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                args.append("".join(current).strip())
                return args, i
            depth -= 1
        elif c == "," and depth == 0:
            args.append("".join(current).strip())
            current = []
            i += 1
            continue
        current.append(c)
        i += 1
    raise ValueError("unbalanced call")


def literal_text(arg):
    """The text of a (possibly concatenated) string literal, or None."""
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"', arg)
    rest = re.sub(r'"((?:[^"\\]|\\.)*)"', "", arg).strip()
    if not parts or rest:
        return None
    return "".join(parts)


def arguments_wanted(fmt):
    """How many arguments fmt's directives take; raises on an unknown one."""
    n, i = 0, 0
    while i < len(fmt):
        if fmt[i] != "%":
            i += 1
            continue
        i += 1
        if i < len(fmt) and fmt[i] == "%":
            i += 1
            continue
        while i < len(fmt) and fmt[i] in LENGTHS:
            i += 1
        d = fmt[i] if i < len(fmt) else ""
        if d not in DIRECTIVES:
            raise ValueError("unknown directive %" + d)
        n += DIRECTIVES[d]
        i += 1
    return n


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def check_file(path):
    problems, calls = [], 0
    text = strip_comments(path.read_text())
    for m in CALL.finditer(text):
        name = m.group(1)
        try:
            args, _ = split_arguments(text, m.end() - 1)
        except ValueError:
            continue
        index = FORMATTERS[name]
        if len(args) <= index:
            continue
        fmt = literal_text(args[index])
        if fmt is None:
            continue  # a definition, or a format passed on
        line = text.count("\n", 0, m.start()) + 1
        calls += 1
        try:
            wanted = arguments_wanted(fmt)
        except ValueError as e:
            problems.append(f"{path}:{line}: {name}: {e}")
            continue
        given = len(args) - index - 1
        if wanted != given:
            problems.append(f"{path}:{line}: {name}: the format takes {wanted} argument(s), {given} given")
    return problems, calls


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    problems, calls = [], 0
    for sub in ("core", "shim", "bpf", "cli"):
        for path in sorted((root / sub).glob("*.c")) + sorted((root / sub).glob("*.h")):
            p, c = check_file(path)
            problems += p
            calls += c
    # TAP (meson's protocol 'tap'): a line per problem, the plan last.
    for p in problems:
        print(f"not ok - {p}")
    if calls == 0:
        print("not ok - no call of a log function found: the sources moved?")
    elif not problems:
        print(f"ok - {calls} format strings: each call passes the arguments its format takes")
    print(f"# check-log-formats: {calls} format strings, {len(problems)} problem(s)")
    print(f"1..{max(len(problems) + (calls == 0), 1)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
