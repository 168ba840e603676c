import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@pytest.fixture
def cli(tmp_path):
    """Run the installed `neurocycle` console script; returns CompletedProcess."""
    def _run(*args, check=True, cwd=None):
        exe = BIN / "neurocycle"
        proc = subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True,
                              cwd=cwd or tmp_path, env={**os.environ, "COLUMNS": "160"})
        if check and proc.returncode != 0:
            raise AssertionError(f"neurocycle {' '.join(map(str, args))} failed ({proc.returncode}):\n"
                                 f"{proc.stdout}\n{proc.stderr}")
        return proc
    return _run
