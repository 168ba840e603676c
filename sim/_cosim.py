"""Co-simulation: the chip program on the SystemVerilog RTL (Verilator + cocotb) vs the model.

:func:`run_rtl` loads a :class:`ChipProgram` into ``nc_chip`` through the host bus (the way a
host programs a chip), drives each timestep's input flits through the host link, and returns a
:class:`SimResult` (backend ``"rtl"``) with spikes, spike cycles, cycles per timestep, every
event counter and the per-port detail arrays — all read back through the host bus.
:func:`compare` reports the first mismatch against the model as timestep, tile, cycle,
field, expected, actual. :func:`cosim` does both for a chip + network; ``neurocycle cosim``
is its command line (neurocycle.sim.cli._cosim).
"""
from __future__ import annotations

import os
import pickle
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from neurocycle.hw import CHIP_COUNTERS, CORE_COUNTERS, COUNTER_BY_NAME, COUNTER_NAMES, ROUTER_COUNTERS
from neurocycle.hw import ConfigError, layout

from ._network import Stimulus
from ._program import ChipProgram
from ._result import SimResult

__all__ = ["run_rtl", "run_rtl_many", "compare", "Mismatch", "cosim", "CosimReport", "rtl_case"]

DETAIL_FIELDS = layout.DETAIL_NAMES
MAX_RTL_TILES = 64   # a Verilator model grows with the tile count; beyond this it needs GBs and hours
_PROGRAM_ARRAYS = ("core_neuron_offset", "core_profile_offset", "profile_table", "row_profile", "row_fanout_base",
                   "row_fanout_len", "core_axon_offset", "axon_base", "axon_len", "core_word_offset", "syn_valid",
                   "syn_target", "syn_weight", "core_fanout_offset", "router_table_offset", "table_key",
                   "table_outputs", "syn_delay", "syn_plastic", "core_stdp", "core_rev_offset", "row_rev_base",
                   "row_rev_len", "rev_axon", "rev_word", "rev_lane")


# ----------------------------------------------------------------------------- jobs
def host_flits_per_step(program: ChipProgram, stim: Stimulus) -> list[np.ndarray]:
    """The host-link flits of every timestep, in push order (channel order, then fan-out order),
    each with its input spike's payload on a graded chip."""
    from ._program import stimulus_payloads

    io = program.input_fanout_offset.astype(np.int64)
    pay = stimulus_payloads(program, stim)
    out = []
    for t in range(stim.steps):
        lo, hi = int(stim.offsets[t]), int(stim.offsets[t + 1])
        ch = np.asarray(stim.channels[lo:hi], np.int64)
        idx = [np.arange(io[c], io[c + 1]) for c in ch]
        if not idx:
            out.append(np.zeros(0, np.int64))
            continue
        sel = np.concatenate(idx)
        q = np.repeat(pay[lo:hi], io[ch + 1] - io[ch])
        out.append(program.flit(program.input_dst_x[sel], program.input_dst_y[sel], program.input_axon[sel],
                                mc=program.input_mc[sel], payload=q))
    return out


def _step_cycle_bound(program: ChipProgram, stim: Stimulus) -> int:
    """The RTL host's per-timestep watchdog: the largest proven bound of any timestep."""
    from ._bounds import step_cycle_bounds
    from ._cycle import host_flits

    return int(step_cycle_bounds(program, *host_flits(program, stim)).max(initial=0))


