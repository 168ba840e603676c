"""The timeline trace of a window of timesteps: Chrome trace-event JSON, which ui.perfetto.dev
(and chrome://tracing) opens as it is.

Why this format and not Perfetto's protobuf (`perfetto.trace_builder`): the JSON needs no
dependency to write, is read by every trace viewer, and can be checked without Perfetto's
trace processor — which the `perfetto` package downloads as a prebuilt binary at first use,
something CI here cannot fetch. Tracks are (process, thread) pairs: process 0 is the chip
(timesteps and barriers, the host link), process 1 + r is router r at (x, y) = (r % W, r // W)
with its tile's cores: threads NU and SI of each core (``core j NU`` with several cores per
router; LE too on a learning core), one per router output (`out L`, `out N`, ...: runs of consecutive grants,
``args.flits``) and one per router input (`in W blocked`, ...: runs of blocked cycles).
**Time is the chip cycle**: 1 µs in the UI is one cycle (``ts``/``dur`` are cycles), so the
numbers the UI shows are cycle numbers; the clock is in the trace's metadata.
docs/trace.md describes every track and how the counts match the run's counters.
"""
from __future__ import annotations

import json
import os

import numpy as np

from ._activity import Activity

__all__ = ["trace_events", "write_trace"]


def _runs(cycles) -> list[tuple[int, int]]:
    """Sorted cycles -> [(first, length)] of consecutive runs."""
    out = []
    for c in cycles:
        c = int(c)
        if out and out[-1][0] + out[-1][1] == c:
            out[-1][1] += 1
        else:
            out.append([c, 1])
    return [(a, n) for a, n in out]


def _group(table: np.ndarray, key_cols) -> dict:
    """Rows of ``table`` grouped by the tuple of ``key_cols`` (order kept)."""
    out: dict = {}
    for row in table.tolist():
        out.setdefault(tuple(row[k] for k in key_cols), []).append(row)
    return out


