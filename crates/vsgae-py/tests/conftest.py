"""Fixtures of the Python package's tests.

Tests that need the shared test data (``../shared`` beside the checkout) or the CLI's binaries
(built by ``scripts/test.sh``; ``VSGAE_CLI_DIR`` names their folder) skip where they are absent,
and fail under ``CI=true``, as the Rust tests do.
"""

from __future__ import annotations

import csv
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
SHARED = REPO.parent / "shared"
REAL_CELLS = SHARED / "data" / "nb101_val_20k.csv"


def missing(what: str) -> None:
    """Skips the test for want of ``what``, in the skip log scripts/test.sh counts
    (``VSGAE_SKIP_LOG``); under CI=true, fails it."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is missing, and CI=true needs every test to run")
    log = os.environ.get("VSGAE_SKIP_LOG")
    if log:
        with open(log, "a") as f:
            f.write(f"{os.environ.get('PYTEST_CURRENT_TEST', 'python test').split(' ')[0]}\t{what} is missing\n")
    pytest.skip(f"{what} is missing")


@pytest.fixture(scope="session")
def real_cells_csv() -> Path:
    """The shared data's 20,001 real NAS-Bench-101 cells (our CSV)."""
    if not REAL_CELLS.is_file():
        missing(f"the shared test data ({REAL_CELLS})")
    return REAL_CELLS


@pytest.fixture(scope="session")
def real_rows(real_cells_csv: Path) -> list[dict[str, str]]:
    """The CSV's rows."""
    with real_cells_csv.open(newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="session")
def first_1000_csv(real_cells_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 1,000 real cells as a CSV of their own."""
    path = tmp_path_factory.mktemp("cells") / "first_1000.csv"
    with real_cells_csv.open() as f:
        lines = [next(f) for _ in range(1001)]
    path.write_text("".join(lines))
    return path


class Cli:
    """The CLI binaries of this checkout."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def run(self, tool: str, *args: str) -> str:
        """Runs ``tool`` (``vsgae`` or ``nasbench``) from the repository's root and returns its
        standard output; a failure fails the test with its standard error."""
        done = subprocess.run(
            [str(self.folder / tool), *args], cwd=REPO, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, f"{tool} {' '.join(args)} failed:\n{done.stderr}"
        return done.stdout


@pytest.fixture(scope="session")
def cli() -> Cli:
    folder = Path(os.environ.get("VSGAE_CLI_DIR", REPO / "target" / "debug"))
    for tool in ["vsgae", "nasbench"]:
        if not (folder / tool).is_file():
            missing(f"the CLI binary {folder / tool} (scripts/test.sh builds it; VSGAE_CLI_DIR names its folder)")
    return Cli(folder)
