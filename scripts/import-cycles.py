#!/usr/bin/env python3
"""Import circles between the modules of one folder: for each module (a .rs file, or a folder with
a mod.rs, read whole), the sibling modules its code (comments and test modules left out) names
through `super::x` or `crate::...::x` paths; prints every cycle, or "none". Crate roots (a folder
with lib.rs or main.rs) count too: there the siblings are named `crate::x`.

Usage: scripts/import-cycles.py [FOLDER...]   e.g. crates/vsgae/src/training src/compute
Without folders, every module folder of the workspace's crates (src/ and crates/*/src/, with
their subfolders). Exits 1 where a cycle is found.
"""
import re
import sys
from pathlib import Path


def strip(text):
    text = re.sub(r"#\[cfg\(test\)\]\s*mod tests \{.*", "", text, flags=re.S)
    return re.sub(r"//.*", "", text)


def crate_path(folder: Path):
    """The module path of `folder` inside its crate ("" at the crate root)."""
    parts = folder.as_posix().split("/")
    if "src" not in parts:
        return folder.name
    inner = parts[len(parts) - 1 - parts[::-1].index("src") + 1:]
    return "::".join(inner)


def module_texts(folder: Path):
    """Each module of `folder` with its files' texts and their depth below the folder."""
    modules = {}
    for path in folder.glob("*.rs"):
        if path.stem not in ("mod", "lib", "main"):
            modules[path.stem] = [(strip(path.read_text()), 0)]
    for sub in folder.iterdir():
        if sub.is_dir() and (sub / "mod.rs").is_file() and sub.name != "bin":
            files = []
            for path in sub.rglob("*.rs"):
                depth = len(path.relative_to(sub).parts) - (1 if path.name == "mod.rs" else 0)
                files.append((strip(path.read_text()), depth))
            modules[sub.name] = files
    return modules


def edges(folder: Path):
    modules = module_texts(folder)
    prefix = crate_path(folder)
    full = f"crate::{prefix}::" if prefix else "crate::"
    graph = {m: set() for m in modules}
    for m, files in modules.items():
        for other in set(modules) - {m}:
            for text, depth in files:
                supers = "super::" * (depth + 1)
                patterns = [
                    rf"\b{re.escape(supers)}{other}\b",
                    rf"\b{re.escape(supers)}\{{[^}}]*\b{other}\b",
                    rf"\b{re.escape(full)}{other}\b",
                    rf"\b{re.escape(full)}\{{[^}}]*\b{other}\b",
                ]
                if any(re.search(p, text) for p in patterns):
                    graph[m].add(other)
                    break
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


def workspace_folders(root: Path):
    for src in [root / "src", *sorted((root / "crates").glob("*/src"))]:
        yield src
        for sub in sorted(src.rglob("*")):
            if sub.is_dir() and (sub / "mod.rs").is_file():
                yield sub


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    folders = [Path(a) for a in sys.argv[1:]] or [f.relative_to(root) for f in workspace_folders(root)]
    any_found = False
    for folder in folders:
        found = cycles(edges(root / folder if not folder.is_absolute() else folder))
        any_found |= bool(found)
        print(f"{folder}: " + ("none" if not found else "; ".join(" → ".join(c) for c in found)))
    sys.exit(1 if any_found else 0)