def trace_events(act: Activity, *, title: str = "") -> dict:
    """The trace of ``act`` as a Chrome trace-event JSON object (``traceEvents`` + metadata)."""
    chip = act.chip
    W, C, P = chip.mesh.width, act.cores_per_router, act.n_ports
    names = act.port_names
    ev: list[dict] = []
    named: set = set()

    def track(pid: int, tid: int, pname: str, tname: str) -> None:
        if (pid, tid) in named:
            return
        if (pid, -1) not in named:
            named.add((pid, -1))
            ev.append({"ph": "M", "name": "process_name", "pid": pid, "tid": 0, "args": {"name": pname}})
            ev.append({"ph": "M", "name": "process_sort_index", "pid": pid, "tid": 0, "args": {"sort_index": pid}})
        named.add((pid, tid))
        ev.append({"ph": "M", "name": "thread_name", "pid": pid, "tid": tid, "args": {"name": tname}})
        ev.append({"ph": "M", "name": "thread_sort_index", "pid": pid, "tid": tid, "args": {"sort_index": tid}})

    def X(pid, tid, name, ts, dur, args=None, cat="nc"):
        e = {"ph": "X", "cat": cat, "name": name, "pid": pid, "tid": tid, "ts": int(ts), "dur": int(dur)}
        if args:
            e["args"] = args
        ev.append(e)

    def tile(r: int) -> str:
        return f"tile {r} ({r % W},{r // W})"

    def core_track(k: int, what: str) -> tuple[int, int]:
        """(pid, tid) of core k's NU (what 0) or SI (what 1), named."""
        r, j = divmod(k, C)
        track(1 + r, 2 * j + what, tile(r), ("NU", "SI")[what] if C == 1 else f"core {j} {('NU', 'SI')[what]}")
        return 1 + r, 2 * j + what

    # chip: timesteps and barriers, host link
    track(0, 0, "chip", "timestep")
    B = chip.barrier_cycles
    for t, T, Q, Tn in act.steps.tolist():
        X(0, 0, f"timestep {t}", T, Q - T, {"t": t, "T": T, "Q": Q}, cat="step")
        L = Tn - B                        # the learning phase (STDP, §11.2) runs Q .. L-1
        if L > Q:
            X(0, 0, "learning", Q, L - Q, {"t": t, "L": L}, cat="learning")
        X(0, 0, "barrier", L, Tn - L, {"t": t}, cat="barrier")
    if len(act.host):
        track(0, 1, "chip", "host link")
        for c0, n in _runs(act.host[:, 0]):
            X(0, 1, "host flits", c0, n, {"flits": n}, cat="host")

    # NU: state intervals; PUSH cycles that stalled are STALL slices
    stalls = _group(act.stalls, (1,))
    ends = {}
    for k, rows in _group(act.nu, (1,)).items():
        k = k[0]
        st = set(r[0] for r in stalls.get((k,), []))
        for j, (c, _, s) in enumerate(rows):
            end = rows[j + 1][0] if j + 1 < len(rows) else act.end_cycle
            ends[k] = end
            if s == 0:
                continue
            pid, tid = core_track(k, 0)
            name = ("DONE", "UPDATE", "PUSH", "SCAN")[s]
            if s != 2:
                X(pid, tid, name, c, end - c, cat="nu")
                continue
            cyc = np.arange(c, end)
            stalled = np.array([x in st for x in cyc.tolist()], bool)
            for c0, n in _runs(cyc[~stalled]):
                X(pid, tid, "PUSH", c0, n, {"flits": n}, cat="nu")
            for c0, n in _runs(cyc[stalled]):
                X(pid, tid, "STALL", c0, n, cat="stall")

    # SI: the look-up cycle of each pop, then BUSY runs
    for (k,), rows in _group(act.si_pops, (1,)).items():
        pid, tid = core_track(k, 1)
        for c, _ in rows:
            X(pid, tid, "LOOKUP", c, 1, cat="si")
    for (k,), rows in _group(act.si, (1,)).items():
        for j, (c, _, b) in enumerate(rows):
            if b:
                end = rows[j + 1][0] if j + 1 < len(rows) else act.end_cycle
                pid, tid = core_track(k, 1)
                X(pid, tid, "BUSY", c, end - c, cat="si")

    # LE (STDP): runs of weight-update cycles (POST, RD, WR) and of the trace walk (TRACE)
    for (k,), rows in _group(act.le, (1,)).items():
        r, j = divmod(k, C)
        tid = 2 * C + 2 * P + j
        track(1 + r, tid, tile(r), "LE" if C == 1 else f"core {j} LE")
        for name, sel in (("WEIGHTS", lambda s: s != 5), ("TRACES", lambda s: s == 5)):
            for c0, n in _runs([row[0] for row in rows if sel(row[2])]):
                X(1 + r, tid, name, c0, n, {"cycles": n}, cat="le")

    # router outputs: runs of consecutive grants; inputs: runs of blocked cycles
    for (r, o), rows in _group(act.grants, (1, 2)).items():
        tid = 2 * C + o
        track(1 + r, tid, tile(r), f"out {names[o]}")
        by_c = {row[0]: row for row in rows}
        for c0, n in _runs(sorted(by_c)):
            first = by_c[c0]
            X(1 + r, tid, f"{n} flit" + ("s" if n > 1 else ""), c0, n,
              {"flits": n, "first_from": names[first[3]], "first_flit": hex(first[4])}, cat="link")
    for (r, q), rows in _group(act.blocked, (1, 2)).items():
        tid = 2 * C + P + q
        track(1 + r, tid, tile(r), f"in {names[q]} blocked")
        for c0, n in _runs([row[0] for row in rows]):
            X(1 + r, tid, "blocked", c0, n, {"cycles": n}, cat="blocked")

    meta = {"neurocycle_trace": 1, "title": title, "chip": chip.name, "mesh": [W, chip.mesh.height],
            "cores_per_router": C, "ports": list(names),
            "clock_mhz": chip.clock_mhz, "time_unit": "1 us in the UI = 1 chip cycle",
            "timesteps": [act.t0, act.t1], "first_cycle": act.first_cycle, "end_cycle": act.end_cycle}
    return {"traceEvents": ev, "displayTimeUnit": "ms", "metadata": meta}


def write_trace(act: Activity, path: str | os.PathLike, *, title: str = "") -> int:
    """Write the trace of ``act`` to ``path`` (atomically); returns the number of events."""
    from ._io import atomic_write

    obj = trace_events(act, title=title)

    def write(tmp):
        with open(tmp, "w") as f:
            json.dump(obj, f, separators=(",", ":"))
    atomic_write(path, write)
    return len(obj["traceEvents"])
