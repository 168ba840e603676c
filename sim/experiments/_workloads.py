"""Workloads the built-in experiments share with the benchmark harness (bench/workloads.py
imports them from here, so ``neurocycle experiment`` and ``bench/`` run the same W1)."""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from neurocycle.hw import ChipConfig, load_chip

from .._network import NetworkInstance, NetworkSpec

__all__ = ["fixed_out_degree_pairs", "lif_network", "w1"]


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


def w1() -> tuple[ChipConfig, NetworkInstance]:
    """W1 (BENCHMARKS.md): 16,384 neurons, 100 synapses each, 128 per core on a 16x8 mesh."""
    return lif_network(16384, 100, (16, 8), 128, seed=1, name="W1")
