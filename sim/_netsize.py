"""A network's size from its spec alone, before anything is sampled or allocated.

``network_size(spec, base_dir)`` counts neurons and input channels exactly and bounds the number
of synapses from the connectivity rules (exact for all-to-all, one-to-one, fixed degrees and
explicit pairs — an ``.npz`` is measured from its array headers, not loaded — and a
six-sigma interval around the expectation for fixed-probability projections).
``check_before_sampling`` turns that into refusals that come before the seconds and gigabytes a
too-large network would cost: more neurons than the chip holds, more synapses than its synapse
memory can hold, more memory than the machine has, more timesteps than the stimulus can hold.
"""
from __future__ import annotations

import math
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from neurocycle.hw import CapacityError, ChipConfig, ConfigError

from ._network import AllToAll, Explicit, FixedInDegree, FixedOutDegree, FixedProbability, NetworkSpec, OneToOne

__all__ = ["NetworkSize", "MemoryEstimate", "network_size", "memory_estimate", "check_before_sampling",
           "available_memory_bytes", "MAX_STEPS"]

MAX_STEPS = 10_000_000            # a run longer than this is refused (its stimulus and results alone are GBs)

# The peak-memory model of a run (bytes), checked against bench/scale.py (BENCHMARKS.md "Scale"):
# what is resident at the peak -- the sampled network, the chip program and the backend's tables
# -- plus the temporaries of the phase that peaks. The synapse memory is 4 bytes per slot
# (sim/_program.py; 5 on a chip with delays or learning), the instance 4 bytes of target + 2
# (int16) or 4 bytes of weight per synapse (+ its delay and rule columns when it has them).
FIXED_BYTES = 200 << 20           # interpreter, numpy, the compiler's chunk temporaries
BYTES_PER_AXON = 96               # axon and fan-out tables, the kernel's records, the compiler's sorts
BYTES_PER_NEURON = 400            # parameters, placement, neuron state, the kernel's row tables
BYTES_PER_SPIKE = 28              # a result row (step, neuron, cycle) and the kernel's piece of it
BYTES_PER_INPUT_SPIKE = 48        # the stimulus (sorted, deduplicated) and the host's flits
REFERENCE_CSR_BYTES = 6           # the reference's per-source copy of small networks (CSR_MAX_SYNAPSES)
# Delays and STDP (docs/microarchitecture.md §10, §11) cost only when a chip or network has them:
# a slot's meta byte (SynSlotDL, 5 bytes instead of 4) on a chip with delays or learning, the
# instance's delay column (1 byte per synapse up to 255 timesteps) and rule column (1 byte), the
# accumulator ring's extra banks, and for a learning network its tables below.
BYTES_PER_RING_BANK = 9           # per neuron and extra bank: an int64 accumulator and a pending byte
LEARN_BYTES_PER_SYNAPSE = 4       # the program's slot of every network synapse (Run.weights)
LEARN_BYTES_PER_PLASTIC = 72      # reverse table: the compiler's entries and sort, the program's and kernel's tables
LEARN_BYTES_PER_SLOT = 13         # the kernel's copy of the synapse memory it updates, the learned weights (int64)
LEARN_BYTES_PER_AXON = 17         # pre-synaptic trace and flag, the SI's write cycles and plastic slots per axon
LEARN_BYTES_PER_NEURON = 17       # post-synaptic trace and spike flag, reverse-table offsets
REFERENCE_TABLE_BYTES = 64        # the reference's per-synapse table with delays or STDP (every size)
BYTES_PER_SYNAPSE = 12            # NetworkSize.peak_bytes: the chip-independent rough figure


@dataclass(frozen=True)
class MemoryEstimate:
    """Estimated peak memory of a run and its parts (bytes)."""
    total: int
    parts: dict
    synapses: int
    axons: int
    slots: int

    def describe(self) -> str:
        big = sorted(self.parts.items(), key=lambda kv: -kv[1])
        return ", ".join(f"{k} {_gb(v)}" for k, v in big if v >= (1 << 20))


