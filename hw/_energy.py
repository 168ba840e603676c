"""Energy model: energy = Σ(event count x energy per event) + static power x time.

Computed after a run from its event counters, so changing energy parameters never needs a
re-simulation: ``energy_params(chip)`` resolves the per-event energies once (from the chip's
``energy`` table or derived from its ``technology``), ``compute_energy(params, result)``
applies them to any result that carries counters (duck-typed: ``counters``, ``steps``,
``step_cycles``). See docs/energy.md.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import _technology as T
from ._area import area_report, memory_words
from ._config import ChipConfig
from ._errors import ConfigError
from ._layout import CHIP_COUNTERS, COUNTER_NAMES, COUNTERS, CORE_COUNTERS, ROUTER_COUNTERS, Component, Energy

# The overhead/control factor scales the component sums built from bare SRAM arrays (CACTI)
# and bare arithmetic (Horowitz, ISSCC 2014), which undershoot real chips (docs/calibration.md). It does
# not apply to events priced from chip-level figures that already include their control:
# the clock (ODIN's measured idle power), router traversals (Loihi's per-hop energy), host
# link (TrueNorth's periphery energy), link wires and barrier tokens (NoC wires and routers).
# Which events those are is declared with each counter (neurocycle.hw._layout, Energy.overhead).
NO_OVERHEAD_EVENTS = frozenset(c.name for c in COUNTERS if isinstance(c.price, Energy) and not c.price.overhead)
_NO_OVERHEAD = NO_OVERHEAD_EVENTS


@dataclass(frozen=True)
class ResolvedTechnology:
    """Every technology number after node defaults are applied (what the derivation used)."""
    node_nm: int
    sram_cell: str
    sram_fits: tuple[tuple[int, float, float, float, float], ...]
    sram_leakage_uw_per_kb: float
    logic_energy_scale: float
    router_pj_per_bit: float
    wire_pj_per_bit_mm: float
    tile_pitch_mm: float
    host_link_pj_per_bit: float
    clock_pj_per_mm2_cycle: float
    overhead_factor: float
    tile_mm2: float


def resolve_technology(chip: ChipConfig, synth=None) -> ResolvedTechnology:
    """Fill node defaults; a missing default raises a ConfigError naming the field to set.
    ``synth`` (a SynthResult) makes the tile size, hence wire and clock energy, use measured logic."""
    t = chip.technology
    if t.sram_fits is not None:
        fits = tuple(sorted((f.word_bits, f.read_a_pj, f.read_b, f.write_a_pj, f.write_b) for f in t.sram_fits))
    else:
        fits = T.cacti_fits(t.sram_cell, t.node_nm)
        if fits is None:
            have = sorted({n for (c, w, n) in T.CACTI_SRAM_FITS if c == t.sram_cell and T.cacti_fits(c, n)})
            raise ConfigError("technology.sram_fits", f"has no CACTI fit for {t.sram_cell} at {t.node_nm} nm "
                              f"(tables cover {', '.join(map(str, have))} nm with two word widths)", None,
                              "set technology.sram_fits to two fits (word_bits, read_a_pj, read_b, write_a_pj, "
                              "write_b), or pick another node_nm / sram_cell")
    scale = t.logic_energy_scale
    if scale is None:
        scale = T.node_default(T.LOGIC_ENERGY_SCALE, t.node_nm, "logic_energy_scale",
                               "logic energy relative to 45 nm, e.g. 0.42 at 28 nm")
    wire = t.wire_pj_per_bit_mm
    if wire is None:
        wire = T.node_default(T.WIRE_PJ_PER_BIT_MM, t.node_nm, "wire_pj_per_bit_mm", "on-chip wire pJ per bit per mm")
    clock = t.clock_pj_per_mm2_cycle
    if clock is None:
        clock = T.node_default(T.CLOCK_PJ_PER_MM2_CYCLE, t.node_nm, "clock_pj_per_mm2_cycle",
                               "clock/idle energy per mm² of tile per cycle, pJ")
    area = area_report(chip, synth=synth)
    return ResolvedTechnology(
        node_nm=t.node_nm, sram_cell=t.sram_cell, sram_fits=fits, sram_leakage_uw_per_kb=t.sram_leakage_uw_per_kb,
        logic_energy_scale=scale, router_pj_per_bit=t.router_pj_per_bit, wire_pj_per_bit_mm=wire,
        tile_pitch_mm=area.tile_pitch_mm, host_link_pj_per_bit=t.host_link_pj_per_bit, clock_pj_per_mm2_cycle=clock,
        overhead_factor=t.overhead_factor, tile_mm2=area.tile_mm2)


def derive_event_components(chip: ChipConfig, tech: ResolvedTechnology | None = None) -> dict[str, dict[str, float]]:
    """Per event: its components in pJ *before* the overhead factor (docs/energy.md §2), as
    declared with each counter in neurocycle.hw._layout; free events have none."""
    tech = tech or resolve_technology(chip)
    sram = T.SramModel(tech.sram_fits)
    mem = memory_words(chip)
    b, d, k = chip.bits, chip.derived, tech.logic_energy_scale
    S, A, R, F = b.state, b.accumulator, b.refractory, d.flit_bits
    add = lambda n: T.int_add_pj(n, k)  # noqa: E731
    hop_wire = tech.wire_pj_per_bit_mm * tech.tile_pitch_mm
    widths = {"accumulator": A, "state": S, "refractory": R}

    def kb(name):
        words, bits = mem[name]
        return words * bits / 8192.0

    P = b.payload

    def value(c: Component) -> float | None:
        """pJ of one component, or None when the chip does not have it (a memory or datapath of
        graded spikes or event-driven update on a chip without them: left out of the event)."""
        if c.kind in ("sram_read", "sram_write") and c.arg not in mem:
            return None
        if c.kind == "sram_read":
            return sram.read_pj(kb(c.arg), mem[c.arg][1])
        if c.kind == "sram_write":
            return sram.write_pj(kb(c.arg), mem[c.arg][1])
        if c.kind == "payload_mult":
            # the SI's weight x payload, per synapse: a bits.weight x bits.payload multiplier
            return T.int_mult_pj(b.weight, P, k) if P else None
        if c.kind == "graded_output":
            # the NU's graded output: P compare-subtract steps of (state + payload) bits (microarchitecture.md §7)
            return P * add(S + P) if P else None
        if c.kind == "weight_update":
            # STDP: trace >> shift, add/subtract to the weight, clip to [w_min, w_max] (two compares)
            return add(b.weight + 2) + 2 * add(b.weight) if d.learning else None
        if c.kind == "trace_decay":
            # STDP trace walk: decay (trace x 13-bit multiply), add the increment, saturate
            return T.int_mult_pj(b.trace, 13, k) + 2 * add(b.trace + 1) if d.learning else None
        if c.kind == "add":
            return add(widths[c.arg])
        if c.kind == "lif_datapath":
            return (2 * T.int_mult_pj(S, 13, k)                  # decay(u), decay(v): S x 13-bit (4096 - d)
                    + add(A + 7) + 2 * add(S + 2) + add(R)        # u + (I << w_exp), v + u' + bias, refractory - 1
                    + 3 * add(S + 2))                             # saturate u, v; compare v >= vth
        if c.kind == "router_traversal":
            return tech.router_pj_per_bit * F
        if c.kind == "link_wire":
            return hop_wire * F
        if c.kind == "host_link":
            return tech.host_link_pj_per_bit * F
        if c.kind == "barrier_tokens":
            # a 1-bit "done" token up and a 1-bit "go" token down through every tile (no
            # published barrier energy exists: Davies et al., IEEE Micro 2018, Table 2 gives its latency only);
            # the tokens travel the router tree, so they scale with the routers
            return 2 * d.n_routers * (tech.router_pj_per_bit + hop_wire)
        if c.kind == "clock_tree":
            return tech.clock_pj_per_mm2_cycle * tech.tile_mm2 * d.n_routers
        raise AssertionError(f"energy component kind {c.kind!r} (declared in hw/_layout.py) has no formula")

    out = {}
    for c in COUNTERS:
        comps = {}
        if isinstance(c.price, Energy):
            for x in c.price.components:
                v = value(x)
                if v is not None:
                    comps[x.label] = v
        out[c.name] = comps
    return out


@dataclass(frozen=True)
class EnergyParams:
    """Resolved energy parameters of a chip: everything ``compute_energy`` needs."""
    chip: str
    mode: str
    clock_mhz: float
    n_cores: int
    events_pj: dict[str, float]             # every counter name
    event_source: dict[str, str]            # "table" | "technology" | "override" | "unlisted"
    static_power_mw: float
    static_source: str
    timestep_us: float | None = None
    components_pj: dict[str, dict[str, float]] = field(default_factory=dict)   # technology mode only
    overhead_factor: float | None = None
    technology: ResolvedTechnology | None = None
    n_routers: int = 0                      # 0: one router per core

    def with_events(self, **events_pj: float) -> "EnergyParams":
        """A copy with some per-event energies replaced (no re-simulation needed to apply it)."""
        bad = sorted(set(events_pj) - set(COUNTER_NAMES))
        if bad:
            raise ConfigError("events_pj", f"unknown event name(s) {bad}", None,
                              f"use counter names: {', '.join(COUNTER_NAMES)}")
        ev = {**self.events_pj, **{k: float(v) for k, v in events_pj.items()}}
        src = {**self.event_source, **{k: "override" for k in events_pj}}
        return EnergyParams(**{**self.__dict__, "events_pj": ev, "event_source": src})


def energy_params(chip: ChipConfig, synth=None) -> EnergyParams:
    """Per-event energies and static power of ``chip`` (table or technology mode); ``synth``
    (a SynthResult from ``--synth``) sizes the tile from measured logic."""
    e = chip.energy
    n_cores = chip.derived.n_cores
    given = e.static_power_mw is not None or e.static_power_mw_per_core is not None
    # chip-level part + one per-tile part per core (a sub-array of a chip then leaks like that sub-array)
    static_given = float(e.static_power_mw or 0.0) + float(e.static_power_mw_per_core or 0.0) * n_cores
    if e.mode == "table":
        events = {n: float(e.events_pj.get(n, 0.0)) for n in COUNTER_NAMES}
        source = {n: "table" if n in e.events_pj else "unlisted" for n in COUNTER_NAMES}
        return EnergyParams(chip=chip.name, mode="table", clock_mhz=chip.clock_mhz, n_cores=n_cores,
                            events_pj=events, event_source=source, static_power_mw=static_given,
                            static_source="table" if given else "unlisted",
                            timestep_us=e.timestep_us, n_routers=chip.derived.n_routers)
    tech = resolve_technology(chip, synth)
    comp = derive_event_components(chip, tech)
    events, source = {}, {}
    for n in COUNTER_NAMES:
        if n in e.events_pj:
            events[n], source[n] = float(e.events_pj[n]), "override"
        else:
            f = 1.0 if n in _NO_OVERHEAD else tech.overhead_factor
            events[n], source[n] = f * sum(comp[n].values()), "technology"
    if given:
        static, ssrc = static_given, "override"
    else:
        d = chip.derived
        sram_kb = (d.core_sram_bits * n_cores + d.table_bits * d.n_routers) / 8192.0
        static, ssrc = tech.sram_leakage_uw_per_kb * sram_kb / 1000.0, "technology"
    return EnergyParams(chip=chip.name, mode="technology", clock_mhz=chip.clock_mhz, n_cores=n_cores,
                        events_pj=events, event_source=source, static_power_mw=static, static_source=ssrc,
                        timestep_us=e.timestep_us, components_pj=comp, overhead_factor=tech.overhead_factor,
                        technology=tech, n_routers=chip.derived.n_routers)


@dataclass
class EnergyReport:
    """Energy of one run. Energies in pJ, power in mW, time in µs."""
    chip: str
    mode: str
    clock_mhz: float
    n_cores: int
    steps: int
    cycles: int
    time_us: float                      # simulated (or real-time, with timestep_us) duration
    timestep_us: float | None
    steps_over_timestep: int            # timesteps that needed longer than timestep_us
    events_pj: dict[str, float]
    event_source: dict[str, str]
    counts: dict[str, int]
    by_event_pj: dict[str, float]       # dynamic energy per event kind
    core_events: tuple[str, ...]        # core- and router-scope events, columns of by_core_event_pj
    by_core_event_pj: np.ndarray        # [n_cores, len(core_events)]; a router's events shared by its cores
    dynamic_pj: float
    static_pj: float
    static_power_mw: float
    total_pj: float
    avg_power_mw: float
    energy_per_step_pj: float
    synaptic_ops: int
    energy_per_sop_pj: float | None     # total / SOPs
    dynamic_energy_per_sop_pj: float | None
    incremental_energy_per_sop_pj: float | None   # dynamic without the clock: a power-vs-SOP-rate slope
    edp_j_s: float                      # energy-delay product: total energy (J) x time (s)
    latency_us_per_step: float

    @property
    def by_core_pj(self) -> np.ndarray:
        """Dynamic energy of each tile (core + router events)."""
        return self.by_core_event_pj.sum(axis=1)

    @property
    def chip_events_pj(self) -> dict[str, float]:
        return {n: self.by_event_pj[n] for n in CHIP_COUNTERS}

    def to_dict(self) -> dict:
        return {
            "chip": self.chip, "mode": self.mode, "clock_mhz": self.clock_mhz, "steps": self.steps,
            "cycles": self.cycles, "time_us": self.time_us, "timestep_us": self.timestep_us,
            "steps_over_timestep": self.steps_over_timestep,
            "total_pj": self.total_pj, "dynamic_pj": self.dynamic_pj, "static_pj": self.static_pj,
            "static_power_mw": self.static_power_mw, "avg_power_mw": self.avg_power_mw,
            "energy_per_step_pj": self.energy_per_step_pj, "synaptic_ops": self.synaptic_ops,
            "energy_per_sop_pj": self.energy_per_sop_pj, "dynamic_energy_per_sop_pj": self.dynamic_energy_per_sop_pj,
            "incremental_energy_per_sop_pj": self.incremental_energy_per_sop_pj,
            "edp_j_s": self.edp_j_s, "latency_us_per_step": self.latency_us_per_step,
            "events_pj": self.events_pj, "event_source": self.event_source, "counts": self.counts,
            "by_event_pj": self.by_event_pj,
            "by_core_pj": {n: self.by_core_event_pj[:, i].tolist() for i, n in enumerate(self.core_events)},
            "by_core_total_pj": self.by_core_pj.tolist(),
        }


def compute_energy(params: "EnergyParams | ChipConfig", result) -> EnergyReport:
    """Energy of a finished run from its counters (``result``: a SimResult or any object with
    ``counters``, ``steps`` and ``step_cycles``)."""
    if isinstance(params, ChipConfig):
        params = energy_params(params)
    counters = getattr(result, "counters", None)
    if not counters:
        raise ConfigError("backend", "produced no event counters, so energy cannot be computed",
                          getattr(result, "backend", None), "simulate with the cycle backend (backend='cycle')")
    missing = [n for n in COUNTER_NAMES if n not in counters]
    if missing:
        raise ConfigError("counters", f"the result lacks counter(s) {missing}", None,
                          "use a result produced by the cycle backend of this version")
    nc = params.n_cores
    nr = params.n_routers or nc
    core_events = CORE_COUNTERS + ROUTER_COUNTERS
    by_core = np.zeros((nc, len(core_events)))
    counts, by_event = {}, {}
    for i, n in enumerate(core_events):
        c = np.asarray(counters[n], dtype=np.int64).reshape(-1)
        want, what = (nr, "routers") if n in ROUTER_COUNTERS else (nc, "cores")
        if c.size != want:
            raise ConfigError(f"counters.{n}", f"has {c.size} entries but the chip has {want} {what}", None,
                              "compute energy with the chip config the run used")
        if want == nc:
            by_core[:, i] = c * params.events_pj[n]
        else:       # a router's events, shared evenly by the cores on it
            by_core[:, i] = np.repeat(c * params.events_pj[n] / (nc // nr), nc // nr)
        counts[n] = int(c.sum())
        by_event[n] = float(by_core[:, i].sum())
    for n in CHIP_COUNTERS:
        c = int(np.asarray(counters[n]).sum())
        counts[n] = c
        by_event[n] = c * params.events_pj[n]
    step_cycles = getattr(result, "step_cycles", None)
    steps = int(getattr(result, "steps", 0) or (len(step_cycles) if step_cycles is not None else 0))
    cycles = int(np.sum(step_cycles)) if step_cycles is not None else counts["cycles"]
    cycle_us = 1.0 / params.clock_mhz
    over = 0
    if params.timestep_us is not None:
        per_step = (np.asarray(step_cycles, dtype=np.float64) * cycle_us if step_cycles is not None
                    else np.full(max(steps, 1), cycles * cycle_us / max(steps, 1)))
        over = int((per_step > params.timestep_us).sum())
        time_us = float(np.maximum(per_step, params.timestep_us).sum())
    else:
        time_us = cycles * cycle_us
    dynamic = float(sum(by_event.values()))
    static = params.static_power_mw * 1e-3 * time_us * 1e-6 * 1e12   # mW x µs -> pJ
    total = dynamic + static
    sops = counts["synaptic_ops"]
    return EnergyReport(
        chip=params.chip, mode=params.mode, clock_mhz=params.clock_mhz, n_cores=nc, steps=steps, cycles=cycles,
        time_us=time_us, timestep_us=params.timestep_us, steps_over_timestep=over, events_pj=dict(params.events_pj),
        event_source=dict(params.event_source), counts=counts, by_event_pj=by_event, core_events=core_events,
        by_core_event_pj=by_core, dynamic_pj=dynamic, static_pj=static, static_power_mw=params.static_power_mw,
        total_pj=total, avg_power_mw=(total / time_us * 1e-3) if time_us > 0 else 0.0,
        energy_per_step_pj=total / steps if steps else total, synaptic_ops=sops,
        energy_per_sop_pj=total / sops if sops else None, dynamic_energy_per_sop_pj=dynamic / sops if sops else None,
        incremental_energy_per_sop_pj=(dynamic - by_event["cycles"]) / sops if sops else None,
        edp_j_s=total * 1e-12 * time_us * 1e-6, latency_us_per_step=time_us / steps if steps else time_us)


def fit_overhead_factor(params: EnergyParams, result, target_pj_per_sop: float) -> float:
    """The overhead factor that makes the technology model's incremental energy per synaptic
    op on ``result`` equal ``target_pj_per_sop``.

    Incremental = every event except the clock (``cycles``), static excluded: what a chip's
    slope of power vs SOP rate measures (ODIN's 8.43 pJ/SOP, Frenkel et al., IEEE TBioCAS 2019). Events
    given explicitly (overrides) are kept as they are; only derived events scale.
    """
    if params.mode != "technology" or not params.components_pj:
        raise ConfigError("energy.mode", "fitting the overhead factor needs the technology model", params.mode,
                          "use energy mode technology (neurocycle ppa --energy technology)")
    rep = compute_energy(params, result)
    sops = rep.counts["synaptic_ops"]
    if sops == 0:
        raise ConfigError("network", "the run has no synaptic ops to fit against", 0,
                          "use a workload whose spikes reach synapses")
    fixed = scaled = 0.0
    for n, count in rep.counts.items():
        if n == "cycles":
            continue
        if params.event_source[n] == "technology" and n not in _NO_OVERHEAD:
            scaled += count * sum(params.components_pj[n].values())
        else:
            fixed += count * params.events_pj[n]
    if scaled <= 0 or target_pj_per_sop * sops <= fixed:
        raise ConfigError("target", "cannot be reached by scaling the derived events", target_pj_per_sop,
                          "check the target and the explicit event energies")
    return (target_pj_per_sop * sops - fixed) / scaled
