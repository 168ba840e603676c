"""A quick float run of discretised layers, to show what a reading of a graph would do.

When a graph's timestep cannot be known, the converter refuses and lists every candidate
reading with what the run would look like under it: this module runs the float per-step
model of each candidate (chip timing: every hop one timestep) on a fixed input and counts
output spikes. It is a preview, not a reference: the tests use their own float simulator.
"""
from __future__ import annotations

import numpy as np

from ._linear import apply_map


def preview_rates(layers: list, input_spikes: dict[str, np.ndarray], steps: int,
                  outputs: dict[str, str]) -> dict[str, float]:
    """Mean output spikes per neuron per timestep, per output name, of a float run.

    ``layers``: :class:`FloatLayer` objects with their gains; ``input_spikes``: per Input node,
    a ``[steps, n]`` 0/1 array; ``outputs``: output name -> neuron node.
    """
    state = {L.node: (np.zeros(L.n), np.zeros(L.n)) for L in layers}
    ref = {L.node: np.zeros(L.n, np.int64) for L in layers}
    prev = {k: np.zeros(a.shape[1]) for k, a in input_spikes.items()}
    prev.update({L.node: np.zeros(L.n) for L in layers})
    counts = {L.node: 0.0 for L in layers}
    for t in range(steps):
        new = {k: a[t].astype(np.float64) for k, a in input_spikes.items()}
        for L in layers:
            x = np.zeros(L.n) if L.inp.bias is None else L.inp.bias.copy()
            for (src, _), m in L.inp.terms.items():
                if src in prev:
                    x += apply_map(m, prev[src])
            u, v = state[L.node]
            u = (1 - L.du) * u + L.gain * x
            held = ref[L.node] > 0
            v = np.where(held, v, (1 - L.dv) * v + u + L.leak)
            if L.theta is not None:
                fire = ~held & (v >= L.theta if L.fires_on == ">=" else v > L.theta)
                v = np.where(fire, L.reset, v)
                ref[L.node] = np.where(fire, L.refractory, np.maximum(ref[L.node] - 1, 0))
                new[L.node] = fire.astype(np.float64)
                counts[L.node] += float(fire.sum())
            else:
                new[L.node] = np.zeros(L.n)
            state[L.node] = (u, v)
        prev = new
    sizes = {L.node: L.n for L in layers}
    return {o: counts[n] / max(1, sizes[n] * steps) for o, n in outputs.items() if n in counts}
