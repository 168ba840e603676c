"""Cycle-level backend: the reference microarchitecture (docs/microarchitecture.md), cycle-exact.

``run_cycle(program, stim, mode="fast")`` runs the event-skipping Cython engine
(neurocycle.core._engine); ``mode="stepped"`` runs a slow, literal, cycle-by-cycle Python model
of the same document, kept only to check the fast one (tests compare every spike, cycle and
counter). Both return a :class:`SimResult` with every counter of ``neurocycle.hw.COUNTERS``.
"""
from __future__ import annotations

import time
from collections import deque
from typing import Callable

import numpy as np

from neurocycle.hw import CHIP_COUNTERS, CORE_COUNTERS, COUNTER_NAMES, ROUTER_COUNTERS, ConfigError, EngineError, lif_step

from ._bounds import step_cycle_bounds

from ._network import Stimulus
from ._program import ChipProgram
from ._result import SimResult

__all__ = ["run_cycle", "ENGINE_MODES"]

ENGINE_MODES = ("fast", "stepped")
P_L, P_N, P_E, P_S, P_W = range(5)  # router ports (docs/microarchitecture.md §1)


def run_cycle(program: ChipProgram, stim: Stimulus, *, progress: Callable[[int], None] | None = None,
              mode: str = "fast") -> SimResult:
    """Simulate ``stim.steps`` timesteps of ``program`` cycle by cycle.

    ``mode="fast"`` (default): event-skipping Cython engine, backend ``"cycle"``.
    ``mode="stepped"``: literal cycle-by-cycle Python model, backend ``"cycle-stepped"``.
    ``progress(t)`` is called after each timestep.
    """
    if mode not in ENGINE_MODES:
        raise ConfigError("mode", f"must be one of {', '.join(ENGINE_MODES)}", mode,
                          "use 'fast' (default) or 'stepped' (slow, for checking)")
    t0 = time.perf_counter()
    if mode == "fast":
        res = _run_fast(program, stim, progress)
    else:
        res = _run_stepped(program, stim, progress)
    res.wall_s = time.perf_counter() - t0
    return res


# ----------------------------------------------------------------------------- shared helpers
def _core_of_row(p: ChipProgram) -> np.ndarray:
    return np.repeat(np.arange(p.n_cores), np.diff(p.core_neuron_offset))


def _row_params(p: ChipProgram) -> np.ndarray:
    """[n_rows, 8] int64: du dv bias vth v_reset refractory w_exp, 0 (profile of each row)."""
    prm = np.zeros((p.n_rows, 8), np.int64)
    if p.n_rows:
        prm[:, :7] = p.profile_table[p.core_profile_offset[_core_of_row(p)] + p.row_profile]
    return prm


def _route_table(W: int, H: int) -> np.ndarray:
    """uint8 [n_cores * 2**LNC]: XY output port at router r for a flit to core d, at r << LNC | d."""
    nc = W * H
    k = np.arange(nc, dtype=np.int16)
    x, y = k % W, k // W
    xr, yr = x[:, None], y[:, None]
    xd, yd = x[None, :], y[None, :]
    rt = np.where(xd > xr, P_E, np.where(xd < xr, P_W, np.where(yd > yr, P_S, np.where(yd < yr, P_N, P_L))))
    stride = 1 << max(0, (nc - 1).bit_length())     # rows padded to a power of two: index r << LNC | d
    out = np.zeros((nc, stride), np.uint8)
    out[:, :nc] = rt
    return out.ravel()


