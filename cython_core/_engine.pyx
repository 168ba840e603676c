# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Event-skipping cycle-exact engine of the reference microarchitecture (docs/microarchitecture.md).

Kernel only: it trusts its inputs completely (neurocycle.sim._engine builds and checks them).
How it skips work yet stays exact is described in docs/engine.md ("Performance design").

Flit encoding inside the kernel (int64):
``dst_core | port << 12 | min(words, 2**20-1) << 15 | record << 35``. ``port`` is the output the
flit takes at the router whose FIFO holds it (written at every push), ``words`` the SI words of
its destination axon, ``record`` the offset of that axon's record in the synapse blob
(``[n_syn, words, row_0, w_0, row_1, w_1, ...]``). Routing and SI timing need only the low
bits, so the cycle loop never touches the big tables.
FIFO ``f = r*5 + p`` is router r's input port p (0=L,1=N,2=E,3=S,4=W). The core input FIFO and
the SI are modelled together as a deterministic queue of pop times (see docs/engine.md).
"""
import numpy as np
cimport numpy as cnp
from libc.stdint cimport int64_t, int32_t, uint8_t, uint32_t, uint64_t

cnp.import_array()

cdef extern from *:
    """
    static inline int nc_ctz(unsigned int x) { return __builtin_ctz(x); }
    """
    int nc_ctz(unsigned int x) noexcept nogil
    void nc_prefetch "__builtin_prefetch"(const void* p) noexcept nogil

cdef enum:
    DST_MASK = 4095
    PORT_SHIFT = 12
    WORDS_SHIFT = 15
    WORDS_SAT = 1048575     # 2**20 - 1: the real word count is then in the blob record
    REC_SHIFT = 35
    LOG_CAP = 4096          # ejected flits whose synapses are integrated in one prefetched batch
    NU_IDLE = 0    # walking between spiking neurons (a timer is set) or done
    NU_PUSH = 1    # pushing fan-out flits, tries every cycle
    NU_SLEEP = 2   # stalled on a full L FIFO; woken by the router's pop of that FIFO
    H_DONE = 0
    H_PUSH = 1
    H_SLEEP = 2


cdef struct Ctx:
    int NC
    int W
    int D
    int LD              # ring buffers hold 2**LD >= D slots
    int LNC             # RT row stride is 2**LNC >= NC
    int DC
    int host_f
    int state_bits
    # program
    int32_t* nlo
    int64_t* prm
    int32_t* fo_start
    int32_t* fo_len
    int64_t* fo_flit
    int32_t* blob
    uint8_t* RT
    # neuron state
    int64_t* u
    int64_t* v
    int64_t* ref
    int64_t* acc_cur
    int64_t* acc_nxt
    # routers (NC+1 entries: slot NC is a sink for "upstream" of FIFOs written by an NU or the host)
    uint32_t* fs        # per FIFO: ring head | occupancy << 8
    int64_t* buf
    uint32_t* rq        # bit 5*o+p: input p's head requests output o (start-of-cycle view)
    uint8_t* spc        # bit o (1..4): the FIFO fed by output o has space
    int64_t* lblk       # output L (core FIFO) has space in cycle c iff c > lblk
    int32_t* upr        # per FIFO: router whose output feeds it (NC = NU or host)
    uint8_t* upb        # per FIFO: that output's bit in spc
    uint8_t* sleeper    # per FIFO: 1 if its writer (NU / host) sleeps until it is popped
    uint8_t* last
    int64_t* popc
    int64_t* necyc      # sum of (empty-from cycle - nonempty-from cycle): cycles holding a head
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
    int64_t* elog
    int n_elog
    int64_t* c_lookups
    int64_t* c_words
    int64_t* c_sops
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


cdef void _flush_log(Ctx* x) noexcept nogil:
    """Integrate the synapses of the logged ejected flits into acc[nxt] (the SI's words).

    Only the accumulator bank of the next timestep changes, which nothing reads before the
    barrier, so doing this later and in batches is exact; prefetching ahead hides the
    random access into the synapse blob."""
    cdef int i, j, n = x.n_elog, ns
    cdef int32_t* b
    cdef int64_t* acc = x.acc_nxt
    for i in range(n):
        if i + 8 < n:
            nc_prefetch(x.blob + (x.elog[i + 8] >> REC_SHIFT))
        b = x.blob + (x.elog[i] >> REC_SHIFT)
        ns = b[0]
        x.c_sops[x.elog[i] & DST_MASK] += ns
        for j in range(ns):
            acc[b[2 + 2 * j]] += b[3 + 2 * j]
    x.n_elog = 0


cdef inline int _push(Ctx* x, int r2, int p2, int64_t fl, int64_t c, int* n_act) noexcept nogil:
    """Push flit ``fl`` into input p2 of router r2 in cycle c (visible from c+1); returns the
    FIFO's new occupancy."""
    cdef int f = 5 * r2 + p2
    cdef uint32_t st = x.fs[f]
    cdef int n2 = st >> 8
    cdef int o3 = x.RT[(r2 << x.LNC) | (fl & DST_MASK)]
    cdef int empty = n2 == 0
    x.buf[(f << x.LD) + (((st & 255) + n2) & ((1 << x.LD) - 1))] = (
        (fl & ~(<int64_t>7 << PORT_SHIFT)) | (<int64_t>o3 << PORT_SHIFT))
    x.fs[f] = st + 256
    x.rq[r2] |= (<uint32_t>empty) << (5 * o3 + p2)
    x.necyc[f] -= (c + 1) if empty else 0
    if not x.aflag[r2]:
        x.aflag[r2] = 1
        x.act[n_act[0]] = r2
        n_act[0] += 1
    # end-of-cycle occupancy rises only if the FIFO is not also popped in this cycle
    if n2 >= x.mo[f] and x.popc[f] != c:
        x.mo[f] = n2 + 1
    return n2 + 1


cdef int64_t _run_step(Ctx* x, int64_t T, int n_sp, const int64_t* host_fl, int n_host,
                       int64_t* host_flits_total) noexcept nogil:
    """Simulate one timestep from cycle T; return Q (first quiescent cycle)."""
    cdef int NC = x.NC, D = x.D, DC = x.DC, host_f = x.host_f, Wm = x.W, LD = x.LD, LNC = x.LNC
    cdef uint32_t MK = ((<uint32_t>1) << LD) - 1
    cdef int k, s, heap_n = 0, n_act = 0, keep, ai, r, o, m, w, f, n_hop, n_ej, g, h, n, p, r2, p2, n2, e
    cdef int n_nu = 0, n_nu_next, n_nupush, i, pos, hp = 0, host_state, host_push
    cdef int cap = 5 * NC
    cdef int64_t c = T, key, pt, Q, nw
    cdef int64_t in_flight = 0
    cdef uint32_t xr, ready, st, st2
    cdef uint64_t om
    cdef int64_t fl, nfl
    cdef int64_t* bf
    cdef int64_t* buf = x.buf
    cdef uint32_t* fs = x.fs
    cdef uint32_t* rq = x.rq
    cdef uint8_t* spc = x.spc
    cdef int64_t* lblk = x.lblk
    cdef uint8_t* last = x.last
    cdef uint8_t* lr
    cdef int64_t* popc = x.popc
    cdef int64_t* necyc = x.necyc
    cdef int64_t* mo = x.mo
    cdef int64_t* pflits = x.pflits
    cdef int32_t* upr = x.upr
    cdef uint8_t* upb = x.upb
    cdef uint8_t* RT = x.RT
    cdef uint8_t* aflag = x.aflag
    cdef int32_t* grants = x.grants
    cdef int32_t* act = x.act
    cdef int64_t* sq = x.sq
    cdef int32_t* sq_hd = x.sq_hd
    cdef int32_t* sq_cnt = x.sq_cnt
    cdef const uint8_t* PICK = PICK_TABLE
    # neighbour of each output port and the input port it feeds
    cdef int DR[5]
    cdef int OPP[5]
    DR[0] = 0
    DR[1] = -Wm
    DR[2] = 1
    DR[3] = Wm
    DR[4] = -1
    OPP[0] = 0
    OPP[1] = 3
    OPP[2] = 4
    OPP[3] = 1
    OPP[4] = 2

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
                aflag[act[ai]] = 0
            n_act = 0
            if heap_n == 0:
                break
            c = x.heap[0] >> 13
            continue

        # ---------------- phase A: every decision from the state at the start of cycle c
        n_nupush = 0
        for i in range(n_nu):
            k = x.nu_list[i]
            if (fs[5 * k] >> 8) < <uint32_t>D:
                x.nu_push[n_nupush] = k
                n_nupush += 1
            else:
                x.nu_state[k] = NU_SLEEP
                x.sleeper[5 * k] = 1
                x.nu_since[k] = c
        if host_state == H_PUSH:
            if (fs[host_f] >> 8) < <uint32_t>D:
                host_push = 1
            else:
                host_state = H_SLEEP
                x.sleeper[host_f] = 1
        n_hop = 0
        n_ej = 0
        keep = 0
        for ai in range(n_act):
            r = act[ai]
            xr = rq[r]
            if xr == 0:
                aflag[r] = 0
                continue
            act[keep] = r
            keep += 1
            # outputs with a request: OR each 5-bit group, gather bits 0,5,..,20 into bits 0..4
            om = xr | (xr >> 1) | (xr >> 2) | (xr >> 3) | (xr >> 4)
            om = (((om & 0x108421) * 0x11111) >> 16) & 31
            ready = <uint32_t>om & (spc[r] | <uint32_t>(c > lblk[r]))
            lr = last + 5 * r
            while ready:
                o = nc_ctz(ready)
                ready &= ready - 1
                m = (xr >> (5 * o)) & 31
                w = PICK[(lr[o] << 5) | m]
                lr[o] = w
                f = 5 * r + w
                popc[f] = c
                # hops fill the list from the front, ejections from the back
                e = o == 0
                grants[(cap - 1 - n_ej) if e else n_hop] = (f << 3) | o
                n_ej += e
                n_hop += 1 - e
        n_act = keep

        # ---------------- phase B: apply (pops and pushes; effects visible from c+1)
        n_nu_next = 0
        for g in range(n_hop + n_ej):
            if g < n_hop:
                f = grants[g] >> 3
                o = grants[g] & 7
            else:
                f = grants[cap - 1 - (g - n_hop)] >> 3
                o = 0
            r = f // 5
            p = f - 5 * r
            # pop the head of input p
            st = fs[f]
            h = st & 255
            n = (st >> 8) - 1
            bf = buf + (f << LD)
            fl = bf[h]
            h = (h + 1) & MK
            fs[f] = h | (n << 8)
            nfl = bf[h]      # next head (stale if the FIFO is now empty: masked below)
            rq[r] = ((rq[r] & ~((<uint32_t>1) << (5 * o + p)))
                     | ((<uint32_t>(n > 0)) << (5 * ((nfl >> PORT_SHIFT) & 7) + p)))
            necyc[f] += (c + 1) if n == 0 else 0
            spc[upr[f]] |= upb[f]
            pflits[5 * r + o] += 1
            if x.sleeper[f]:
                x.sleeper[f] = 0
                if f == host_f and host_state == H_SLEEP:
                    host_state = H_PUSH
                else:
                    x.nu_state[r] = NU_PUSH
                    x.c_nu_stall[r] += c + 1 - x.nu_since[r]
                    x.nu_next[n_nu_next] = r
                    n_nu_next += 1
            if o != 0:
                # hop into the neighbour's input FIFO
                r2 = r + DR[o]
                p2 = OPP[o]
                f = 5 * r2 + p2
                st2 = fs[f]
                n2 = st2 >> 8
                w = RT[(r2 << LNC) | (fl & DST_MASK)]
                e = n2 == 0
                buf[(f << LD) + (((st2 & 255) + n2) & MK)] = ((fl & ~(<int64_t>7 << PORT_SHIFT))
                                                              | (<int64_t>w << PORT_SHIFT))
                fs[f] = st2 + 256
                rq[r2] |= (<uint32_t>e) << (5 * w + p2)
                necyc[f] -= (c + 1) if e else 0
                spc[r] &= ~((<uint8_t>(n2 + 1 >= D)) << o)
                if n2 >= mo[f] and popc[f] != c:
                    mo[f] = n2 + 1
                if not aflag[r2]:
                    aflag[r2] = 1
                    act[n_act] = r2
                    n_act += 1
            else:
                # eject into the core FIFO: the SI's pop time is already certain
                in_flight -= 1
                while sq_cnt[r] > 0 and sq[r * DC + sq_hd[r]] <= c:
                    sq_hd[r] = sq_hd[r] + 1 if sq_hd[r] + 1 < DC else 0
                    sq_cnt[r] -= 1
                nw = (fl >> WORDS_SHIFT) & WORDS_SAT
                if nw == WORDS_SAT:
                    nw = x.blob[(fl >> REC_SHIFT) + 1]
                pt = x.si_free[r]
                if pt < c + 1:
                    pt = c + 1
                x.si_free[r] = pt + nw + 1
                pos = sq_hd[r] + sq_cnt[r]
                if pos >= DC:
                    pos -= DC
                sq[r * DC + pos] = pt
                sq_cnt[r] += 1
                if sq_cnt[r] > x.mo_core[r]:
                    x.mo_core[r] = sq_cnt[r]
                # full: no space until the oldest entry has been popped
                lblk[r] = sq[r * DC + sq_hd[r]] if sq_cnt[r] >= DC else -1
                x.c_lookups[r] += 1
                x.c_words[r] += nw
                x.elog[x.n_elog] = fl
                x.n_elog += 1
                if x.n_elog == LOG_CAP:
                    _flush_log(x)
        for i in range(n_nupush):
            k = x.nu_push[i]
            _push(x, k, 0, x.fo_flit[x.nu_fo[k]], c, &n_act)
            in_flight += 1
            x.c_fanout[k] += 1
            x.nu_fo[k] += 1
            if x.nu_fo[k] == x.nu_fo_end[k]:
                _nu_advance(x, k, c + 1, x.nu_p[k], &heap_n)
            else:
                x.nu_next[n_nu_next] = k
                n_nu_next += 1
        if host_push:
            _push(x, host_f // 5, 4, host_fl[hp], c, &n_act)
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

    _flush_log(x)
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
    cdef int64_t* hfl = <int64_t*>_ptr(host_fl)
    cdef int64_t* stc = <int64_t*>_ptr(step_cycles)
    cdef cnp.ndarray sprow_a, spcyc_a

    st = {}   # kernel-owned state, kept alive by this dict

    def z(name, n, dt, fill=0):
        arr = np.full(max(int(n), 1), fill, dtype=dt)
        st[name] = arr
        return arr

    x.NC = NC
    x.D = D
    x.W = a["W"]
    x.LD = a["LD"]
    x.LNC = a["LNC"]
    x.DC = DC
    x.host_f = a["host_f"]
    x.state_bits = a["state_bits"]
    x.nlo = <int32_t*>_ptr(a["nlo"])
    x.prm = <int64_t*>_ptr(a["prm"])
    x.fo_start = <int32_t*>_ptr(a["fo_start"])
    x.fo_len = <int32_t*>_ptr(a["fo_len"])
    x.fo_flit = <int64_t*>_ptr(a["fo_flit"])
    x.blob = <int32_t*>_ptr(a["blob"])
    x.RT = <uint8_t*>_ptr(a["RT"])
    x.upr = <int32_t*>_ptr(a["upr"])
    x.upb = <uint8_t*>_ptr(a["upb"])

    x.u = <int64_t*>_ptr(z("u", n_rows, np.int64))
    x.v = <int64_t*>_ptr(z("v", n_rows, np.int64))
    x.ref = <int64_t*>_ptr(z("ref", n_rows, np.int64))
    x.acc_cur = <int64_t*>_ptr(z("acc_a", n_rows, np.int64))
    x.acc_nxt = <int64_t*>_ptr(z("acc_b", n_rows, np.int64))
    x.fs = <uint32_t*>_ptr(z("fs", NC * 5, np.uint32))
    x.buf = <int64_t*>_ptr(z("buf", NC * 5 << x.LD, np.int64))
    x.rq = <uint32_t*>_ptr(z("rq", NC, np.uint32))
    x.spc = <uint8_t*>_ptr(z("spc", NC + 1, np.uint8, 30))   # every FIFO starts empty
    x.lblk = <int64_t*>_ptr(z("lblk", NC, np.int64, -1))
    x.sleeper = <uint8_t*>_ptr(z("sleeper", NC * 5, np.uint8))
    x.last = <uint8_t*>_ptr(z("last", NC * 5, np.uint8, 4))   # arbiters start at W: L goes first
    x.popc = <int64_t*>_ptr(z("popc", NC * 5, np.int64, -1))
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
    x.elog = <int64_t*>_ptr(z("elog", LOG_CAP, np.int64))
    x.n_elog = 0
    x.c_lookups = <int64_t*>_ptr(z("axon_lookups", NC, np.int64))
    x.c_words = <int64_t*>_ptr(z("synapse_word_reads", NC, np.int64))
    x.c_sops = <int64_t*>_ptr(z("synaptic_ops", NC, np.int64))
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
                                          "fanout_flits", "nu_stall_cycles", "axon_lookups",
                                          "synapse_word_reads", "synaptic_ops")}
    for k in ("necyc", "mo", "pflits"):
        out[k] = st[k][:NC * 5].reshape(NC, 5).copy()
    out["mo_core"] = st["mo_core"][:NC].copy()
    out["host_flits"] = host_total
    out["step_cycles"] = step_cycles
    out["spike_rows"] = np.concatenate(sp_rows) if sp_rows else np.zeros(0, np.int32)
    out["spike_cycles"] = np.concatenate(sp_cycles) if sp_cycles else np.zeros(0, np.int64)
    out["spike_counts"] = sp_counts
    return out
