"""The literal cycle-by-cycle model of docs/microarchitecture.md (``run_cycle(..., mode="stepped")``).

Every component, every cycle, FIFOs as deques, every decision from a snapshot of the
start-of-cycle state, effects applied after all decisions. Slow on purpose: it exists to
check the fast engine (sim/_engine.py), which must agree on every spike, cycle and counter.
"""
from __future__ import annotations

from collections import deque

import numpy as np

from neurocycle.hw import CORE_COUNTERS, neuron_update

from ._cycle import P_E, P_L, P_N, P_S, P_W, assemble, host_flits, host_payloads, row_params
from ._network import Stimulus
from ._program import ChipProgram
from ._result import SimResult

__all__ = ["run_stepped"]


def run_stepped(p: ChipProgram, stim: Stimulus, progress) -> SimResult:
    """Cycle by cycle, component by component, as docs/microarchitecture.md words it.

    Deliberately naive (Python lists, every FIFO a deque, every decision taken from a
    snapshot of the start-of-cycle state, effects applied after all decisions)."""
    chip = p.chip
    Wm, Hm = chip.mesh.width, chip.mesh.height
    nc = Wm * Hm
    D, DC, lanes = chip.router.fifo_depth, chip.core.fifo_depth, chip.core.synapse_lanes
    WC = chip.core.synapse_word_cycles
    sbits = chip.bits.state
    P = chip.bits.payload                 # 0: binary chip (no payload, acc += weight)
    event = chip.core.neuron_update == "event"
    B = chip.core.scan_word_bits
    nlo = [int(v) for v in p.core_neuron_offset]
    prm = row_params(p)
    fo_off = p.core_fanout_offset
    fanout = []   # per row: list of routes (dst_core, axon); a flit is (dst_core, axon, payload)
    for k in range(nc):
        for row in range(nlo[k], nlo[k + 1]):
            b = int(fo_off[k] + p.row_fanout_base[row])
            n = int(p.row_fanout_len[row])
            fanout.append([(int(p.fanout_dst_y[j]) * Wm + int(p.fanout_dst_x[j]), int(p.fanout_axon[j]))
                           for j in range(b, b + n)])
    h_off, h_dst, h_axon = host_flits(p, stim)
    h_pay = host_payloads(p, stim)
    host_r = chip.host.row * Wm
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
    port_flits = np.zeros((nc, 5), np.int64)
    blocked = np.zeros((nc, 5), np.int64)
    local = np.zeros(nc, np.int64)
    fmax = np.zeros((nc, 6), np.int64)
    host_total = 0
    sp_steps, sp_rows, sp_cycles, sp_pay, step_cycles = [], [], [], [], []
    T = 0
    for t in range(stim.steps):
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

        hflits = [(int(h_dst[j]), int(h_axon[j]), int(h_pay[j])) for j in range(int(h_off[t]), int(h_off[t + 1]))]
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
            pend_sets, pend_clears = [], []   # event: (bank, row) bits set, word ranges of pend[cur] cleared
            w_writes = []           # (word, new weights of its lanes): SI write-backs of this cycle
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
                    if o == P_L and win == P_L:
                        local[r] += 1
                    pops.append(fifo[r][win])
                    pushes.append((dq, fifo[r][win][0]))
                for q in range(5):
                    if occ[r][q] and q not in granted:
                        blocked[r, q] += 1
            # synaptic-integration engines
            for k in range(nc):
                if si[k] is None:
                    if cocc[k]:
                        dst, axon, q = cfifo[k][0]
                        pops.append(cfifo[k])
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
                            acc[bank][tgt] += int(wts[word, lane]) * (q if P else 1)     # the old weight
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
                                                  payload_bits=P)
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
                        sp_steps.append(t)
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
                    if occ[k][P_L] < D:
                        dst, axon = fanout[row][j]
                        pushes.append((fifo[k][P_L], (dst, axon, q)))
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
            # host
            if hp < len(hflits) and occ[host_r][P_W] < D:
                pushes.append((fifo[host_r][P_W], hflits[hp]))
                hp += 1
                host_total += 1
            for q in pops:
                q.popleft()
            for q, flit in pushes:
                q.append(flit)
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
        le = [("P", 0) if step_spikes[k] else ("T", 0) if learns[k] else ("D",) for k in range(nc)]
        le = [s if learns[k] else ("D",) for k, s in enumerate(le)]
        while any(s[0] != "D" for s in le):
            writes, tr = [], []
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
        T = c + chip.barrier_cycles
        cur = nxt
        if progress is not None:
            progress(t)
    return assemble(p, stim, "cycle-stepped", spike_steps=sp_steps, spike_rows=sp_rows, spike_cycles=sp_cycles,
                     step_cycles=step_cycles, core=cnt, port_flits=port_flits, blocked_port=blocked, fifo_max=fmax,
                     host_flits=host_total, local_flits=local, spike_payloads=sp_pay,
                     weights=wts if p.learning else None)


def _le_next_post(spikes: list, j: int) -> tuple:
    """The LE after the last entry of spike j: POST(j+1), or TRACE(0) after the last spike."""
    return ("P", j + 1) if j + 1 < len(spikes) else ("T", 0)
