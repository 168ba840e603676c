"""`make` on a machine without the C/C++ compiler or perl stops before installing anything, with
one line naming what is missing (README: what a fresh machine needs)."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAKE = shutil.which("make")

pytestmark = pytest.mark.skipif(MAKE is None, reason="make is not installed")


def _bin_with(tmp_path, *names):
    """A PATH directory holding only symlinks to make, python and the given tools."""
    d = tmp_path / "bin"
    d.mkdir()
    (d / "make").symlink_to(MAKE)
    (d / "python3").symlink_to(sys.executable)
    for n in names:
        (d / n).symlink_to(shutil.which(n) or "/bin/true")
    return d


@pytest.mark.parametrize("target", ["check-tools", "install", "run", "test"])
def test_make_names_the_missing_tools_in_one_line(tmp_path, target):
    path = _bin_with(tmp_path)
    proc = subprocess.run([str(path / "make"), "--no-print-directory", target], cwd=ROOT, capture_output=True,
                          text=True, env={"PATH": str(path), "HOME": str(tmp_path)}, timeout=60)
    assert proc.returncode != 0
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert "needs cc c++ perl on PATH" in lines[0] and "C/C++ compiler" in lines[0]
    assert proc.stdout == ""                       # nothing ran: no venv, no pip


def test_make_names_only_what_is_missing(tmp_path):
    path = _bin_with(tmp_path, "cc", "c++")
    proc = subprocess.run([str(path / "make"), "--no-print-directory", "check-tools"], cwd=ROOT,
                          capture_output=True, text=True, env={"PATH": str(path)}, timeout=60)
    assert proc.returncode != 0 and "needs perl on PATH" in proc.stderr


@pytest.mark.skipif(any(shutil.which(t) is None for t in ("cc", "c++", "perl")), reason="tools not installed")
def test_make_check_tools_passes_when_they_are_there():
    proc = subprocess.run([MAKE, "--no-print-directory", "check-tools"], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ}, timeout=60)
    assert proc.returncode == 0 and proc.stderr == ""
