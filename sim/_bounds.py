"""Proven upper bounds on the length of a timestep: the watchdog of the fast engine and of
the RTL co-simulation (a timestep that runs past its bound can only be a bug)."""
from __future__ import annotations

import numpy as np

from ._program import ChipProgram


def step_cycle_bounds(program: ChipProgram, host_off: np.ndarray, host_idx: np.ndarray | None = None) -> np.ndarray:
    """Per timestep, twice an upper bound on its cycles (int64 array, one entry per step).

    ``host_off`` are the offsets (steps + 1) of every timestep's host flits in ``host_idx``
    (indices into the program's input fan-out entries; see neurocycle.sim._cycle.host_flits).
    While a timestep is not quiescent, every cycle completes at least one work item (a neuron
    update, a SCAN cycle of an event-driven NU, a push, a router grant, an SI pop or synapse-word
    read): routes are acyclic and an SI always drains its FIFO, so some head can always move. The
    items of a timestep are at most the neuron updates plus, per flit, one push, its router grants
    and, per core it reaches, one SI pop and the busy cycles of the longest axon (its words x
    synapse_word_cycles, plus a write cycle per word with STDP). A unicast flit has at most W + H
    grants and reaches one core; a multicast flit's grants and cores are those of its tree
    (neurocycle.sim._routes); the learning phase adds at most its busiest core's cycles. Twice that,
    plus the barrier and a margin, is the bound."""
    c = program.chip
    host_off = np.asarray(host_off, np.int64)
    lanes = c.core.synapse_lanes
    # an axon's words x synapse_word_cycles, plus a WRITE cycle per word on a learning chip (§11.2)
    max_words = -(-int(program.axon_len.max(initial=0)) // lanes) * (c.core.synapse_word_cycles
                                                                     + int(program.learning))
    if c.router.routing != "multicast":
        hops = c.mesh.width + c.mesh.height
        flits = int(program.row_fanout_len.sum()) + np.diff(host_off)
        work = program.n_rows + flits * (hops + 2 + max_words)
    else:
        from ._routes import destinations, hop_range, program_flits

        f = program_flits(program)
        grants = hop_range(program)
        _, d_flit, _ = destinations(program)
        cores = np.bincount(d_flit, minlength=f.mc.size)
        per_flit = 1 + grants + cores * (1 + max_words)
        neuron_work = int(per_flit[:f.n_neuron].sum())
        host_w = (per_flit[f.n_neuron:][np.asarray(host_idx, np.int64)] if host_idx is not None
                  else np.zeros(0, np.int64))
        cum = np.concatenate([[0], np.cumsum(host_w)])
        work = program.n_rows + neuron_work + (cum[host_off[1:]] - cum[host_off[:-1]])
    if program.system is not None:
        # chip-to-chip links (docs/microarchitecture.md §12.2): a cycle in which no work item
        # completes has a flit in a link pipeline, a credit on its way back or a serialiser
        # busy with a head waiting for it, each for at most L, Lc and k cycles per copy sent on
        # a link, so every link crossing adds at most L + Lc + k cycles
        from ._routes import link_crossings, program_flits

        lk = program.system.derived.links
        per = int((lk.latency + lk.credit_latency + lk.cycles_per_flit).max(initial=0))
        f = program_flits(program)
        cross = link_crossings(program) * per
        neuron_cross = int(cross[:f.n_neuron].sum())
        host_c = (cross[f.n_neuron:][np.asarray(host_idx, np.int64)] if host_idx is not None
                  else np.zeros(0, np.int64))
        cum = np.concatenate([[0], np.cumsum(host_c)])
        work = work + neuron_cross + (cum[host_off[1:]] - cum[host_off[:-1]])
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
