"""Functional reference: timestep-level, numpy, bit-exact. The specification.

It reads only the chip program (the tables a host would load), so it also checks that the
compiler's tables mean what the network said. Spikes of timestep t are integrated into the
input of timestep t+1 (docs/microarchitecture.md §6).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from neurocycle.hw import PROFILE_FIELDS, ConfigError, neuron_update

from ._network import Stimulus
from ._csr import ranges
from ._program import ChipProgram, stimulus_payloads
from ._result import SimResult
from ._routes import destinations


def _expand_fanout(p: ChipProgram, core, axon, owner, slots: bool = False):
    """Follow deliveries (core, axon) through axon table and synapse SRAM -> (owner, target row, weight)
    (with ``slots``: also the global slot ``word * lanes + lane`` of each)."""
    core = np.asarray(core, np.int64)
    ax = p.core_axon_offset[core].astype(np.int64) + axon
    n = p.axon_len[ax].astype(np.int64)
    base = p.core_word_offset[core].astype(np.int64) + p.axon_base[ax]
    lanes = p.chip.core.synapse_lanes
    rep = np.repeat(np.arange(ax.size), n)
    j = ranges(np.zeros_like(n), n)                      # slot index within its axon
    word = base[rep] + j // lanes
    lane = j % lanes
    assert p.syn_valid[word, lane].all(), "synapse slot inside an axon's length is not valid"
    tgt_row = p.core_neuron_offset[core[rep]].astype(np.int64) + p.syn_target[word, lane]
    if slots:
        return owner[rep], tgt_row, p.syn_weight[word, lane].astype(np.int64), word * lanes + lane
    return owner[rep], tgt_row, p.syn_weight[word, lane].astype(np.int64)


@dataclass
class SynapseTable:
    """Every synapse reached from every source, as CSR per source (inputs first, then placed rows):
    target row, global slot (``word * lanes + lane``), extra delay, plastic bit; and per source the
    global axons its flits reach (what sets the pre-synaptic arrived bits, §11)."""
    offsets: np.ndarray
    tgt: np.ndarray
    slot: np.ndarray
    delay: np.ndarray
    plastic: np.ndarray
    ax_offsets: np.ndarray
    axons: np.ndarray


def _deliveries(p: ChipProgram):
    """Every delivery of every fan-out entry (neurons' and the host's): (owner source, core, axon),
    a multicast flit followed through the routing tables (neurocycle.sim._routes)."""
    f, d_flit, d_core = destinations(p)
    o = np.argsort(d_flit, kind="stable")
    d_flit, d_core = d_flit[o], d_core[o]
    n_fl = int(f.mc.size)
    d_off = np.zeros(n_fl + 1, np.int64)
    np.cumsum(np.bincount(d_flit, minlength=n_fl), out=d_off[1:])
    rows = np.arange(p.n_rows)
    fo_start = p.core_fanout_offset[p.core_of_row].astype(np.int64) + p.row_fanout_base
    fo_len = p.row_fanout_len.astype(np.int64)
    ent = np.concatenate([ranges(fo_start, fo_len), f.n_neuron + np.arange(int(p.input_axon.size))])
    ent_owner = np.concatenate([np.repeat(rows, fo_len) + p.n_inputs,
                                np.repeat(np.arange(p.n_inputs), np.diff(p.input_fanout_offset))])
    cnt = d_off[ent + 1] - d_off[ent]
    sel = ranges(d_off[ent], cnt)
    return np.repeat(ent_owner, cnt), d_core[sel], f.axon[d_flit[sel]].astype(np.int64)


def synapse_table(p: ChipProgram) -> SynapseTable:
    owner_d, core_d, axon_d = _deliveries(p)
    n_src = p.n_inputs + p.n_rows
    owner, tgt, _, slot = _expand_fanout(p, core_d, axon_d, owner_d, slots=True)
    order = np.argsort(owner, kind="stable")
    offsets = np.zeros(n_src + 1, np.int64)
    np.cumsum(np.bincount(owner, minlength=n_src), out=offsets[1:])
    tgt, slot = tgt[order], slot[order]
    ax_order = np.argsort(owner_d, kind="stable")
    ax_offsets = np.zeros(n_src + 1, np.int64)
    np.cumsum(np.bincount(owner_d, minlength=n_src), out=ax_offsets[1:])
    gax = p.core_axon_offset[core_d].astype(np.int64) + axon_d
    return SynapseTable(offsets=offsets, tgt=tgt, slot=slot, delay=p.syn_delay.ravel()[slot].astype(np.int64),
                        plastic=p.syn_plastic.ravel()[slot].astype(bool), ax_offsets=ax_offsets,
                        axons=gax[ax_order])


def effective_connectivity(p: ChipProgram):
    """CSR per source over placed rows: (offsets[n_src+1], target rows, weights).

    Sources: input channels first, then placed rows (index n_inputs + row). Every flit of a
    source's fan-out entries is followed to the cores it reaches: a unicast flit by its
    destination, a multicast flit through the routing tables (neurocycle.sim._routes)."""
    owner_d, core_d, axon_d = _deliveries(p)
    owner, tgt, w = _expand_fanout(p, core_d, axon_d, owner_d)
    order = np.argsort(owner, kind="stable")
    n_src = p.n_inputs + p.n_rows
    offsets = np.zeros(n_src + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner, minlength=n_src), out=offsets[1:])
    return offsets, tgt[order], w[order]


@dataclass
class StateRecord:
    """Asks :func:`run_reference` to record the state of some placed rows after every timestep.

    Pass ``record=StateRecord(rows)``; the run fills ``u``, ``v`` (int64) and ``spiked`` (bool),
    each ``[steps, len(rows)]``, column ``j`` for placed row ``rows[j]`` (a neuron's row is
    ``program.gid_row[gid]``). Backends report spikes only; this is how state is read back.
    """
    rows: np.ndarray
    u: np.ndarray = field(default=None, repr=False)
    v: np.ndarray = field(default=None, repr=False)
    spiked: np.ndarray = field(default=None, repr=False)

    def __post_init__(self):
        self.rows = np.asarray(self.rows, np.int64).reshape(-1)


def run_reference(p: ChipProgram, stim: Stimulus, progress=None, *, record: StateRecord | None = None) -> SimResult:
    """Simulate ``stim.steps`` timesteps; ``progress(step)`` is called after each one.

    With ``record`` (a :class:`StateRecord`), the ``(u, v, spiked)`` of its rows after every
    timestep are stored in it; the simulation itself is the same.
    """
    t0 = time.perf_counter()
    n = p.n_rows
    prof = p.profile_table[p.core_profile_offset[p.core_of_row] + p.row_profile]
    par = {f: prof[:, i] for i, f in enumerate(PROFILE_FIELDS)}
    offsets, tgt, w = effective_connectivity(p)
    state_bits = p.chip.bits.state
    u = np.zeros(n, np.int64)
    v = np.zeros(n, np.int64)
    ref = np.zeros(n, np.int64)
    acc = np.zeros(n, np.int64)
    sp_steps, sp_rows = [], []
    if record is not None:
        if record.rows.size and (record.rows.min() < 0 or record.rows.max() >= n):
            raise ConfigError("record.rows", f"must be placed rows of the program (0..{n - 1})",
                              int(record.rows.min() if record.rows.min() < 0 else record.rows.max()),
                              "map neuron ids to rows with program.gid_row[gids]")
        shape = (stim.steps, record.rows.size)
        record.u, record.v, record.spiked = np.zeros(shape, np.int64), np.zeros(shape, np.int64), np.zeros(shape, bool)
    P = p.chip.bits.payload
    in_pay = stimulus_payloads(p, stim)
    sp_pay = []
    if p.chip.core.delay_slots > 1 or p.learning:
        return _run_general(p, stim, progress, record, t0, prof=par, state_bits=state_bits, in_pay=in_pay)
    for t in range(stim.steps):
        u, v, ref, pay = neuron_update(u, v, ref, acc, par["du"], par["dv"], par["bias"], par["vth"],
                                       par["v_reset"], par["refractory"], par["w_exp"], state_bits,
                                       graded=par["graded"], payload_bits=P)
        spiked = pay > 0
        if record is not None:
            record.u[t], record.v[t], record.spiked[t] = u[record.rows], v[record.rows], spiked[record.rows]
        rows = np.flatnonzero(spiked)
        lo, hi = stim.offsets[t], stim.offsets[t + 1]
        srcs = np.concatenate([stim.channels[lo:hi], rows + p.n_inputs])
        lens = offsets[srcs + 1] - offsets[srcs]
        sel = ranges(offsets[srcs], lens)
        if sel.size and P:
            q = np.repeat(np.concatenate([in_pay[lo:hi], pay[rows]]), lens)   # payload of each synapse's source
            acc = np.bincount(tgt[sel], weights=w[sel] * q, minlength=n).astype(np.int64)
        elif sel.size:
            acc = np.bincount(tgt[sel], weights=w[sel], minlength=n).astype(np.int64)
        else:
            acc = np.zeros(n, np.int64)
        if rows.size:
            sp_steps.append(np.full(rows.size, t, np.int64))
            sp_rows.append(rows)
            sp_pay.append(pay[rows])
        if progress is not None:
            progress(t)
    return _result(p, stim, sp_steps, sp_rows, sp_pay, t0)


def _result(p: ChipProgram, stim: Stimulus, sp_steps, sp_rows, sp_pay, t0, weights=None) -> SimResult:
    rows = np.concatenate(sp_rows) if sp_rows else np.zeros(0, np.int64)
    steps = np.concatenate(sp_steps) if sp_steps else np.zeros(0, np.int64)
    gids = p.row_gid[rows].astype(np.int64)
    order = np.lexsort((gids, steps))
    payloads = None
    if p.chip.bits.payload:
        payloads = (np.concatenate(sp_pay) if sp_pay else np.zeros(0, np.int64))[order]
    return SimResult(backend="reference", steps=stim.steps, spike_steps=steps[order], spike_neurons=gids[order],
                     wall_s=time.perf_counter() - t0, spike_payloads=payloads, weights=weights)


def _run_general(p: ChipProgram, stim: Stimulus, progress, record, t0, *, prof, state_bits, in_pay) -> SimResult:
    """The reference with synaptic delays (a ring of delay_slots + 1 accumulator banks, §10) and
    STDP (per timestep: integrate with the weights of the timestep's start, depress the plastic
    synapses of the spiking sources, potentiate the incoming plastic synapses of the spiking
    neurons, then update the traces; §11.3)."""
    from neurocycle.hw import stdp_depress, stdp_potentiate, trace_update

    n, P = p.n_rows, p.chip.bits.payload
    R = p.chip.core.delay_slots + 1
    tab = synapse_table(p)
    lanes = p.chip.core.synapse_lanes
    w = p.syn_weight.ravel().astype(np.int64)            # the synapse SRAM's weights, updated in place
    acc = np.zeros((R, n), np.int64)
    u, v, ref = np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, np.int64)
    learn = p.learning
    if learn:
        TB = p.chip.bits.trace
        ax_core = np.repeat(np.arange(p.n_cores), np.diff(p.core_axon_offset))
        st = p.core_stdp
        row_st, ax_st = st[p.core_of_row], st[ax_core]                    # rule registers per row / axon
        row_on, ax_on = row_st[:, 0] > 0, ax_st[:, 0] > 0                # on a learning core
        y = np.zeros(n, np.int64)                                        # post-synaptic traces
        x = np.zeros(ax_core.size, np.int64)                             # pre-synaptic traces
        rev_start = p.core_rev_offset[p.core_of_row].astype(np.int64) + p.row_rev_base
        rev_core = np.repeat(np.arange(p.n_cores), np.diff(p.core_rev_offset))
        rev_slot = ((p.core_word_offset[rev_core].astype(np.int64) + p.rev_word) * lanes + p.rev_lane)
        rev_ax = p.core_axon_offset[rev_core].astype(np.int64) + p.rev_axon
    sp_steps, sp_rows, sp_pay = [], [], []
    for t in range(stim.steps):
        cur = t % R
        u, v, ref, pay = neuron_update(u, v, ref, acc[cur], prof["du"], prof["dv"], prof["bias"], prof["vth"],
                                       prof["v_reset"], prof["refractory"], prof["w_exp"], state_bits,
                                       graded=prof["graded"], payload_bits=P)
        acc[cur] = 0
        spiked = pay > 0
        if record is not None:
            record.u[t], record.v[t], record.spiked[t] = u[record.rows], v[record.rows], spiked[record.rows]
        rows = np.flatnonzero(spiked)
        lo, hi = stim.offsets[t], stim.offsets[t + 1]
        srcs = np.concatenate([stim.channels[lo:hi], rows + p.n_inputs])
        lens = tab.offsets[srcs + 1] - tab.offsets[srcs]
        sel = ranges(tab.offsets[srcs], lens)
        if sel.size:
            q = np.repeat(np.concatenate([in_pay[lo:hi], pay[rows]]), lens) if P else 1
            bank = (cur + 1 + tab.delay[sel]) % R
            acc += np.bincount(bank * n + tab.tgt[sel], weights=w[tab.slot[sel]] * q,
                               minlength=R * n).astype(np.int64).reshape(R, n)
        if learn:
            # depression at the pre-synaptic arrival (the old weight was integrated above)
            ps = sel[tab.plastic[sel]]
            if ps.size:
                tg, sl = tab.tgt[ps], tab.slot[ps]
                r = row_st[tg]
                w[sl] = stdp_depress(w[sl], y[tg], r[:, 7], r[:, 5], r[:, 6])
            # potentiation of the incoming plastic synapses of the neurons that spiked
            lr = rows[row_on[rows]]
            e = ranges(rev_start[lr], p.row_rev_len[lr].astype(np.int64))
            if e.size:
                sl, a = rev_slot[e], rev_ax[e]
                r = ax_st[a]
                w[sl] = stdp_potentiate(w[sl], x[a], r[:, 7], r[:, 5], r[:, 6])
            # the trace walk: every neuron and axon of a learning core
            arr = np.zeros(x.size, bool)
            arr[tab.axons[ranges(tab.ax_offsets[srcs], tab.ax_offsets[srcs + 1] - tab.ax_offsets[srcs])]] = True
            y = np.where(row_on, trace_update(y, spiked, row_st[:, 2], row_st[:, 4], TB), y)
            x = np.where(ax_on, trace_update(x, arr, ax_st[:, 1], ax_st[:, 3], TB), x)
        if rows.size:
            sp_steps.append(np.full(rows.size, t, np.int64))
            sp_rows.append(rows)
            sp_pay.append(pay[rows])
        if progress is not None:
            progress(t)
    weights = w.reshape(p.syn_weight.shape) if learn else None
    return _result(p, stim, sp_steps, sp_rows, sp_pay, t0, weights=weights)
