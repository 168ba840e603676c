"""Layers that hold: the import contracts of .importlinter (run by import-linter), and the
Cython kernels import nothing but numpy, the C library and each other's .pxd files."""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold():
    exe = Path(sys.executable).parent / "lint-imports"
    proc = subprocess.run([str(exe), "--config", str(ROOT / ".importlinter"), "--no-cache"], capture_output=True,
                          text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "broken" not in proc.stdout.split("Contracts:")[-1].split("kept")[0]


def test_kernels_import_only_numpy():
    allowed = {"numpy", "libc", "cython", "_fixed", "_layout"}
    for src in sorted((ROOT / "cython_core").glob("*.p*")):
        for m in re.finditer(r"^\s*(?:from\s+(\S+)\s+c?import|c?import\s+(\S+))", src.read_text(), re.M):
            mod = (m.group(1) or m.group(2)).split(".")[0]
            assert mod in allowed, f"{src.name} imports {mod}"