def _downstream(W: int, H: int) -> np.ndarray:
    """int64 [n_cores*8]: for (router r, output o) at r*8+o, the input FIFO (r2, p2) at (x2, y2)
    that output feeds, packed for the kernel's push loop (see Ctx.DN in _engine.pyx):
    ((p2*6) << 6) + y2 | x2 << 11 | (r2 << 3 | p2) << 17 | (r2 << LNC) << 32
    (0 where there is none: XY routing never uses it)."""
    nc = W * H
    lnc = max(0, (nc - 1).bit_length())
    dn = np.zeros((nc, 8), np.int64)
    k = np.arange(nc, dtype=np.int64)
    x, y = k % W, k // W
    for o, p2, dx, dy in ((P_N, P_S, 0, -1), (P_E, P_W, 1, 0), (P_S, P_N, 0, 1), (P_W, P_E, -1, 0)):
        x2, y2 = x + dx, y + dy
        ok = (x2 >= 0) & (x2 < W) & (y2 >= 0) & (y2 < H)
        r2 = (y2 * W + x2)[ok]
        dn[ok, o] = (((p2 * 6) << 6) + y2[ok]) | (x2[ok] << 11) | (((r2 << 3) | p2) << 17) | ((r2 << lnc) << 32)
    return dn.ravel()


