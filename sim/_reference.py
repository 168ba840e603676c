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
from ._result import SimResult, spikes_from_pieces
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


def _delivery_csr(p: ChipProgram):
    """The deliveries of every fan-out entry (neuron entries in table order, then the host's) as
    a CSR over flit index: (flits, delivery flit, delivery core, offsets), stable in table order."""
    f, d_flit, d_core = destinations(p)
    o = np.argsort(d_flit, kind="stable")
    n_fl = int(f.mc.size)
    d_off = np.zeros(n_fl + 1, np.int64)
    np.cumsum(np.bincount(d_flit, minlength=n_fl), out=d_off[1:])
    return f, d_flit[o], d_core[o], d_off


def _deliveries(p: ChipProgram):
    """Every delivery of every fan-out entry (neurons' and the host's): (owner source, core, axon),
    a multicast flit followed through the routing tables (neurocycle.sim._routes)."""
    f, d_flit, d_core, d_off = _delivery_csr(p)
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


@dataclass(frozen=True)
class FanoutEntries:
    """Every delivery the program can make, with what its destination's synapse memory holds for it.

    Sources are input channels first, then placed rows (index ``n_inputs + row``). A delivery is
    one (core, axon) a flit reaches: a unicast flit's destination, or every core a multicast
    flit is ejected into (its routes through the tables, neurocycle.sim._routes). Source i makes
    the deliveries ``start[i] .. start[i] + length[i] - 1``; delivery d reaches ``n[d]``
    synapses, the consecutive slots from ``slot[d]`` of the program's synapse memory flattened
    over cores, words and lanes, whose (local) targets are rows ``row_base[d] + target``. Per
    delivery, not per synapse: the reference reads the synapses of each timestep's deliveries
    straight from ``program.synapses``, as the SI does (issue #18: no per-synapse copy)."""
    start: np.ndarray       # int64[n_inputs + n_rows]
    length: np.ndarray      # int64[n_inputs + n_rows]
    slot: np.ndarray        # int64[n_deliveries]
    n: np.ndarray           # int64[n_deliveries]
    row_base: np.ndarray    # int64[n_deliveries]

    @classmethod
    def of(cls, p: ChipProgram) -> "FanoutEntries":
        lanes = p.chip.core.synapse_lanes
        f, d_flit, d_core, d_off = _delivery_csr(p)
        row_start = p.core_fanout_offset[p.core_of_row].astype(np.int64) + p.row_fanout_base
        row_len = p.row_fanout_len.astype(np.int64)
        in_off = p.input_fanout_offset.astype(np.int64)
        fl_start = np.concatenate([f.n_neuron + in_off[:-1], row_start])
        fl_end = fl_start + np.concatenate([np.diff(in_off), row_len])
        start = d_off[fl_start]
        g = p.core_axon_offset[d_core].astype(np.int64) + f.axon[d_flit]
        slot = (p.core_word_offset[d_core] + p.axon_base[g]) * lanes
        return cls(start=start, length=d_off[fl_end] - start, slot=slot, n=p.axon_len[g].astype(np.int64),
                   row_base=p.core_neuron_offset[d_core].astype(np.int64))

    def synapses(self, p: ChipProgram, sources: np.ndarray, payloads: np.ndarray | None = None):
        """(target rows, weights[, payloads]) of every synapse reached by a spike of each of
        ``sources`` (int64); ``payloads`` per source are repeated per synapse."""
        sources = np.asarray(sources, np.int64)
        e = ranges(self.start[sources], self.length[sources])
        n = self.n[e]
        idx = ranges(self.slot[e], n)
        if p.synapses.dtype.itemsize == 4:
            tw = p.synapses.reshape(-1).view("<u4")[idx]       # (target, weight) as one word: a fast gather
            tgt = np.repeat(self.row_base[e], n) + (tw & 0xFFFF)
            w = (tw >> 16).astype(np.uint16).view(np.int16)
        else:                                                  # slots with a meta byte (delays, learning)
            sy = p.synapses.reshape(-1)[idx]
            tgt = np.repeat(self.row_base[e], n) + sy["target"]
            w = sy["weight"]
        if payloads is None:
            return tgt, w
        per_delivery = np.repeat(np.asarray(payloads, np.int64), self.length[sources])
        return tgt, w, np.repeat(per_delivery, n)


