"""Proven upper bounds on the length of a timestep: the watchdog of the fast engine and of
the RTL co-simulation (a timestep that runs past its bound can only be a bug)."""
from __future__ import annotations

import numpy as np

from ._program import ChipProgram


def step_cycle_bounds(program: ChipProgram, host_flits: np.ndarray) -> np.ndarray:
    """Per timestep, twice an upper bound on its cycles (int64 array, one entry per step).

    ``host_flits[t]`` is the number of host-link flits of timestep t. While a timestep is not
    quiescent, every cycle completes at least one work item (a neuron update, a push, a router
    grant, an SI pop or synapse-word read): XY routes are acyclic and an SI always drains its
    FIFO, so some head can always move. The items of a timestep are at most the neuron updates
    plus, per flit, one push, one grant per router on its path (at most W + H - 1), one SI pop
    and the busy cycles of the longest axon (its words x synapse_word_cycles). Twice that, plus the
    barrier and a margin, is the bound.
    """
    c = program.chip
    hops = c.mesh.width + c.mesh.height
    lanes = c.core.synapse_lanes
    # an axon's words x synapse_word_cycles, plus a WRITE cycle per word on a learning core (§11.2)
    max_words = -(-int(program.axon_len.max(initial=0)) // lanes) * (c.core.synapse_word_cycles
                                                                     + int(program.learning))
    flits = int(program.row_fanout_len.sum()) + np.asarray(host_flits, np.int64)
    work = program.n_rows + flits * (hops + 2 + max_words)
    if c.core.neuron_update == "event":     # an event-driven NU's SCAN cycles are work items too
        per_core = np.diff(program.core_neuron_offset).astype(np.int64)
        work = work + int((-(-per_core // c.core.scan_word_bits)).sum())
    if program.learning:
        # the learning phase: at most every neuron spikes, so a core's LE takes at most
        # neurons + 2 x reverse entries + max(neurons, axons) cycles (§11.2)
        n_k = np.diff(program.core_neuron_offset).astype(np.int64)
        a_k = np.diff(program.core_axon_offset).astype(np.int64)
        lam = n_k + 2 * np.diff(program.core_rev_offset).astype(np.int64) + np.maximum(n_k, a_k)
        work = work + int(lam.max(initial=0))
    return 2 * (work + c.barrier_cycles) + 100
