"""Result files are written whole or not at all.

- :func:`atomic_write` / :func:`write_json` / :func:`write_text`: one file, through a temporary
  file and an atomic rename, with the mode the user's umask gives (not mkstemp's 0600).
- :class:`OutputDir`: a run's output folder, replaced as a whole. It is checked before anything
  is simulated (a path that is a file, not writable or holding someone else's files is refused
  up front); the files are written into a fresh sibling folder, which :meth:`OutputDir.commit`
  swaps in place of the target. An exception (or a kill) before that leaves the target as it
  was, and the temporary folder is removed on every exit path we control (stale ones of dead
  processes are removed the next time).
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

from neurocycle.hw import ConfigError

__all__ = ["atomic_write", "write_json", "write_text", "OutputDir", "check_output_dir", "MARKER"]

MARKER = ".neurocycle-output"        # written into every output folder neurocycle creates
# files neurocycle writes into output folders (a folder holding only these may be replaced)
KNOWN = {MARKER, "report.json", "spikes.csv", "raster.png", "cycles.png", "quantisation.json", "output_spikes.npz",
         "ppa.json", "energy.png", "cosim.json", "cosim-waves", "estimate.json", "compare.json"}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _public(path: str | os.PathLike, directory: bool = False) -> None:
    """Give a file (0666) or folder (0777) the mode the user's umask would."""
    os.chmod(path, (0o777 if directory else 0o666) & ~_umask())


def atomic_write(path: str | os.PathLike, write: Callable[[str], None]) -> Path:
    """Call ``write(tmp_path)`` then atomically move the file to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        _public(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def write_json(path: str | os.PathLike, obj) -> Path:
    def _w(tmp):
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(obj, fh, indent=2, default=_json_default, allow_nan=False)
            fh.write("\n")
    return atomic_write(path, _w)


def write_text(path: str | os.PathLike, text: str) -> Path:
    def _w(tmp):
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
    return atomic_write(path, _w)


def _json_default(o):
    import numpy as np
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


# ----------------------------------------------------------------------------- output folders
def check_output_dir(path: str | os.PathLike, *, replace: bool) -> Path:
    """Refuse, before anything runs, an output folder that cannot be written: a path that is a
    file, a parent that cannot be created or written, or (``replace``) a folder holding files
    that are not a neurocycle output (it would be replaced as a whole)."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise ConfigError("--out", "is an existing file, not a folder", str(p), "give a folder path")
    anc = p
    while not anc.exists():
        if anc.parent == anc:
            break
        anc = anc.parent
    if not anc.is_dir():
        raise ConfigError("--out", f"cannot be created: {anc} is a file", str(p), "give a folder path")
    if not os.access(anc, os.W_OK | os.X_OK):
        raise ConfigError("--out", f"cannot be written: no write permission in {anc}", str(p),
                          "give a folder you can write, e.g. under your home directory")
    if replace and p.is_dir():
        entries = sorted(os.listdir(p))
        foreign = [e for e in entries if e not in KNOWN and not e.startswith(".")]
        if foreign and MARKER not in entries:
            shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
            raise ConfigError("--out", f"holds files that are not a neurocycle output ({shown}); a run replaces "
                              "its output folder as a whole", str(p),
                              f"give a new or empty folder, e.g. --out {p / 'neurocycle-run'}")
        if not os.access(p, os.W_OK | os.X_OK):
            raise ConfigError("--out", "cannot be written (permission denied)", str(p), "give a folder you can write")
    return p


def _clean_stale(parent: Path, name: str) -> None:
    """Remove temporary folders of ``name`` left behind by processes that no longer run."""
    for d in parent.glob(f".{name}.tmp-*"):
        try:
            pid = int(d.name.rsplit("-", 2)[-2])
        except (ValueError, IndexError):
            continue
        try:
            os.kill(pid, 0)
            alive = True
        except ProcessLookupError:
            alive = False
        except PermissionError:
            alive = True
        if not alive:
            shutil.rmtree(d, ignore_errors=True)


class OutputDir:
    """An output folder replaced as a whole (module docstring). Use as a context manager::

        with OutputDir("out") as od:      # checked and prepared before the work
            ...write files into od.path...
            od.commit()                   # the new folder takes the place of "out"
    """

    def __init__(self, path: str | os.PathLike):
        self.target = check_output_dir(path, replace=True)
        self.path: Path | None = None
        self._committed = False

    def __enter__(self) -> "OutputDir":
        parent = self.target.parent
        parent.mkdir(parents=True, exist_ok=True)
        _clean_stale(parent, self.target.name)
        self.path = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.tmp-{os.getpid()}-", dir=parent))
        _public(self.path, directory=True)
        (self.path / MARKER).write_text(json.dumps({"written_by": "neurocycle"}) + "\n", encoding="utf-8")
        _public(self.path / MARKER)
        return self

    def commit(self) -> Path:
        """Swap the written folder in place of the target (the previous content is removed)."""
        old = None
        if self.target.exists():
            old = self.target.with_name(f".{self.target.name}.old-{os.getpid()}")
            if old.exists():
                shutil.rmtree(old)
            os.rename(self.target, old)
        try:
            os.rename(self.path, self.target)
        except BaseException:
            if old is not None:
                os.rename(old, self.target)
            raise
        self._committed = True
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return self.target

    def __exit__(self, *exc) -> None:
        if not self._committed and self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)