@dataclass(frozen=True)
class NetworkSize:
    neurons: int
    inputs: int
    synapses_min: int          # certain lower bound (six sigma for random projections)
    synapses_expected: int
    synapses_max: int

    def peak_bytes(self, steps: int) -> int:
        """A chip-independent estimate of the network's own footprint when sampled and compiled
        (:func:`memory_estimate` is the full one of a run, for a chip and a backend)."""
        return self.synapses_expected * BYTES_PER_SYNAPSE + self.neurons * BYTES_PER_NEURON


def _npz_len(path: Path, key: str) -> int:
    """Length of array ``key`` of an .npz file from its header (nothing is loaded)."""
    try:
        with zipfile.ZipFile(path) as z, z.open(f"{key}.npy") as fh:
            version = np.lib.format.read_magic(fh)
            read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, _, _ = read(fh)
    except (KeyError, OSError, ValueError, zipfile.BadZipFile):
        return 0          # unreadable or missing here: the loader gives the precise error later
    return int(np.prod(shape)) if shape else 1


def _projection_size(pr, sizes: dict, base_dir) -> tuple[int, int, int]:
    """(lower bound, expected, upper bound) of one projection's synapses."""
    ns, nt = sizes.get(pr.source, 0), sizes.get(pr.target, 0)
    same = pr.source == pr.target
    c = pr.connect
    if isinstance(c, AllToAll):
        n = ns * nt - (min(ns, nt) if same and not c.allow_self else 0)
        return n, n, n
    if isinstance(c, OneToOne):
        return ns, ns, ns
    if isinstance(c, FixedProbability):
        m = ns * nt
        e = m * c.p
        sd = math.sqrt(m * c.p * (1 - c.p))
        return max(0, int(e - 6 * sd - 1)), int(e), min(m, int(math.ceil(e + 6 * sd + 1)))
    if isinstance(c, FixedInDegree):
        return c.k * nt, c.k * nt, c.k * nt
    if isinstance(c, FixedOutDegree):
        return c.k * ns, c.k * ns, c.k * ns
    if isinstance(c, Explicit):
        n = len(c.pairs) if c.pairs is not None else _npz_len(Path(base_dir) / c.file, "source")
        return n, n, n
    raise AssertionError(c)  # pragma: no cover - every connectivity kind is listed above


def _sizes(spec: NetworkSpec) -> dict:
    return {**{g.name: g.size for g in spec.inputs}, **{p.name: p.size for p in spec.populations}}


def network_size(spec: NetworkSpec, base_dir: str | os.PathLike = ".") -> NetworkSize:
    sizes = _sizes(spec)
    lo = exp = hi = 0
    for pr in spec.projections:
        a, e, b = _projection_size(pr, sizes, base_dir)
        lo, exp, hi = lo + a, exp + e, hi + b
    return NetworkSize(neurons=sum(p.size for p in spec.populations), inputs=sum(g.size for g in spec.inputs),
                       synapses_min=lo, synapses_expected=exp, synapses_max=hi)


def available_memory_bytes() -> int | None:
    """Memory the machine can give this process now (Linux MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _gb(n: float) -> str:
    return f"{n / (1 << 30):.1f} GiB" if n >= (1 << 30) else f"{n / (1 << 20):.0f} MiB"


def _weight_bytes(spec: NetworkSpec) -> int:
    """Bytes per weight of the instance: 2 when every projection's weights are known to be int16."""
    from ._network import _fits_int16
    return 2 if all(_fits_int16(pr.weight, pr.connect) for pr in spec.projections) else 4


