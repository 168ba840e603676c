"""One call from config + network to a finished run: load, validate, compile, simulate."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, NamedTuple

import numpy as np

from neurocycle.hw import CapacityError, ChipConfig, ConfigError, NumericFormat, SystemConfig, load_chip

from ._compiler import CompileOptions, compile_network
from ._network import NetworkInstance, NetworkSpec, Stimulus, load_network
from ._phases import PhaseLog
from ._program import ChipProgram
from ._result import SimResult

from ._backends import BACKENDS, backend as _backend   # noqa: F401 (BACKENDS re-exported)


@dataclass
class Run:
    """Everything a run used and produced: resolved chip, network, program, stimulus, result."""
    chip: ChipConfig
    spec: NetworkSpec
    net: NetworkInstance
    program: ChipProgram
    stimulus: Stimulus
    result: SimResult
    seed: int
    backend: str
    options: CompileOptions = CompileOptions()
    phases: PhaseLog | None = None     # wall time and peak memory of load, build, compile, stimulus, simulate
    system: SystemConfig | None = None       # a system of chips: ``chip`` is then its system mesh

    # -- results as arrays -----------------------------------------------------------------
    @property
    def spikes(self) -> "Spikes":
        """Every neuron spike as ``(steps, neurons)``: timestep and network neuron id, sorted."""
        return Spikes(self.result.spike_steps, self.result.spike_neurons)

    def spikes_of(self, population: str) -> "Spikes":
        """Spikes of one population, with neuron ids local to it (0 .. size-1)."""
        off, size = self._population(population)
        r = self.result
        sel = (r.spike_neurons >= off) & (r.spike_neurons < off + size)
        return Spikes(r.spike_steps[sel], r.spike_neurons[sel] - off)

    def spike_counts(self, population: str | None = None) -> np.ndarray:
        """Spikes per neuron over the run (of the whole network, or of one population)."""
        if population is None:
            return np.bincount(self.result.spike_neurons, minlength=self.net.n_neurons)
        _, size = self._population(population)
        return np.bincount(self.spikes_of(population).neurons, minlength=size)

    # -- weights (STDP changes them; docs/learning.md) -----------------------------------------
    def weights(self, projection: "str | int") -> "ProjectionWeights":
        """The synapses of one projection (its index, ``name`` or ``source->target``) with their
        weights after the run (``weight``; learned ones differ from ``initial``), as read back
        from the synapse memory of the backend that ran; source and target ids are local to
        their groups. Sorted by (source, target)."""
        i = self.spec.projection_index(projection)
        pr = self.spec.projections[i]
        net = self.net
        sel = np.flatnonzero(net.syn_proj == i)
        if self.program.syn_slot is not None:      # a learning program: read its slots
            slots = self.program.syn_slot[sel]
            w0 = self.program.syn_weight.ravel()[slots].astype(np.int64)
            w1 = self.result.weights.ravel()[slots].astype(np.int64) if self.result.weights is not None else w0
        else:                                      # nothing learns: the slots hold the network's weights
            w0 = w1 = net.syn_weight[sel].astype(np.int64)
        src_base = (net.input_offsets[pr.source] if pr.source in net.input_offsets
                    else net.n_inputs + net.pop_offsets[pr.source])
        return ProjectionWeights(name=pr.label(i), source=net.syn_source[sel] - src_base,
                                 target=net.syn_target[sel] - net.pop_offsets[pr.target],
                                 weight=w1, initial=w0,
                                 delay_steps=net.delays[sel].astype(np.int64), plastic=pr.plasticity is not None and self.spec.learning,
                                 shape=(self._group_size(pr.source), self._group_size(pr.target)))

    def save_weights(self, path: "str | os.PathLike") -> "os.PathLike":
        """Write every projection's synapses and final weights to an ``.npz`` file: arrays
        ``P/source``, ``P/target``, ``P/weight``, ``P/initial`` and ``P/delay_steps`` for each
        projection label ``P``."""
        arrays = {}
        for i in range(len(self.spec.projections)):
            pw = self.weights(i)
            for k in ("source", "target", "weight", "initial", "delay_steps"):
                arrays[f"{pw.name}/{k}"] = getattr(pw, k)
        with open(path, "wb") as fh:
            np.savez_compressed(fh, **arrays)
        return path

    def _group_size(self, name: str) -> int:
        sizes = {**{g.name: g.size for g in self.spec.inputs}, **{p.name: p.size for p in self.spec.populations}}
        return sizes[name]

    def _population(self, name: str) -> tuple[int, int]:
        sizes = {p.name: p.size for p in self.spec.populations}
        if name not in sizes:
            raise ConfigError("population", "is not a population of the network", name,
                              f"use one of: {', '.join(sizes)}")
        return self.net.pop_offsets[name], sizes[name]

    @property
    def dt_ms(self) -> float:
        return self.spec.fixed_point.dt_ms

    @property
    def step_cycles(self) -> np.ndarray | None:
        """Cycles of every timestep (cycle-level backends; None for the reference)."""
        return self.result.step_cycles

    @property
    def total_cycles(self) -> int | None:
        return self.result.total_cycles

    @property
    def counters(self) -> dict[str, np.ndarray]:
        """Event counters by name (per core/router arrays or chip scalars); empty for the reference."""
        return dict(self.result.counters or {})

    def counter_totals(self) -> dict[str, int]:
        return {k: int(np.sum(v)) for k, v in self.counters.items()}

    def energy(self, params=None):
        """Energy breakdown of the run (a ``neurocycle.hw.EnergyReport``: total, dynamic, static,
        per event kind, per core) from its event counters; needs the cycle backend. Pass
        ``params`` (an ``EnergyParams`` or another ``ChipConfig``) to re-price the same events
        without simulating again."""
        from neurocycle.hw import compute_energy
        if self.system is not None:
            from neurocycle.hw import system_energy
            return system_energy(self.system, self.result, params)
        return compute_energy(self.chip if params is None else params, self.result)

    def spikes_per_core(self) -> np.ndarray:
        from ._report import spikes_per_core
        return spikes_per_core(self)

    def core_usage(self) -> dict[str, np.ndarray]:
        """Per-core use of every capacity (neurons, axons, synapse words, fan-out, profiles)."""
        return self.program.core_usage()

    # -- what the CLI writes -----------------------------------------------------------------
    def report(self, extra: dict | None = None) -> dict:
        """The report dict that `neurocycle run` writes as report.json (inputs + results)."""
        from ._report import build_report
        return build_report(self, extra=extra)

    def _spike_columns(self) -> tuple[str, list]:
        r = self.result
        cols = [r.spike_steps, r.spike_neurons] + ([r.spike_cycles] if r.spike_cycles is not None else [])
        header = "timestep,neuron" + (",cycle" if r.spike_cycles is not None else "")
        if r.spike_payloads is not None:
            cols.append(r.spike_payloads)
            header += ",payload"
        return header, cols

    def _write_spikes(self, fh) -> None:
        """The CSV text into an open text file, a million rows at a time (a long run has tens of
        millions of spikes: no Python object per value)."""
        header, cols = self._spike_columns()
        fh.write(header + "\n")
        n = int(cols[0].size)
        for a in range(0, n, 1 << 20):
            b = min(n, a + (1 << 20))
            np.savetxt(fh, np.column_stack([np.asarray(c[a:b], np.int64) for c in cols]), fmt="%d", delimiter=",")

    def spikes_csv(self) -> str:
        """The spikes as CSV text (timestep,neuron[,cycle][,payload]), as written to spikes.csv
        (``payload`` on a graded chip)."""
        import io
        buf = io.StringIO()
        self._write_spikes(buf)
        return buf.getvalue()

    def write_spikes_csv(self, path) -> "os.PathLike":
        """Write spikes.csv (the text of :meth:`spikes_csv`) to ``path``, streamed, atomically."""
        from ._io import atomic_write

        def _w(tmp):
            with open(tmp, "w", encoding="utf-8") as fh:
                self._write_spikes(fh)
        return atomic_write(path, _w)

    def save(self, out: "str | os.PathLike" = "out", *, extra: dict | None = None) -> list:
        """Write report.json, spikes.csv, raster.png (and cycles.png with cycle data; noc.png,
        noc_steps.png and hops.png on a chip larger than 1x1; weights.npz when the network
        learns) into ``out``, the files `neurocycle run --out` writes; returns the paths written. The folder
        is replaced as a whole (sim/_io.py ``OutputDir``): a failure leaves it as it was."""
        from ._io import OutputDir

        with OutputDir(out) as od:
            names = [f.name for f in self.write_files(od.path, extra=extra)]
            target = od.commit()
        return [target / n for n in names]

    def write_files(self, folder, *, extra: dict | None = None) -> list:
        """Write the run's files into an existing folder (no swap); returns their paths."""
        from pathlib import Path

        from ._io import write_json
        out = Path(folder)
        files = [write_json(out / "report.json", self.report(extra)), self.write_spikes_csv(out / "spikes.csv")]
        if self.result.weights is not None:           # STDP: the learned weights of every projection
            files.append(self.save_weights(out / "weights.npz"))
        self.plot_raster(out / "raster.png")
        files.append(out / "raster.png")
        if self.result.step_cycles is not None:
            self.plot_step_cycles(out / "cycles.png")
            files.append(out / "cycles.png")
        if self.result.counters and self.chip.mesh.width * self.chip.mesh.height > 1:
            act = self.__dict__.get("_activity_cache", {})
            self.plot_noc_load(out / "noc.png")
            self.plot_noc_steps(out / "noc_steps.png")
            self.plot_hops(out / "hops.png", activity=next(iter(act.values()), None))
            files += [out / "noc.png", out / "noc_steps.png", out / "hops.png"]
        return files

    # -- plots (each returns the matplotlib Figure; with ``path`` it also writes a PNG) -------
    def plot_raster(self, path=None, *, title: str | None = None):
        """Spike raster with population boundaries and the firing rate underneath."""
        from ._plots import plot_raster
        return plot_raster(self.result, self.program.n_neurons, path,
                           title=title or f"{self.spec.name} on {self.chip.name} ({self.backend})",
                           pop_offsets=self.net.pop_offsets)

    def plot_step_cycles(self, path=None):
        """Cycles per timestep (needs a cycle-level backend)."""
        from ._plots import plot_step_cycles
        if self.result.step_cycles is None:
            raise ConfigError("backend", "has no cycle information", self.backend,
                              "simulate with backend='cycle' to get cycles per timestep")
        return plot_step_cycles(self.result, path, clock_mhz=self.chip.clock_mhz)

    def plot_core_heatmap(self, quantity: str = "spikes", path=None):
        """A per-core quantity drawn on the mesh: 'spikes', a per-core/per-router counter
        (e.g. 'synaptic_ops', 'router_flits'), or a capacity ('neurons', 'synapse_words', ...)."""
        from ._plots import plot_core_heatmap
        usage = self.core_usage()
        counters = {k: v for k, v in self.counters.items() if np.ndim(v) == 1}
        if quantity == "spikes":
            values = self.spikes_per_core()
        elif quantity in counters:
            values = np.asarray(counters[quantity])
        elif quantity in usage:
            values = usage[quantity]
        else:
            choices = list(dict.fromkeys(["spikes", *counters, *usage]))
            raise ConfigError("quantity", "is not a per-core quantity of this run", quantity,
                              f"use one of: {', '.join(choices)}"
                              + ("" if counters else " (counters need backend='cycle')"))
        return plot_core_heatmap(values, self.chip.mesh.width, self.chip.mesh.height, path,
                                 title=f"{quantity} per core — {self.spec.name} on {self.chip.name}", label=quantity)


    def plot_noc_load(self, path=None):
        """Link utilisation per direction and per-core load (NU busy/stalled, SI busy, blocked) on the mesh."""
        from ._noc_views import plot_noc_load
        self._need_cycles("NoC views")
        return plot_noc_load(self, path)

    def plot_noc_steps(self, path=None, *, bins: int = 12):
        """Small multiples: the link flits through every router over ``bins`` groups of timesteps."""
        from ._noc_views import plot_noc_steps
        self._need_cycles("NoC views")
        return plot_noc_steps(self, path, bins=bins)

    def plot_hops(self, path=None, activity=None):
        """Hops per flit over the run and, with ``activity`` (:meth:`activity`), flit latency by hops."""
        from ._noc_views import plot_hops
        self._need_cycles("NoC views")
        return plot_hops(self, path, activity=activity)

    def link_flits_per_step(self, bins: int | None = None):
        """``(edges, flits[bin, router, port])``: every router output's grants per group of timesteps."""
        from ._noc_views import link_flits_per_step
        self._need_cycles("NoC views")
        return link_flits_per_step(self, bins)

    # -- inside a run: a window of timesteps replayed cycle by cycle (docs/trace.md) ------------
    def busiest_step(self) -> int:
        """The timestep with the most cycles (the default window of a trace)."""
        self._need_cycles("a trace window")
        return int(np.argmax(self.result.step_cycles)) if self.result.steps else 0

    def estimate_window(self, window: tuple[int, int] | None = None, *, max_trace_mb: float = 256.0):
        """What replaying ``window = (t0, t1)`` costs (cycles, replay time, trace events and
        bytes), from this run's cycles and counters; a ``ConfigError`` if the trace would be
        larger than ``max_trace_mb``, with a window that fits."""
        from ._activity import estimate_window
        self._need_cycles("a trace window")
        w = window if window is not None else (self.busiest_step(), self.busiest_step() + 1)
        est = estimate_window(self.result, self.chip, w)
        if est.trace_bytes > max_trace_mb * 1e6:
            per_step = max(1, est.trace_bytes // max(1, w[1] - w[0]))
            fit = max(1, int(max_trace_mb * 1e6 // per_step))
            hint = (f"use --trace-steps {w[0]}:{w[0] + fit} (about {fit} timestep{'s' if fit > 1 else ''} fit)"
                    if fit < w[1] - w[0] else "raise --trace-max-mb")
            raise ConfigError("--trace-steps", f"the trace of timesteps {w[0]}..{w[1] - 1} would be "
                              f"~{est.trace_bytes / 1e6:,.0f} MB (limit --trace-max-mb {max_trace_mb:g})",
                              f"{w[0]}:{w[1]}", hint)
        return est

    def activity(self, window: tuple[int, int] | None = None):
        """Replay timesteps ``window = (t0, t1)`` (default: the busiest timestep) cycle by cycle
        and return the :class:`~neurocycle.sim.Activity` record (sim/_activity.py). Cached."""
        from ._activity import record_activity
        self._need_cycles("a trace window")
        w = tuple(window) if window is not None else (self.busiest_step(), self.busiest_step() + 1)
        cache = self.__dict__.setdefault("_activity_cache", {})
        if w not in cache:
            cache.clear()
            cache[w] = record_activity(self.program, self.stimulus, w)
        return cache[w]

    def write_trace(self, path, window: tuple[int, int] | None = None) -> int:
        """The Perfetto-readable timeline (Chrome trace-event JSON) of ``window``; returns the event count."""
        from ._trace import write_trace
        return write_trace(self.activity(window), path, title=f"{self.spec.name} on {self.chip.name}")

    def write_vcd(self, path, window: tuple[int, int] | None = None) -> int:
        """The model's waveforms of ``window`` under the RTL's signal names (VCD); returns the signal count."""
        from ._vcd import write_vcd
        return write_vcd(self.activity(window), path)

    def _need_cycles(self, what: str) -> None:
        if self.result.step_cycles is None or self.backend != "cycle":
            raise ConfigError("backend", f"has no cycle-level state for {what}", self.backend,
                              "simulate with backend='cycle'")

    def plot_energy_breakdown(self, path=None):
        """Dynamic energy per core by event kind, with the static share (needs the cycle backend)."""
        from ._ppa import plot_energy_breakdown
        return plot_energy_breakdown(self.energy(), path, width=self.chip.mesh.width)


@dataclass(frozen=True)
class ProjectionWeights:
    """The synapses of one projection: ``source`` / ``target`` ids local to their groups, the
    final ``weight`` and the ``initial`` one, the total delay of each, whether it learns."""
    name: str
    source: np.ndarray
    target: np.ndarray
    weight: np.ndarray
    initial: np.ndarray
    delay_steps: np.ndarray
    plastic: bool
    shape: tuple[int, int]

    @property
    def change(self) -> np.ndarray:
        return self.weight - self.initial

    def matrix(self, which: str = "weight") -> np.ndarray:
        """Dense ``[source size, target size]`` matrix of ``weight`` (or ``initial``); pairs
        without a synapse are 0; several synapses of one pair are summed."""
        m = np.zeros(self.shape, np.int64)
        np.add.at(m, (self.source, self.target), getattr(self, which))
        return m


class Spikes(NamedTuple):
    """Spikes as two aligned arrays: ``steps`` (timestep) and ``neurons`` (neuron id)."""
    steps: np.ndarray
    neurons: np.ndarray


def load_target(source) -> "ChipConfig | SystemConfig":
    """A chip or a system of chips: a ChipConfig / SystemConfig, a chip or system preset name, a
    YAML file of either (a system file has a ``chip`` key and link or grid fields), or a dict."""
    import os

    from neurocycle.hw import list_presets, load_system, read_yaml

    if isinstance(source, (ChipConfig, SystemConfig)):
        return source
    if isinstance(source, dict):
        return load_system(source) if "chip" in source else load_chip(source)
    if source is not None:
        path = os.fspath(source)
        stem = path[:-5] if path.endswith(".yaml") else path
        if os.path.isfile(path):
            data, _ = read_yaml(path)
            if isinstance(data, dict) and "chip" in data:
                return load_system(path)
        elif stem in list_presets("systems") and stem not in list_presets("chips"):
            return load_system(path)
    return load_chip(source)


def prepare(chip=None, network=None, *, steps: int = 100, seed: int | None = None,
            options: CompileOptions | None = None, phases: PhaseLog | None = None, backend: str = "cycle",
            on_estimate: Callable | None = None):
    """Load and validate chip (or system of chips) + network, check that they fit (before
    sampling anything: a network too big for the chip, the system or the machine is refused in
    milliseconds), sample the network, compile, build the stimulus. Returns the chip config (a
    system's: its system mesh, ``SystemConfig.mesh_chip``; the program carries the system).
    ``phases`` (a :class:`PhaseLog`) records the wall time and peak memory of each of these
    phases; ``on_estimate(estimate)`` is called with the memory estimate
    (``sim._netsize.MemoryEstimate``, for ``backend``; a system's is its system mesh's) before
    anything is sampled."""
    from ._netsize import check_before_sampling

    log = phases if phases is not None else PhaseLog()
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
                             or not 0 <= seed < (1 << 63)):
        raise ConfigError("seed", "must be a whole number in 0 .. 2**63-1", seed, "give e.g. --seed 1")
    with log.phase("load"):
        target = load_target(chip)
        system = target if isinstance(target, SystemConfig) else None
        chip_cfg = system.mesh_chip if system is not None else target
        spec, base_dir = load_network(network, numeric=NumericFormat.of(chip_cfg))   # the chip's bits quantise NIR
        try:
            est = check_before_sampling(spec, base_dir, chip_cfg, steps,
                                        options.neurons_per_core if options else None,
                                        placement=options.placement if options else "balanced", backend=backend)
        except CapacityError as exc:
            if system is None or exc.field != "mesh":
                raise
            per = system.chip.derived.n_cores
            raise CapacityError("grid", exc.rule.replace("the chip holds", f"the system's {system.derived.n_chips} "
                                                                            "chips hold"), exc.value,
                                f"use a grid of more chips (each adds {per} cores), chips with more core.neurons, "
                                "or a smaller network") from None
    log.estimate = est
    if on_estimate is not None:
        on_estimate(est)
    seed = spec.seed if seed is None else int(seed)
    with log.phase("build"):
        net = spec.instantiate(seed, base_dir=base_dir)
    with log.phase("compile"):
        program = compile_network(net, target, options)
    with log.phase("stimulus"):
        stim = net.stimulus(steps)
    return chip_cfg, spec, net, program, stim, seed


def simulate(chip: "str | os.PathLike | ChipConfig | SystemConfig | dict | None" = None,
             network: "str | os.PathLike | NetworkSpec | dict | None" = None, *, steps: int = 100,
             seed: int | None = None, backend: str = "cycle", options: CompileOptions | None = None,
             progress: Callable[[int], None] | None = None, on_estimate: Callable | None = None,
             workers: int | None = None, scheduler: str | None = None) -> Run:
    """Simulate ``network`` on ``chip`` (or a system of chips) for ``steps`` timesteps with the
    named backend. ``run.phases`` holds the wall time and peak memory of every phase (load,
    build, compile, stimulus, simulate) and the memory estimate made before sampling, which is
    also passed to ``on_estimate`` (e.g. to tell the user before a long build). ``workers`` /
    ``scheduler``: partition a system over that many Dask worker processes (a local cluster), or
    over the workers of a running scheduler (docs/engine.md, "Partitioned simulation"; the
    result is bit-identical to the single-process run)."""
    fn = _backend(backend)
    options = options or CompileOptions()
    if workers is not None or scheduler is not None:
        if backend != "cycle":
            raise ConfigError("--workers", f"partitions the cycle backend, not '{backend}'", backend,
                              "use --backend cycle, or leave --workers/--scheduler out")
        if not isinstance(load_target(chip), SystemConfig):       # refused before sampling anything
            raise ConfigError("--workers", "partitions a system of chips, and this is one chip",
                              getattr(chip, "name", None) or str(chip),
                              "give a system (neurocycle presets lists them) or leave --workers/--scheduler out")
    log = PhaseLog()
    chip_cfg, spec, net, program, stim, seed = prepare(chip, network, steps=steps, seed=seed, options=options,
                                                       phases=log, backend=backend, on_estimate=on_estimate)
    with log.phase("simulate"):
        if workers is not None or scheduler is not None:
            from ._partition import run_partitioned
            result = run_partitioned(program, stim, workers=workers, scheduler=scheduler, progress=progress)
        else:
            result = fn(program, stim, progress=progress)
    return Run(chip=chip_cfg, spec=spec, net=net, program=program, stimulus=stim, result=result, seed=seed,
               backend=backend, options=options, phases=log, system=program.system)
