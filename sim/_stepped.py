"""The literal cycle-by-cycle model of docs/microarchitecture.md (``run_cycle(..., mode="stepped")``).

Every component, every cycle, FIFOs as deques, every decision from a snapshot of the
start-of-cycle state, effects applied after all decisions. Slow on purpose: it exists to
check the fast engine (sim/_engine.py), which must agree on every spike, cycle and counter.
"""
from __future__ import annotations

from collections import deque
from typing import NamedTuple

import numpy as np

from neurocycle.hw import CORE_COUNTERS, neuron_update

from ._cycle import P_E, P_N, P_S, P_W, assemble, host_flits, host_payloads, row_params
from ._noc import DEFAULT_OUT
from ._routes import program_flits
from ._routes import walk as walk_program
from ._network import Stimulus
from ._program import ChipProgram
from ._result import SimResult

__all__ = ["run_stepped", "StepState"]


def run_stepped(p: ChipProgram, stim: Stimulus, progress, *, start: "StepState | None" = None,
                stop: int | None = None, probe=None) -> SimResult:
    """Cycle by cycle, component by component, as docs/microarchitecture.md words it.

    Deliberately naive (Python lists, every FIFO a deque, every decision taken from a
    snapshot of the start-of-cycle state, effects applied after all decisions).

    ``start`` resumes at the beginning of timestep ``start.step`` from the state the chip
    carries across a barrier (neuron state, the current accumulator and pending banks, the
    round-robin pointers, the cycle ``T``; every FIFO is empty and every engine idle there);
    ``stop`` ends after timestep ``stop - 1``. The result then covers those timesteps only
    (spike steps relative to ``start.step``). ``probe`` (sim/_activity.py) is told every
    cycle's start-of-cycle state and decisions; it changes nothing."""
    chip = p.chip
    if p.system is not None and start is not None and start.step > 0:
        from neurocycle.hw import ConfigError
        raise ConfigError("start", "resumes a chip, not a system of chips: the links' serialisers carry "
                          "state across the barrier that a StepState does not hold", start.step,
                          "simulate the system from timestep 0")
    Wm, Hm = chip.mesh.width, chip.mesh.height
    C = chip.mesh.cores_per_router
    nr, nc, P = Wm * Hm, Wm * Hm * C, chip.derived.n_ports
    D, DC, lanes = chip.router.fifo_depth, chip.core.fifo_depth, chip.core.synapse_lanes
    WC = chip.core.synapse_word_cycles
    sbits = chip.bits.state
    PB = chip.bits.payload                # 0: binary chip (no payload, acc += weight)
    event = chip.core.neuron_update == "event"
    B = chip.core.scan_word_bits
    nlo = [int(v) for v in p.core_neuron_offset]
    prm = row_params(p)
    walk_program(p)             # refuses tables that leave the mesh or revisit a router (§4.4)
    pf = program_flits(p)
    # a flit: (mc, key, destination core (unicast), axon)
    flits = list(zip(pf.mc.tolist(), pf.key.tolist(), pf.dst_core.tolist(), pf.axon.tolist()))
    fo_off = p.core_fanout_offset
    fanout = []   # per row: list of routes (mc, key, dst_core, axon); a flit is a route + (payload,)
    for k in range(nc):
        for row in range(nlo[k], nlo[k + 1]):
            b = int(fo_off[k] + p.row_fanout_base[row])
            n = int(p.row_fanout_len[row])
            fanout.append(flits[b:b + n])
    h_off, h_idx = host_flits(p, stim)
    h_pay = host_payloads(p, stim)
    host_r = chip.host.row * Wm
    # multicast tables: per router, key -> output ports
    tables = [dict(zip(p.table_key[p.router_table_offset[r]:p.router_table_offset[r + 1]].tolist(),
                       p.table_outputs[p.router_table_offset[r]:p.router_table_offset[r + 1]].tolist()))
              for r in range(nr)]
    lport = [0] + [4 + j for j in range(1, C)]          # port of local core j
    local_of_port = {lp: j for j, lp in enumerate(lport)}

    def route(r, q, fl):
        """(output-port set, default route taken) of head flit ``fl`` at input q of router r (§4)."""
        mc, key, dst = fl[:3]
        if mc:
            if key in tables[r]:
                return tables[r][key], False
            return DEFAULT_OUT[q], True
        x, y, dr = r % Wm, r // Wm, dst // C
        dx, dy = dr % Wm, dr // Wm
        if dx > x:
            return 1 << P_E, False
        if dx < x:
            return 1 << P_W, False
        if dy > y:
            return 1 << P_S, False
        if dy < y:
            return 1 << P_N, False
        return 1 << lport[dst % C], False

    def downstream(r, o):   # (router, input port) fed by output o of router r
        return {P_N: (r - Wm, P_S), P_E: (r + 1, P_W), P_S: (r + Wm, P_N), P_W: (r - 1, P_E)}[o]

    # chip-to-chip links of a system (§10.2): the output (r, o) that drives link l, the input it
    # feeds (a FIFO of depth link_buffer_flits), its credits, serialiser, pipeline and credit returns
    links = p.system.derived.links if p.system is not None else None
    n_lk = links.n if links is not None else 0
    lk_out = {(int(links.src[i]), int(links.out_port[i])): i for i in range(n_lk)}
    lk_in = {(int(links.dst[i]), int(links.in_port[i])): i for i in range(n_lk)}
    BL = p.system.link_buffer_flits if links is not None else D      # a link's receive buffer = its credits
    lk_L = [int(links.latency[i]) for i in range(n_lk)]
    lk_Lc = [int(links.credit_latency[i]) for i in range(n_lk)]
    lk_k = [int(links.cycles_per_flit[i]) for i in range(n_lk)]
    cr = [BL] * n_lk                     # credits (start-of-cycle values)
    free = [0] * n_lk                    # first cycle the serialiser takes the next flit
    pipe = [deque() for _ in range(n_lk)]       # (cycle it is pushed into the receiving FIFO, flit)
    cret = [deque() for _ in range(n_lk)]       # cycles at which a credit arrives back
    fifo = [[deque() for _ in range(P)] for _ in range(nr)]
    done = [[0] * P for _ in range(nr)]   # outputs that already got a copy of the head (§4.3)
    cfifo = [deque() for _ in range(nc)]
    last = [[P - 1] * P for _ in range(nr)]
    if start is not None:
        last = [list(map(int, row)) for row in start.last]
    si = [None] * nc                     # None = IDLE, else [words_left, next_global_word, cycles_left_of_word, payload]
    n_rows = p.n_rows
    u = np.zeros(n_rows, np.int64)
    v = np.zeros(n_rows, np.int64)
    ref = np.zeros(n_rows, np.int64)
    acc = [np.zeros(n_rows, np.int64), np.zeros(n_rows, np.int64)]
    # pending bitmaps of an event-driven core (§5.1): every placed neuron pending before T_0
    pend = [np.ones(n_rows, bool), np.zeros(n_rows, bool)]
    cur = 0
    cnt = {k: np.zeros(nc, np.int64) for k in CORE_COUNTERS}
    port_flits = np.zeros((nr, P), np.int64)
    blocked = np.zeros((nr, P), np.int64)
    local = np.zeros(nr, np.int64)
    mc_look = np.zeros((nr, P), np.int64)
    mc_def = np.zeros((nr, P), np.int64)
    mc_part = np.zeros((nr, P), np.int64)
    fmax = np.zeros((nr, P + C), np.int64)
    host_total = 0
    sp_steps, sp_rows, sp_cycles, sp_pay, step_cycles = [], [], [], [], []
    T = 0
    n_fo = pf.n_neuron
    t_first, t_end = 0, stim.steps if stop is None else stop
    if start is not None:
        t_first, T = start.step, start.cycle
        u[:], v[:], ref[:] = start.u, start.v, start.ref
        acc[cur][:] = start.acc
        pend[cur][:] = start.pend
    flit_of = _packer(p)
    for t in range(t_first, t_end):
        nxt = 1 - cur
        if event:   # ("S", w, m): SCAN(w) next; m unused there
            nu = [("S", 0) if nlo[k + 1] > nlo[k] else ("D",) for k in range(nc)]
        else:
            nu = [("U", 0) if nlo[k + 1] > nlo[k] else ("D",) for k in range(nc)]
        wordbits = [None] * nc       # event: (w, pending rows of word w not yet visited = m)

        def next_pending(k):
            """Event NU: UPDATE(lowest pending neuron left in m), else SCAN(w+1), else DONE (§5.1)."""
            w, m = wordbits[k]
            if m:
                return ("U", m.pop(0) - nlo[k])
            if (w + 1) * B < nlo[k + 1] - nlo[k]:
                return ("S", w + 1)
            return ("D",)

        h0 = int(h_off[t])
        hflits = [flits[n_fo + int(j)] + (int(h_pay[h0 + i]),) for i, j in enumerate(h_idx[h0:int(h_off[t + 1])])]
        hp = 0
        c = T
        if probe is not None:
            probe.begin_step(t, T)
        while True:
            occ = [[len(q) for q in fifo[r]] for r in range(nr)]      # start-of-cycle state
            cocc = [len(q) for q in cfifo]
            if (all(s[0] == "D" for s in nu) and hp == len(hflits) and not any(map(any, occ))
                    and not any(cocc) and all(s is None for s in si) and all(v == BL for v in cr)):
                break                                                  # Q_t = c (links idle: §10.4)
            if probe is not None:
                ev = probe.begin_cycle(c, occ, cocc, [s[0] for s in nu], [s is not None for s in si])
            for r in range(nr):
                for q in range(P):
                    fmax[r, q] = max(fmax[r, q], occ[r][q])
                for j in range(C):
                    fmax[r, P + j] = max(fmax[r, P + j], cocc[r * C + j])
            pops, pushes = [], []   # pops: (fifo deque); pushes: (deque, flit)
            lk_grants, lk_credits = [], []   # (link, flit) granted onto a link; links whose receiving FIFO popped
            pend_sets, pend_clears = [], []   # event: bits of pend[nxt] set, word ranges of pend[cur] cleared
            # routers
            for r in range(nr):
                if not any(occ[r]):
                    continue
                routes = [route(r, q, fifo[r][q][0]) if occ[r][q] else (0, False) for q in range(P)]
                want = [routes[q][0] & ~done[r][q] for q in range(P)]
                got = [0] * P
                for o in range(P):
                    req = [q for q in range(P) if occ[r][q] and (want[q] >> o) & 1]
                    if not req:
                        continue
                    lk = lk_out.get((r, o))
                    if o in local_of_port:
                        k2 = r * C + local_of_port[o]
                        space, dq = cocc[k2] < DC, cfifo[k2]
                    elif lk is not None:                    # a chip-to-chip link: credits and serialiser
                        space, dq = cr[lk] > 0 and c >= free[lk], None
                    else:
                        r2, q2 = downstream(r, o)
                        space, dq = occ[r2][q2] < D, fifo[r2][q2]
                    if not space:
                        continue
                    win = next((last[r][o] + j) % P for j in range(1, P + 1) if (last[r][o] + j) % P in req)
                    last[r][o] = win
                    got[win] |= 1 << o
                    if probe is not None:
                        ev.grants.append((r, o, win, flit_of(fifo[r][win][0])))
                    port_flits[r, o] += 1
                    if o in local_of_port and win in local_of_port:
                        local[r] += 1
                    if lk is not None:
                        lk_grants.append((lk, fifo[r][win][0]))
                    else:
                        pushes.append((dq, fifo[r][win][0]))
                for q in range(P):
                    if not occ[r][q]:
                        continue
                    if want[q] & ~got[q] == 0:          # every output still owed got its copy: pop
                        pops.append(fifo[r][q])
                        if (r, q) in lk_in:
                            lk_credits.append(lk_in[(r, q)])
                        done[r][q] = 0
                        if probe is not None:
                            ev.pops.append((r, q))
                        if fifo[r][q][0][0]:
                            mc_look[r, q] += 1
                            mc_def[r, q] += routes[q][1]
                    else:
                        done[r][q] |= got[q]
                        blocked[r, q] += 1
                        mc_part[r, q] += got[q] != 0
                        if probe is not None:
                            ev.blocked.append((r, q))
            # synaptic-integration engines
            for k in range(nc):
                if si[k] is None:
                    if cocc[k]:
                        axon, q = cfifo[k][0][3:5]
                        pops.append(cfifo[k])
                        if probe is not None:
                            ev.si_pops.append(k)
                        cnt["axon_lookups"][k] += 1
                        cnt["si_busy_cycles"][k] += 1
                        g = int(p.core_axon_offset[k]) + axon
                        n_words = -(-int(p.axon_len[g]) // lanes)
                        if n_words:
                            si[k] = [n_words, int(p.core_word_offset[k]) + int(p.axon_base[g]), WC, q]
                else:
                    wl, word, left, q = si[k]
                    cnt["si_busy_cycles"][k] += 1
                    if left > 1:                 # the word takes synapse_word_cycles: read in its last one
                        si[k] = [wl, word, left - 1, q]
                        continue
                    cnt["synapse_word_reads"][k] += 1
                    for lane in range(lanes):
                        if p.syn_valid[word, lane]:
                            tgt = nlo[k] + int(p.syn_target[word, lane])
                            acc[nxt][tgt] += int(p.syn_weight[word, lane]) * (q if PB else 1)
                            cnt["synaptic_ops"][k] += 1
                            if event:
                                pend_sets.append(tgt)
                                cnt["pending_sets"][k] += 1
                    si[k] = [wl - 1, word + 1, WC, q] if wl > 1 else None
            # neuron-update engines
            for k in range(nc):
                s = nu[k]
                if s[0] == "S":                      # SCAN(w): read word w of pend[cur] and clear it
                    w = s[1]
                    lo, hi = nlo[k] + w * B, min(nlo[k + 1], nlo[k] + (w + 1) * B)
                    m = [row for row in range(lo, hi) if pend[cur][row]]
                    pend_clears.append((lo, hi))
                    cnt["nu_scan_cycles"][k] += 1
                    cnt["nu_busy_cycles"][k] += 1
                    wordbits[k] = (w, m)
                    nu[k] = next_pending(k)
                elif s[0] == "U":
                    i = s[1]
                    row = nlo[k] + i
                    pr = prm[row]
                    one = lambda val: np.array([val], np.int64)  # noqa: E731
                    I = int(acc[cur][row])
                    un, vn, rn, q = neuron_update(one(u[row]), one(v[row]), one(ref[row]), one(I),
                                                  *(one(pr[j]) for j in range(7)), sbits, graded=one(pr[7]),
                                                  payload_bits=PB)
                    un, vn, rn, q = int(un[0]), int(vn[0]), int(rn[0]), int(q[0])
                    active = (un, vn, rn) != (u[row], v[row], ref[row])
                    cnt["neuron_updates_active" if active else "neuron_updates_inactive"][k] += 1
                    u[row], v[row], ref[row] = un, vn, rn
                    acc[cur][row] = 0
                    cnt["nu_busy_cycles"][k] += 1
                    if event and not (I == 0 and not active and q == 0):     # not quiet (§5.1)
                        pend_sets.append(row)
                        cnt["pending_sets"][k] += 1
                    if q:
                        cnt["spikes"][k] += 1
                        if probe is not None:
                            ev.spikes.append((k, i, q))
                        sp_steps.append(t - t_first)
                        sp_rows.append(row)
                        sp_cycles.append(c)
                        sp_pay.append(q)
                    if q and fanout[row]:
                        nu[k] = ("P", i, 0, q)
                    elif event:
                        nu[k] = next_pending(k)
                    else:
                        nu[k] = ("U", i + 1) if nlo[k] + i + 1 < nlo[k + 1] else ("D",)
                elif s[0] == "P":
                    _, i, j, q = s
                    row = nlo[k] + i
                    if occ[k // C][lport[k % C]] < D:
                        pushes.append((fifo[k // C][lport[k % C]], fanout[row][j] + (q,)))
                        if probe is not None:
                            ev.nu_pushes.append((k, flit_of(fanout[row][j] + (q,))))
                        cnt["fanout_flits"][k] += 1
                        cnt["nu_busy_cycles"][k] += 1
                        if j + 1 < len(fanout[row]):
                            nu[k] = ("P", i, j + 1, q)
                        elif event:
                            nu[k] = next_pending(k)
                        else:
                            nu[k] = ("U", i + 1) if nlo[k] + i + 1 < nlo[k + 1] else ("D",)
                    else:
                        cnt["nu_stall_cycles"][k] += 1
                        if probe is not None:
                            ev.stalls.append(k)
            # host
            if hp < len(hflits) and occ[host_r][P_W] < D:
                pushes.append((fifo[host_r][P_W], hflits[hp]))
                if probe is not None:
                    ev.host = flit_of(hflits[hp])
                hp += 1
                host_total += 1
            for q in pops:
                q.popleft()
            for q, flit in pushes:
                q.append(flit)
            # links (§10.2): a grant takes a credit and the serialiser and enters the pipeline; a pop
            # of a link-fed FIFO sends a credit back; then what arrives in this cycle is applied
            for lk, flit in lk_grants:
                cr[lk] -= 1
                free[lk] = c + lk_k[lk]
                pipe[lk].append((c + lk_L[lk], flit))
            for lk in lk_credits:
                cret[lk].append(c + lk_Lc[lk])
            for lk in range(n_lk):
                while pipe[lk] and pipe[lk][0][0] == c:
                    rq = fifo[int(links.dst[lk])][int(links.in_port[lk])]
                    assert len(rq) < BL, "a link pushed into its full receive buffer (credits broken)"
                    rq.append(pipe[lk].popleft()[1])
                while cret[lk] and cret[lk][0] == c:
                    cret[lk].popleft()
                    cr[lk] += 1
            for lo, hi in pend_clears:
                pend[cur][lo:hi] = False
            for row in pend_sets:
                pend[nxt][row] = True
            c += 1
        assert not acc[cur].any(), "NU left a non-zero current accumulator"
        assert not (event and pend[cur].any()), "NU left a pending bit in the current bank"
        step_cycles.append(c + chip.barrier_cycles - T)
        if probe is not None:
            probe.end_step(t, c, c + chip.barrier_cycles, last)
        T = c + chip.barrier_cycles
        cur = nxt
        if progress is not None:
            progress(t)
    if start is not None or t_end != stim.steps:      # a window: counters and spikes of its timesteps
        stim = _window(stim, t_first, t_end)
    return assemble(p, stim, "cycle-stepped", spike_steps=sp_steps, spike_rows=sp_rows, spike_cycles=sp_cycles,
                     step_cycles=step_cycles, core=cnt, port_flits=port_flits, blocked_port=blocked, fifo_max=fmax,
                     host_flits=host_total, local_flits=local, mc_lookups=mc_look, mc_default=mc_def,
                     mc_partial=mc_part, spike_payloads=sp_pay)


class StepState(NamedTuple):
    """What the chip carries from one timestep to the next, at the start of timestep ``step``
    (cycle ``cycle`` = T_step): every FIFO is empty and every engine idle there (quiescence), so
    this is the whole state (docs/engine.md, "Replay"). Rows in the program's row order."""
    step: int
    cycle: int
    u: np.ndarray
    v: np.ndarray
    ref: np.ndarray
    acc: np.ndarray          # acc[cur]: the input of timestep ``step``
    pend: np.ndarray         # pend[cur] (event-driven cores; all False on a dense chip after T_0)
    last: np.ndarray         # [n_routers, ports]: each output's round-robin pointer (its last winner)


def _window(stim: Stimulus, t0: int, t1: int) -> Stimulus:
    lo, hi = int(stim.offsets[t0]), int(stim.offsets[t1])
    pay = None if stim.payloads is None else stim.payloads[lo:hi]
    return Stimulus(t1 - t0, np.asarray(stim.offsets[t0:t1 + 1]) - lo, stim.channels[lo:hi], pay)


def _packer(p: ChipProgram):
    """A model flit ``(mc, key, dst_core, axon, payload)`` -> the RTL's flit word (nc_defs.svh
    NC_FLIT_*): the key is the packed axon/dst_y/dst_x, the mc bit and the payload go on top
    where the chip has those fields."""
    from neurocycle.hw import layout

    d = vars(p.chip.derived)
    sh = layout.CHIP_FLIT.shifts(d)
    smc, sq = sh["mc"], sh["payload"]
    has_mc, graded = bool(d["mc_bits"]), bool(d["payload_bits"])

    def flit_of(fl):
        mc, key, q = fl[0], fl[1], fl[4]
        return key | ((int(mc) << smc) if has_mc else 0) | ((q << sq) if graded else 0)
    return flit_of
