"""What the two cycle-level models (the fast kernel driver, sim/_engine.py, and the literal
stepped model, sim/_stepped.py) share: port numbers, per-row parameters, the host flits of
every timestep and the assembly of a :class:`SimResult` with every declared counter."""
from __future__ import annotations

import numpy as np

from neurocycle.hw import CHIP_COUNTERS, CORE_COUNTERS, COUNTER_NAMES, PROFILE_FIELDS, ROUTER_COUNTERS, layout

from ._csr import ranges
from ._network import Stimulus
from ._program import ChipProgram
from ._result import SimResult, sort_spikes

P_L, P_N, P_E, P_S, P_W = (layout.PORTS.index(n) for n in "LNESW")  # router ports (hw/_layout.py)


def row_params(p: ChipProgram) -> np.ndarray:
    """[n_rows, 8] int64: du dv bias vth v_reset refractory w_exp graded (profile of each row)."""
    n = len(PROFILE_FIELDS)
    prm = np.zeros((p.n_rows, 8), np.int64)
    if p.n_rows:
        idx = p.core_profile_offset[p.core_of_row] + p.row_profile
        if n == 8:
            np.take(p.profile_table, idx, axis=0, out=prm)      # no [n_rows, 8] temporary
        else:
            prm[:, :n] = p.profile_table[idx]
    return prm


def host_flits(p: ChipProgram, stim: Stimulus) -> tuple[np.ndarray, np.ndarray]:
    """Host flits of every step in push order: (offsets[steps+1], index into the program's input
    fan-out entries ``input_*``)."""
    ch = np.asarray(stim.channels, np.int64)
    io = p.input_fanout_offset.astype(np.int64)
    lens = io[ch + 1] - io[ch] if ch.size else np.zeros(0, np.int64)
    idx = ranges(io[ch], lens)
    per_spike_end = np.concatenate([[0], np.cumsum(lens)])
    off = per_spike_end[np.asarray(stim.offsets, np.int64)]
    return off.astype(np.int64), idx


def host_payloads(p: ChipProgram, stim: Stimulus) -> np.ndarray:
    """The payload of every host flit, in the push order of :func:`host_flits` (each input spike's
    payload repeated over its channel's fan-out entries); checked against the chip's width."""
    from ._program import stimulus_payloads

    q = stimulus_payloads(p, stim)
    ch = np.asarray(stim.channels, np.int64)
    io = p.input_fanout_offset.astype(np.int64)
    lens = io[ch + 1] - io[ch] if ch.size else np.zeros(0, np.int64)
    return np.repeat(q, lens).astype(np.int64)


def assemble(p: ChipProgram, stim: Stimulus, backend: str, *, spike_steps, spike_cycles, step_cycles,
             core: dict, port_flits, blocked_port, fifo_max, host_flits: int, local_flits, mc_lookups=None,
             mc_default=None, mc_partial=None, spike_payloads=None, spike_rows=None,
             spike_neurons=None, weights=None) -> SimResult:
    """The result of a cycle-level run. Per-port arrays are [n_routers, P] (``fifo_max``:
    [n_routers, P + C]); ``local_flits`` is per router; the multicast arrays default to zeros (a
    unicast chip); ``weights`` are the final synapse weights of a learning program
    (STDP). Spikes come as placed rows (``spike_rows``, in any order within a timestep) or
    already as neuron ids sorted by (timestep, id) (``spike_neurons``)."""
    pay = np.asarray(spike_payloads, np.int64) if p.chip.bits.payload else None
    if spike_neurons is not None:
        steps, gids, cycles = spike_steps, spike_neurons, spike_cycles
    else:
        sr = np.asarray(spike_rows)
        gids = p.row_gid[sr if sr.dtype.kind in "iu" else sr.astype(np.int64)].astype(np.int32, copy=False)
        steps, gids, cycles, pay = sort_spikes(np.asarray(spike_steps, np.int32), gids,
                                               np.asarray(spike_cycles, np.int64), pay)
    counters: dict[str, np.ndarray] = {k: np.asarray(core[k], np.int64) for k in CORE_COUNTERS}
    pf = np.asarray(port_flits, np.int64)
    bp = np.asarray(blocked_port, np.int64)
    zero = np.zeros_like(pf)
    mcl, mcd, mcp = (zero if a is None else np.asarray(a, np.int64) for a in (mc_lookups, mc_default, mc_partial))
    counters["router_flits"] = pf.sum(axis=1)
    counters["link_flits"] = pf[:, [P_N, P_E, P_S, P_W]].sum(axis=1)
    counters["link_flits_ew"] = pf[:, P_E] + pf[:, P_W]
    counters["link_flits_ns"] = pf[:, P_N] + pf[:, P_S]
    counters["local_flits"] = np.asarray(local_flits, np.int64)
    counters["router_blocked_cycles"] = bp.sum(axis=1)
    counters["mc_table_lookups"] = mcl.sum(axis=1)
    counters["mc_default_routes"] = mcd.sum(axis=1)
    counters["mc_partial_cycles"] = mcp.sum(axis=1)
    sc = np.asarray(step_cycles, np.int64)
    counters["host_flits"] = np.array(host_flits, np.int64)
    counters["barriers"] = np.array(stim.steps, np.int64)
    counters["cycles"] = np.array(int(sc.sum()), np.int64)
    assert set(counters) == set(COUNTER_NAMES) and set(ROUTER_COUNTERS) | set(CHIP_COUNTERS) <= set(counters)
    counters = {n: counters[n] for n in COUNTER_NAMES}          # declaration order (the RTL banks' order)
    return SimResult(backend=backend, steps=stim.steps, spike_steps=steps, spike_neurons=gids,
                     spike_cycles=cycles, step_cycles=sc, counters=counters,
                     detail={"link_flits_port": pf, "blocked_cycles_port": bp,
                             "fifo_max_occupancy": np.asarray(fifo_max, np.int64), "mc_lookups_port": mcl,
                             "mc_default_port": mcd, "mc_partial_port": mcp}, spike_payloads=pay,
                     weights=None if weights is None else np.asarray(weights, np.int64))