def rtl_case(program: ChipProgram, stim: Stimulus, *, max_step_cycles: int | None = None,
             build_options: dict | None = None) -> dict:
    """Everything the cocotb host needs for one run, as plain numpy arrays (picklable).

    ``build_options``: RTL build options (``cnt_bits``, ``host_queue_depth``; default: 48-bit
    counters and the smallest power-of-two queue from the default up that holds a timestep)."""
    from neurocycle.rtl import chip_parameters, system_parameters

    c = program.chip
    if c.derived.flit_bits > 32:
        raise ConfigError("bits.payload" if c.bits.payload else "core.axons",
                          f"makes the flit {c.derived.flit_bits} bits wide, but the RTL host bus writes flits of at "
                          "most 32 bits (host queue, fan-out table)", c.derived.flit_bits,
                          "co-simulate with fewer payload bits or axons (the model has no such limit)")
    if program.n_cores > MAX_RTL_TILES:
        what = "the system's" if program.system is not None else ""
        raise ConfigError("grid" if program.system is not None else "mesh",
                          f"{what} {c.mesh.width}x{c.mesh.height} tiles = {program.n_cores} cores is too large to "
                          f"co-simulate in RTL (limit {MAX_RTL_TILES})".strip(), f"{c.mesh.width}x{c.mesh.height}",
                          "co-simulate the same core on a smaller mesh (e.g. mesh.width/height 4, or a 2x1 grid of "
                          "small chips) and a network that fits it")
    prog = {k: np.asarray(getattr(program, k)) for k in _PROGRAM_ARRAYS}
    prog["fanout_flit"] = program.flit(program.fanout_dst_x, program.fanout_dst_y, program.fanout_axon,
                                       program.fanout_mc)
    prog["table_entries"] = c.router.table_entries if c.router.routing == "multicast" else 0
    step_flits = host_flits_per_step(program, stim)
    need = max((len(f) for f in step_flits), default=0)
    opts = dict(build_options or {})
    q = int(opts.pop("host_queue_depth", _queue_depth(need)))
    if q < need:
        raise ConfigError("host_queue_depth", f"holds {q} flits but a timestep has {need} host flits", q,
                          f"use host_queue_depth >= {need} (or leave it to the default)")
    return {"program": prog, "step_flits": [f.astype(np.int64) for f in step_flits],
            "parameters": (chip_parameters(program.chip, q, **opts) if program.system is None
                           else system_parameters(program.system, q, **opts)),
            "top": "nc_chip" if program.system is None else "nc_system",
            "max_cycles": int(max_step_cycles or _step_cycle_bound(program, stim)),
            "learning": bool(program.learning),
            "core_counters": list(CORE_COUNTERS), "router_counters": list(ROUTER_COUNTERS),
            "chip_counters": list(CHIP_COUNTERS)}


def _queue_depth(need: int) -> int:
    """Host queue size of the build: the default, or the next power of two that holds a timestep."""
    from neurocycle.rtl import DEFAULT_HOST_QUEUE_DEPTH

    q = DEFAULT_HOST_QUEUE_DEPTH
    while q < need:
        q *= 2
    return q


def _to_result(program: ChipProgram, steps: int, raw: dict, wall_s: float) -> SimResult:
    nlo = program.core_neuron_offset.astype(np.int64)
    sp = np.asarray(raw["spikes"], np.int64).reshape(-1, 5)   # step, core, local neuron, cycle, payload
    rows = nlo[sp[:, 1]] + sp[:, 2]
    gids = program.row_gid[rows].astype(np.int64)
    order = np.lexsort((gids, sp[:, 0]))
    T = np.asarray(raw["T"], np.int64)
    res = SimResult(backend="rtl", steps=steps, spike_steps=sp[order, 0], spike_neurons=gids[order],
                    spike_cycles=sp[order, 3], step_cycles=np.diff(T), wall_s=wall_s,
                    spike_payloads=sp[order, 4] if program.chip.bits.payload else None,
                    weights=np.asarray(raw["weights"], np.int64) if raw.get("weights") is not None else None)
    if raw.get("counters") is not None:
        res.counters = {}
        for name in COUNTER_NAMES:
            v = np.asarray(raw["counters"][name], np.int64)
            res.counters[name] = v if COUNTER_BY_NAME[name].scope != "chip" else np.array(int(v), np.int64)
        res.detail = {k: np.asarray(v, np.int64) for k, v in raw["detail"].items()}
    res.rtl_timeout_step = raw.get("timeout_step")          # type: ignore[attr-defined]
    res.rtl_load_s = raw.get("load_s", 0.0)                 # type: ignore[attr-defined]
    res.rtl_run_s = raw.get("run_s", 0.0)                   # type: ignore[attr-defined]
    res.rtl_chip_s = raw.get("chip_s", 0.0)                 # type: ignore[attr-defined]
    return res


