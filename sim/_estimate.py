"""One call from a trained model to a hardware estimate: cycles, latency, energy (with what data
movement and leakage add to the synaptic operations), area, and whether and where it fits.

    from neurocycle.sim import estimate
    est = estimate("model.nir", "default-4x4", framework="snntorch", inputs={"input": spikes})
    print(est.table())

The model (a NIR graph or path, a ``NIRConversion``, or any network ``simulate`` takes) is
compiled onto the chip; if it does not fit, onto the smallest chip of the same shape (the
same core, router and technology on a larger square-ish mesh) that it fits. The cycle-level
model runs it for ``steps`` timesteps and the energy model prices the events. Beside the
total, the estimate counts synaptic operations as NeuroBench defines them (effective
synaptic operations: every spike times the non-zero synapses it drives) and what they would
cost at the chip's price of one synaptic op, the figure most SNN papers report; the rest of
the chip's energy is what data movement, neuron updates, the clock and leakage add
(docs/nir.md, "Estimate").
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field

import numpy as np

from neurocycle.hw import ENERGY_GROUPS, CapacityError, ChipConfig, ConfigError, NumericFormat, area_report, load_chip

from ._compiler import compile_network
from ._network import NetworkSpec, load_network

# energy event kinds by what they are (unknown future kinds land in "other")
MAX_MESH = 64


@dataclass(frozen=True)
class Estimate:
    """A model's cost on a chip (energies in pJ, times in µs, area in mm²)."""
    model: str
    chip: str                        # the chip asked for
    fits: bool                       # whether the model fits it
    ran_on: str                      # the chip the estimate ran on (the one asked for, or the smallest that fits)
    mesh: tuple[int, int]            # its mesh (width, height)
    smallest_fitting_mesh: tuple[int, int] | None   # smallest mesh of this chip's shape the model fits
    steps: int
    dt_ms: float
    total_cycles: int
    cycles_per_step_mean: float
    cycles_per_step_max: int
    latency_us_per_step_mean: float
    latency_us_per_step_max: float
    run_time_us: float
    real_time_factor: float          # simulated time / model time (steps x dt): < 1 keeps up with real time
    energy_pj: float
    energy_breakdown_pj: dict[str, float]   # synapse, neuron, network, clock and barrier, static (+ other)
    energy_per_step_pj: float
    average_power_mw: float
    area_mm2: float
    tile_mm2: float
    neurobench_synops: int           # effective synaptic operations (spikes x non-zero synapses driven)
    chip_synaptic_ops: int           # what the chip integrated (includes the always-on bias channel)
    synop_energy_pj: float           # the chip's price of one synaptic op
    synops_only_energy_pj: float     # neurobench_synops x synop_energy_pj: the usual hand estimate
    spikes: int
    framework: str | None = None     # the NIR reading, if the model is a NIR graph
    notes: tuple[str, ...] = field(default=())

    @property
    def overhead_factor(self) -> float:
        """Total energy over the SynOps-only estimate."""
        return self.energy_pj / self.synops_only_energy_pj if self.synops_only_energy_pj > 0 else float("inf")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["overhead_factor"] = self.overhead_factor
        return d

    def table(self) -> str:
        def e(pj: float) -> str:
            return f"{pj / 1e6:.4g} µJ" if pj >= 1e5 else f"{pj / 1e3:.4g} nJ"
        where = (f"fits {self.chip}" if self.fits else
                 f"does NOT fit {self.chip}; ran on {self.ran_on} ({self.mesh[0]}x{self.mesh[1]})")
        sm = self.smallest_fitting_mesh
        rows = [
            ("model", f"{self.model}" + (f" (NIR, {self.framework} conventions)" if self.framework else "")),
            ("chip", where),
            ("smallest fitting mesh", f"{sm[0]}x{sm[1]} of this chip's tile" if sm else "none up to "
                                      f"{MAX_MESH}x{MAX_MESH}"),
            ("timesteps", f"{self.steps} x {self.dt_ms:g} ms"),
            ("cycles", f"{self.total_cycles:,} (per step mean {self.cycles_per_step_mean:.1f}, max "
                       f"{self.cycles_per_step_max:,})"),
            ("latency per step", f"mean {self.latency_us_per_step_mean:.3f} µs, max {self.latency_us_per_step_max:.3f} µs"),
            ("run time", f"{self.run_time_us:,.2f} µs ({self.real_time_factor:.2g}x the model's own time)"),
            ("energy", f"{e(self.energy_pj)} ({e(self.energy_per_step_pj)} per step, "
                       f"{self.average_power_mw:.3g} mW average)"),
        ]
        for k, v in self.energy_breakdown_pj.items():
            rows.append((f"  {k}", f"{e(v)} ({100 * v / self.energy_pj:.1f} %)" if self.energy_pj else e(v)))
        rows += [
            ("area", f"{self.area_mm2:.4g} mm² ({self.tile_mm2:.4g} mm² per tile)"),
            ("synaptic ops (NeuroBench)", f"{self.neurobench_synops:,} effective SynOps"),
            ("  x price of one op", f"{e(self.synops_only_energy_pj)} at {self.synop_energy_pj:.3g} pJ/op: "
                                    "the SynOps-only estimate"),
            ("  chip total / SynOps-only", f"{self.overhead_factor:.3g}x (data movement, neuron updates, clock, "
                                           "leakage)"),
        ]
        w = max(len(r[0]) for r in rows)
        lines = [f"{a.ljust(w)}  {b}" for a, b in rows]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


