#!/usr/bin/env python3
"""Import circles between the files of one folder: for each .rs file, the sibling modules its code
(comments and its test module left out) names through `super::x` or `crate::...::x` paths; prints
every cycle, or "none".

Usage: scripts/import-cycles.py FOLDER [FOLDER...]   e.g. crates/vsgae/src/training src/compute
"""
import re
import sys
from pathlib import Path


def edges(folder: Path):
    modules = {p.stem for p in folder.glob("*.rs") if p.stem != "mod"}
    crate_path = folder.as_posix().split("/src/", 1)[-1].replace("/", "::") if "/src/" in folder.as_posix() \
        else folder.name
    graph = {m: set() for m in modules}
    for m in modules:
        text = (folder / f"{m}.rs").read_text()
        text = re.sub(r"#\[cfg\(test\)\]\s*mod tests \{.*", "", text, flags=re.S)
        text = re.sub(r"//.*", "", text)
        for other in modules - {m}:
            patterns = [rf"\bsuper::{other}\b", rf"\bsuper::\{{[^}}]*\b{other}\b", rf"\bcrate::{crate_path}::{other}\b",
                        rf"\bcrate::{crate_path}::\{{[^}}]*\b{other}\b"]
            if any(re.search(p, text) for p in patterns):
                graph[m].add(other)
    return graph


def cycles(graph):
    found, seen = [], set()

    def walk(node, path):
        for nxt in sorted(graph[node]):
            if nxt == path[0]:
                cycle = tuple(path)
                key = frozenset(cycle)
                if key not in seen:
                    seen.add(key)
                    found.append(cycle + (path[0],))
            elif nxt not in path and nxt > path[0]:
                walk(nxt, path + [nxt])

    for start in sorted(graph):
        walk(start, [start])
    return found


if __name__ == "__main__":
    for folder in map(Path, sys.argv[1:]):
        found = cycles(edges(folder))
        print(f"{folder}: " + ("none" if not found else "; ".join(" → ".join(c) for c in found)))
