#!/usr/bin/env python3
"""Writes FOLDER/manifest.json: for every model folder under FOLDER, each file's size in bytes and
SHA-256. The web app reads it to know what to download, how much (its progress bar) and which
version its browser cache holds (the digest is part of each file's address).

    python3 web/manifest.py dist/models
"""

import hashlib
import json
import sys
from pathlib import Path


def main() -> int:
    if len(sys.argv) != 2 or not Path(sys.argv[1]).is_dir():
        print(__doc__, file=sys.stderr)
        return 2
    root = Path(sys.argv[1])
    manifest = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix not in (".gz", ".br"))
        manifest[folder.name] = {
            f.name: {"bytes": f.stat().st_size, "sha256": hashlib.sha256(f.read_bytes()).hexdigest()} for f in files
        }
    if not manifest:
        print(f"{root} holds no model folder", file=sys.stderr)
        return 1
    (root / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
