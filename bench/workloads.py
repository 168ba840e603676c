"""Named benchmark workloads: each builds (chip, network instance, steps) reproducibly.

Add a workload by decorating a function with ``@workload("NAME", "description")``; it returns a
:class:`Workload`. Everything is seeded: the same name gives the same network every time.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from neurocycle.hw import ChipConfig, load_chip
from neurocycle.sim import NetworkInstance, NetworkSpec, load_network


@dataclass
class Workload:
    name: str
    description: str
    chip: ChipConfig
    net: NetworkInstance
    steps: int


WORKLOADS: dict[str, tuple[str, Callable[[], Workload]]] = {}


def workload(name: str, description: str):
    def deco(fn):
        WORKLOADS[name] = (description, fn)
        return fn
    return deco


def build(name: str, steps: int | None = None) -> Workload:
    if name not in WORKLOADS:
        raise SystemExit(f"unknown workload {name!r}; known: {', '.join(WORKLOADS)}")
    wl = WORKLOADS[name][1]()
    if steps is not None:
        wl.steps = steps
    return wl


def fixed_out_degree_pairs(n_src: int, n_tgt: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """k distinct uniform targets per source in O(n_src * k) memory (rows with a repeat are redrawn)."""
    rng = np.random.Generator(np.random.PCG64(seed))
    tgt = rng.integers(0, n_tgt, size=(n_src, k))
    tgt.sort(axis=1)
    while True:
        bad = np.flatnonzero((np.diff(tgt, axis=1) == 0).any(axis=1))
        if bad.size == 0:
            break
        redraw = rng.integers(0, n_tgt, size=(bad.size, k))
        redraw.sort(axis=1)
        tgt[bad] = redraw
    return np.repeat(np.arange(n_src), k), tgt.ravel()


def lif_network(n: int, k: int, mesh: tuple[int, int], neurons_per_core: int, seed: int,
                name: str) -> tuple[ChipConfig, NetworkInstance]:
    """The W1 family: n CUBA LIF neurons, k random outgoing synapses each (weights uniform in
    [-20, 20]), bias-driven at ~6% firing per timestep. 16 populations with staggered biases so
    the first spikes spread over a few timesteps. Each neuron's k targets are drawn uniformly from
    all n neurons (one out-degree across the 16 populations, which per-projection
    fixed_out_degree cannot express), written to .npz files and loaded through 'explicit'
    projections."""
    W, H = mesh
    chip = load_chip({
        "name": f"{name.lower()}-{W}x{H}", "clock_mhz": 100, "barrier_cycles": 8, "mesh": {"width": W, "height": H},
        "core": {"neurons": neurons_per_core, "axons": n, "synapse_words": 16384, "synapse_lanes": 1,
                 "fanout_entries": 16384, "profiles": 16, "fifo_depth": 4},
        "router": {"fifo_depth": 2},
        "bits": {"weight": 8, "state": 16, "accumulator": 20, "refractory": 4},
    })
    src, tgt = fixed_out_degree_pairs(n, n, k, seed)
    weight = np.random.Generator(np.random.PCG64(seed + 1)).integers(-20, 21, size=src.size)
    n_pop = 16
    size = n // n_pop
    # period ~ vth / bias + refractory = 1000/68 -> 15 + 1 = 16 steps: ~6% per step
    pops = [{"name": f"p{i}", "size": size,
             "neuron": {"model": "lif_fixed", "vth": 1000, "bias": 68 + 2 * (i - n_pop // 2), "du": 4095,
                        "refractory": 1}} for i in range(n_pop)]
    ps, pt = src // size, tgt // size
    order = np.lexsort((pt, ps))
    src, tgt, weight, ps, pt = src[order], tgt[order], weight[order], ps[order], pt[order]
    cut = np.flatnonzero(np.diff(ps * n_pop + pt)) + 1
    projs, files = [], {}
    for a, b in zip(np.concatenate([[0], cut]), np.concatenate([cut, [src.size]])):
        i, j = int(ps[a]), int(pt[a])
        fname = f"c{i}_{j}.npz"
        files[fname] = {"source": src[a:b] - i * size, "target": tgt[a:b] - j * size, "weight": weight[a:b]}
        projs.append({"source": f"p{i}", "target": f"p{j}", "connect": {"kind": "explicit", "file": fname}})
    spec = NetworkSpec.model_validate({"name": name, "seed": seed, "populations": pops, "projections": projs})
    with tempfile.TemporaryDirectory() as tmp:
        for fname, arrays in files.items():
            np.savez(Path(tmp) / fname, **arrays)
        net = spec.instantiate(seed, base_dir=tmp)
    return chip, net


@workload("W1", "16,384 CUBA LIF neurons, 100 random outgoing synapses each (fixed out-degree, uniform "
                "targets), bias-driven at ~6% firing per timestep, 128 neurons/core on a 16x8 mesh, 1000 steps")
def w1() -> Workload:
    chip, net = lif_network(16384, 100, (16, 8), 128, seed=1, name="W1")
    return Workload("W1", WORKLOADS["W1"][0], chip, net, 1000)


@workload("W1-quarter", "W1 scaled by 1/4: 4,096 neurons, 100 synapses each, 128/core on an 8x4 mesh, 1000 steps")
def w1_quarter() -> Workload:
    chip, net = lif_network(4096, 100, (8, 4), 128, seed=1, name="W1-quarter")
    return Workload("W1-quarter", WORKLOADS["W1-quarter"][0], chip, net, 1000)


@workload("default", "the embedded default chip (4x4) and network (1024 LIF + 64 Poisson inputs), 1000 steps")
def default() -> Workload:
    spec, base = load_network(None)
    net = spec.instantiate(spec.seed, base_dir=base)
    return Workload("default", WORKLOADS["default"][0], load_chip(None), net, 1000)