def _host_flits(p: ChipProgram, stim: Stimulus) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Host flits of every step in push order: (offsets[steps+1], dst_core, axon)."""
    W = p.chip.mesh.width
    ch = np.asarray(stim.channels, np.int64)
    io = p.input_fanout_offset.astype(np.int64)
    lens = io[ch + 1] - io[ch] if ch.size else np.zeros(0, np.int64)
    idx = np.repeat(io[ch], lens) + (np.arange(int(lens.sum())) - np.repeat(np.cumsum(lens) - lens, lens))
    per_spike_end = np.concatenate([[0], np.cumsum(lens)])
    off = per_spike_end[np.asarray(stim.offsets, np.int64)]
    dst = p.input_dst_y[idx].astype(np.int64) * W + p.input_dst_x[idx]
    return off.astype(np.int64), dst, p.input_axon[idx].astype(np.int64)


def _synapse_csr(p: ChipProgram):
    """Per global axon: words read, and a CSR (offsets, target row, weight) of its valid slots."""
    lanes = p.chip.core.synapse_lanes
    n_ax = int(p.axon_len.size)
    ax_core = np.repeat(np.arange(p.n_cores), np.diff(p.core_axon_offset))
    words = (p.axon_len.astype(np.int64) + lanes - 1) // lanes
    wbase = p.core_word_offset[ax_core].astype(np.int64) + p.axon_base
    rep = np.repeat(np.arange(n_ax), words)
    word = np.repeat(wbase, words) + (np.arange(rep.size) - np.repeat(np.cumsum(words) - words, words))
    valid = p.syn_valid[word].astype(bool)                     # [n_read_words, lanes]
    slot_ax = np.repeat(rep, lanes)[valid.ravel()]
    tgt = (p.syn_target[word].astype(np.int64)
           + p.core_neuron_offset[ax_core[rep]][:, None])[valid]
    wt = p.syn_weight[word][valid]
    off = np.zeros(n_ax + 1, np.int64)
    np.cumsum(np.bincount(slot_ax, minlength=n_ax), out=off[1:])
    return words, off, tgt, wt


def _synapse_blob(p: ChipProgram):
    """One record per global axon, ``[n_syn, words, row_0, w_0, ...]`` (valid slots only), and the
    record offsets: an ejected flit then needs a single random access for all its synapses."""
    words, off, tgt, wt = _synapse_csr(p)
    n_syn = np.diff(off)
    rec_len = 2 + 2 * n_syn
    rec_off = np.cumsum(rec_len) - rec_len
    blob = np.zeros(int(rec_len.sum()), np.int32)
    blob[rec_off] = n_syn
    blob[rec_off + 1] = words
    slot_rec = np.repeat(rec_off, n_syn) + 2 + 2 * (np.arange(tgt.size) - np.repeat(off[:-1], n_syn))
    blob[slot_rec] = tgt
    blob[slot_rec + 1] = wt
    return blob, rec_off, words


def _kernel_flits(dst_core, axon_local, p: ChipProgram, rec_off, words) -> np.ndarray:
    """Kernel flit: dst_core | min(words, 2**20-1) << 15 | record offset << 35 (see _engine.pyx)."""
    g = p.core_axon_offset[dst_core].astype(np.int64) + axon_local
    return (dst_core.astype(np.int64) | (np.minimum(words[g], (1 << 20) - 1) << 15)
            | (rec_off[g] << 35))


def _assemble(p: ChipProgram, stim: Stimulus, backend: str, *, spike_steps, spike_rows, spike_cycles, step_cycles,
              core: dict, port_flits, blocked_port, fifo_max, host_flits: int) -> SimResult:
    gids = p.row_gid[np.asarray(spike_rows, np.int64)].astype(np.int64)
    steps = np.asarray(spike_steps, np.int64)
    order = np.lexsort((gids, steps))
    counters: dict[str, np.ndarray] = {k: np.asarray(core[k], np.int64) for k in CORE_COUNTERS}
    pf = np.asarray(port_flits, np.int64)
    bp = np.asarray(blocked_port, np.int64)
    counters["router_flits"] = pf.sum(axis=1)
    counters["link_flits"] = pf[:, 1:].sum(axis=1)
    counters["router_blocked_cycles"] = bp.sum(axis=1)
    sc = np.asarray(step_cycles, np.int64)
    counters["host_flits"] = np.array(host_flits, np.int64)
    counters["barriers"] = np.array(stim.steps, np.int64)
    counters["cycles"] = np.array(int(sc.sum()), np.int64)
    assert set(counters) == set(COUNTER_NAMES) and set(ROUTER_COUNTERS) | set(CHIP_COUNTERS) <= set(counters)
    return SimResult(backend=backend, steps=stim.steps, spike_steps=steps[order], spike_neurons=gids[order],
                     spike_cycles=np.asarray(spike_cycles, np.int64)[order], step_cycles=sc, counters=counters,
                     detail={"link_flits_port": pf, "blocked_cycles_port": bp,
                             "fifo_max_occupancy": np.asarray(fifo_max, np.int64)})


# ----------------------------------------------------------------------------- fast (Cython)
def _kernel_inputs(p: ChipProgram, stim: Stimulus) -> dict:
    """Every table the kernel reads, in the exact dtype and layout it expects."""
    chip = p.chip
    W, H = chip.mesh.width, chip.mesh.height
    nc = W * H
    i32 = lambda a: np.ascontiguousarray(a, dtype=np.int32)  # noqa: E731
    i64 = lambda a: np.ascontiguousarray(a, dtype=np.int64)  # noqa: E731
    core_of_row = _core_of_row(p)
    blob, rec_off, words = _synapse_blob(p)
    if blob.size >= (1 << 28):
        raise ConfigError("network", "has too many synapses for the cycle engine's flit encoding "
                          f"({blob.size} blob entries, limit {1 << 28})", blob.size,
                          "simulate a smaller network or use the reference backend")
    fo_dst = p.fanout_dst_y.astype(np.int64) * W + p.fanout_dst_x
    h_off, h_dst, h_axon = _host_flits(p, stim)
    return {
        "NC": nc, "W": W, "H": H, "n_rows": p.n_rows,
        "D": chip.router.fifo_depth, "LD": max(0, (chip.router.fifo_depth - 1).bit_length()),
        "DC": chip.core.fifo_depth, "LNC": max(0, (nc - 1).bit_length()),
        "barrier": chip.barrier_cycles, "state_bits": chip.bits.state,
        "host_r": chip.host.row * W,
        "nlo": i32(p.core_neuron_offset), "prm": i64(_row_params(p)),
        "fo_start": i32(p.core_fanout_offset[core_of_row].astype(np.int64) + p.row_fanout_base),
        "fo_len": i32(p.row_fanout_len),
        "fo_flit": i64(_kernel_flits(fo_dst, p.fanout_axon, p, rec_off, words)),
        "blob": i32(blob),
        "RT": _route_table(W, H), "DN": i64(_downstream(W, H)),
        "host_off": i64(h_off), "host_fl": i64(_kernel_flits(h_dst, h_axon, p, rec_off, words)),
        "step_bound": i64(step_cycle_bounds(p, np.diff(h_off))),
    }


def _pad1(a: np.ndarray) -> np.ndarray:
    return a if a.size else np.zeros(1, a.dtype)


def _run_fast(p: ChipProgram, stim: Stimulus, progress) -> SimResult:
    from neurocycle.core._engine import run_fast

    a = _kernel_inputs(p, stim)
    for k, v in a.items():
        if isinstance(v, np.ndarray):
            a[k] = _pad1(v)   # the kernel takes data pointers: never hand it a 0-size buffer
    out = run_fast(a, int(stim.steps), progress)
    if out["watchdog_step"] >= 0:
        t = int(out["watchdog_step"])
        raise EngineError(f"cycle engine: timestep {t} ran past its proven bound of {int(a['step_bound'][t]):,} "
                          "cycles without reaching quiescence. This is a bug in neurocycle's fast engine, not a "
                          "problem with the input: please report it with the chip and network; meanwhile "
                          "backend='reference' gives the spikes and run_cycle(..., mode='stepped') the cycles")
    nc = p.n_cores
    W = p.chip.mesh.width
    n_neurons = np.diff(p.core_neuron_offset).astype(np.int64)
    core = {k: out[k] for k in ("neuron_updates_active", "neuron_updates_inactive", "spikes", "fanout_flits",
                                "nu_stall_cycles", "axon_lookups", "synaptic_ops", "synapse_word_reads")}
    core.update(si_busy_cycles=out["axon_lookups"] + out["synapse_word_reads"],
                nu_busy_cycles=n_neurons * stim.steps + out["fanout_flits"])
    # Every FIFO is empty at quiescence, so the flits popped from an input FIFO are the flits
    # pushed into it: the grants of the output feeding it (the kernel counts no grant per flit);
    # output L's grants are the ejections (one axon look-up each).
    pops = out["pops"]
    pf = np.zeros((nc, 5), np.int64)
    k = np.arange(nc)
    x, y = k % W, k // W
    pf[:, P_L] = out["axon_lookups"]
    pf[y > 0, P_N] = pops[k[y > 0] - W, P_S]
    pf[y < p.chip.mesh.height - 1, P_S] = pops[k[y < p.chip.mesh.height - 1] + W, P_N]
    pf[x < W - 1, P_E] = pops[k[x < W - 1] + 1, P_W]
    pf[x > 0, P_W] = pops[k[x > 0] - 1, P_E]
    # blocked = cycles holding a head - flits through the FIFO
    blocked = out["necyc"] - pops
    fifo_max = np.concatenate([out["mo"], out["mo_core"][:, None]], axis=1)
    counts = out["spike_counts"]
    return _assemble(p, stim, "cycle", spike_steps=np.repeat(np.arange(stim.steps), counts),
                     spike_rows=out["spike_rows"], spike_cycles=out["spike_cycles"], step_cycles=out["step_cycles"],
                     core=core, port_flits=pf, blocked_port=blocked, fifo_max=fifo_max,
                     host_flits=int(out["host_flits"]))


# ----------------------------------------------------------------------------- stepped (literal)
def _run_stepped(p: ChipProgram, stim: Stimulus, progress) -> SimResult:
    """Cycle by cycle, component by component, as docs/microarchitecture.md words it.

    Deliberately naive (Python lists, every FIFO a deque, every decision taken from a
    snapshot of the start-of-cycle state, effects applied after all decisions)."""
    chip = p.chip
    Wm, Hm = chip.mesh.width, chip.mesh.height
    nc = Wm * Hm
    D, DC, lanes = chip.router.fifo_depth, chip.core.fifo_depth, chip.core.synapse_lanes
    sbits = chip.bits.state
    nlo = [int(v) for v in p.core_neuron_offset]
    prm = _row_params(p)
    fo_off = p.core_fanout_offset
    fanout = []   # per row: list of flits (dst_core, axon)
    for k in range(nc):
        for row in range(nlo[k], nlo[k + 1]):
            b = int(fo_off[k] + p.row_fanout_base[row])
            n = int(p.row_fanout_len[row])
            fanout.append([(int(p.fanout_dst_y[j]) * Wm + int(p.fanout_dst_x[j]), int(p.fanout_axon[j]))
                           for j in range(b, b + n)])
    h_off, h_dst, h_axon = _host_flits(p, stim)
    host_r = chip.host.row * Wm

    def route(r, dst):
        x, y, dx, dy = r % Wm, r // Wm, dst % Wm, dst // Wm
        if dx > x:
            return P_E
        if dx < x:
            return P_W
        if dy > y:
            return P_S
        if dy < y:
            return P_N
        return P_L

    def downstream(r, o):   # (router, input port) fed by output o of router r
        return {P_N: (r - Wm, P_S), P_E: (r + 1, P_W), P_S: (r + Wm, P_N), P_W: (r - 1, P_E)}[o]

    fifo = [[deque() for _ in range(5)] for _ in range(nc)]
    cfifo = [deque() for _ in range(nc)]
    last = [[4] * 5 for _ in range(nc)]
    si = [None] * nc                     # None = IDLE, else [words_left, next_global_word, core]
    n_rows = p.n_rows
    u = np.zeros(n_rows, np.int64)
    v = np.zeros(n_rows, np.int64)
    ref = np.zeros(n_rows, np.int64)
    acc = [np.zeros(n_rows, np.int64), np.zeros(n_rows, np.int64)]
    cur = 0
    cnt = {k: np.zeros(nc, np.int64) for k in CORE_COUNTERS}
    port_flits = np.zeros((nc, 5), np.int64)
    blocked = np.zeros((nc, 5), np.int64)
    fmax = np.zeros((nc, 6), np.int64)
    host_total = 0
    sp_steps, sp_rows, sp_cycles, step_cycles = [], [], [], []
    T = 0
    for t in range(stim.steps):
        nxt = 1 - cur
        nu = [("U", 0) if nlo[k + 1] > nlo[k] else ("D",) for k in range(nc)]
        hflits = [(int(h_dst[j]), int(h_axon[j])) for j in range(int(h_off[t]), int(h_off[t + 1]))]
        hp = 0
        c = T
        while True:
            occ = [[len(q) for q in fifo[r]] for r in range(nc)]      # start-of-cycle state
            cocc = [len(q) for q in cfifo]
            if (all(s[0] == "D" for s in nu) and hp == len(hflits) and not any(map(any, occ))
                    and not any(cocc) and all(s is None for s in si)):
                break                                                  # Q_t = c
            for r in range(nc):
                for q in range(5):
                    fmax[r, q] = max(fmax[r, q], occ[r][q])
                fmax[r, 5] = max(fmax[r, 5], cocc[r])
            pops, pushes = [], []   # pops: (fifo deque); pushes: (deque, flit)
            # routers
            for r in range(nc):
                if not any(occ[r]):
                    continue
                want = [route(r, fifo[r][q][0][0]) if occ[r][q] else None for q in range(5)]
                granted = set()
                for o in range(5):
                    req = [q for q in range(5) if want[q] == o]
                    if not req:
                        continue
                    if o == P_L:
                        space, dq = cocc[r] < DC, cfifo[r]
                    else:
                        r2, q2 = downstream(r, o)
                        space, dq = occ[r2][q2] < D, fifo[r2][q2]
                    if not space:
                        continue
                    win = next((last[r][o] + j) % 5 for j in range(1, 6) if (last[r][o] + j) % 5 in req)
                    last[r][o] = win
                    granted.add(win)
                    port_flits[r, o] += 1
                    pops.append(fifo[r][win])
                    pushes.append((dq, fifo[r][win][0]))
                for q in range(5):
                    if occ[r][q] and q not in granted:
                        blocked[r, q] += 1
            # synaptic-integration engines
            for k in range(nc):
                if si[k] is None:
                    if cocc[k]:
                        dst, axon = cfifo[k][0]
                        pops.append(cfifo[k])
                        cnt["axon_lookups"][k] += 1
                        cnt["si_busy_cycles"][k] += 1
                        g = int(p.core_axon_offset[k]) + axon
                        n_words = -(-int(p.axon_len[g]) // lanes)
                        if n_words:
                            si[k] = [n_words, int(p.core_word_offset[k]) + int(p.axon_base[g])]
                else:
                    wl, word = si[k]
                    cnt["synapse_word_reads"][k] += 1
                    cnt["si_busy_cycles"][k] += 1
                    for lane in range(lanes):
                        if p.syn_valid[word, lane]:
                            acc[nxt][nlo[k] + int(p.syn_target[word, lane])] += int(p.syn_weight[word, lane])
                            cnt["synaptic_ops"][k] += 1
                    si[k] = [wl - 1, word + 1] if wl > 1 else None
            # neuron-update engines
            for k in range(nc):
                s = nu[k]
                if s[0] == "U":
                    i = s[1]
                    row = nlo[k] + i
                    pr = prm[row]
                    one = lambda val: np.array([val], np.int64)  # noqa: E731
                    un, vn, rn, spk = lif_step(one(u[row]), one(v[row]), one(ref[row]), one(acc[cur][row]),
                                               *(one(pr[j]) for j in range(7)), sbits)
                    un, vn, rn, spk = int(un[0]), int(vn[0]), int(rn[0]), bool(spk[0])
                    active = (un, vn, rn) != (u[row], v[row], ref[row])
                    cnt["neuron_updates_active" if active else "neuron_updates_inactive"][k] += 1
                    u[row], v[row], ref[row] = un, vn, rn
                    acc[cur][row] = 0
                    cnt["nu_busy_cycles"][k] += 1
                    nxt_state = ("U", i + 1) if nlo[k] + i + 1 < nlo[k + 1] else ("D",)
                    if spk:
                        cnt["spikes"][k] += 1
                        sp_steps.append(t)
                        sp_rows.append(row)
                        sp_cycles.append(c)
                        if fanout[row]:
                            nxt_state = ("P", i, 0)
                    nu[k] = nxt_state
                elif s[0] == "P":
                    _, i, j = s
                    row = nlo[k] + i
                    if occ[k][P_L] < D:
                        pushes.append((fifo[k][P_L], fanout[row][j]))
                        cnt["fanout_flits"][k] += 1
                        cnt["nu_busy_cycles"][k] += 1
                        if j + 1 < len(fanout[row]):
                            nu[k] = ("P", i, j + 1)
                        else:
                            nu[k] = ("U", i + 1) if nlo[k] + i + 1 < nlo[k + 1] else ("D",)
                    else:
                        cnt["nu_stall_cycles"][k] += 1
            # host
            if hp < len(hflits) and occ[host_r][P_W] < D:
                pushes.append((fifo[host_r][P_W], hflits[hp]))
                hp += 1
                host_total += 1
            for q in pops:
                q.popleft()
            for q, flit in pushes:
                q.append(flit)
            c += 1
        assert not acc[cur].any(), "NU left a non-zero current accumulator"
        step_cycles.append(c + chip.barrier_cycles - T)
        T = c + chip.barrier_cycles
        cur = nxt
        if progress is not None:
            progress(t)
    return _assemble(p, stim, "cycle-stepped", spike_steps=sp_steps, spike_rows=sp_rows, spike_cycles=sp_cycles,
                     step_cycles=step_cycles, core=cnt, port_flits=port_flits, blocked_port=blocked, fifo_max=fmax,
                     host_flits=host_total)
