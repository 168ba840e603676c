# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Event-skipping cycle-exact engine of the reference microarchitecture (docs/microarchitecture.md).

Kernel only: it trusts its inputs completely (neurocycle.sim._engine builds and checks them).
How it skips work yet stays exact is described in docs/engine.md ("Performance design").

Flit encoding inside the kernel: ``dst_core | axon << 12`` (int32; n_cores <= 4096, axons <= 65536).
FIFO ``f = r*5 + p`` is router r's input port p (0=L,1=N,2=E,3=S,4=W). The core input FIFO and
the SI are modelled together as a deterministic queue of pop times (see docs/engine.md).
"""
import numpy as np
cimport numpy as cnp
from libc.stdint cimport int64_t, int32_t, uint8_t, uint32_t

cnp.import_array()

cdef extern from *:
    """
    static inline int nc_ctz(unsigned int x) { return __builtin_ctz(x); }
    """
    int nc_ctz(unsigned int x) noexcept nogil

cdef enum:
    DST_BITS = 12
    DST_MASK = 4095
    NU_IDLE = 0    # walking between spiking neurons (a timer is set) or done
    NU_PUSH = 1    # pushing fan-out flits, tries every cycle
    NU_SLEEP = 2   # stalled on a full L FIFO; woken by the router's pop of that FIFO
    H_DONE = 0
    H_PUSH = 1
    H_SLEEP = 2


cdef struct Ctx:
    int NC
    int D
    int DC
    int host_f
    int state_bits
    # program
    int32_t* nlo
    int64_t* prm
    int32_t* fo_start
    int32_t* fo_len
    int32_t* fo_flit
    int32_t* ax_off
    int32_t* ax_words
    uint8_t* RT
    int32_t* dn
    # neuron state
    int64_t* u
    int64_t* v
    int64_t* ref
    int64_t* acc_cur
    int64_t* acc_nxt
    # synapses (CSR over axons, valid slots only)
    int32_t* ax_syn
    int32_t* syn_row
    int32_t* syn_w
    # routers
    int32_t* cnt
    int32_t* hd
    int32_t* buf
    uint32_t* rq
    uint8_t* last
    int64_t* popc
    int64_t* nesince
    int64_t* necyc
    int64_t* mo
    int64_t* pflits
    int32_t* act
    uint8_t* aflag
    int32_t* grants
    # core FIFO + SI queue
    int64_t* sq
    int32_t* sq_hd
    int32_t* sq_cnt
    int64_t* si_free
    int64_t* mo_core
    int64_t* ax_hits
    # NU
    int32_t* nu_state
    int32_t* nu_sp
    int32_t* nu_sp_end
    int32_t* nu_p
    int32_t* nu_fo
    int32_t* nu_fo_end
    int64_t* nu_since
    int64_t* nu_done
    int32_t* nu_list
    int32_t* nu_next
    int32_t* nu_push
    int64_t* heap
    # per-core counters
    int64_t* c_upd_active
    int64_t* c_upd_inactive
    int64_t* c_spikes
    int64_t* c_fanout
    int64_t* c_nu_stall
    # spikes of the current step
    int32_t* sprow
    int64_t* spcyc


cdef inline int64_t _decay(int64_t x, int64_t d) noexcept nogil:
    cdef int64_t prod = x * (4096 - d)
    if prod < 0:
        return -((-prod) >> 12)
    return prod >> 12


cdef inline int64_t _sat(int64_t x, int64_t lo, int64_t hi) noexcept nogil:
    return lo if x < lo else (hi if x > hi else x)


cdef inline void _heap_push(int64_t* h, int* n, int64_t key) noexcept nogil:
    cdef int i = n[0], parent
    n[0] = i + 1
    while i > 0:
        parent = (i - 1) >> 1
        if h[parent] <= key:
            break
        h[i] = h[parent]
        i = parent
    h[i] = key


cdef inline int64_t _heap_pop(int64_t* h, int* n) noexcept nogil:
    cdef int64_t top = h[0], lastk
    cdef int i = 0, child, m
    n[0] -= 1
    m = n[0]
    lastk = h[m]
    while True:
        child = 2 * i + 1
        if child >= m:
            break
        if child + 1 < m and h[child + 1] < h[child]:
            child += 1
        if h[child] >= lastk:
            break
        h[i] = h[child]
        i = child
    h[i] = lastk
    return top


cdef int _lif_all(Ctx* x) noexcept nogil:
    """Neuron updates of every row (what each NU computes in its UPDATE cycles).

    Exact at T_t: acc[cur] is final at the barrier and only the NU reads it. Writes the
    spiking rows (row order = core-major NU order) to x.sprow, returns their number."""
    cdef int k, row, n_sp = 0, hi
    cdef int64_t lo_s = -(1 << (x.state_bits - 1)), hi_s = (1 << (x.state_bits - 1)) - 1
    cdef int64_t u0, v0, r0, un, vn, rn, I
    cdef int64_t* p
    cdef int64_t n_act
    for k in range(x.NC):
        n_act = 0
        hi = x.nlo[k + 1]
        for row in range(x.nlo[k], hi):
            p = x.prm + 8 * row
            I = x.acc_cur[row]
            x.acc_cur[row] = 0
            u0 = x.u[row]
            v0 = x.v[row]
            r0 = x.ref[row]
            un = _sat(_decay(u0, p[0]) + I * (<int64_t>1 << p[6]), lo_s, hi_s)
            if r0 > 0:
                rn = r0 - 1
                vn = v0
            else:
                vn = _sat(_decay(v0, p[1]) + un + p[2], lo_s, hi_s)
                if vn >= p[3]:
                    x.sprow[n_sp] = row
                    n_sp += 1
                    x.c_spikes[k] += 1
                    vn = p[4]
                    rn = p[5]
                else:
                    rn = 0
            if un != u0 or vn != v0 or rn != r0:
                n_act += 1
            x.u[row] = un
            x.v[row] = vn
            x.ref[row] = rn
        x.c_upd_active[k] += n_act
        x.c_upd_inactive[k] += (hi - x.nlo[k]) - n_act
    return n_sp


cdef inline void _nu_advance(Ctx* x, int k, int64_t cur, int p, int* heap_n) noexcept nogil:
    """NU k is at UPDATE(p) in cycle ``cur``: walk to the next spiking neuron that has fan-out
    (recording spike cycles on the way) and set a timer for its first push, or finish."""
    cdef int s, row, i, L
    cdef int base = x.nlo[k]
    cdef int64_t uc
    while x.nu_sp[k] < x.nu_sp_end[k]:
        s = x.nu_sp[k]
        row = x.sprow[s]
        i = row - base
        uc = cur + (i - p)
        x.spcyc[s] = uc
        x.nu_sp[k] = s + 1
        L = x.fo_len[row]
        if L > 0:
            x.nu_fo[k] = x.fo_start[row]
            x.nu_fo_end[k] = x.fo_start[row] + L
            x.nu_p[k] = i + 1
            x.nu_state[k] = NU_IDLE
            _heap_push(x.heap, heap_n, (uc + 1) * 8192 + k)
            return
    x.nu_state[k] = NU_IDLE
    x.nu_done[k] = cur + (x.nlo[k + 1] - base - p)


cdef inline void _push(Ctx* x, int f, int32_t fl, int64_t c, int* n_act) noexcept nogil:
    """Push flit ``fl`` into router input FIFO f in cycle c (visible from c+1)."""
    cdef int n2 = x.cnt[f], pos, r2, p2
    pos = x.hd[f] + n2
    if pos >= x.D:
        pos -= x.D
    x.buf[f * x.D + pos] = fl
    x.cnt[f] = n2 + 1
    if n2 == 0:
        r2 = f // 5
        p2 = f - 5 * r2
        x.rq[r2] |= (<uint32_t>1) << (5 * x.RT[r2 * x.NC + (fl & DST_MASK)] + p2)
        x.nesince[f] = c + 1
        if not x.aflag[r2]:
            x.aflag[r2] = 1
            x.act[n_act[0]] = r2
            n_act[0] += 1
    # end-of-cycle occupancy rises only if the FIFO is not also popped in this cycle
    if n2 >= x.mo[f] and x.popc[f] != c:
        x.mo[f] = n2 + 1


cdef int64_t _run_step(Ctx* x, int64_t T, int n_sp, const int32_t* host_fl, int n_host,
                       int64_t* host_flits_total) noexcept nogil:
    """Simulate one timestep from cycle T; return Q (first quiescent cycle)."""
    cdef int NC = x.NC, D = x.D, DC = x.DC, host_f = x.host_f
    cdef int k, s, heap_n = 0, n_act = 0, keep, ai, r, o, m, w, f, f2, ng, g, h, n, o2, p
    cdef int n_nu = 0, n_nu_next, n_nupush, i, pos, ax, hp = 0, host_state, host_push
    cdef int64_t c = T, key, pt, Q
    cdef int64_t in_flight = 0
    cdef uint32_t xr, bitp
    cdef int32_t fl
    cdef int32_t* cnt = x.cnt
    cdef uint32_t* rq = x.rq
    cdef int32_t* dn = x.dn
    cdef uint8_t* last = x.last
    cdef int32_t* grants = x.grants
    cdef int32_t* act = x.act
    cdef int64_t* sq = x.sq
    cdef int32_t* sq_hd = x.sq_hd
    cdef int32_t* sq_cnt = x.sq_cnt
    cdef const uint8_t* PICK = PICK_TABLE
    cdef const uint8_t* DIV5 = DIV5_TABLE

    # ---- NUs start UPDATE(0) at T (spiking rows are sorted, so per-core segments are contiguous)
    s = 0
    for k in range(NC):
        x.nu_sp[k] = s
        while s < n_sp and x.sprow[s] < x.nlo[k + 1]:
            s += 1
        x.nu_sp_end[k] = s
        _nu_advance(x, k, T, 0, &heap_n)
    host_state = H_PUSH if n_host > 0 else H_DONE
    host_push = 0

    while True:
        # timers due now: NUs whose next spiking neuron's first push is in this cycle
        while heap_n > 0 and (x.heap[0] >> 13) <= c:
            key = _heap_pop(x.heap, &heap_n)
            k = <int>(key & 8191)
            x.nu_state[k] = NU_PUSH
            x.nu_list[n_nu] = k
            n_nu += 1
        if in_flight == 0 and n_nu == 0 and host_state == H_DONE:
            # nothing moves until the next timer: skip the idle cycles
            for ai in range(n_act):
                x.aflag[act[ai]] = 0
            n_act = 0
            if heap_n == 0:
                break
            c = x.heap[0] >> 13
            continue

        # ---------------- phase A: every decision from the state at the start of cycle c
        n_nupush = 0
        for i in range(n_nu):
            k = x.nu_list[i]
            if cnt[5 * k] < D:
                x.nu_push[n_nupush] = k
                n_nupush += 1
            else:
                x.nu_state[k] = NU_SLEEP
                x.nu_since[k] = c
        if host_state == H_PUSH:
            if cnt[host_f] < D:
                host_push = 1
            else:
                host_state = H_SLEEP
        ng = 0
        keep = 0
        for ai in range(n_act):
            r = act[ai]
            xr = rq[r]
            if xr == 0:
                x.aflag[r] = 0
                continue
            act[keep] = r
            keep += 1
            while xr:
                o = DIV5[nc_ctz(xr)]
                m = (xr >> (5 * o)) & 31
                xr &= ~((<uint32_t>31) << (5 * o))
                if o == 0:
                    # core FIFO occupancy at the start of c: entries not yet popped before c
                    while sq_cnt[r] > 0 and sq[r * DC + sq_hd[r]] < c:
                        sq_hd[r] = sq_hd[r] + 1 if sq_hd[r] + 1 < DC else 0
                        sq_cnt[r] -= 1
                    if sq_cnt[r] >= DC:
                        continue
                elif cnt[dn[5 * r + o]] >= D:
                    continue
                w = PICK[last[5 * r + o] * 32 + m]
                last[5 * r + o] = w
                f = 5 * r + w
                x.popc[f] = c
                grants[ng] = f * 8 + o
                ng += 1
        n_act = keep

        # ---------------- phase B: apply (pops and pushes; effects visible from c+1)
        n_nu_next = 0
        for g in range(ng):
            f = grants[g] >> 3
            o = grants[g] & 7
            r = f // 5
            p = f - 5 * r
            h = x.hd[f]
            fl = x.buf[f * D + h]
            h += 1
            if h == D:
                h = 0
            x.hd[f] = h
            n = cnt[f] - 1
            cnt[f] = n
            bitp = (<uint32_t>1) << (5 * o + p)
            if n > 0:
                o2 = x.RT[r * NC + (x.buf[f * D + h] & DST_MASK)]
                rq[r] = (rq[r] & ~bitp) | ((<uint32_t>1) << (5 * o2 + p))
            else:
                rq[r] &= ~bitp
                x.necyc[f] += c + 1 - x.nesince[f]
            x.pflits[5 * r + o] += 1
            if p == 0:
                if x.nu_state[r] == NU_SLEEP:
                    x.nu_state[r] = NU_PUSH
                    x.c_nu_stall[r] += c + 1 - x.nu_since[r]
                    x.nu_next[n_nu_next] = r
                    n_nu_next += 1
            elif f == host_f and host_state == H_SLEEP:
                host_state = H_PUSH
            if o == 0:
                # eject into the core FIFO: the SI's pop time is already certain
                in_flight -= 1
                while sq_cnt[r] > 0 and sq[r * DC + sq_hd[r]] <= c:
                    sq_hd[r] = sq_hd[r] + 1 if sq_hd[r] + 1 < DC else 0
                    sq_cnt[r] -= 1
                ax = x.ax_off[r] + (fl >> DST_BITS)
                pt = x.si_free[r]
                if pt < c + 1:
                    pt = c + 1
                x.si_free[r] = pt + x.ax_words[ax] + 1
                pos = sq_hd[r] + sq_cnt[r]
                if pos >= DC:
                    pos -= DC
                sq[r * DC + pos] = pt
                sq_cnt[r] += 1
                if sq_cnt[r] > x.mo_core[r]:
                    x.mo_core[r] = sq_cnt[r]
                x.ax_hits[ax] += 1
                for i in range(x.ax_syn[ax], x.ax_syn[ax + 1]):
                    x.acc_nxt[x.syn_row[i]] += x.syn_w[i]
            else:
                _push(x, dn[5 * r + o], fl, c, &n_act)
        for i in range(n_nupush):
            k = x.nu_push[i]
            _push(x, 5 * k, x.fo_flit[x.nu_fo[k]], c, &n_act)
            in_flight += 1
            x.c_fanout[k] += 1
            x.nu_fo[k] += 1
            if x.nu_fo[k] == x.nu_fo_end[k]:
                _nu_advance(x, k, c + 1, x.nu_p[k], &heap_n)
            else:
                x.nu_next[n_nu_next] = k
                n_nu_next += 1
        if host_push:
            _push(x, host_f, host_fl[hp], c, &n_act)
            in_flight += 1
            hp += 1
            host_push = 0
            if hp == n_host:
                host_state = H_DONE
        # next cycle's pushing NUs
        for i in range(n_nu_next):
            x.nu_list[i] = x.nu_next[i]
        n_nu = n_nu_next
        c += 1

    host_flits_total[0] += n_host
    Q = c
    for k in range(NC):
        if x.si_free[k] > Q:
            Q = x.si_free[k]
        if x.nu_done[k] > Q:
            Q = x.nu_done[k]
    return Q


# round-robin pick: PICK[last*32 + mask] = first input after `last` (mod 5) whose bit is set
cdef uint8_t PICK_TABLE[160]
cdef uint8_t DIV5_TABLE[32]


cdef void _init_tables() noexcept:
    cdef int l, m, j, p
    for l in range(5):
        for m in range(32):
            PICK_TABLE[l * 32 + m] = 0
            for j in range(1, 6):
                p = (l + j) % 5
                if m & (1 << p):
                    PICK_TABLE[l * 32 + m] = p
                    break
    for j in range(32):
        DIV5_TABLE[j] = j // 5


_init_tables()


cdef inline void* _ptr(cnp.ndarray a):
    return cnp.PyArray_DATA(a)


def run_fast(dict a, int64_t steps, object progress=None):
    """Run ``steps`` timesteps. ``a`` holds every array (exact dtypes, C-contiguous) and scalar
    built by neurocycle.sim._engine; returns a dict of raw result arrays."""
    cdef Ctx x
    cdef int NC = a["NC"], D = a["D"], DC = a["DC"], n_rows = a["n_rows"]
    cdef int64_t barrier = a["barrier"], T = 0, Q, host_total = 0
    cdef int t, n_sp, n_host, h0
    cdef int64_t* tmp
    cdef cnp.ndarray step_cycles = np.zeros(steps, np.int64)
    cdef cnp.ndarray host_off = a["host_off"], host_fl = a["host_fl"]
    cdef int64_t* hoff = <int64_t*>_ptr(host_off)
    cdef int32_t* hfl = <int32_t*>_ptr(host_fl)
    cdef int64_t* stc = <int64_t*>_ptr(step_cycles)
    cdef cnp.ndarray sprow_a, spcyc_a

    st = {}   # kernel-owned state, kept alive by this dict

    def z(name, n, dt, fill=0):
        arr = np.full(max(int(n), 1), fill, dtype=dt)
        st[name] = arr
        return arr

    x.NC = NC
    x.D = D
    x.DC = DC
    x.host_f = a["host_f"]
    x.state_bits = a["state_bits"]
    x.nlo = <int32_t*>_ptr(a["nlo"])
    x.prm = <int64_t*>_ptr(a["prm"])
    x.fo_start = <int32_t*>_ptr(a["fo_start"])
    x.fo_len = <int32_t*>_ptr(a["fo_len"])
    x.fo_flit = <int32_t*>_ptr(a["fo_flit"])
    x.ax_off = <int32_t*>_ptr(a["ax_off"])
    x.ax_words = <int32_t*>_ptr(a["ax_words"])
    x.ax_syn = <int32_t*>_ptr(a["ax_syn"])
    x.syn_row = <int32_t*>_ptr(a["syn_row"])
    x.syn_w = <int32_t*>_ptr(a["syn_w"])
    x.RT = <uint8_t*>_ptr(a["RT"])
    x.dn = <int32_t*>_ptr(a["dn"])
    n_ax = int(a["ax_words"].shape[0])

    x.u = <int64_t*>_ptr(z("u", n_rows, np.int64))
    x.v = <int64_t*>_ptr(z("v", n_rows, np.int64))
    x.ref = <int64_t*>_ptr(z("ref", n_rows, np.int64))
    x.acc_cur = <int64_t*>_ptr(z("acc_a", n_rows, np.int64))
    x.acc_nxt = <int64_t*>_ptr(z("acc_b", n_rows, np.int64))
    x.cnt = <int32_t*>_ptr(z("cnt", NC * 5, np.int32))
    x.hd = <int32_t*>_ptr(z("hd", NC * 5, np.int32))
    x.buf = <int32_t*>_ptr(z("buf", NC * 5 * D, np.int32))
    x.rq = <uint32_t*>_ptr(z("rq", NC, np.uint32))
    x.last = <uint8_t*>_ptr(z("last", NC * 5, np.uint8, 4))   # arbiters start at W: L goes first
    x.popc = <int64_t*>_ptr(z("popc", NC * 5, np.int64, -1))
    x.nesince = <int64_t*>_ptr(z("nesince", NC * 5, np.int64))
    x.necyc = <int64_t*>_ptr(z("necyc", NC * 5, np.int64))
    x.mo = <int64_t*>_ptr(z("mo", NC * 5, np.int64))
    x.pflits = <int64_t*>_ptr(z("pflits", NC * 5, np.int64))
    x.act = <int32_t*>_ptr(z("act", NC, np.int32))
    x.aflag = <uint8_t*>_ptr(z("aflag", NC, np.uint8))
    x.grants = <int32_t*>_ptr(z("grants", NC * 5, np.int32))
    x.sq = <int64_t*>_ptr(z("sq", NC * DC, np.int64))
    x.sq_hd = <int32_t*>_ptr(z("sq_hd", NC, np.int32))
    x.sq_cnt = <int32_t*>_ptr(z("sq_cnt", NC, np.int32))
    x.si_free = <int64_t*>_ptr(z("si_free", NC, np.int64))
    x.mo_core = <int64_t*>_ptr(z("mo_core", NC, np.int64))
    x.ax_hits = <int64_t*>_ptr(z("ax_hits", n_ax, np.int64))
    x.nu_state = <int32_t*>_ptr(z("nu_state", NC, np.int32))
    x.nu_sp = <int32_t*>_ptr(z("nu_sp", NC, np.int32))
    x.nu_sp_end = <int32_t*>_ptr(z("nu_sp_end", NC, np.int32))
    x.nu_p = <int32_t*>_ptr(z("nu_p", NC, np.int32))
    x.nu_fo = <int32_t*>_ptr(z("nu_fo", NC, np.int32))
    x.nu_fo_end = <int32_t*>_ptr(z("nu_fo_end", NC, np.int32))
    x.nu_since = <int64_t*>_ptr(z("nu_since", NC, np.int64))
    x.nu_done = <int64_t*>_ptr(z("nu_done", NC, np.int64))
    x.nu_list = <int32_t*>_ptr(z("nu_list", NC, np.int32))
    x.nu_next = <int32_t*>_ptr(z("nu_next", NC, np.int32))
    x.nu_push = <int32_t*>_ptr(z("nu_push", NC, np.int32))
    x.heap = <int64_t*>_ptr(z("heap", NC + 1, np.int64))
    x.c_upd_active = <int64_t*>_ptr(z("neuron_updates_active", NC, np.int64))
    x.c_upd_inactive = <int64_t*>_ptr(z("neuron_updates_inactive", NC, np.int64))
    x.c_spikes = <int64_t*>_ptr(z("spikes", NC, np.int64))
    x.c_fanout = <int64_t*>_ptr(z("fanout_flits", NC, np.int64))
    x.c_nu_stall = <int64_t*>_ptr(z("nu_stall_cycles", NC, np.int64))
    sprow_a = z("sprow", n_rows, np.int32)
    spcyc_a = z("spcyc", n_rows, np.int64)
    x.sprow = <int32_t*>_ptr(sprow_a)
    x.spcyc = <int64_t*>_ptr(spcyc_a)

    sp_rows, sp_cycles, sp_counts = [], [], np.zeros(steps, np.int64)
    for t in range(steps):
        with nogil:
            n_sp = _lif_all(&x)
            h0 = <int>hoff[t]
            n_host = <int>(hoff[t + 1] - hoff[t])
            Q = _run_step(&x, T, n_sp, hfl + h0, n_host, &host_total)
            stc[t] = Q + barrier - T
            T = Q + barrier
            tmp = x.acc_cur         # barrier: swap the accumulator banks
            x.acc_cur = x.acc_nxt
            x.acc_nxt = tmp
        if n_sp:
            sp_rows.append(sprow_a[:n_sp].copy())
            sp_cycles.append(spcyc_a[:n_sp].copy())
            sp_counts[t] = n_sp
        if progress is not None:
            progress(t)

    out = {k: st[k][:NC].copy() for k in ("neuron_updates_active", "neuron_updates_inactive", "spikes",
                                          "fanout_flits", "nu_stall_cycles")}
    for k in ("necyc", "mo", "pflits"):
        out[k] = st[k][:NC * 5].reshape(NC, 5).copy()
    out["mo_core"] = st["mo_core"][:NC].copy()
    out["ax_hits"] = st["ax_hits"][:n_ax].copy()
    out["host_flits"] = host_total
    out["step_cycles"] = step_cycles
    out["spike_rows"] = np.concatenate(sp_rows) if sp_rows else np.zeros(0, np.int32)
    out["spike_cycles"] = np.concatenate(sp_cycles) if sp_cycles else np.zeros(0, np.int64)
    out["spike_counts"] = sp_counts
    return out
