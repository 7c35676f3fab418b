#!/usr/bin/env python3
"""Writes FILE.gz and FILE.br beside every file of a build folder (for static servers that serve
precompressed files) and prints each file's size raw, gzipped and brotli-compressed.

    python3 web/precompress.py dist

Brotli needs Debian's `brotli` command (web/build.sh installs it); without it only .gz is written.
"""

import gzip
import shutil
import subprocess
import sys
from pathlib import Path


def main() -> int:
    if len(sys.argv) != 2 or not Path(sys.argv[1]).is_dir():
        print(__doc__, file=sys.stderr)
        return 2
    root = Path(sys.argv[1])
    brotli = shutil.which("brotli")
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix not in (".gz", ".br"))
    totals = [0, 0, 0]
    print(f"{'file':<48} {'raw':>12} {'gzip':>12} {'brotli':>12}")
    for path in files:
        raw = path.read_bytes()
        gz = path.with_name(path.name + ".gz")
        gz.write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))
        br = path.with_name(path.name + ".br")
        if brotli:
            # Quality 9: seconds for the wasm, where 11 takes minutes.
            subprocess.run([brotli, "-f", "-q", "9", "-o", str(br), str(path)], check=True)
        sizes = [len(raw), gz.stat().st_size, br.stat().st_size if br.exists() else 0]
        totals = [t + s for t, s in zip(totals, sizes)]
        shown = [f"{s:>12,}" if s else f"{'-':>12}" for s in sizes]
        print(f"{str(path.relative_to(root)):<48} {' '.join(shown)}")
    print(f"{'total':<48} {' '.join(f'{t:>12,}' for t in totals)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