CSR_MAX_SYNAPSES = 1 << 25      # the reference copies the synapses of networks up to this size


def effective_connectivity(p: ChipProgram, fe: "FanoutEntries | None" = None):
    """CSR per source over placed rows: (offsets[n_src+1] int64, target rows int32, weights int16).

    Sources: input channels first, then placed rows (index n_inputs + row). One entry per synapse
    (6 bytes each), built from the synapse memory in chunks."""
    fe = fe if fe is not None else FanoutEntries.of(p)
    n_src = p.n_inputs + p.n_rows
    per_src = np.bincount(np.repeat(np.arange(n_src), fe.length),
                          weights=fe.n[ranges(fe.start, fe.length)], minlength=n_src).astype(np.int64)
    offsets = np.zeros(n_src + 1, dtype=np.int64)
    np.cumsum(per_src, out=offsets[1:])
    tgt = np.empty(int(offsets[-1]), np.int32)
    w = np.empty(int(offsets[-1]), np.int16)
    chunk = max(1, (1 << 22) // max(1, int(per_src.max(initial=1))))
    for s0 in range(0, n_src, chunk):
        s1 = min(n_src, s0 + chunk)
        t_c, w_c = fe.synapses(p, np.arange(s0, s1))
        tgt[offsets[s0]:offsets[s1]] = t_c
        w[offsets[s0]:offsets[s1]] = w_c
    return offsets, tgt, w


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
    state_bits = p.chip.bits.state
    u = np.zeros(n, np.int64)
    v = np.zeros(n, np.int64)
    ref = np.zeros(n, np.int64)
    acc = np.zeros(n, np.int64)
    sp_rows, sp_count = [], np.zeros(stim.steps, np.int64)
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
    fe = FanoutEntries.of(p)
    # a network of up to CSR_MAX_SYNAPSES synapses gets a per-source copy of its synapses (6 bytes
    # each), whose contiguous runs make every timestep's gather cache-friendly; a larger one is
    # read from the synapse memory flit by flit (no copy: issue #18). Both give the same sums.
    csr = effective_connectivity(p, fe) if int(p.axon_len.sum()) <= CSR_MAX_SYNAPSES else None
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
        q = np.concatenate([in_pay[lo:hi], pay[rows]]) if P else None
        if csr is not None:
            off, c_tgt, c_w = csr
            lens = off[srcs + 1] - off[srcs]
            sel = ranges(off[srcs], lens)
            tgt, w = c_tgt[sel], c_w[sel]
            if P:
                q = np.repeat(q, lens)
        elif P:
            tgt, w, q = fe.synapses(p, srcs, q)
        else:
            tgt, w = fe.synapses(p, srcs)
        acc = np.bincount(tgt, weights=w * q if P else w, minlength=n).astype(np.int64)
        if rows.size:
            sp_rows.append(rows.astype(np.int32))
            sp_count[t] = rows.size
            if P:
                sp_pay.append(pay[rows])
        if progress is not None:
            progress(t)
    return _result(p, stim, sp_count, sp_rows, sp_pay, t0)


def _result(p: ChipProgram, stim: Stimulus, sp_count, sp_rows, sp_pay, t0, weights=None) -> SimResult:
    P = p.chip.bits.payload
    res = spikes_from_pieces(p.row_gid, sp_count, sp_rows, ((sp_pay, np.int64, None),) if P else ())
    steps, gids = res[0], res[1]
    payloads = res[2] if P else None
    return SimResult(backend="reference", steps=stim.steps, spike_steps=steps, spike_neurons=gids,
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
    sp_rows, sp_pay, sp_count = [], [], np.zeros(stim.steps, np.int64)
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
            sp_rows.append(rows.astype(np.int32))
            sp_count[t] = rows.size
            if P:
                sp_pay.append(pay[rows])
        if progress is not None:
            progress(t)
    weights = w.reshape(p.syn_weight.shape) if learn else None
    return _result(p, stim, sp_count, sp_rows, sp_pay, t0, weights=weights)
