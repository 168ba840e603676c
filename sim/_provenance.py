"""Where a number came from: package and tool versions and the git commit of a source checkout.

Every report and every sweep row carries these (with the resolved config, the compile
options, the seed and the backend) so that any figure can be reproduced.
"""
from __future__ import annotations

import platform
import subprocess
import sys
from functools import lru_cache
from importlib import metadata
from pathlib import Path

__all__ = ["versions", "git_commit", "provenance"]


def versions() -> dict:
    """Python, platform and the versions of neurocycle and the packages its numbers depend on."""
    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    for pkg in ("neurocycle", "numpy", "pydantic", "cython"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


@lru_cache(maxsize=1)
def git_commit() -> str | None:
    """The commit of the source checkout neurocycle runs from (``+dirty`` if it has uncommitted
    changes), or None for an installed wheel or when git is not available."""
    root = Path(__file__).resolve().parents[1]
    if not (root / ".git").exists():
        return None
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=5)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5)
        return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def provenance() -> dict:
    """``{"versions": ..., "git_commit": ...}``: what every output records about the software."""
    return {"versions": versions(), "git_commit": git_commit()}