def run_rtl_many(cases: Sequence[tuple[ChipProgram, Stimulus]], *, waves: bool = False,
                 work_dir: str | os.PathLike | None = None, keep: bool = False,
                 max_step_cycles: int | None = None, build_options: dict | None = None) -> list[SimResult]:
    """Run several programs of the same chip in one simulator process (one build, one start-up).

    ``waves`` writes ``dump.vcd`` into ``work_dir``. Returned results carry the RTL wall time
    split into ``rtl_load_s`` (program loading), ``rtl_run_s`` (timesteps, host traffic and
    read-back included) and ``rtl_chip_s`` (the part where the chip ran on its own)."""
    from neurocycle.rtl import build, run_cocotb

    if not cases:
        return []
    jobs = [rtl_case(p, s, max_step_cycles=max_step_cycles, build_options=build_options) for p, s in cases]
    params = jobs[0]["parameters"]
    top = jobs[0]["top"]
    if any(j["top"] != top for j in jobs):
        raise ConfigError("cases", "mix chips and systems (two RTL tops)", "mixed", "run chips and systems apart")
    for j in jobs[1:]:
        q = max(params["HOST_QUEUE_DEPTH"], j["parameters"]["HOST_QUEUE_DEPTH"])
        if {**j["parameters"], "HOST_QUEUE_DEPTH": q} != {**params, "HOST_QUEUE_DEPTH": q}:
            raise ConfigError("cases", "must all use the same chip config (one RTL build)", "mixed chips",
                              "group the cases by chip and call run_rtl_many once per chip")
        params["HOST_QUEUE_DEPTH"] = q
    for j in jobs:
        j["parameters"] = params
    b = build(top, params, waves=waves)
    own = work_dir is None
    wd = Path(tempfile.mkdtemp(prefix="nc-cosim-")) if own else Path(work_dir)
    wd.mkdir(parents=True, exist_ok=True)
    try:
        job_file, out_file = wd / "job.pkl", wd / "result.pkl"
        with open(job_file, "wb") as fh:
            pickle.dump({"cases": jobs}, fh)
        t0 = time.perf_counter()
        run_cocotb(b, "neurocycle.rtl._host", test_dir=wd, waves=waves, log_file=wd / "sim.log",
                   extra_env={"NC_COSIM_JOB": str(job_file), "NC_COSIM_OUT": str(out_file)})
        wall = time.perf_counter() - t0
        with open(out_file, "rb") as fh:
            raw = pickle.load(fh)
    finally:
        if own and not keep and not waves:
            shutil.rmtree(wd, ignore_errors=True)
    return [_to_result(p, s.steps, r, wall / len(cases)) for (p, s), r in zip(cases, raw["results"])]


def run_rtl(program: ChipProgram, stim: Stimulus, progress: Callable[[int], None] | None = None, *,
            waves: bool = False, work_dir: str | os.PathLike | None = None,
            max_step_cycles: int | None = None) -> SimResult:
    """Simulate ``program`` on the RTL for ``stim.steps`` timesteps (a backend like run_cycle)."""
    res = run_rtl_many([(program, stim)], waves=waves, work_dir=work_dir, max_step_cycles=max_step_cycles)[0]
    if progress is not None:
        for t in range(stim.steps):
            progress(t)
    return res


# ----------------------------------------------------------------------------- comparison
@dataclass(frozen=True)
class Mismatch:
    """The first disagreement between the model (expected) and the RTL (actual)."""
    timestep: int | None
    tile: int | None
    cycle: int | None
    field: str
    expected: object
    actual: object
    width: int = 0          # mesh width, to print tile coordinates
    cores_per_router: int = 1
    is_core: bool = True    # ``tile`` is a core index (else a router index)

    def __str__(self) -> str:
        where = []
        if self.timestep is not None:
            where.append(f"timestep {self.timestep}")
        if self.tile is not None:
            w, c = max(1, self.width), max(1, self.cores_per_router)
            if c == 1:
                where.append(f"tile {self.tile} (x={self.tile % w}, y={self.tile // w})")
            elif self.is_core:
                r = self.tile // c
                where.append(f"core {self.tile} (router x={r % w}, y={r // w}, local core {self.tile % c})")
            else:
                where.append(f"router {self.tile} (x={self.tile % w}, y={self.tile // w})")
        if self.cycle is not None:
            where.append(f"cycle {self.cycle}")
        return (f"{', '.join(where) or 'run'}: field {self.field}: expected {self.expected}, "
                f"actual {self.actual}")


