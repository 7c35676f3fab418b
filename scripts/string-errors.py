#!/usr/bin/env python3
"""Errors as bare strings: every `Result<T, String>` in the libraries and the app (src/ and
crates/*/src/), counted across line breaks and nested generics, comments left out. The binaries
(`src/bin/` folders and `main.rs`) may keep theirs in clap's value parsers. Prints each one with
its file and line, or "none"; exits 1 where one is found.

Usage: scripts/string-errors.py [FILE_OR_FOLDER...]   (default: src crates/*/src)
"""
import re
import sys
from pathlib import Path


def binaries(path: Path):
    return "bin" in path.parts or path.name == "main.rs"


def string_results(text):
    """(line, snippet) of each `Result<…, String>` in `text`."""
    text = re.sub(r"//[^\n]*", lambda m: " " * len(m.group()), text)
    found = []
    for start in (m.start() for m in re.finditer(r"\bResult\s*<", text)):
        depth, i = 0, text.index("<", start)
        while i < len(text):
            if text[i] == "<":
                depth += 1
            elif text[i] == ">" and text[i - 1] != "-":
                depth -= 1
                if depth == 0:
                    break
            i += 1
        inner = text[text.index("<", start) + 1 : i]
        parts, level, last = [], 0, 0
        for k, c in enumerate(inner):
            level += {"<": 1, ">": -1, "(": 1, ")": -1}.get(c, 0) if not (c == ">" and inner[k - 1] == "-") else 0
            if c == "," and level == 0:
                parts.append(inner[last:k])
                last = k + 1
        parts.append(inner[last:])
        parts = [p for p in parts if p.strip()]  # a trailing comma
        if len(parts) == 2 and re.fullmatch(r"\s*(std::string::)?String\s*", parts[1]):
            found.append((text.count("\n", 0, start) + 1, " ".join(text[start : i + 1].split())))
    return found


def main(args):
    roots = [Path(a) for a in args] or [Path("src"), *sorted(Path("crates").glob("*/src"))]
    files = [f for r in roots for f in ([r] if r.is_file() else sorted(r.rglob("*.rs"))) if not binaries(f)]
    hits = [(f, line, snippet) for f in files for line, snippet in string_results(f.read_text())]
    for f, line, snippet in hits:
        print(f"{f}:{line}: {snippet}")
    print(f"{len(hits)} Result<_, String> in {len(files)} files" if hits else "none")
    return 1 if hits else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
