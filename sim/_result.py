"""What a run produces: spikes, cycles, counters — one object for every backend."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class SimResult:
    """Result of simulating a chip program for ``steps`` timesteps.

    ``spike_steps``/``spike_neurons`` list every neuron spike (timestep, network neuron id;
    int32), sorted by timestep then neuron id. Cycle-level backends also fill ``spike_cycles`` (the
    cycle of the NU update that fired, same order), ``step_cycles`` (cycles of each
    timestep) and ``counters`` (name -> array: per core/router of shape [n_cores], or a
    scalar for chip counters), plus per-port detail arrays in ``detail``. On a graded chip
    (``bits.payload > 0``) ``spike_payloads`` holds the payload of every spike (same order; 1 for
    a binary neuron); it is ``None`` on a binary chip. When the program learns (STDP),
    ``weights`` holds the final weight of every synapse slot (``[n_words, lanes]``, the layout of
    ``ChipProgram.syn_weight``); ``None`` otherwise (the weights did not change).
    """
    backend: str
    steps: int
    spike_steps: np.ndarray
    spike_neurons: np.ndarray
    spike_cycles: np.ndarray | None = None
    step_cycles: np.ndarray | None = None
    counters: dict[str, np.ndarray] | None = None
    detail: dict[str, np.ndarray] = field(default_factory=dict)
    wall_s: float = 0.0
    spike_payloads: np.ndarray | None = None
    weights: np.ndarray | None = None     # STDP: the synapse SRAM's weights after the run [n_words, lanes]

    @property
    def n_spikes(self) -> int:
        return int(self.spike_steps.size)

    @property
    def total_cycles(self) -> int | None:
        return None if self.step_cycles is None else int(self.step_cycles.sum())

    def spikes_per_step(self) -> np.ndarray:
        return np.bincount(self.spike_steps, minlength=self.steps)[: self.steps]


def sort_spikes(steps: np.ndarray, neurons: np.ndarray, *others):
    """``steps``, ``neurons`` (and ``others``, the same length) in (timestep, neuron) order;
    arrays already in that order (every placement that keeps neuron ids in core order) are
    returned as they are, without the copies of a sort."""
    steps = np.asarray(steps)
    neurons = np.asarray(neurons)
    if steps.size < 2:
        return (steps, neurons, *others)
    ds = np.diff(steps)
    ok = bool(np.all((ds > 0) | ((ds == 0) & (neurons[1:] > neurons[:-1]))))
    del ds
    if ok:
        return (steps, neurons, *others)
    order = np.lexsort((neurons, steps))
    return (steps[order], neurons[order], *(None if o is None else np.asarray(o)[order] for o in others))


def spikes_from_pieces(row_gid: np.ndarray, counts: np.ndarray, rows: list, extra: tuple = ()):
    """A run's spikes from per-timestep pieces, as (timesteps int32, neuron ids int32, [extra
    arrays]) sorted by (timestep, neuron id).

    ``counts[t]`` spikes in timestep t; ``rows[j]`` the placed rows of the j-th timestep with
    spikes; each ``extra`` item is ``(pieces, dtype, per_step_offset or None)``, a list aligned
    with ``rows`` whose pieces are shifted by ``per_step_offset[t]``. Every piece is freed (and
    the memory handed back) as soon as it is copied, so a long run holds its spikes about once."""
    from ._phases import release_free_memory

    counts = np.asarray(counts)
    total = int(counts.sum())
    with_spikes = np.flatnonzero(counts)
    steps = np.empty(total, np.int32)                        # pages are touched as pieces are freed
    gids = np.empty(total, np.int32)
    outs = [np.empty(total, dt) for _, dt, _ in extra]
    pos = freed = 0
    for j, t in enumerate(with_spikes):
        g = row_gid[rows[j]]
        cols = [pl[j] if off is None else pl[j] + off[t] for pl, _, off in extra]
        if g.size > 1 and not np.all(g[1:] > g[:-1]):        # a placement that reorders neuron ids
            o = np.argsort(g, kind="stable")
            g = g[o]
            cols = [c[o] for c in cols]
        n = g.size
        steps[pos:pos + n] = t
        gids[pos:pos + n] = g
        for out, c in zip(outs, cols):
            out[pos:pos + n] = c
        pos += n
        rows[j] = None
        for pl, _, _ in extra:
            pl[j] = None
        freed += n * (8 + 8 * len(extra))
        if freed > (64 << 20):       # pieces are small heap blocks: give them back as we go
            release_free_memory()
            freed = 0
    return (steps, gids, *outs)