def compare(expected: SimResult, actual: SimResult, program: ChipProgram) -> Mismatch | None:
    """First mismatch in time order (spikes of a timestep by cycle, then its length), then counters.

    Exact everywhere; if ``expected`` has no cycles (functional reference) only spikes are compared."""
    W, C = program.chip.mesh.width, program.chip.mesh.cores_per_router
    core_of_gid = program.core_of_row[program.gid_row]
    cyc_e = expected.spike_cycles is not None and actual.spike_cycles is not None
    timeout = getattr(actual, "rtl_timeout_step", None)
    steps = min(expected.steps, actual.steps)
    T0 = 0
    for t in range(steps):
        if timeout is not None and t == timeout:
            exp_len = int(expected.step_cycles[t]) if expected.step_cycles is not None else "a finished timestep"
            return Mismatch(t, None, T0, "step_cycles", exp_len, "no quiescence (watchdog)", W)
        e_sel = expected.spike_steps == t
        a_sel = actual.spike_steps == t
        e = dict(zip(expected.spike_neurons[e_sel].tolist(),
                     expected.spike_cycles[e_sel].tolist() if cyc_e else [None] * int(e_sel.sum())))
        a = dict(zip(actual.spike_neurons[a_sel].tolist(),
                     actual.spike_cycles[a_sel].tolist() if cyc_e else [None] * int(a_sel.sum())))
        pay = expected.spike_payloads is not None and actual.spike_payloads is not None
        ep = dict(zip(expected.spike_neurons[e_sel].tolist(), expected.spike_payloads[e_sel].tolist())) if pay else {}
        ap = dict(zip(actual.spike_neurons[a_sel].tolist(), actual.spike_payloads[a_sel].tolist())) if pay else {}
        bad = []
        for g in set(e) | set(a):
            if g not in a:
                bad.append((e[g], g, "spike", f"neuron {g} fires", "no spike"))
            elif g not in e:
                bad.append((a[g], g, "spike", "no spike", f"neuron {g} fires"))
            elif e[g] != a[g]:
                bad.append((min(e[g], a[g]), g, "spike_cycle", f"neuron {g} at {e[g]}", f"neuron {g} at {a[g]}"))
            elif pay and ep[g] != ap[g]:
                bad.append((e[g], g, "spike_payload", f"neuron {g} sends {ep[g]}", f"neuron {g} sends {ap[g]}"))
        if bad:
            c, g, fld, ev, av = min(bad, key=lambda b: (b[0] if b[0] is not None else -1, b[1]))
            return Mismatch(t, int(core_of_gid[g]), c, fld, ev, av, W, C)
        if expected.step_cycles is not None and actual.step_cycles is not None:
            ec, ac = int(expected.step_cycles[t]), int(actual.step_cycles[t])
            if ec != ac:
                return Mismatch(t, None, T0 + min(ec, ac), "step_cycles", ec, ac, W)
            T0 += ec
    if expected.steps != actual.steps:
        return Mismatch(None, None, None, "steps", expected.steps, actual.steps, W)
    if (expected.spike_payloads is None) != (actual.spike_payloads is None):
        return Mismatch(None, None, None, "spike_payloads", "none" if expected.spike_payloads is None else "payloads",
                        "none" if actual.spike_payloads is None else "payloads", W)
    if expected.counters is None or actual.counters is None:
        return None
    for name in COUNTER_NAMES:
        ev, av = np.asarray(expected.counters[name]), np.asarray(actual.counters.get(name, -1))
        if name in CHIP_COUNTERS:
            if int(ev) != int(av):
                return Mismatch(None, None, None, name, int(ev), int(av), W)
            continue
        if ev.shape != av.shape:
            return Mismatch(None, None, None, name, f"shape {ev.shape}", f"shape {av.shape}", W)
        diff = np.flatnonzero(ev != av)
        if diff.size:
            k = int(diff[0])
            return Mismatch(None, k, None, name, int(ev[k]), int(av[k]), W, C, name in CORE_COUNTERS)
    for name in DETAIL_FIELDS:
        if name not in expected.detail:
            continue
        ev, av = np.asarray(expected.detail[name]), np.asarray(actual.detail.get(name, np.zeros(0)))
        if ev.shape != av.shape:
            return Mismatch(None, None, None, name, f"shape {ev.shape}", f"shape {av.shape}", W)
        diff = np.argwhere(ev != av)
        if diff.size:
            k, port = (int(v) for v in diff[0])
            names = layout.port_names(program.chip.mesh.cores_per_router)
            label = names[port] if port < len(names) else ("core" if C == 1 else f"core {port - len(names)}")
            return Mismatch(None, k, None, f"{name}[{label}]", int(ev[k, port]), int(av[k, port]), W, C, False)
    return compare_weights(expected, actual, program)


