"""Wall time and peak memory of each phase of a run (load, build, compile, stimulus, simulate).

Peak memory is the process's resident set high-water mark. On Linux the mark is reset at the
start of every phase (``/proc/self/clear_refs``), so each phase reports its *own* peak; where
that is not possible the peaks are the process's peak so far (``resource.getrusage``), and the
phases say so (``per_phase`` false).
"""
from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field

__all__ = ["Phase", "PhaseLog", "peak_rss_bytes", "rss_bytes"]


def _status_kib(key: str) -> int | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def rss_bytes() -> int | None:
    """Resident set size now (Linux), or None."""
    v = _status_kib("VmRSS:")
    return None if v is None else v * 1024


def peak_rss_bytes() -> int:
    """Peak resident set of this process since start (or since the last reset)."""
    v = _status_kib("VmHWM:")
    if v is not None:
        return v * 1024
    import resource
    import sys
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(r if sys.platform == "darwin" else r * 1024)


_LIBC = None


def release_free_memory() -> None:
    """Give the memory the allocator holds but no longer uses back to the system (glibc's
    ``malloc_trim``; elsewhere nothing). numpy temporaries below glibc's adaptive mmap threshold
    (up to 32 MB) come from the heap, and what they leave behind would otherwise count against the
    next phase's peak."""
    global _LIBC
    if _LIBC is None:
        try:
            import ctypes
            libc = ctypes.CDLL("libc.so.6")
            _LIBC = libc if hasattr(libc, "malloc_trim") else False
        except OSError:
            _LIBC = False
    if _LIBC:
        _LIBC.malloc_trim(0)


def _reset_peak() -> bool:
    """Reset the peak-RSS mark to the current RSS (Linux >= 4.0); False where not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _fmt_bytes(n: int) -> str:
    return f"{n / (1 << 30):.2f} GiB" if n >= (1 << 30) else f"{n / (1 << 20):.0f} MiB"


@dataclass
class Phase:
    name: str
    wall_s: float
    cpu_s: float             # CPU time of this process (on a shared machine: below wall_s)
    peak_bytes: int          # peak resident set during the phase (per_phase) or since start
    rss_end_bytes: int | None

    def to_dict(self) -> dict:
        return {"name": self.name, "wall_s": self.wall_s, "cpu_s": self.cpu_s, "peak_bytes": self.peak_bytes,
                "rss_end_bytes": self.rss_end_bytes}


@dataclass
class PhaseLog:
    """Collects :class:`Phase` records: ``with log.phase("compile"): ...``."""
    phases: list[Phase] = field(default_factory=list)
    per_phase: bool = True
    estimate: object = None          # the MemoryEstimate made before sampling (sim/_netsize.py), if any

    @contextlib.contextmanager
    def phase(self, name: str):
        release_free_memory()
        reset = _reset_peak()
        self.per_phase = self.per_phase and reset
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.phases.append(Phase(name, time.perf_counter() - t0, time.process_time() - c0, peak_rss_bytes(),
                                     rss_bytes()))

    def add(self, other: "PhaseLog") -> None:
        self.phases.extend(other.phases)
        self.per_phase = self.per_phase and other.per_phase
        if other.estimate is not None:
            self.estimate = other.estimate

    @property
    def peak_bytes(self) -> int:
        return max((p.peak_bytes for p in self.phases), default=0)

    def rows(self) -> list[tuple[str, str]]:
        """(phase, "wall s, peak memory") rows for a summary table."""
        note = "" if self.per_phase else " (peak so far)"
        return [(p.name, f"{p.wall_s:.2f} s, peak {_fmt_bytes(p.peak_bytes)}{note}") for p in self.phases]

    def to_dict(self) -> dict:
        out = {"per_phase_peaks": self.per_phase, "peak_bytes": self.peak_bytes,
               "phases": [p.to_dict() for p in self.phases]}
        if self.estimate is not None:
            out["estimate_bytes"] = self.estimate.total
            out["estimate_parts"] = dict(self.estimate.parts)
        return out