def _expected_axons(spec: NetworkSpec, base_dir, chip: ChipConfig, npc: int) -> tuple[int, int]:
    """(axons, synapse slots) the compiler will make, expected: per projection, each source
    reaches the distinct cores among its targets (the target population covers a known run of
    cores of ``npc`` neurons; targets drawn uniformly), and each axon fills whole synapse words."""
    sizes = _sizes(spec)
    pop_off, off = {}, 0
    for p in spec.populations:
        pop_off[p.name], off = off, off + p.size
    lanes = chip.core.synapse_lanes
    axons = slots = 0.0
    for pr in spec.projections:
        n_syn = _projection_size(pr, sizes, base_dir)[1]
        ns, nt = sizes.get(pr.source, 0), sizes.get(pr.target, 0)
        if not ns or not nt or not n_syn:
            continue
        t0 = pop_off.get(pr.target, 0)
        cores = (t0 + nt - 1) // npc - t0 // npc + 1
        k = n_syn / ns                               # synapses per source
        if isinstance(pr.connect, OneToOne):
            per_src = 1.0
        elif isinstance(pr.connect, AllToAll):
            per_src = float(cores)
        else:
            per_src = cores * (1.0 - (1.0 - 1.0 / cores) ** k) if cores > 1 else 1.0
        a = ns * min(k, max(per_src, 1.0))
        axons += a
        slots += a * math.ceil(n_syn / a / lanes) * lanes
    return int(round(axons)), int(round(slots))


