"""The literal cycle-by-cycle model of docs/microarchitecture.md (``run_cycle(..., mode="stepped")``).

Every component, every cycle, FIFOs as deques, every decision from a snapshot of the
start-of-cycle state, effects applied after all decisions. Slow on purpose: it exists to
check the fast engine (sim/_engine.py), which must agree on every spike, cycle and counter.
"""
from __future__ import annotations

from collections import deque

import numpy as np

from neurocycle.hw import CORE_COUNTERS, lif_step

from ._cycle import P_E, P_N, P_S, P_W, assemble, host_flits, row_params
from ._noc import DEFAULT_OUT
from ._routes import program_flits
from ._routes import walk as walk_program
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
    C = chip.mesh.cores_per_router
    nr, nc, P = Wm * Hm, Wm * Hm * C, chip.derived.n_ports
    D, DC, lanes = chip.router.fifo_depth, chip.core.fifo_depth, chip.core.synapse_lanes
    sbits = chip.bits.state
    nlo = [int(v) for v in p.core_neuron_offset]
    prm = row_params(p)
    walk_program(p)             # refuses tables that leave the mesh or revisit a router (§4.4)
    pf = program_flits(p)
    # a flit: (mc, key, destination core (unicast), axon)
    flits = list(zip(pf.mc.tolist(), pf.key.tolist(), pf.dst_core.tolist(), pf.axon.tolist()))
    fo_off = p.core_fanout_offset
    fanout = []   # per row: list of flits
    for k in range(nc):
        for row in range(nlo[k], nlo[k + 1]):
            b = int(fo_off[k] + p.row_fanout_base[row])
            n = int(p.row_fanout_len[row])
            fanout.append(flits[b:b + n])
    h_off, h_idx = host_flits(p, stim)
    host_r = chip.host.row * Wm
    # multicast tables: per router, key -> output ports
    tables = [dict(zip(p.table_key[p.router_table_offset[r]:p.router_table_offset[r + 1]].tolist(),
                       p.table_outputs[p.router_table_offset[r]:p.router_table_offset[r + 1]].tolist()))
              for r in range(nr)]
    lport = [0] + [4 + j for j in range(1, C)]          # port of local core j
    local_of_port = {lp: j for j, lp in enumerate(lport)}

    def route(r, q, fl):
        """(output-port set, default route taken) of head flit ``fl`` at input q of router r (§4)."""
        mc, key, dst, _ = fl
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

    fifo = [[deque() for _ in range(P)] for _ in range(nr)]
    done = [[0] * P for _ in range(nr)]   # outputs that already got a copy of the head (§4.3)
    cfifo = [deque() for _ in range(nc)]
    last = [[P - 1] * P for _ in range(nr)]
    si = [None] * nc                     # None = IDLE, else [words_left, next_global_word, core]
    n_rows = p.n_rows
    u = np.zeros(n_rows, np.int64)
    v = np.zeros(n_rows, np.int64)
    ref = np.zeros(n_rows, np.int64)
    acc = [np.zeros(n_rows, np.int64), np.zeros(n_rows, np.int64)]
    cur = 0
    cnt = {k: np.zeros(nc, np.int64) for k in CORE_COUNTERS}
    port_flits = np.zeros((nr, P), np.int64)
    blocked = np.zeros((nr, P), np.int64)
    mc_look = np.zeros((nr, P), np.int64)
    mc_def = np.zeros((nr, P), np.int64)
    mc_part = np.zeros((nr, P), np.int64)
    fmax = np.zeros((nr, P + C), np.int64)
    host_total = 0
    sp_steps, sp_rows, sp_cycles, step_cycles = [], [], [], []
    T = 0
    n_fo = pf.n_neuron
    for t in range(stim.steps):
        nxt = 1 - cur
        nu = [("U", 0) if nlo[k + 1] > nlo[k] else ("D",) for k in range(nc)]
        hflits = [flits[n_fo + int(j)] for j in h_idx[int(h_off[t]):int(h_off[t + 1])]]
        hp = 0
        c = T
        while True:
            occ = [[len(q) for q in fifo[r]] for r in range(nr)]      # start-of-cycle state
            cocc = [len(q) for q in cfifo]
            if (all(s[0] == "D" for s in nu) and hp == len(hflits) and not any(map(any, occ))
                    and not any(cocc) and all(s is None for s in si)):
                break                                                  # Q_t = c
            for r in range(nr):
                for q in range(P):
                    fmax[r, q] = max(fmax[r, q], occ[r][q])
                for j in range(C):
                    fmax[r, P + j] = max(fmax[r, P + j], cocc[r * C + j])
            pops, pushes = [], []   # pops: (fifo deque); pushes: (deque, flit)
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
                    if o in local_of_port:
                        k2 = r * C + local_of_port[o]
                        space, dq = cocc[k2] < DC, cfifo[k2]
                    else:
                        r2, q2 = downstream(r, o)
                        space, dq = occ[r2][q2] < D, fifo[r2][q2]
                    if not space:
                        continue
                    win = next((last[r][o] + j) % P for j in range(1, P + 1) if (last[r][o] + j) % P in req)
                    last[r][o] = win
                    got[win] |= 1 << o
                    port_flits[r, o] += 1
                    pushes.append((dq, fifo[r][win][0]))
                for q in range(P):
                    if not occ[r][q]:
                        continue
                    if want[q] & ~got[q] == 0:          # every output still owed got its copy: pop
                        pops.append(fifo[r][q])
                        done[r][q] = 0
                        if fifo[r][q][0][0]:
                            mc_look[r, q] += 1
                            mc_def[r, q] += routes[q][1]
                    else:
                        done[r][q] |= got[q]
                        blocked[r, q] += 1
                        mc_part[r, q] += got[q] != 0
            # synaptic-integration engines
            for k in range(nc):
                if si[k] is None:
                    if cocc[k]:
                        axon = cfifo[k][0][3]
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
                    if occ[k // C][lport[k % C]] < D:
                        pushes.append((fifo[k // C][lport[k % C]], fanout[row][j]))
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
    return assemble(p, stim, "cycle-stepped", spike_steps=sp_steps, spike_rows=sp_rows, spike_cycles=sp_cycles,
                     step_cycles=step_cycles, core=cnt, port_flits=port_flits, blocked_port=blocked, fifo_max=fmax,
                     host_flits=host_total, mc_lookups=mc_look, mc_default=mc_def, mc_partial=mc_part)
