"""What happened in every cycle of a window of timesteps: the per-cycle record behind the
timeline trace (sim/_trace.py), the model's waveforms (sim/_vcd.py) and the verification
vectors (sim/_vectors.py).

The fast kernel keeps no per-cycle history (that is why it is fast), so a window is *replayed*:
the kernel runs up to the window's first timestep and hands over the state a barrier carries
(neuron state, the accumulator and pending banks — a ring of them with synaptic delays —, the
weights and STDP traces when cores learn, every round-robin pointer; every FIFO
is empty and every engine idle at a barrier), and the literal stepped model (sim/_stepped.py)
runs the window from there with a probe that records every cycle. The replay is exact — the
stepped model equals the kernel on every spike, cycle and counter (tests/test_engine*.py) —
and tests/test_activity.py checks it against the kernel's counters of the same window.
docs/engine.md ("Replay a window") has the design and its cost.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from neurocycle.hw import ConfigError

from ._network import Stimulus
from ._program import ChipProgram
from ._result import SimResult

__all__ = ["Activity", "record_activity", "WindowEstimate", "estimate_window", "parse_window", "NU_STATES",
           "LE_STATES"]

NU_STATES = ("DONE", "UPDATE", "PUSH", "SCAN")     # nc_nu's `state` encoding (0..3); STALL = PUSH and full
_NU_CODE = {"D": 0, "U": 1, "P": 2, "S": 3}
# nc_le's state encoding (0..5; WAIT is the RTL's idle state between T_t and Q_t, never acted as)
LE_STATES = ("DONE", "WAIT", "POST", "RD", "WR", "TRACE")
_LE_CODE = {"P": 2, "R": 3, "W": 4, "T": 5}

# bytes per recorded event in the Chrome trace-event JSON, measured on the presets (~95-130)
TRACE_BYTES_PER_EVENT = 140
# the stepped model's speed on this machine (bench/trace_cost.py, BENCHMARKS.md): ~10 us per router or core and
# cycle, plus ~0.3 ms per event (grant, blocked cycle, state change, push)
STEPPED_S_PER_COMPONENT_CYCLE = 1e-5
STEPPED_S_PER_EVENT = 3e-4


def _cols(rows, n, dtype=np.int64) -> np.ndarray:
    return np.asarray(rows, dtype).reshape(-1, n)


@dataclass
class Activity:
    """Every cycle of timesteps ``t0 .. t1-1`` of a run, as event tables (numpy int64 columns).

    - ``steps``    [t, T_t, Q_t, T_t+1]: each timestep's first cycle, quiescence, next start
    - ``grants``   [cycle, router, output, input, flit]: an output granted (the flit word of the RTL)
    - ``pops``     [cycle, router, input]: an input's head left (every output it was owed got its
                   copy: the grant of a unicast flit, the last copy of a multicast one)
    - ``blocked``  [cycle, router, input]: an input holding a head that was not popped
    - ``occupancy``[cycle, router, input, count]: an input FIFO's occupancy from that cycle on
    - ``core_fifo``[cycle, core, count]: the core input FIFO's occupancy from that cycle on

    Routers are ``r = y * W + x``, their ports in ``layout.port_names(C)`` order (L N E S W, then
    L1 .. L(C-1) with C cores per router); core ``k`` is local core ``k % C`` of router ``k // C``.
    - ``nu``       [cycle, core, state]: the NU's state (NU_STATES) from that cycle on
    - ``stalls``   [cycle, core]: a PUSH cycle that found the router's L input full
    - ``si``       [cycle, core, busy]: the SI's BUSY state from that cycle on
    - ``si_pops``  [cycle, core]: the SI popped the core FIFO (an axon look-up)
    - ``nu_pushes``[cycle, core, flit]: the NU pushed a flit into its router's L input
    - ``host``     [cycle, flit]: the host link pushed a flit into input W of the host row
    - ``spikes``   [cycle, core, neuron, payload]: an UPDATE that spiked (core-local neuron)
    - ``le``       [cycle, core, state, y_we, x_we]: a cycle of a learning core's LE (STDP,
                   docs/microarchitecture.md §11.2) in the learning phase, from Q_t on: the state
                   it acts as (LE_STATES: POST, RD, WR, TRACE), and in a TRACE cycle whether it
                   updated a neuron's and an axon's trace. The phase ends at T_t+1 - barrier_cycles.

    Rows are in cycle order. ``result`` is the stepped model's result for the window (counters
    of these timesteps only, spike steps relative to ``t0``); ``last`` the round-robin pointers
    at the window's start."""
    chip: object
    t0: int
    t1: int
    steps: np.ndarray
    grants: np.ndarray
    pops: np.ndarray
    blocked: np.ndarray
    occupancy: np.ndarray
    core_fifo: np.ndarray
    nu: np.ndarray
    stalls: np.ndarray
    si: np.ndarray
    si_pops: np.ndarray
    nu_pushes: np.ndarray
    host: np.ndarray
    spikes: np.ndarray
    le: np.ndarray
    last: np.ndarray
    result: SimResult = field(repr=False, default=None)

    @property
    def first_cycle(self) -> int:
        return int(self.steps[0, 1]) if len(self.steps) else 0

    @property
    def end_cycle(self) -> int:
        """The cycle after the window (T of timestep t1)."""
        return int(self.steps[-1, 3]) if len(self.steps) else 0

    @property
    def n_routers(self) -> int:
        return self.chip.mesh.width * self.chip.mesh.height

    @property
    def cores_per_router(self) -> int:
        return self.chip.mesh.cores_per_router

    @property
    def n_ports(self) -> int:
        return self.chip.derived.n_ports

    @property
    def port_names(self) -> tuple[str, ...]:
        from neurocycle.hw import layout
        return layout.port_names(self.cores_per_router)

    @property
    def local_ports(self) -> tuple[int, ...]:
        """The port of each local core j of a router."""
        from neurocycle.hw import layout
        return tuple(layout.local_port(j) for j in range(self.cores_per_router))

    def flit_latencies(self) -> tuple[np.ndarray, np.ndarray]:
        """(latency in cycles, hops) of every flit delivered in the window: from the cycle it
        entered the mesh (an NU push or a host push into a router input) to the cycle a local
        output of its destination router granted it (the core FIFO has it from the next cycle).
        Flits are followed through the FIFOs, which keep their order: a grant sends a copy of the
        head downstream, a pop removes the head (a multicast head is copied to several outputs,
        each copy is one delivery). Hops are the link grants on the way."""
        from collections import deque

        W, C = self.chip.mesh.width, self.cores_per_router
        local = set(self.local_ports)
        down = {1: (-W, 3), 2: (1, 4), 3: (W, 1), 4: (-1, 2)}        # output -> (router step, input)
        lp = self.local_ports
        q: dict = {}
        lat, hops = [], []
        # within a cycle: grants read the heads present at its start, then pops remove them; pushes land after
        ev = [(int(c), 0, int(r), int(o), int(i)) for c, r, o, i, _ in self.grants]
        ev += [(int(c), 1, int(r), int(i), 0) for c, r, i in self.pops]
        ev += [(int(c), 2, int(k) // C, lp[int(k) % C], 0) for c, k, _ in self.nu_pushes]
        ev += [(int(c), 2, self.chip.host.row * W, 4, 0) for c, _ in self.host]
        ev.sort(key=lambda e: (e[0], e[1]))
        for c, kind, r, a, b in ev:
            if kind == 2:                       # a push into input a of router r
                q.setdefault((r, a), deque()).append((c, 0))
            elif kind == 1:                     # input a of router r pops its head
                q[(r, a)].popleft()
            else:                               # output a of router r granted input b's head
                c0, h = q[(r, b)][0]
                if a in local:
                    lat.append(c - c0)
                    hops.append(h)
                else:
                    dr, di = down[a]
                    q.setdefault((r + dr, di), deque()).append((c0, h + 1))
        return np.asarray(lat, np.int64), np.asarray(hops, np.int64)


class _Cycle:
    __slots__ = ("grants", "pops", "blocked", "si_pops", "spikes", "nu_pushes", "stalls", "host")

    def __init__(self):
        self.grants, self.blocked, self.si_pops, self.spikes, self.nu_pushes, self.stalls = [], [], [], [], [], []
        self.pops = []
        self.host = None


class _Probe:
    """Told every cycle's start-of-cycle state and decisions by the stepped model (sim/_stepped.py);
    keeps the changes."""

    def __init__(self, n_routers: int, n_cores: int, n_ports: int):
        self.rows = {k: [] for k in ("steps", "grants", "pops", "blocked", "occupancy", "core_fifo", "nu", "stalls",
                                     "si", "si_pops", "nu_pushes", "host", "spikes", "le")}
        self.P = n_ports
        self.occ = [[-1] * n_ports for _ in range(n_routers)]
        self.cocc = [-1] * n_cores
        self.nu = [-1] * n_cores
        self.si = [-1] * n_cores
        self.ev = None
        self.c = 0
        self.T = 0

    def _flush(self):
        ev, c, R = self.ev, self.c, self.rows
        if ev is None:
            return
        R["grants"] += [(c, r, o, i, f) for r, o, i, f in ev.grants]
        R["pops"] += [(c, r, q) for r, q in ev.pops]
        R["blocked"] += [(c, r, q) for r, q in ev.blocked]
        R["si_pops"] += [(c, k) for k in ev.si_pops]
        R["spikes"] += [(c, k, n, q) for k, n, q in ev.spikes]
        R["nu_pushes"] += [(c, k, f) for k, f in ev.nu_pushes]
        R["stalls"] += [(c, k) for k in ev.stalls]
        if ev.host is not None:
            R["host"].append((c, ev.host))
        self.ev = None

    def begin_step(self, t: int, T: int) -> None:
        self.T = T

    def _state(self, c, occ, cocc, nu, si) -> None:
        R = self.rows
        for r, row in enumerate(occ):
            prev = self.occ[r]
            if row != prev:
                for q in range(self.P):
                    if row[q] != prev[q]:
                        R["occupancy"].append((c, r, q, row[q]))
                self.occ[r] = list(row)
        for k in range(len(cocc)):
            if cocc[k] != self.cocc[k]:
                R["core_fifo"].append((c, k, cocc[k]))
                self.cocc[k] = cocc[k]
            if nu[k] != self.nu[k]:
                R["nu"].append((c, k, nu[k]))
                self.nu[k] = nu[k]
            if si[k] != self.si[k]:
                R["si"].append((c, k, si[k]))
                self.si[k] = si[k]

    def begin_cycle(self, c: int, occ, cocc, nu_states, si_busy) -> _Cycle:
        self._flush()
        self._state(c, occ, cocc, [_NU_CODE[s] for s in nu_states], [int(b) for b in si_busy])
        self.c, self.ev = c, _Cycle()
        return self.ev

    def le_cycle(self, c: int, acts, nlo, aoff) -> None:
        """A learning-phase cycle: ``acts`` = [(core, state "P"/"R"/"W"/"T", j)] of every LE acting."""
        for k, s, j in acts:
            tr = s == "T"
            self.rows["le"].append((c, k, _LE_CODE[s], int(tr and j < nlo[k + 1] - nlo[k]),
                                    int(tr and j < aoff[k + 1] - aoff[k])))

    def end_step(self, t: int, Q: int, T_next: int, last) -> None:
        self._flush()
        nr, nc = len(self.occ), len(self.cocc)
        self._state(Q, [[0] * self.P] * nr, [0] * nc, [0] * nc, [0] * nc)     # quiescent from Q_t on
        self.rows["steps"].append((t, self.T, Q, T_next))

    def tables(self) -> dict:
        n = {"steps": 4, "grants": 5, "pops": 3, "blocked": 3, "occupancy": 4, "core_fifo": 3, "nu": 3, "stalls": 2, "si": 3,
             "si_pops": 2, "nu_pushes": 3, "host": 2, "spikes": 4, "le": 5}
        return {k: _cols(v, n[k]) for k, v in self.rows.items()}


def record_activity(program: ChipProgram, stim: Stimulus, window: tuple[int, int]) -> Activity:
    """Replay timesteps ``window = (t0, t1)`` of ``program`` under ``stim`` cycle by cycle and
    record everything (see :class:`Activity`). The kernel runs timesteps 0 .. t0-1 (fast) and
    hands its barrier state to the stepped model, which runs the window (slow: see
    :func:`estimate_window`)."""
    from ._engine import state_after
    from ._stepped import run_stepped

    t0, t1 = _check_window(window, stim.steps)
    start = state_after(program, stim, t0)
    d = program.chip.derived
    probe = _Probe(d.n_routers, d.n_cores, d.n_ports)
    res = run_stepped(program, stim, None, start=start, stop=t1, probe=probe)
    return Activity(chip=program.chip, t0=t0, t1=t1, last=np.asarray(start.last), result=res, **probe.tables())


def _check_window(window, steps: int) -> tuple[int, int]:
    t0, t1 = (int(v) for v in window)
    if not 0 <= t0 < t1 <= steps:
        raise ConfigError("window", f"must be timesteps A:B with 0 <= A < B <= {steps} (the run's steps)",
                          f"{t0}:{t1}", f"use e.g. {min(t0, max(steps - 1, 0))}:{min(max(t0, 0) + 1, steps)}")
    return t0, t1


def parse_window(text: str, steps: int, field_name: str = "--trace-steps") -> tuple[int, int]:
    """``"A:B"`` (timesteps A .. B-1) or ``"A"`` (one timestep) -> (A, B), checked against ``steps``."""
    s = str(text).strip()
    try:
        if ":" in s:
            a, b = s.split(":", 1)
            t0, t1 = int(a), int(b)
        else:
            t0 = int(s)
            t1 = t0 + 1
    except ValueError:
        raise ConfigError(field_name, "must be timesteps A:B (A included, B excluded) or one timestep A", text,
                          "e.g. 0:5 for the first five timesteps") from None
    if not 0 <= t0 < t1 <= steps:
        raise ConfigError(field_name, f"must satisfy 0 <= A < B <= {steps} (the run's timesteps)", text,
                          f"e.g. {max(0, min(t0, steps - 1))}:{max(1, min(t1, steps))}")
    return t0, t1


@dataclass(frozen=True)
class WindowEstimate:
    """What replaying a window costs, known before it runs (from the fast run's cycles and
    counters): its cycles, the stepped model's work and time, and the trace's events and bytes."""
    t0: int
    t1: int
    cycles: int
    components: int
    replay_s: float
    events: int
    trace_bytes: int

    def line(self) -> str:
        span = f"timesteps {self.t0}..{self.t1 - 1}" if self.t1 - self.t0 > 1 else f"timestep {self.t0}"
        return (f"{span}: {self.cycles:,} cycles, replay ~{self.replay_s:,.0f} s, "
                f"~{self.events:,} trace events (~{self.trace_bytes / 1e6:,.1f} MB)")


def estimate_window(run_result: SimResult, chip, window: tuple[int, int]) -> WindowEstimate:
    """Cost of replaying ``window`` of a finished fast run. The cycles are exact (the run's
    ``step_cycles``); the events are the run's per-cycle event rates times the window's cycles
    (grants, blocked cycles, NU/SI state changes, host pushes, one slice per timestep)."""
    t0, t1 = _check_window(window, run_result.steps)
    sc = np.asarray(run_result.step_cycles, np.int64)
    cyc = int(sc[t0:t1].sum())
    total = max(1, int(sc.sum()))
    c = {k: int(np.sum(v)) for k, v in (run_result.counters or {}).items()}
    per_cycle = (c.get("router_flits", 0) + c.get("router_blocked_cycles", 0) + 2 * c.get("fanout_flits", 0)
                 + 2 * c.get("axon_lookups", 0) + 2 * c.get("spikes", 0) + c.get("host_flits", 0)
                 + c.get("learning_cycles", 0)) / total
    nr, nc = chip.derived.n_routers, chip.derived.n_cores
    events = int(per_cycle * cyc) + 4 * (t1 - t0) * (1 + nr + nc)
    comps = nr + nc                     # routers and cores
    return WindowEstimate(t0, t1, cyc, cyc * comps,
                          cyc * comps * STEPPED_S_PER_COMPONENT_CYCLE + events * STEPPED_S_PER_EVENT, events,
                          events * TRACE_BYTES_PER_EVENT)