def memory_estimate(spec: NetworkSpec, base_dir, chip: ChipConfig, steps: int, *, neurons_per_core: int | None = None,
                    placement: str = "balanced", backend: str = "cycle") -> MemoryEstimate:
    """The estimated peak memory of sampling ``spec``, compiling it for ``chip`` and simulating
    ``steps`` timesteps with ``backend``, from the spec alone (nothing is sampled). Firing is not
    known before the run: the results are counted at 5 % of the neurons firing per timestep."""
    from ._reference import CSR_MAX_SYNAPSES

    size = network_size(spec, base_dir)
    d = chip.derived
    n = size.neurons
    if neurons_per_core:
        npc = neurons_per_core
    elif placement == "sequential":
        npc = chip.core.neurons
    else:
        npc = min(chip.core.neurons, max(1, -(-n // d.n_cores)))
    from ._network import _max_delay, _proj_dtype
    from ._program import synapse_dtype

    axons, slots = _expected_axons(spec, base_dir, chip, npc)
    syn = size.synapses_expected
    sizes = _sizes(spec)
    d_max = max((_max_delay(pr, spec.fixed_point.dt_ms) for pr in spec.projections), default=1)
    plastic = [pr for pr in spec.projections if pr.plasticity is not None and spec.learning]
    n_plastic = sum(_projection_size(pr, sizes, base_dir)[1] for pr in plastic)
    pairs = [(pr.source, pr.target) for pr in spec.projections]
    per_syn = 4 + _weight_bytes(spec)                                    # target + weight
    per_syn += 0 if d_max <= 1 else (1 if d_max < (1 << 8) else 2 if d_max < (1 << 16) else 4)   # delays
    per_syn += 1 if plastic else 0                                       # rule index
    if len(set(pairs)) < len(pairs):                                     # projection index
        per_syn += np.dtype(_proj_dtype(len(pairs))).itemsize
    parts = {
        "network": syn * per_syn + 8 * (n + size.inputs),
        "synapse memory": slots * synapse_dtype(chip).itemsize,
        "axons and fan-out": axons * BYTES_PER_AXON,
        "neurons": n * BYTES_PER_NEURON,
        "spikes": int(0.05 * n * steps * BYTES_PER_SPIKE),
        "stimulus": int(_expected_input_spikes(spec, steps) * BYTES_PER_INPUT_SPIKE),
        "fixed": FIXED_BYTES,
    }
    general = chip.core.delay_slots > 1 or bool(plastic)       # the backends' delay/STDP paths
    if chip.core.delay_slots > 1:
        parts["delay ring"] = n * (chip.core.delay_slots - 1) * BYTES_PER_RING_BANK
    if plastic:
        parts["learning"] = (syn * LEARN_BYTES_PER_SYNAPSE + n_plastic * LEARN_BYTES_PER_PLASTIC
                             + slots * LEARN_BYTES_PER_SLOT + axons * LEARN_BYTES_PER_AXON
                             + n * LEARN_BYTES_PER_NEURON)
    if backend == "reference" and general:
        parts["reference table"] = syn * REFERENCE_TABLE_BYTES
    elif backend == "reference" and syn <= CSR_MAX_SYNAPSES:
        parts["reference copy"] = syn * REFERENCE_CSR_BYTES
    return MemoryEstimate(total=int(sum(parts.values())), parts=parts, synapses=syn, axons=axons, slots=slots)


def _expected_input_spikes(spec: NetworkSpec, steps: int) -> float:
    from ._network import ArraySource, PoissonSource, RegularSource
    dt_s = spec.fixed_point.dt_ms / 1000.0
    total = 0.0
    for g in spec.inputs:
        src = g.source
        if isinstance(src, PoissonSource):
            total += min(1.0, src.rate_hz * dt_s) * g.size * steps
        elif isinstance(src, RegularSource):
            total += g.size * steps / src.period_steps
        elif isinstance(src, ArraySource) and src.steps is not None:
            total += len(src.steps)
    return total


def check_before_sampling(spec: NetworkSpec, base_dir, chip: ChipConfig, steps: int,
                          neurons_per_core: int | None = None, *, placement: str = "balanced",
                          backend: str = "cycle") -> MemoryEstimate:
    """Refuse, before sampling, what cannot run: too many timesteps, more neurons or synapses
    than the chip holds, more memory than the machine has. Returns the memory estimate."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 1 <= steps <= MAX_STEPS:
        raise ConfigError("steps", f"must be a whole number in 1..{MAX_STEPS:,}", steps,
                          "simulate fewer timesteps (split a long run into several)")
    size = network_size(spec, base_dir)
    d = chip.derived
    npc = neurons_per_core or chip.core.neurons
    if size.neurons > (1 << 31) - 1:    # only a system's mesh is this large (a chip holds at most 2^28)
        raise CapacityError("network", f"has {size.neurons:,} neurons, more than the {(1 << 31) - 1:,} the "
                            "program's int32 rows index (docs/engine.md \"Hard limits\")", size.neurons,
                            "simulate a smaller network")
    if size.neurons > d.n_cores * npc:
        need = -(-size.neurons // npc)
        raise CapacityError("mesh", f"the network has {size.neurons:,} neurons but the chip holds {d.n_cores} cores "
                            f"x {npc} = {d.n_cores * npc:,} (over by {size.neurons - d.n_cores * npc:,})",
                            size.neurons, f"use a mesh of at least {need} cores, raise core.neurons, or shrink the "
                            "network")
    slots = d.n_cores * chip.core.synapse_words * chip.core.synapse_lanes
    if size.synapses_min > slots:
        raise CapacityError("core.synapse_words", f"the network has at least {size.synapses_min:,} synapses but the "
                            f"chip's synapse memories hold {slots:,} ({d.n_cores} cores x {chip.core.synapse_words:,} "
                            f"words x {chip.core.synapse_lanes} lanes)", size.synapses_min,
                            f"raise core.synapse_words to at least {-(-size.synapses_min // (d.n_cores * chip.core.synapse_lanes)):,}, "
                            "use more cores, or prune the network")
    est = memory_estimate(spec, base_dir, chip, steps, neurons_per_core=neurons_per_core, placement=placement,
                          backend=backend)
    have = available_memory_bytes()
    if have is not None and est.total > have:
        fix = "simulate a smaller network (fewer neurons or synapses per neuron)"
        if est.parts["spikes"] + est.parts["stimulus"] > est.total - have:
            fix += f" or fewer timesteps (--steps; {steps:,} now)"
        fix += ", or use a machine with more memory"
        raise ConfigError("network", f"would need about {_gb(est.total)} of memory ({est.describe()}; "
                          f"{size.synapses_expected:,} synapses, {size.neurons:,} neurons) but the machine has "
                          f"{_gb(have)} available", size.synapses_expected, fix)
    return est