def _candidate_meshes(limit: int = MAX_MESH):
    """Square-ish meshes in order of size: 1x1, 2x1, 2x2, 3x2, 3x3, ..."""
    yield (1, 1)
    for n in range(2, limit + 1):
        yield (n, n - 1)
        yield (n, n)


def _with_mesh(chip: ChipConfig, w: int, h: int) -> ChipConfig:
    return chip.with_overrides({"mesh.width": int(w), "mesh.height": int(h), "name": f"{chip.name}@{w}x{h}"})


def smallest_mesh(chip: ChipConfig, net, options=None) -> tuple[ChipConfig, object] | None:
    """The smallest square-ish mesh of ``chip``'s tile that ``net`` compiles onto, and its program.

    Raises the compiler's ``CapacityError`` when no mesh can help (a limit of the tile itself,
    e.g. the weight bits or one neuron's fan-in)."""
    need = -(-net.n_neurons // max(1, chip.core.neurons))
    for w, h in _candidate_meshes():
        if w * h < need:
            continue
        c = _with_mesh(chip, w, h)
        try:
            return c, compile_network(net, c, options)
        except CapacityError as exc:
            if not str(exc.field).startswith(("core", "mesh")):
                raise
            continue
    return None


def neurobench_synops(net, stimulus, spike_neurons: np.ndarray, skip_channels=()) -> int:
    """Effective synaptic operations: every input and neuron spike times the non-zero synapses it drives."""
    src = np.asarray(net.syn_source, np.int64)
    w = np.asarray(net.syn_weight)
    outdeg = np.bincount(src[w != 0], minlength=net.n_inputs + net.n_neurons)
    in_counts = np.bincount(np.asarray(stimulus.channels, np.int64), minlength=net.n_inputs).astype(np.int64)
    for c in skip_channels:
        in_counts[c] = 0
    n_counts = np.bincount(np.asarray(spike_neurons, np.int64), minlength=net.n_neurons)
    return int(in_counts @ outdeg[:net.n_inputs] + n_counts @ outdeg[net.n_inputs:])


def estimate(model, chip=None, *, inputs: dict | None = None, steps: int | None = None,
             framework: str | None = None, dt_ms: float | None = None, allow_dropped: bool = False,
             seed: int | None = None, options=None) -> Estimate:
    """Cycles, latency, energy with its breakdown, area and fit of ``model`` on ``chip``.

    ``model``: a NIR graph or ``.nir`` path (imported with ``framework``, ``dt_ms``, ``inputs``,
    ``allow_dropped`` as :func:`convert_nir` takes them), a ``NIRConversion``, or a network
    (preset, YAML, ``NetworkSpec``). ``steps``: default the length of the given input spike
    trains plus the graph's latency, else 100.
    """
    from ._api import simulate
    from .nir import NIRConversion, convert_nir

    chip_cfg = load_chip(chip)
    conv = None
    name = str(model) if isinstance(model, (str, os.PathLike)) else getattr(model, "name", type(model).__name__)
    if isinstance(model, NIRConversion):
        conv = model
        name = conv.spec.name
    elif _is_nir(model):
        conv = convert_nir(model, numeric=NumericFormat.of(chip_cfg), framework=framework, dt_ms=dt_ms,
                           inputs=inputs, allow_dropped=allow_dropped)
    elif inputs is not None or framework is not None:
        raise ConfigError("model", "inputs= and framework= apply to NIR graphs only", type(model).__name__,
                          "pass a NIR graph or .nir path, or give the network's inputs in its own description")
    if steps is None:
        steps = 100
        if conv is not None and inputs:
            lens = [_input_len(v) for v in inputs.values()]
            if all(n is not None for n in lens) and lens:
                steps = max(lens) + max(conv.latency.values(), default=0)
    if not isinstance(steps, int) or steps < 1:
        raise ConfigError("steps", "must be a whole number >= 1", steps, "give steps=100 or more")
    spec, base = load_network(conv if conv is not None else model, numeric=NumericFormat.of(chip_cfg))
    net = spec.instantiate(spec.seed if seed is None else int(seed), base_dir=base)
    notes = []
    fits = True
    try:
        compile_network(net, chip_cfg, options)
    except CapacityError as exc:
        if not str(exc.field).startswith(("core", "mesh")):
            raise                       # a limit of the tile: no larger mesh helps
        fits = False
        notes.append(f"on {chip_cfg.name}: {str(exc).splitlines()[0]}")
    found = smallest_mesh(chip_cfg, net, options)
    small = (found[0].mesh.width, found[0].mesh.height) if found else None
    if fits:
        target = chip_cfg
    elif found is None:
        raise ConfigError("chip", f"the model fits no mesh of this chip's tile up to {MAX_MESH}x{MAX_MESH}",
                          chip_cfg.name, "use a chip with larger cores (core.neurons, core.synapse_words)")
    else:
        target = found[0]
    run = simulate(target, spec if conv is None else conv, steps=steps, seed=seed, backend="cycle", options=options)
    e = run.energy()
    groups = {g: 0.0 for g in ENERGY_GROUPS}
    other = 0.0
    for kind, pj in e.by_event_pj.items():
        g = next((g for g, kinds in ENERGY_GROUPS.items() if kind in kinds), None)
        if g is None:
            other += pj
        else:
            groups[g] += pj
    groups["static (leakage)"] = e.static_pj
    if other:
        groups["other"] = other
    skip = _bias_channels(spec)
    synops = neurobench_synops(run.net, run.stimulus, run.result.spike_neurons, skip)
    price = float(e.events_pj.get("synaptic_ops", 0.0))
    if skip:
        notes.append("the always-on bias channel's synaptic ops are chip cost, not NeuroBench SynOps")
    area = area_report(target)
    sc = np.asarray(run.step_cycles)
    us = sc / target.clock_mhz
    model_time_us = steps * run.dt_ms * 1e3
    return Estimate(
        model=name, chip=chip_cfg.name, fits=fits, ran_on=target.name, mesh=(target.mesh.width, target.mesh.height),
        smallest_fitting_mesh=small, steps=steps, dt_ms=float(run.dt_ms), total_cycles=int(sc.sum()),
        cycles_per_step_mean=float(sc.mean()), cycles_per_step_max=int(sc.max()),
        latency_us_per_step_mean=float(us.mean()), latency_us_per_step_max=float(us.max()),
        run_time_us=float(us.sum()), real_time_factor=float(us.sum() / model_time_us) if model_time_us else 0.0,
        energy_pj=float(e.total_pj), energy_breakdown_pj=groups, energy_per_step_pj=float(e.energy_per_step_pj),
        average_power_mw=float(e.avg_power_mw), area_mm2=float(area.chip_mm2), tile_mm2=float(area.tile_mm2),
        neurobench_synops=synops, chip_synaptic_ops=int(e.synaptic_ops), synop_energy_pj=price,
        synops_only_energy_pj=synops * price, spikes=int(run.result.n_spikes),
        framework=conv.report.framework if conv is not None else None, notes=tuple(notes))


def _is_nir(model) -> bool:
    if isinstance(model, (str, os.PathLike)):
        return str(model).endswith(".nir")
    return type(model).__module__.split(".")[0] == "nir"


def _input_len(v) -> int | None:
    if isinstance(v, (str, os.PathLike, dict)) or hasattr(v, "model_dump"):
        return None
    return int(np.asarray(v).shape[0])


def _bias_channels(spec: NetworkSpec) -> list[int]:
    from .nir import BIAS_INPUT
    out, ch = [], 0
    for g in spec.inputs:
        if g.name.startswith(BIAS_INPUT):
            out.extend(range(ch, ch + g.size))
        ch += g.size
    return out
