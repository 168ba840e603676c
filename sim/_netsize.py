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

__all__ = ["NetworkSize", "network_size", "check_before_sampling", "available_memory_bytes", "MAX_STEPS"]

MAX_STEPS = 10_000_000            # a run longer than this is refused (its stimulus and results alone are GBs)
# Peak bytes per synapse from sampling to the kernel tables (measured on W1-sized networks; the
# instance's three int64 arrays, the compiler's sorts and the kernel's synapse records).
BYTES_PER_SYNAPSE = 120
BYTES_PER_NEURON = 400
BYTES_PER_STIMULUS_ENTRY = 9      # the Poisson draw: one float64 (+ mask byte) per (step, channel)


@dataclass(frozen=True)
class NetworkSize:
    neurons: int
    inputs: int
    synapses_min: int          # certain lower bound (six sigma for random projections)
    synapses_expected: int
    synapses_max: int

    def peak_bytes(self, steps: int) -> int:
        """Estimated peak memory of instantiating, compiling and simulating ``steps`` timesteps."""
        return (self.synapses_expected * BYTES_PER_SYNAPSE + self.neurons * BYTES_PER_NEURON
                + min(steps, 1 << 16) * self.inputs * BYTES_PER_STIMULUS_ENTRY)


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


def network_size(spec: NetworkSpec, base_dir: str | os.PathLike = ".") -> NetworkSize:
    sizes = {**{g.name: g.size for g in spec.inputs}, **{p.name: p.size for p in spec.populations}}
    lo = exp = hi = 0
    for pr in spec.projections:
        ns, nt = sizes.get(pr.source, 0), sizes.get(pr.target, 0)
        same = pr.source == pr.target
        c = pr.connect
        if isinstance(c, AllToAll):
            n = ns * nt - (min(ns, nt) if same and not c.allow_self else 0)
            a = b = e = n
        elif isinstance(c, OneToOne):
            a = b = e = ns
        elif isinstance(c, FixedProbability):
            m = ns * nt
            e = m * c.p
            sd = math.sqrt(m * c.p * (1 - c.p))
            a, b = max(0, int(e - 6 * sd - 1)), min(m, int(math.ceil(e + 6 * sd + 1)))
        elif isinstance(c, FixedInDegree):
            a = b = e = c.k * nt
        elif isinstance(c, FixedOutDegree):
            a = b = e = c.k * ns
        elif isinstance(c, Explicit):
            n = len(c.pairs) if c.pairs is not None else _npz_len(Path(base_dir) / c.file, "source")
            a = b = e = n
        else:  # pragma: no cover - every connectivity kind is listed above
            raise AssertionError(c)
        lo, exp, hi = lo + a, exp + int(e), hi + b
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


def check_before_sampling(spec: NetworkSpec, base_dir, chip: ChipConfig, steps: int,
                          neurons_per_core: int | None = None) -> NetworkSize:
    """Refuse, before sampling, what cannot run: too many timesteps, more neurons or synapses
    than the chip holds, more memory than the machine has. Returns the size estimate."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 1 <= steps <= MAX_STEPS:
        raise ConfigError("steps", f"must be a whole number in 1..{MAX_STEPS:,}", steps,
                          "simulate fewer timesteps (split a long run into several)")
    size = network_size(spec, base_dir)
    d = chip.derived
    npc = neurons_per_core or chip.core.neurons
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
    need, have = size.peak_bytes(steps), available_memory_bytes()
    if have is not None and need > have:
        raise ConfigError("network", f"would need about {_gb(need)} of memory ({size.synapses_expected:,} synapses, "
                          f"{size.neurons:,} neurons) but the machine has {_gb(have)} available", size.synapses_expected,
                          "simulate a smaller network or fewer timesteps, or use a machine with more memory")
    return size
