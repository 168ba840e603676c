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
    R = chip.core.delay_slots + 1            # accumulator banks (a ring, §10)
    aoff = [int(v) for v in p.core_axon_offset]
    # STDP (§11): weights change, so the SI reads and writes a copy of the synapse SRAM
    wts = p.syn_weight.astype(np.int64).copy()
    stdp = p.core_stdp
    learns = [bool(stdp[k, 0]) for k in range(nc)]
    TB = chip.bits.trace
    y = np.zeros(p.n_rows, np.int64)         # post-synaptic traces (per row)
    spk = np.zeros(p.n_rows, bool)           # spiked bits
    x = np.zeros(max(1, aoff[-1]), np.int64)   # pre-synaptic traces (per global axon)
    arr = np.zeros(max(1, aoff[-1]), bool)   # arrived bits
    rev_off = [int(v) for v in p.core_rev_offset]
    woff = [int(v) for v in p.core_word_offset]

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

    # chip-to-chip links of a system (§12.2): the output (r, o) that drives link l, the input it
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
    # SI: None = IDLE, else [words_left, next_global_word, cycles_left_of_word, payload, write]; write
    # is None while reading, or the new weights of the word to write back in a WRITE cycle (§11)
    si = [None] * nc
    n_rows = p.n_rows
    u = np.zeros(n_rows, np.int64)
    v = np.zeros(n_rows, np.int64)
    ref = np.zeros(n_rows, np.int64)
    acc = [np.zeros(n_rows, np.int64) for _ in range(R)]
    # pending bitmaps of an event-driven core (§5.1): every placed neuron pending before T_0
    pend = [np.ones(n_rows, bool)] + [np.zeros(n_rows, bool) for _ in range(R - 1)]
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
        for j in range(R):                     # bank cur + j (cur = 0 here): the input of timestep step + j
            acc[j][:] = start.acc[j]
            pend[j][:] = start.pend[j]
        if start.weights is not None:
            wts[:] = start.weights
        if start.x_trace is not None:
            x[:] = start.x_trace[:x.size]
            y[:] = start.y_trace
    flit_of = _packer(p)
    for t in range(t_first, t_end):
        nxt = (cur + 1) % R
        step_spikes = [[] for _ in range(nc)]     # the spike trace of each core this timestep (NU order)
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
                break                                                  # Q_t = c (links idle: §12.4)
            if probe is not None:
                ev = probe.begin_cycle(c, occ, cocc, [s[0] for s in nu], [s is not None for s in si])
            for r in range(nr):
                for q in range(P):
                    fmax[r, q] = max(fmax[r, q], occ[r][q])
                for j in range(C):
                    fmax[r, P + j] = max(fmax[r, P + j], cocc[r * C + j])
            pops, pushes = [], []   # pops: (fifo deque); pushes: (deque, flit)
            lk_grants, lk_credits = [], []   # (link, flit) granted onto a link; links whose receiving FIFO popped
            pend_sets, pend_clears = [], []   # event: (bank, row) bits set, word ranges of pend[cur] cleared
            w_writes = []           # (word, new weights of its lanes): SI write-backs of this cycle
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
                        if learns[k]:
                            arr[g] = True                    # r[axon] <- 1 (§11.2)
                        n_words = -(-int(p.axon_len[g]) // lanes)
                        if n_words:
                            si[k] = [n_words, int(p.core_word_offset[k]) + int(p.axon_base[g]), WC, q, None]
                else:
                    wl, word, left, q, wr = si[k]
                    cnt["si_busy_cycles"][k] += 1
                    if wr is not None:           # WRITE(w): the word's new weights land
                        w_writes.append((word, wr))
                        cnt["synapse_word_writes"][k] += 1
                        si[k] = [wl - 1, word + 1, WC, q, None] if wl > 1 else None
                        continue
                    if left > 1:                 # the word takes synapse_word_cycles: read in its last one
                        si[k] = [wl, word, left - 1, q, None]
                        continue
                    cnt["synapse_word_reads"][k] += 1
                    new_w, plastic = wts[word].copy(), False
                    for lane in range(lanes):
                        if p.syn_valid[word, lane]:
                            tgt = nlo[k] + int(p.syn_target[word, lane])
                            bank = (cur + 1 + int(p.syn_delay[word, lane])) % R
                            acc[bank][tgt] += int(wts[word, lane]) * (q if PB else 1)     # the old weight
                            cnt["synaptic_ops"][k] += 1
                            if event:
                                pend_sets.append((bank, tgt))
                                cnt["pending_sets"][k] += 1
                            if learns[k] and p.syn_plastic[word, lane]:      # depression (§11.1)
                                r = stdp[k]
                                new_w[lane] = min(max(int(wts[word, lane]) - (int(y[tgt]) >> int(r[7])), int(r[5])),
                                                  int(r[6]))
                                cnt["weight_updates"][k] += 1
                                plastic = True
                    if plastic:
                        si[k] = [wl, word, WC, q, new_w]        # WRITE(w) next cycle
                    else:
                        si[k] = [wl - 1, word + 1, WC, q, None] if wl > 1 else None
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
                        pend_sets.append((nxt, row))
                        cnt["pending_sets"][k] += 1
                    if q:
                        step_spikes[k].append(row)
                        if learns[k]:
                            spk[row] = True                  # s[i] <- 1 (§11.2)
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
            # links (§12.2): a grant takes a credit and the serialiser and enters the pipeline; a pop
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
            for bank, row in pend_sets:
                pend[bank][row] = True
            for word, new_w in w_writes:
                wts[word] = new_w
            c += 1
        assert not acc[cur].any(), "NU left a non-zero current accumulator"
        assert not (event and pend[cur].any()), "NU left a pending bit in the current bank"
        # ---- learning phase (§11.2): every learning core's LE from Q_t on, one state per cycle
        Q = c
        le = [("P", 0) if step_spikes[k] else ("T", 0) if learns[k] else ("D",) for k in range(nc)]
        le = [s if learns[k] else ("D",) for k, s in enumerate(le)]
        while any(s[0] != "D" for s in le):
            writes, tr = [], []
            if probe is not None:
                probe.le_cycle(c, [(k, s[0], s[1]) for k, s in enumerate(le) if s[0] != "D"], nlo, aoff)
            for k in range(nc):
                s, r = le[k], stdp[k]
                if s[0] == "D":
                    continue
                cnt["learning_cycles"][k] += 1
                if s[0] == "P":                      # POST(j): read the spiking neuron's reverse pointer
                    row = step_spikes[k][s[1]]
                    cnt["post_lookups"][k] += 1
                    b = rev_off[k] + int(p.row_rev_base[row])
                    n_e = int(p.row_rev_len[row])
                    le[k] = ("R", s[1], b, b + n_e) if n_e else _le_next_post(step_spikes[k], s[1])
                elif s[0] == "R":                    # RD(e): entry, word and pre trace -> new weight
                    _, j, e, e_end = s
                    a = aoff[k] + int(p.rev_axon[e])
                    word, lane = woff[k] + int(p.rev_word[e]), int(p.rev_lane[e])
                    nw = min(max(int(wts[word, lane]) + (int(x[a]) >> int(r[7])), int(r[5])), int(r[6]))
                    cnt["reverse_reads"][k] += 1
                    cnt["weight_updates"][k] += 1
                    le[k] = ("W", j, e, e_end, word, lane, nw)
                elif s[0] == "W":                    # WR(e): the word is written back
                    _, j, e, e_end, word, lane, nw = s
                    writes.append((word, lane, nw))
                    cnt["synapse_word_writes"][k] += 1
                    le[k] = ("R", j, e + 1, e_end) if e + 1 < e_end else _le_next_post(step_spikes[k], j)
                else:                                # TRACE(j)
                    j = s[1]
                    n_k, a_k = nlo[k + 1] - nlo[k], aoff[k + 1] - aoff[k]
                    if j < n_k:
                        tr.append(("y", nlo[k] + j, int(r[2]), int(r[4])))
                    if j < a_k:
                        tr.append(("x", aoff[k] + j, int(r[1]), int(r[3])))
                    cnt["trace_updates"][k] += (j < n_k) + (j < a_k)
                    le[k] = ("T", j + 1) if j + 1 < max(n_k, a_k) else ("D",)
            for word, lane, nw in writes:
                wts[word, lane] = nw
            for kind, i, inc, d in tr:
                mem, flag = (y, spk) if kind == "y" else (x, arr)
                val = int(mem[i]) * (4096 - d) >> 12            # traces are >= 0: trunc = floor
                mem[i] = min(val + (inc if flag[i] else 0), (1 << TB) - 1)
                flag[i] = False
            c += 1
        step_cycles.append(c + chip.barrier_cycles - T)
        if probe is not None:
            probe.end_step(t, Q, c + chip.barrier_cycles, last)
        T = c + chip.barrier_cycles
        cur = nxt
        if progress is not None:
            progress(t)
    if start is not None or t_end != stim.steps:      # a window: counters and spikes of its timesteps
        stim = _window(stim, t_first, t_end)
    return assemble(p, stim, "cycle-stepped", spike_steps=sp_steps, spike_rows=sp_rows, spike_cycles=sp_cycles,
                     step_cycles=step_cycles, core=cnt, port_flits=port_flits, blocked_port=blocked, fifo_max=fmax,
                     host_flits=host_total, local_flits=local, mc_lookups=mc_look, mc_default=mc_def,
                     mc_partial=mc_part, spike_payloads=sp_pay, weights=wts if p.learning else None)


class StepState(NamedTuple):
    """What the chip carries from one timestep to the next, at the start of timestep ``step``
    (cycle ``cycle`` = T_step): every FIFO is empty and every engine idle there (quiescence), so
    this is the whole state (docs/engine.md, "Replay"). Rows in the program's row order."""
    step: int
    cycle: int
    u: np.ndarray
    v: np.ndarray
    ref: np.ndarray
    acc: np.ndarray          # [R, rows]: bank cur + j, the input of timestep step + j (R = delay_slots + 1, §10)
    pend: np.ndarray         # [R, rows] likewise (event-driven cores; all False on a dense chip after T_0)
    last: np.ndarray         # [n_routers, ports]: each output's round-robin pointer (its last winner)
    weights: "np.ndarray | None" = None   # [words, lanes]: the synapse weights as learned so far (STDP, §11)
    x_trace: "np.ndarray | None" = None   # per global axon: the pre-synaptic traces (STDP)
    y_trace: "np.ndarray | None" = None   # per row: the post-synaptic traces (STDP)


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


def _le_next_post(spikes: list, j: int) -> tuple:
    """The LE after the last entry of spike j: POST(j+1), or TRACE(0) after the last spike."""
    return ("P", j + 1) if j + 1 < len(spikes) else ("T", 0)