def compare_weights(expected: SimResult, actual: SimResult, program: ChipProgram) -> Mismatch | None:
    """The final weights after learning (STDP), slot by slot: the first differing slot as
    ``weights[word w, lane l]`` of its core (word local to the core)."""
    W, C = program.chip.mesh.width, program.chip.mesh.cores_per_router
    if expected.weights is None and actual.weights is None:
        return None
    if (expected.weights is None) != (actual.weights is None):
        return Mismatch(None, None, None, "weights", "none" if expected.weights is None else "final weights",
                        "none" if actual.weights is None else "final weights", W, C)
    ev, av = np.asarray(expected.weights), np.asarray(actual.weights)
    if ev.shape != av.shape:
        return Mismatch(None, None, None, "weights", f"shape {ev.shape}", f"shape {av.shape}", W, C)
    diff = np.argwhere(ev != av)
    if diff.size:
        word, lane = (int(v) for v in diff[0])
        k = int(np.searchsorted(program.core_word_offset, word, side="right") - 1)
        return Mismatch(None, k, None, f"weights[word {word - int(program.core_word_offset[k])}, lane {lane}]",
                        int(ev[word, lane]), int(av[word, lane]), W, C)
    return None


# ----------------------------------------------------------------------------- cosim
@dataclass
class CosimReport:
    chip_name: str
    network_name: str
    steps: int
    model: SimResult
    rtl: SimResult
    mismatch: Mismatch | None
    model_backend: str
    build_s: float
    build_cached: bool
    fields_compared: list[str] = field(default_factory=list)

    @property
    def agree(self) -> bool:
        return self.mismatch is None


def model_backend():
    """(name, run function) of the model the RTL is checked against: the cycle model if built,
    else the functional reference (spikes only)."""
    try:
        from ._engine import run_cycle
        return "cycle", run_cycle
    except ImportError:   # the Cython engine is not built: spikes only
        from ._reference import run_reference
        return "reference", run_reference


def cosim(chip=None, network=None, *, steps: int = 20, seed: int | None = None, waves: bool = False,
          work_dir: str | os.PathLike | None = None, options=None) -> CosimReport:
    """Compile ``network`` onto ``chip``, run the model and the RTL, compare them exactly."""
    from neurocycle.rtl import build

    from ._api import prepare

    chip_cfg, spec, net, program, stim, seed = prepare(chip, network, steps=steps, seed=seed, options=options)
    name, run_model = model_backend()
    model = run_model(program, stim)
    case = rtl_case(program, stim)
    b = build("nc_chip", case["parameters"], waves=waves)
    rtl = run_rtl(program, stim, waves=waves, work_dir=work_dir)
    mm = compare(model, rtl, program)
    fields = ["spikes"] + (["spike_payloads"] if chip_cfg.bits.payload else []) + (
        ["weights"] if program.learning else []) + (
        ["spike_cycles", "step_cycles", *COUNTER_NAMES, *DETAIL_FIELDS]
                           if model.step_cycles is not None else [])
    return CosimReport(chip_name=chip_cfg.name, network_name=spec.name, steps=steps, model=model, rtl=rtl,
                       mismatch=mm, model_backend=name, build_s=b.seconds, build_cached=b.cached,
                       fields_compared=fields)
