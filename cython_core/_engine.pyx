# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Event-skipping cycle-exact engine of the reference microarchitecture (docs/microarchitecture.md).

Kernel only: it trusts its inputs completely (neurocycle.sim._engine builds and checks them).
How it skips work yet stays exact is described in docs/engine.md ("Performance design").

Router control state is bit-parallel per mesh row (mesh width <= 64): for row y, bit x of a
64-bit word describes router (x, y). REQ[p][o][y]: input p's head flit requests output o;
FULL[p][y] (stored as REQ[p][5][y]): input FIFO p is full; LQ[o][q][y]: output o's round-robin pointer equals q (one-hot
planes); LSP[y]: the core FIFO (output L) has space. One cycle's arbitration of a whole row is
then a few dozen word operations; only the grants themselves are processed flit by flit.

Flit encoding inside the kernel (int64, ``kflit`` in neurocycle.hw._layout / _layout.pxd):
``dst_core | port | min(busy, saturated) | record``. ``port`` is the output the
flit takes at the router whose FIFO holds it (written at every push), ``busy`` the SI busy
cycles of its destination axon, ``record`` the axon's global index: its two-word record in the
axon table ``axr`` (at 2 x record) is ``[first slot (int64 byte offset into the program's synapse
memory), n_syn | row_base << 30]``
(``kaxon``), and its synapses are that many consecutive ``SynSlot`` records (local target,
weight) of the program's own synapse memory, which the kernel reads in place. Routing and SI
timing need only the low bits, so the cycle loop never touches the big tables.
FIFO ``f = r*8 + p`` is router r's input port p (0=L,1=N,2=E,3=S,4=W; 5..7 unused). The core
input FIFO and the SI are modelled together as a deterministic queue of pop times.
"""
import numpy as np
cimport numpy as cnp
from libc.stdint cimport int16_t, int64_t, int32_t, uint8_t, uint16_t, uint32_t, uint64_t

cnp.import_array()

cdef extern from *:
    """
    static inline int nc_ctz64(unsigned long long x) { return __builtin_ctzll(x); }
    """
    int nc_ctz64(uint64_t x) noexcept nogil
    void nc_prefetch "__builtin_prefetch"(const void* p) noexcept nogil

# bit layouts, port/profile/counter indices: generated from neurocycle.hw._layout (cython_core/_layout.pxd)
from _layout cimport *

cdef enum:
    OCC_SHIFT = KFIFO_OCC_SHIFT
    MO_SHIFT = KFIFO_MAX_OCC_SHIFT
    OCC_MASK = KFIFO_OCC_MASK
    DST_MASK = KFLIT_DST_MASK
    PORT_SHIFT = KFLIT_PORT_SHIFT
    PORT_MASK = KFLIT_PORT_MASK
    WORDS_SHIFT = KFLIT_WORDS_SHIFT
    WORDS_SAT = KFLIT_WORDS_MASK     # saturated: the real busy cycles then follow from the axon record
    REC_SHIFT = KFLIT_RECORD_SHIFT
    TIMER_KIND_SHIFT = KTIMER_KIND_SHIFT
    TIMER_CYCLE_SHIFT = KTIMER_CYCLE_SHIFT
    TIMER_CORE_MASK = KTIMER_CORE_MASK
    PRM_STRIDE = 8          # the per-row parameter table has N_PRM columns padded to 8
    LOG_CAP = 4096          # ejected flits whose synapses are integrated in one prefetched batch
    NU_IDLE = 0    # walking between spiking neurons (a timer is set) or done
    NU_PUSH = 1    # pushing fan-out flits, tries every cycle
    NU_SLEEP = 2   # stalled on a full L FIFO; woken by the router's pop of that FIFO
    H_DONE = 0
    H_PUSH = 1
    H_SLEEP = 2
    AX_N_MASK = KAXON_N_SYN_MASK        # kaxon word: n_syn | row_base
    AX_ROW_SHIFT = KAXON_ROW_BASE_SHIFT
    T_NU = 0       # timer kinds (heap key: ktimer = cycle | kind | core)
    T_LSP = 1


cdef struct Ctx:
    int NC
    int W
    int H
    int D
    int DC
    int LD              # ring buffers hold 2**LD >= D slots
    int LNC             # RT row stride is 2**LNC >= NC
    int host_r
    int state_bits
    # program
    int32_t* nlo
    int64_t* prm
    int64_t* fo_start
    int32_t* fo_len
    int64_t* fo_flit
    int64_t* axr        # per global axon: [first slot, kaxon word] (docstring above)
    SynSlot* syn        # the program's synapse memory, flattened (words x lanes slots per core)
    int lanes           # synapse slots per word and cycles per word: the SI busy cycles of an
    int wcyc            # axon whose flit saturated its words field
    uint8_t* RT
    int64_t* DN         # per (router, output) r*8+o, the input FIFO (r2, p2) at (x2, y2) it feeds,
                        # as a kdown word (neurocycle.hw._layout): REQ base, x2, record index, route row
    # neuron state
    int64_t* u
    int64_t* v
    int64_t* ref
    int64_t* acc_cur
    int64_t* acc_nxt
    # router FIFOs (stride 8 per router): one record of 2**LS words per FIFO, so the hot loops
    # need one base pointer: [state, necyc, slot_0, ..., slot_{2**LD - 1}, padding]
    #   state = pops (bits 0..47, also the ring head) | occupancy << 48 | max occupancy << 56
    #   necyc = sum of (empty-from cycle - nonempty-from cycle): cycles holding a head
    # Grants per (router, output) are not counted per flit: they equal the pops of the FIFO the
    # output feeds (every FIFO is empty at quiescence) or, for output L, the ejections.
    uint64_t* fr
    int LS
    # bit-parallel control, per row
    uint64_t* REQ       # [(p*5+o)*64 + y]
    uint64_t* FULL      # [p*64 + y]
    uint64_t* LQ        # [(o*5+q)*64 + y]
    uint64_t* LSP       # [y]
    uint64_t* NUSLEEP   # [y]: NU stalled on its full L FIFO
    uint64_t* GS        # scratch: grants [(o*5+p)*64 + y]
    int32_t* row_cnt    # non-empty router FIFOs per row
    int32_t* grow       # scratch: rows with grants this cycle
    uint32_t* gmask     # scratch: per such row, bit o*5+p set if output o granted input p somewhere
    uint64_t* POPS      # scratch: per such row, inputs L and W popped
    int64_t* gfl        # scratch: popped flits
    int32_t* gmeta      # scratch: per popped flit, router << 3 | output
    # core FIFO + SI queue
    int64_t* sq
    int32_t* sq_hd
    int32_t* sq_cnt
    int64_t* si_free
    int64_t* mo_core
    int64_t* elog
    int n_elog
    int64_t* cc         # core counter matrix [N_CORE_COUNTERS][NC], rows CC_<NAME> (_layout.pxd)
    int64_t* c_lookups  # row pointers into cc for the counters the hot loops increment
    int64_t* c_words
    int64_t* c_sops
    # NU
    int32_t* nu_state
    int32_t* nu_sp
    int32_t* nu_sp_end
    int32_t* nu_p
    int64_t* nu_fo
    int64_t* nu_fo_end
    int64_t* nu_since
    int64_t* nu_done
    int32_t* nu_list
    int32_t* nu_next
    int32_t* nu_push
    int64_t* heap
    int heap_n
    # per-core counters
    int64_t* c_upd_active
    int64_t* c_upd_inactive
    int64_t* c_spikes
    int64_t* c_fanout
    int64_t* c_nu_stall
    # spikes of the current step
    int32_t* sprow
    int64_t* spcyc
    # ---- general router path (several cores per router and/or multicast; docs/engine.md) ----
    int gen             # 0: the bit-parallel unicast path (one core per router); 1: the general path
    int C               # cores per router
    int P               # router ports (C + 4)
    int NR              # routers
    uint16_t* NMASK     # per multicast tree node: output ports | default-route flag << 8
    int32_t* NCHILD     # [node*4 + o-1]: the node a copy sent on output o (N, E, S, W) reaches
    int32_t* NEJ        # [node]: base of the node's ejection flits in EJK (+ local core j), -1 if none
    int64_t* EJK        # kernel flit (destination core, SI words, record) of each ejection
    uint8_t* hreq       # [f]: outputs the head of FIFO f still requests (route minus copies sent)
    uint8_t* glast      # [r*8 + o]: round-robin pointer of output o of router r
    int32_t* act        # routers holding flits
    int act_n
    uint8_t* inact      # [r]: router r is in act
    uint8_t* rnem       # [r]: non-empty input FIFOs of router r (bit p = input p)
    uint8_t* csp        # [k]: the core FIFO of core k has space
    uint8_t* nuslp      # [k]: the NU of core k sleeps on its full local FIFO
    int64_t* mcl        # [f]: multicast table lookups (pops of multicast flits) of FIFO f
    int64_t* mcd        # [f]: of those, default routes
    int64_t* mcp        # [f]: partial-forward cycles
    int32_t* gg         # scratch: grants of a cycle, (r*8 + o) << 4 | p
    int64_t* ggf        # scratch: the flit of each grant
    int32_t* gpop       # scratch: FIFOs popped in the cycle
    int32_t* wake       # scratch: cores whose NU wakes (their local FIFO was popped)
    int n_wake
    int host_wake
    # graded spikes / event-driven update ("general" path; the default binary dense path never
    # reads these): position of each spiking row in its NU walk and its payload, NU walk length
    # per core (positions = UPDATE + SCAN cycles), pending bitmaps (one byte per row)
    int general
    int event
    int PB              # payload bits
    int scan_bits
    int32_t* sppos
    int64_t* sppay
    int32_t* nu_len
    uint8_t* pend_cur
    uint8_t* pend_nxt
    int64_t* c_pend_sets
    int64_t* c_scans
    # synaptic delays and STDP (general path; docs/microarchitecture.md §10, §11). The general
    # path's synapse record is [n_syn, busy, si_writes, plastic_slots, axon, (row, weight, meta)...]
    # with meta = delay | plastic << 8; weights are updated in the record (the kernel's SRAM copy).
    int n_rows
    int nbank           # accumulator (and pending) banks: delay_slots + 1
    int bank_cur        # the bank the NU reads this timestep
    int64_t* acc_ring   # [nbank * n_rows]
    uint8_t* pend_ring  # [nbank * n_rows]
    int learn           # some core learns
    int trace_max       # 2**bits.trace - 1
    uint8_t* core_learn # [NC]
    int64_t* stdp       # [NC * 8] rule registers (layout.STDP_FIELDS order)
    int32_t* aoff       # [NC + 1] global axon offsets
    int32_t* rev_start  # [n_rows] first global reverse entry
    int32_t* rev_len    # [n_rows]
    int64_t* rev_slot   # [n_rev] global slot of the entry's synapse (in the kernel's copy of the memory)
    int32_t* ax_wr      # [n_axons] SI WRITE cycles of the axon: its words with a plastic slot (§11.2)
    int32_t* ax_pl      # [n_axons] plastic slots of the axon (weights the SI depresses)
    int syn_dl          # the synapse slots are SynSlotDL (a chip with delays or learning)
    # the neuron updates of a timestep: _lif_all (default path) or _lif_general, called through
    # this pointer so that each is compiled on its own, not inlined into run_fast (whose size then
    # no longer changes the code of the default path's neuron loop)
    int (*lif)(Ctx*) noexcept nogil
    int32_t* rev_gax    # [n_rev] global axon of the entry
    int64_t* ytr        # [n_rows] post-synaptic traces
    int64_t* xtr        # [n_axons] pre-synaptic traces
    uint8_t* arr        # [n_axons] arrived bits
    uint8_t* spk        # [n_rows] spiked bits
    int64_t* si_wr      # [NC] SI write cycles (kernel only: the driver separates the SI's busy cycles)
    int64_t* c_wwrites
    int64_t* c_wupd
    int64_t* c_rev
    int64_t* c_post
    int64_t* c_trace
    int64_t* c_lcyc
    # multicast trees on the general path: the ejection kernel flits of every program flit
    # (neuron fan-out entries, then host entries), so _integrate_spikes can add a tree's synapses
    int64_t* ig_off     # [flit + 1] (NULL: every flit is its own ejection)
    int64_t* ig_fl
    int64_t* host_ig    # [host flit]: its program flit index
    # cores whose neurons this kernel updates (all of them, except in a partition of a system)
    int n_own
    int32_t* own
    # ---- a system of chips (docs/microarchitecture.md §12, docs/engine.md "Systems"): the general
    # router path on the system mesh, with chip-to-chip links and XY routes computed (no table)
    int sys
    int32_t* rX         # [r]: column X of router r on the system mesh
    int32_t* rY
    int32_t* kcx        # [k]: core column X*C + j of core k
    int32_t* kcy        # [k]: row Y of core k
    int32_t* LKO        # [r*8 + o]: the link output o of router r drives, or -1
    int32_t* LKI        # [r*8 + p]: the link that feeds input FIFO p of router r, or -1
    int32_t* lk_dstf    # [l]: the FIFO (r*8 + p) link l feeds
    int64_t* lk_L       # [l]: pipeline registers
    int64_t* lk_Lc      # [l]: credit return registers
    int64_t* lk_k       # [l]: serialiser cycles per flit
    int64_t* lk_cr      # [l]: credits at the start of the current cycle
    int64_t* lk_free    # [l]: first cycle the serialiser takes another flit
    uint8_t* lk_rx      # [l]: this kernel owns the receiver (else arrivals are exported)
    uint8_t* lk_tx      # [l]: this kernel owns the sender (else credits are exported)
    int lkB             # ring capacity per link (the receive buffer: at most B flits / credits owed)
    int64_t* lk_pt      # [l*lkB + i]: pipeline ring: cycle of the push into the receiving FIFO
    int64_t* lk_pf      #              ... and the flit
    int32_t* lk_ph      # [l]: ring head, count
    int32_t* lk_pn
    int64_t* lk_ct      # [l*lkB + i]: credit ring: cycle the credit arrives back
    int32_t* lk_ch
    int32_t* lk_cn
    int32_t* lk_act     # links with pending arrivals or credits
    int lk_act_n
    uint8_t* lk_inact
    int64_t* ex         # exports of a partition: [link | kind << 32, cycle, flit] per event
    int n_ex
    int ex_cap
    # the resumable timestep of the system path (_run_sys)
    int64_t c
    int64_t T
    int64_t bound
    int64_t hp
    int host_state
    int host_push
    int64_t n_host
    const int64_t* hfl
    int n_nu
    int64_t in_flight


from _fixed cimport _decay, _sat  # cython_core/_fixed.pxd


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
    cdef int64_t lo_s = -((<int64_t>1) << (x.state_bits - 1)), hi_s = ((<int64_t>1) << (x.state_bits - 1)) - 1
    cdef int64_t u0, v0, r0, un, vn, rn, I
    cdef int64_t* p
    cdef int64_t n_act
    # the tables in locals: the loop's stores (int64) cannot then make the compiler reload them
    # from the context for every neuron, however the caller it is inlined into looks
    cdef int64_t* acc = x.acc_cur
    cdef int64_t* u = x.u
    cdef int64_t* v = x.v
    cdef int64_t* ref = x.ref
    cdef int64_t* prm = x.prm
    cdef int32_t* sprow = x.sprow
    cdef int ik
    for ik in range(x.n_own):
        k = x.own[ik]
        n_act = 0
        hi = x.nlo[k + 1]
        for row in range(x.nlo[k], hi):
            p = prm + PRM_STRIDE * row
            I = acc[row]
            acc[row] = 0
            u0 = u[row]
            v0 = v[row]
            r0 = ref[row]
            un = _sat(_decay(u0, p[PRM_DU]) + I * (<int64_t>1 << p[PRM_W_EXP]), lo_s, hi_s)
            if r0 > 0:
                rn = r0 - 1
                vn = v0
            else:
                vn = _sat(_decay(v0, p[PRM_DV]) + un + p[PRM_BIAS], lo_s, hi_s)
                if vn >= p[PRM_VTH]:
                    sprow[n_sp] = row
                    n_sp += 1
                    x.c_spikes[k] += 1
                    vn = p[PRM_V_RESET]
                    rn = p[PRM_REFRACTORY]
                else:
                    rn = 0
            if un != u0 or vn != v0 or rn != r0:
                n_act += 1
            u[row] = un
            v[row] = vn
            ref[row] = rn
        x.c_upd_active[k] += n_act
        x.c_upd_inactive[k] += (hi - x.nlo[k]) - n_act
    return n_sp


cdef int _lif_general(Ctx* x) noexcept nogil:
    """The neuron updates of graded chips and of event-driven cores (docs/microarchitecture.md
    §5.1, §7): like _lif_all, plus the graded output rule, the pending bitmaps and the position of
    every spiking neuron in its NU's walk (SCAN cycles included), and each core's walk length."""
    cdef int k, row, n_sp = 0, base, n, i, w0, w1, B = x.scan_bits, P = x.PB, b
    cdef int64_t lo_s = -((<int64_t>1) << (x.state_bits - 1)), hi_s = ((<int64_t>1) << (x.state_bits - 1)) - 1
    cdef int64_t u0, v0, r0, un, vn, rn, I, q, rr, st
    cdef int64_t* p
    cdef int64_t n_act, n_vis, pos
    cdef int ik
    for ik in range(x.n_own):
        k = x.own[ik]
        n_act = 0
        n_vis = 0
        pos = 0
        base = x.nlo[k]
        n = x.nlo[k + 1] - base
        w0 = 0
        while w0 < n:
            if x.event:
                w1 = w0 + B if w0 + B < n else n
                pos += 1                           # SCAN(w): read and clear the word
                x.c_scans[k] += 1
            else:
                w1 = n
            for i in range(w0, w1):
                row = base + i
                if x.event:
                    if not x.pend_cur[row]:
                        continue
                    x.pend_cur[row] = 0
                p = x.prm + PRM_STRIDE * row
                I = x.acc_cur[row]
                x.acc_cur[row] = 0
                u0 = x.u[row]
                v0 = x.v[row]
                r0 = x.ref[row]
                q = 0
                un = _sat(_decay(u0, p[PRM_DU]) + I * (<int64_t>1 << p[PRM_W_EXP]), lo_s, hi_s)
                if r0 > 0:
                    rn = r0 - 1
                    vn = v0
                else:
                    vn = _sat(_decay(v0, p[PRM_DV]) + un + p[PRM_BIAS], lo_s, hi_s)
                    rn = 0
                    if vn >= p[PRM_VTH]:
                        if p[PRM_GRADED]:
                            # P compare-subtract steps: q = min(floor(v / vth), 2^P - 1), residual kept
                            rr = vn
                            for b in range(P - 1, -1, -1):
                                st = p[PRM_VTH] << b
                                if rr >= st:
                                    rr -= st
                                    q |= (<int64_t>1) << b
                            vn = rr
                        else:
                            q = 1
                            vn = p[PRM_V_RESET]
                        rn = p[PRM_REFRACTORY]
                        x.sprow[n_sp] = row
                        x.sppos[n_sp] = <int32_t>pos
                        x.sppay[n_sp] = q
                        n_sp += 1
                        x.c_spikes[k] += 1
                if un != u0 or vn != v0 or rn != r0:
                    n_act += 1
                    if x.event:
                        x.pend_nxt[row] = 1        # not quiet: visited again next timestep
                        x.c_pend_sets[k] += 1
                elif x.event and (I != 0 or q != 0):
                    x.pend_nxt[row] = 1
                    x.c_pend_sets[k] += 1
                x.u[row] = un
                x.v[row] = vn
                x.ref[row] = rn
                n_vis += 1
                pos += 1
            w0 = w1
        x.nu_len[k] = <int32_t>pos
        x.c_upd_active[k] += n_act
        x.c_upd_inactive[k] += n_vis - n_act
    return n_sp


cdef void _integrate_spikes(Ctx* x, int n_sp, const int64_t* host_fl, const int64_t* host_pay,
                            const int64_t* host_ig, int64_t n_host) noexcept nogil:
    """Graded / event-driven: the SI's synaptic integration of a whole timestep, from its spikes.

    Every flit pushed in a timestep (a spiking neuron's fan-out entries, the host's flits) is
    ejected and integrated in that timestep, and nothing reads acc[nxt] or pend[nxt] before the
    barrier, so adding weight x payload per fan-out entry here equals the SI's per-word adds
    (integer addition is order-free; the compiler rules out saturation). The kernel's flit word
    therefore needs no payload field. Synaptic ops are counted per ejected flit (_flush_log)."""
    cdef int64_t s, e, e1, j, ns, q, fl, aw, g, g1, idx, nw, row
    cdef int64_t* r
    cdef const SynSlot* sy
    cdef SynSlotDL* sx
    cdef int64_t* acc
    cdef uint8_t* pend
    cdef int64_t* ring = x.acc_ring
    cdef uint8_t* pring = x.pend_ring
    cdef int64_t* rr
    cdef int k, meta, bank
    cdef int event = x.event, R = x.nbank, b1 = x.bank_cur + 1, dl = x.syn_dl
    cdef int64_t n = x.n_rows
    for s in range(n_sp + n_host):
        if s < n_sp:
            q = x.sppay[s]
            e = x.fo_start[x.sprow[s]]
            e1 = e + x.fo_len[x.sprow[s]]
        else:
            q = host_pay[s - n_sp]
            e = 0
            e1 = 1
        while e < e1:
            if x.ig_off == NULL:
                fl = x.fo_flit[e] if s < n_sp else host_fl[s - n_sp]
                g, g1 = -1, 0
            else:               # a multicast chip: every ejection of the flit's tree
                g = e if s < n_sp else host_ig[s - n_sp]
                g1 = x.ig_off[g + 1]
                g = x.ig_off[g]
                if g >= g1:
                    e += 1
                    continue
                fl = x.ig_fl[g]
            while True:         # each ejection: the destination axon's record and synapse slots
                r = x.axr + 2 * (fl >> REC_SHIFT)
                aw = r[1]
                ns = aw & AX_N_MASK
                if not dl:
                    sy = <const SynSlot*>((<const char*>x.syn) + r[0])
                    acc = x.acc_nxt + (aw >> AX_ROW_SHIFT)
                    pend = x.pend_nxt + (aw >> AX_ROW_SHIFT)
                    for j in range(ns):
                        acc[sy[j].target] += sy[j].weight * q
                        if event:
                            pend[sy[j].target] = 1
                else:               # slots with delays and plastic bits (§10, §11)
                    sx = <SynSlotDL*>((<char*>x.syn) + r[0])
                    k = <int>(fl & DST_MASK)
                    if x.learn and x.core_learn[k]:
                        x.arr[fl >> REC_SHIFT] = 1          # r[axon] <- 1 at the SI's pop (§11.2)
                    rr = x.stdp + 8 * k
                    for j in range(ns):
                        row = (aw >> AX_ROW_SHIFT) + sx[j].target
                        meta = sx[j].meta
                        bank = b1 + (meta & SYNMETA_DELAY_MASK)    # (cur + 1 + d) mod R (§10)
                        if bank >= R:
                            bank -= R
                        idx = <int64_t>bank * n + row
                        ring[idx] += sx[j].weight * q              # the old weight
                        if event:
                            pring[idx] = 1
                        if (meta >> SYNMETA_PLASTIC_SHIFT) & 1:    # depression of a plastic slot (§11.1)
                            nw = sx[j].weight - (x.ytr[row] >> rr[7])
                            sx[j].weight = <int16_t>(rr[5] if nw < rr[5] else (rr[6] if nw > rr[6] else nw))
                g += 1
                if g >= g1:
                    break
                fl = x.ig_fl[g]
            e += 1


cdef int64_t _learn(Ctx* x, int n_sp) noexcept nogil:
    """The learning phase of a timestep (docs/microarchitecture.md §11.2): every learning core's
    post-synaptic pass (potentiation of the incoming plastic synapses of its spiking neurons) and
    trace walk. Returns Λ_t, the cycles of the longest LE. Exact at the end of the timestep: the
    SI's depressions of the timestep are done (_integrate_spikes), and each weight is potentiated
    at most once from traces that only the walk below changes."""
    cdef int s, row, k, e, e1, i, a, n_k, a_k, m
    cdef int64_t lam = 0, lk, nw, v
    cdef int64_t* r
    cdef SynSlotDL* syn = <SynSlotDL*>x.syn      # a learning program's slots (the kernel's copy)
    cdef int64_t tmax = x.trace_max
    s = 0
    for k in range(x.NC):
        if not x.core_learn[k]:
            while s < n_sp and x.sprow[s] < x.nlo[k + 1]:
                s += 1
            continue
        r = x.stdp + 8 * k
        lk = 0
        while s < n_sp and x.sprow[s] < x.nlo[k + 1]:       # POST(j), then RD/WR of each entry
            row = x.sprow[s]
            x.spk[row] = 1
            x.c_post[k] += 1
            lk += 1
            e = x.rev_start[row]
            e1 = e + x.rev_len[row]
            while e < e1:
                nw = syn[x.rev_slot[e]].weight + (x.xtr[x.rev_gax[e]] >> r[7])
                syn[x.rev_slot[e]].weight = <int16_t>(r[5] if nw < r[5] else (r[6] if nw > r[6] else nw))
                e += 1
            x.c_rev[k] += e1 - x.rev_start[row]          # each entry: RD (read, update) + WR
            x.c_wupd[k] += e1 - x.rev_start[row]
            x.c_wwrites[k] += e1 - x.rev_start[row]
            lk += 2 * (e1 - x.rev_start[row])
            s += 1
        n_k = x.nlo[k + 1] - x.nlo[k]                         # TRACE(j), j < max(n_used, ax_used)
        a_k = x.aoff[k + 1] - x.aoff[k]
        for i in range(x.nlo[k], x.nlo[k + 1]):
            v = _decay(x.ytr[i], r[4]) + (r[2] if x.spk[i] else 0)
            x.ytr[i] = tmax if v > tmax else v
            x.spk[i] = 0
        for a in range(x.aoff[k], x.aoff[k + 1]):
            v = _decay(x.xtr[a], r[3]) + (r[1] if x.arr[a] else 0)
            x.xtr[a] = tmax if v > tmax else v
            x.arr[a] = 0
        m = n_k if n_k > a_k else a_k
        x.c_trace[k] += n_k + a_k
        lk += m
        x.c_lcyc[k] += lk
        if lk > lam:
            lam = lk
    return lam


cdef inline void _nu_advance(Ctx* x, int k, int64_t cur, int p, int* heap_n) noexcept nogil:
    """NU k is at UPDATE(p) in cycle ``cur``: walk to the next spiking neuron that has fan-out
    (recording spike cycles on the way) and set a timer for its first push, or finish."""
    cdef int s, row, i, L
    cdef int base = x.nlo[k]
    cdef int64_t uc
    while x.nu_sp[k] < x.nu_sp_end[k]:
        s = x.nu_sp[k]
        row = x.sprow[s]
        i = x.sppos[s] if x.general else row - base     # position in the NU walk (dense: the neuron)
        uc = cur + (i - p)
        x.spcyc[s] = uc
        x.nu_sp[k] = s + 1
        L = x.fo_len[row]
        if L > 0:
            x.nu_fo[k] = x.fo_start[row]
            x.nu_fo_end[k] = x.fo_start[row] + L
            x.nu_p[k] = i + 1
            x.nu_state[k] = NU_IDLE
            _heap_push(x.heap, heap_n, ((uc + 1) << TIMER_CYCLE_SHIFT) | (T_NU << TIMER_KIND_SHIFT) | k)
            return
    x.nu_state[k] = NU_IDLE
    x.nu_done[k] = cur + (x.nu_len[k] - p)


cdef inline void _integrate_flit(int64_t fl, const char* axr, const char* syn, int64_t* acc0,
                                 int64_t* sops) noexcept nogil:
    """Add the synapses of the axon of ejected flit ``fl`` into ``acc0`` (acc[nxt])."""
    cdef const int64_t* r = <const int64_t*>(axr + ((fl >> REC_SHIFT) << 4))
    cdef const SynSlot* sy = <const SynSlot*>(syn + r[0])
    cdef int64_t aw = r[1], j
    cdef int64_t ns = aw & AX_N_MASK
    cdef int64_t* acc = acc0 + (aw >> AX_ROW_SHIFT)
    sops[fl & DST_MASK] += ns
    for j in range(ns):
        acc[sy[j].target] += sy[j].weight


cdef void _flush_log(Ctx* x) noexcept nogil:
    """Integrate the synapses of the logged ejected flits into acc[nxt] (the SI's words).

    Only the accumulator bank of the next timestep changes, which nothing reads before the
    barrier, so doing this later and in batches is exact; prefetching ahead hides the random
    accesses: an axon's record 16 flits ahead, its first synapse slots 8 flits ahead."""
    cdef int64_t i, n = x.n_elog
    cdef const int64_t* elog = x.elog
    cdef const char* axr = <const char*>x.axr
    cdef const char* syn = <const char*>x.syn
    cdef int64_t* acc0 = x.acc_nxt
    cdef int64_t* sops = x.c_sops
    cdef int64_t k, gx
    if x.general:
        # general path: _integrate_spikes adds the synapses (with payloads and delays, setting
        # pending bits, depressing plastic weights); here the SI's events are counted per ejected
        # flit: synaptic ops, word write-backs and plastic weight updates (§11.2)
        for i in range(n):
            sops[elog[i] & DST_MASK] += (<const int64_t*>(axr + ((elog[i] >> REC_SHIFT) << 4)))[1] & AX_N_MASK
            if x.learn:
                k = elog[i] & DST_MASK
                gx = elog[i] >> REC_SHIFT
                x.si_wr[k] += x.ax_wr[gx]
                x.c_wupd[k] += x.ax_pl[gx]
        x.n_elog = 0
        return
    for i in range(n - 16):
        nc_prefetch(axr + ((elog[i + 16] >> REC_SHIFT) << 4))
        nc_prefetch(syn + (<const int64_t*>(axr + ((elog[i + 8] >> REC_SHIFT) << 4)))[0])
        _integrate_flit(elog[i], axr, syn, acc0, sops)
    for i in range(max(0, n - 16), n):
        if i + 8 < n:
            nc_prefetch(syn + (<const int64_t*>(axr + ((elog[i + 8] >> REC_SHIFT) << 4)))[0])
        _integrate_flit(elog[i], axr, syn, acc0, sops)
    x.n_elog = 0


cdef void _push(Ctx* x, int px, int py, int p2, int64_t fl, int64_t c) noexcept nogil:
    """Push flit ``fl`` into input p2 of router (px, py) in cycle c (visible from c+1). Runs after
    every pop of the cycle, so the occupancy read here plus one is the end-of-cycle occupancy."""
    cdef int r2 = py * x.W + px
    cdef int f = (r2 << 3) | p2
    cdef uint64_t* rec = x.fr + (<uint64_t>f << x.LS)
    cdef uint64_t st = rec[0]
    cdef uint64_t n2 = (st >> OCC_SHIFT) & OCC_MASK
    cdef int o3 = x.RT[(r2 << x.LNC) | (fl & DST_MASK)]
    cdef uint64_t e = n2 == 0
    rec[2 + ((st + n2) & ((1 << x.LD) - 1))] = <uint64_t>(
        (fl & ~(<int64_t>PORT_MASK << PORT_SHIFT)) | (<int64_t>o3 << PORT_SHIFT))
    st += (<uint64_t>1) << OCC_SHIFT
    if n2 >= (st >> MO_SHIFT):
        st += (<uint64_t>1) << MO_SHIFT     # max occupancy only ever rises by one
    rec[0] = st
    x.REQ[((p2 * 6 + o3) << 6) + py] |= e << px
    x.REQ[((p2 * 6 + 5) << 6) + py] |= (<uint64_t>(n2 + 1 >= <uint64_t>x.D)) << px    # FULL
    rec[1] -= <uint64_t>(c + 1) if e else 0
    x.row_cnt[py] += <int>e


cdef inline uint32_t _arb(uint64_t R0, uint64_t R1, uint64_t R2, uint64_t R3, uint64_t R4, uint64_t space,
                          uint64_t q0, uint64_t q1, uint64_t q2, uint64_t q3, uint64_t q4,
                          uint64_t* lq, uint64_t* g) noexcept nogil:
    """Round-robin arbitration of one output port for a whole row of routers.

    R<p>: routers whose input p requests this output; q<q> (= lq[q*64]): routers whose pointer
    is q. Requesters and pointer values that XY routing never produces for this output are
    passed as literal 0, so the C compiler folds their priority orders away.
    A router with a request and downstream space grants the first requesting input after its
    pointer (cyclic order), and the pointer moves to the winner. Writes g[p*64] = winners on
    input p and returns the set of inputs that won somewhere (bit p). Inputs that can never
    request this output are passed as literal 0 (folded away)."""
    # Pointer q gives the order q+1, ..., 4, 0, ..., q: the winner is the lowest requesting
    # input above the pointer if there is one, else the lowest requesting input. Two fixed
    # priority chains instead of one chain per pointer value.
    cdef uint64_t ready = (R0 | R1 | R2 | R3 | R4) & space
    cdef uint64_t lt2 = q0 | q1, lt3 = lt2 | q2, lt4 = lt3 | q3   # pointer < p
    cdef uint64_t A1 = R1 & q0, A2 = R2 & lt2, A3 = R3 & lt3, A4 = R4 & lt4
    cdef uint64_t nA = ready & ~(A1 | A2 | A3 | A4)
    cdef uint64_t G0, G1, G2, G3, G4, m
    G0 = R0 & nA
    m = R0
    G1 = (A1 & ready) | (R1 & ~m & nA)
    m |= R1
    G2 = ((A2 & ~A1) & ready) | (R2 & ~m & nA)
    m |= R2
    G3 = ((A3 & ~(A1 | A2)) & ready) | (R3 & ~m & nA)
    m |= R3
    G4 = ((A4 & ~(A1 | A2 | A3)) & ready) | (R4 & ~m & nA)
    lq[0] = (q0 & ~ready) | G0
    lq[64] = (q1 & ~ready) | G1
    lq[2 * 64] = (q2 & ~ready) | G2
    lq[3 * 64] = (q3 & ~ready) | G3
    lq[4 * 64] = (q4 & ~ready) | G4
    g[0] = G0
    g[64] = G1
    g[2 * 64] = G2
    g[3 * 64] = G3
    g[4 * 64] = G4
    return ((<uint32_t>(G0 != 0)) | (<uint32_t>(G1 != 0)) << 1 | (<uint32_t>(G2 != 0)) << 2
            | (<uint32_t>(G3 != 0)) << 3 | (<uint32_t>(G4 != 0)) << 4)


cdef int _arbitrate(Ctx* x, int64_t c) noexcept nogil:
    """Phase A for the routers: arbitrate every output of every row holding flits, from the
    state at the start of cycle c. Returns the number of rows with grants (x.grow / x.gmask).

    Inputs that can request each output under XY routing: L from any input; N from L, E, S, W;
    E from L, W; S from L, N, E, W; W from L, E. A pointer only ever holds a past winner or its
    reset value 4, so the same sets (plus 4) bound the pointer values."""
    cdef int H = x.H, y, n_grow = 0
    cdef uint64_t* REQ = x.REQ
    cdef uint64_t* FULL = x.FULL
    cdef uint64_t* LQ = x.LQ
    cdef uint64_t* GS = x.GS
    cdef uint64_t* LSP = x.LSP
    cdef uint64_t* lq
    cdef int32_t* row_cnt = x.row_cnt
    cdef uint64_t sp_n, sp_s
    cdef uint32_t pm
    for y in range(H):
        if row_cnt[y] == 0:
            continue
        # space of each output: the FIFO it feeds is not full (start of cycle)
        sp_n = ~FULL[((3 * 6) << 6) + y - 1] if y > 0 else 0
        sp_s = ~FULL[((1 * 6) << 6) + y + 1] if y < H - 1 else 0
        lq = LQ + ((0 * 5) << 6) + y
        pm = _arb(REQ[((0 * 6 + 0) << 6) + y], REQ[((1 * 6 + 0) << 6) + y], REQ[((2 * 6 + 0) << 6) + y],
                  REQ[((3 * 6 + 0) << 6) + y], REQ[((4 * 6 + 0) << 6) + y], LSP[y],
                  lq[0], lq[64], lq[128], lq[192], lq[256], lq, GS + ((0 * 5) << 6) + y)
        lq = LQ + ((1 * 5) << 6) + y
        pm |= _arb(REQ[((0 * 6 + 1) << 6) + y], 0, REQ[((2 * 6 + 1) << 6) + y],
                   REQ[((3 * 6 + 1) << 6) + y], REQ[((4 * 6 + 1) << 6) + y], sp_n,
                   lq[0], 0, lq[128], lq[192], lq[256], lq, GS + ((1 * 5) << 6) + y) << 5
        lq = LQ + ((2 * 5) << 6) + y
        pm |= _arb(REQ[((0 * 6 + 2) << 6) + y], 0, 0, 0, REQ[((4 * 6 + 2) << 6) + y], ~(FULL[((4 * 6) << 6) + y] >> 1),
                   lq[0], 0, 0, 0, lq[256], lq, GS + ((2 * 5) << 6) + y) << 10
        lq = LQ + ((3 * 5) << 6) + y
        pm |= _arb(REQ[((0 * 6 + 3) << 6) + y], REQ[((1 * 6 + 3) << 6) + y], REQ[((2 * 6 + 3) << 6) + y],
                   0, REQ[((4 * 6 + 3) << 6) + y], sp_s,
                   lq[0], lq[64], lq[128], 0, lq[256], lq, GS + ((3 * 5) << 6) + y) << 15
        lq = LQ + ((4 * 5) << 6) + y
        pm |= _arb(REQ[((0 * 6 + 4) << 6) + y], 0, REQ[((2 * 6 + 4) << 6) + y], 0, 0, ~(FULL[((2 * 6) << 6) + y] << 1),
                   lq[0], 0, lq[128], 0, lq[256], lq, GS + ((4 * 5) << 6) + y) << 20
        if pm:
            x.grow[n_grow] = y
            x.gmask[n_grow] = pm
            n_grow += 1
    return n_grow


cdef int _pop_all(Ctx* x, int n_grow, int64_t c) noexcept nogil:
    """Phase B1: pop every granted head (all pops of the cycle happen before any push). Records
    the popped flits in x.gfl / x.gmeta and the L / W inputs popped per row in x.POPS; returns
    the number of grants."""
    cdef int Wm = x.W, LS = x.LS, i, y, o, p, xb, ng = 0, rbase, meta, emptied
    cdef uint64_t MK = ((<uint64_t>1) << x.LD) - 1
    cdef uint32_t pm, b
    cdef uint64_t g, st, n
    cdef uint64_t P[5]
    cdef uint64_t* REQ = x.REQ
    cdef uint64_t* FULL = x.FULL
    cdef uint64_t* GS = x.GS
    cdef uint64_t* fr = x.fr
    cdef uint64_t* rec
    cdef uint64_t* frp
    cdef uint64_t* reqp
    cdef int32_t* row_cnt = x.row_cnt
    cdef int64_t* gfl = x.gfl
    cdef int32_t* gmeta = x.gmeta
    cdef int64_t fl, nfl
    cdef uint64_t c1 = <uint64_t>(c + 1)
    for i in range(n_grow):
        y = x.grow[i]
        rbase = y * Wm
        pm = x.gmask[i]
        P[0] = P[1] = P[2] = P[3] = P[4] = 0
        emptied = 0
        while pm:
            b = nc_ctz64(pm)
            pm &= pm - 1
            o = b // 5
            p = b - 5 * o
            g = GS[(b << 6) + y]
            reqp = REQ + ((p * 6) << 6) + y     # input p's request words of this row, stride 64 per output
            reqp[o << 6] &= ~g
            P[p] |= g
            frp = fr + ((<uint64_t>((rbase << 3) | p)) << LS)
            meta = (rbase << 3) | o
            while g:
                xb = nc_ctz64(g)
                g &= g - 1
                rec = frp + ((<uint64_t>xb) << (LS + 3))
                st = rec[0]
                fl = <int64_t>rec[2 + (st & MK)]
                st += 1 - ((<uint64_t>1) << OCC_SHIFT)
                rec[0] = st
                n = (st >> OCC_SHIFT) & OCC_MASK
                nfl = <int64_t>rec[2 + (st & MK)]      # next head (stale if now empty: masked below)
                reqp[((nfl >> PORT_SHIFT) & PORT_MASK) << 6] |= (<uint64_t>(n > 0)) << xb
                rec[1] += c1 if n == 0 else 0
                emptied += n == 0
                gfl[ng] = fl
                gmeta[ng] = meta + (xb << 3)
                ng += 1
        row_cnt[y] -= emptied
        FULL[y] &= ~P[0]
        FULL[((1 * 6) << 6) + y] &= ~P[1]
        FULL[((2 * 6) << 6) + y] &= ~P[2]
        FULL[((3 * 6) << 6) + y] &= ~P[3]
        FULL[((4 * 6) << 6) + y] &= ~P[4]
        x.POPS[2 * i] = P[0]          # the L and W pops wake a stalled NU / the host
        x.POPS[2 * i + 1] = P[4]
    return ng


cdef inline void _si_enqueue(Ctx* x, int r, int64_t fl, int64_t c, int gen) noexcept nogil:
    """Flit fl enters the core FIFO of core r in cycle c. The core FIFO and the SI form a
    deterministic queue: the flit's pop time (and the SI's next free cycle) is settled now.
    When the FIFO is full, its space flag is cleared (``gen``, a constant: the general path's
    per-core flag, else the unicast path's row bit) and a timer restores it when its oldest
    entry pops."""
    cdef int DC = x.DC, pos
    cdef int64_t* sq = x.sq + r * DC
    cdef int64_t nw, pt
    cdef int hd = x.sq_hd[r], cnt = x.sq_cnt[r]      # kept in registers, stored once below
    while cnt > 0 and sq[hd] <= c:
        hd = hd + 1 if hd + 1 < DC else 0
        cnt -= 1
    nw = (fl >> WORDS_SHIFT) & WORDS_SAT
    if nw == WORDS_SAT:     # a long axon: its busy cycles from its record (words x cycles per word)
        nw = (((x.axr[2 * (fl >> REC_SHIFT) + 1] & AX_N_MASK) + x.lanes - 1) // x.lanes) * x.wcyc
        if x.learn:         # + one WRITE cycle per word with a plastic slot (§11.2)
            nw += x.ax_wr[fl >> REC_SHIFT]
    pt = x.si_free[r]
    if pt < c + 1:
        pt = c + 1
    x.si_free[r] = pt + nw + 1
    pos = hd + cnt
    if pos >= DC:
        pos -= DC
    sq[pos] = pt
    cnt += 1
    x.sq_hd[r] = hd
    x.sq_cnt[r] = cnt
    if cnt > x.mo_core[r]:
        x.mo_core[r] = cnt
    if cnt >= DC:
        # full: no space until the oldest entry has been popped
        if gen:
            x.csp[r] = 0
        else:
            x.LSP[r // x.W] &= ~((<uint64_t>1) << (r % x.W))
        _heap_push(x.heap, &x.heap_n, ((sq[hd] + 1) << TIMER_CYCLE_SHIFT) | (T_LSP << TIMER_KIND_SHIFT) | r)
    x.c_lookups[r] += 1
    x.c_words[r] += nw
    cdef int ne = x.n_elog
    x.elog[ne] = fl
    x.n_elog = ne + 1
    if ne + 1 == LOG_CAP:
        _flush_log(x)


cdef void _eject(Ctx* x, int r, int64_t fl, int64_t c) noexcept nogil:
    """Router r grants flit fl to its core FIFO in cycle c (one core per router: core r)."""
    _si_enqueue(x, r, fl, c, 0)


cdef void (*EJECT)(Ctx*, int, int64_t, int64_t) noexcept nogil
EJECT = _eject


cdef inline int64_t _push_all_k(Ctx* x, int ng, int64_t c, int LS, uint64_t MK) noexcept nogil:
    """Phase B2: push every popped flit into the FIFO its output feeds, or eject it into the
    core FIFO. Returns the number of ejected flits."""
    cdef uint64_t D = x.D
    cdef int i, meta, o3, px, base
    cdef int64_t dn
    cdef uint64_t st, e, n2
    cdef int64_t fl, n_ej = 0
    cdef uint64_t c1 = <uint64_t>(c + 1)
    cdef uint64_t* REQ = x.REQ
    cdef uint64_t* FULL = x.FULL
    cdef uint64_t* fr = x.fr
    cdef uint64_t* rec
    cdef int32_t* row_cnt = x.row_cnt
    cdef const uint8_t* RT = x.RT
    cdef const int64_t* DN = x.DN
    cdef int64_t* gfl = x.gfl
    cdef int32_t* gmeta = x.gmeta
    for i in range(ng):
        meta = gmeta[i]                # router << 3 | output
        fl = gfl[i]
        if (meta & 7) == 0:
            EJECT(x, meta >> 3, fl, c)
            n_ej += 1
            continue
        dn = DN[meta]
        base = dn & KDOWN_REQ_BASE_MASK               # REQ index of (p2, output 0, py)
        px = (dn >> KDOWN_X_SHIFT) & KDOWN_X_MASK
        rec = fr + (<uint64_t>((dn >> KDOWN_FIFO_SHIFT) & KDOWN_FIFO_MASK) << LS)
        st = rec[0]
        n2 = (st >> OCC_SHIFT) & OCC_MASK
        o3 = RT[(dn >> KDOWN_ROUTE_ROW_SHIFT) | (fl & DST_MASK)]
        e = n2 == 0
        rec[2 + ((st + n2) & MK)] = <uint64_t>((fl & ~(<int64_t>PORT_MASK << PORT_SHIFT)) | (<int64_t>o3 << PORT_SHIFT))
        st += (<uint64_t>1) << OCC_SHIFT
        if n2 >= (st >> MO_SHIFT):
            st += (<uint64_t>1) << MO_SHIFT     # max occupancy only ever rises by one
        rec[0] = st
        REQ[base + (o3 << 6)] |= e << px
        REQ[base + (5 << 6)] |= (<uint64_t>(n2 + 1 >= D)) << px     # FULL
        rec[1] -= c1 if e else 0
        row_cnt[base & 63] += <int>e
    return n_ej


# The default router FIFO depth 2 (records of 4 words, 2 slots) gets its own copy of the push
# loop with constant shifts and masks (-5 % instructions there); other depths share the general one.
cdef int64_t _push_all(Ctx* x, int ng, int64_t c) noexcept nogil:
    if x.LS == 2 and x.LD == 1:
        return _push_all_k(x, ng, c, 2, 1)
    return _push_all_k(x, ng, c, x.LS, ((<uint64_t>1) << x.LD) - 1)



# ============================================================================ general router path
# Several cores per router and/or multicast (docs/engine.md, "The general router path"): one
# router at a time over the routers that hold flits, P <= 8 ports, any set of requested outputs
# per head. Same FIFO records as the bit-parallel path; decisions of a cycle (phase A) for every
# router first, then all pops, then all pushes.

# The system path (chip-to-chip links, computed routes) and the chip's general path share the router
# code; a fused "mode" argument makes Cython emit one specialisation of each function per path, so
# the chip's general path carries no test of the system's features (docs/engine.md).
ctypedef fused mode_t:
    uint8_t       # the chip's general router path
    int16_t       # a system: links and computed routes


cdef inline int _lport(int j) noexcept nogil:
    return 0 if j == 0 else 4 + j


cdef inline uint32_t _route_sys(Ctx* x, int r, int d) noexcept nogil:
    """XY output port (section 4.1) at router r of a unicast flit to core d, on a system mesh
    (computed: a table over a system's routers x cores would not fit)."""
    cdef int cx = x.kcx[d], lo = x.rX[r] * x.C
    if cx >= lo + x.C:
        return (<uint32_t>1) << PORT_E
    if cx < lo:
        return (<uint32_t>1) << PORT_W
    if x.kcy[d] > x.rY[r]:
        return (<uint32_t>1) << PORT_S
    if x.kcy[d] < x.rY[r]:
        return (<uint32_t>1) << PORT_N
    return (<uint32_t>1) << _lport(cx - lo)


cdef inline uint32_t _route_g(Ctx* x, int r, int64_t fl, mode_t mode) noexcept nogil:
    """Output ports of flit fl at router r: a multicast copy's node, or XY to its core."""
    if fl < 0:
        return x.NMASK[<uint32_t>fl] & 0xFF
    if mode_t is int16_t:
        return _route_sys(x, r, <int>(fl & DST_MASK))
    return (<uint32_t>1) << x.RT[((<int64_t>r) << x.LNC) | (fl & DST_MASK)]


cdef inline void _push_g(Ctx* x, int r2, int p2, int64_t fl, int64_t c, mode_t mode) noexcept nogil:
    """Push flit fl into input p2 of router r2 in cycle c (after every pop of the cycle)."""
    cdef int f = (r2 << 3) | p2
    cdef uint64_t* rec = x.fr + (<uint64_t>f << x.LS)
    cdef uint64_t st = rec[0]
    cdef uint64_t n2 = (st >> OCC_SHIFT) & OCC_MASK
    rec[2 + ((st + n2) & ((1 << x.LD) - 1))] = <uint64_t>fl
    st += (<uint64_t>1) << OCC_SHIFT
    if n2 >= (st >> MO_SHIFT):
        st += (<uint64_t>1) << MO_SHIFT
    rec[0] = st
    if n2 == 0:
        x.hreq[f] = <uint8_t>_route_g(x, r2, fl, mode)
        rec[1] -= <uint64_t>(c + 1)
        if not x.inact[r2]:
            x.act[x.act_n] = r2
            x.act_n += 1
            x.inact[r2] = 1
        x.rnem[r2] |= <uint8_t>(1 << p2)


cdef inline int _full_g(Ctx* x, int f) noexcept nogil:
    return ((x.fr[<uint64_t>f << x.LS] >> OCC_SHIFT) & OCC_MASK) >= <uint64_t>x.D


cdef void _eject_g(Ctx* x, int k, int64_t fl, int64_t c) noexcept nogil:
    _si_enqueue(x, k, fl, c, 1)


# ---- chip-to-chip links (docs/microarchitecture.md §12.2) -----------------------------------
cdef inline void _lk_activate(Ctx* x, int l) noexcept nogil:
    if not x.lk_inact[l]:
        x.lk_inact[l] = 1
        x.lk_act[x.lk_act_n] = l
        x.lk_act_n += 1


cdef inline void _lk_export(Ctx* x, int l, int kind, int64_t t, int64_t fl) noexcept nogil:
    cdef int i = 3 * x.n_ex
    x.ex[i] = l | ((<int64_t>kind) << 32)
    x.ex[i + 1] = t
    x.ex[i + 2] = fl
    x.n_ex += 1


cdef inline void _lk_arrive(Ctx* x, int l, int64_t t, int64_t fl) noexcept nogil:
    """A flit on link l will be pushed into its receiving FIFO in cycle t (this kernel owns it)."""
    cdef int i = x.lk_ph[l] + x.lk_pn[l]
    if i >= x.lkB:
        i -= x.lkB
    x.lk_pt[l * x.lkB + i] = t
    x.lk_pf[l * x.lkB + i] = fl
    x.lk_pn[l] += 1
    _lk_activate(x, l)


cdef inline void _lk_credit(Ctx* x, int l, int64_t t) noexcept nogil:
    """A credit of link l arrives back at its sender in cycle t (this kernel owns the sender)."""
    cdef int i = x.lk_ch[l] + x.lk_cn[l]
    if i >= x.lkB:
        i -= x.lkB
    x.lk_ct[l * x.lkB + i] = t
    x.lk_cn[l] += 1
    _lk_activate(x, l)


cdef inline void _lk_grant(Ctx* x, int l, int64_t fl, int64_t c) noexcept nogil:
    """Output of link l granted in cycle c: a credit is taken, the serialiser is busy for k
    cycles, the flit reaches the receiving FIFO in c + L."""
    x.lk_cr[l] -= 1
    x.lk_free[l] = c + x.lk_k[l]
    if x.lk_rx[l]:
        _lk_arrive(x, l, c + x.lk_L[l], fl)
    else:
        _lk_export(x, l, 0, c + x.lk_L[l], fl)


cdef inline void _lk_popped(Ctx* x, int l, int64_t c) noexcept nogil:
    """The receiving FIFO of link l popped a flit in cycle c: its credit arrives back in c + Lc."""
    if x.lk_tx[l]:
        _lk_credit(x, l, c + x.lk_Lc[l])
    else:
        _lk_export(x, l, 1, c + x.lk_Lc[l], 0)


cdef int64_t _links_due(Ctx* x, int64_t c) noexcept nogil:
    """Apply the link events of cycle c (after its pops and pushes): flits that reach their
    receiving FIFO, credits that reach their sender. Returns the flits pushed into FIFOs."""
    cdef int i, l, n = 0, f, h
    cdef int64_t pushed = 0
    for i in range(x.lk_act_n):
        l = x.lk_act[i]
        h = l * x.lkB
        if x.lk_pn[l] and x.lk_pt[h + x.lk_ph[l]] == c:
            f = x.lk_dstf[l]
            _push_g(x, f >> 3, f & 7, x.lk_pf[h + x.lk_ph[l]], c, <int16_t>0)
            pushed += 1
            x.lk_ph[l] = x.lk_ph[l] + 1 if x.lk_ph[l] + 1 < x.lkB else 0
            x.lk_pn[l] -= 1
        if x.lk_cn[l] and x.lk_ct[h + x.lk_ch[l]] == c:
            x.lk_cr[l] += 1
            x.lk_ch[l] = x.lk_ch[l] + 1 if x.lk_ch[l] + 1 < x.lkB else 0
            x.lk_cn[l] -= 1
        if x.lk_pn[l] or x.lk_cn[l]:
            x.lk_act[n] = l
            n += 1
        else:
            x.lk_inact[l] = 0
    x.lk_act_n = n
    return pushed


cdef int64_t _links_next(Ctx* x) noexcept nogil:
    """The next cycle with a link event, or -1 if none is pending."""
    cdef int i, l, h
    cdef int64_t t = -1, u
    for i in range(x.lk_act_n):
        l = x.lk_act[i]
        h = l * x.lkB
        if x.lk_pn[l]:
            u = x.lk_pt[h + x.lk_ph[l]]
            if t < 0 or u < t:
                t = u
        if x.lk_cn[l]:
            u = x.lk_ct[h + x.lk_ch[l]]
            if t < 0 or u < t:
                t = u
    return t


cdef int64_t _router_gen(Ctx* x, int64_t c, mode_t mode) noexcept nogil:
    """One cycle of every router holding flits: arbitration (phase A), pops, pushes. Returns the
    change in the number of flits held in router FIFOs. Cores whose NU can push again (their
    local FIFO was popped) are left in x.wake; x.host_wake is set when the host link FIFO was
    popped."""
    cdef int i, j, r, p, o, f, k, n_g = 0, n_pop = 0, C = x.C, LS = x.LS
    cdef uint64_t MK = ((<uint64_t>1) << x.LD) - 1
    cdef uint64_t D = x.D
    cdef uint32_t req[8]
    cdef uint32_t got[8]
    cdef uint32_t rq, hi, ro
    cdef uint64_t* rec
    cdef uint64_t st, n
    cdef int64_t fl, dn, delta = 0
    cdef int last, space, node, lk
    cdef int host_f = (x.host_r << 3) | 4
    # ---- phase A: every decision from the state at the start of cycle c
    cdef uint32_t ne, m
    cdef uint64_t R
    cdef int n_ne
    cdef int nes[8]
    for i in range(x.act_n):
        r = x.act[i]
        ne = x.rnem[r]
        ro = 0
        R = 0                  # byte p = outputs input p requests
        n_ne = 0
        m = ne
        while m:
            p = nc_ctz64(m)
            m &= m - 1
            nes[n_ne] = p
            n_ne += 1
            req[p] = x.hreq[(r << 3) | p]
            got[p] = 0
            ro |= req[p]
            R |= (<uint64_t>req[p]) << (8 * p)
        while ro:
            o = nc_ctz64(ro)
            ro &= ro - 1
            # inputs requesting o: bit o of every byte of R, gathered into one byte
            rq = <uint32_t>((((R >> o) & <uint64_t>0x0101010101010101) * <uint64_t>0x0102040810204080) >> 56)
            if o == 0 or o > 4:
                space = x.csp[r * C + (0 if o == 0 else o - 4)]
            elif mode_t is int16_t and x.LKO[(r << 3) | o] >= 0:     # a chip-to-chip link: credits, serialiser
                lk = x.LKO[(r << 3) | o]
                space = x.lk_cr[lk] > 0 and x.lk_free[lk] <= c
            else:
                dn = x.DN[(r << 3) | o]
                space = not _full_g(x, <int>((dn >> KDOWN_FIFO_SHIFT) & KDOWN_FIFO_MASK))
            if not space:
                continue
            last = x.glast[(r << 3) | o]
            hi = rq & ~((<uint32_t>2 << last) - 1)
            p = nc_ctz64(hi) if hi else nc_ctz64(rq)
            x.glast[(r << 3) | o] = <uint8_t>p
            got[p] |= (<uint32_t>1) << o
            f = (r << 3) | p
            rec = x.fr + (<uint64_t>f << LS)
            x.gg[n_g] = (((r << 3) | o) << 4) | p
            x.ggf[n_g] = <int64_t>rec[2 + (rec[0] & MK)]
            n_g += 1
        for j in range(n_ne):
            p = nes[j]
            f = (r << 3) | p
            if (req[p] & ~got[p]) == 0:
                x.gpop[n_pop] = f
                n_pop += 1
            else:
                x.hreq[f] = <uint8_t>(req[p] & ~got[p])
                if got[p]:
                    x.mcp[f] += 1
    # ---- phase B1: pops
    x.n_wake = 0
    for i in range(n_pop):
        f = x.gpop[i]
        r = f >> 3
        p = f & 7
        rec = x.fr + (<uint64_t>f << LS)
        st = rec[0]
        fl = <int64_t>rec[2 + (st & MK)]
        st += 1 - ((<uint64_t>1) << OCC_SHIFT)
        rec[0] = st
        n = (st >> OCC_SHIFT) & OCC_MASK
        if n:
            x.hreq[f] = <uint8_t>_route_g(x, r, <int64_t>rec[2 + (st & MK)], mode)
        else:
            rec[1] += <uint64_t>(c + 1)
            x.rnem[r] &= <uint8_t>~(1 << p)
        if fl < 0:
            x.mcl[f] += 1
            x.mcd[f] += (x.NMASK[<uint32_t>fl] >> 8) & 1
        delta -= 1
        if mode_t is int16_t:
            if x.LKI[f] >= 0:
                _lk_popped(x, x.LKI[f], c)
        if p == 0 or p > 4:
            k = r * C + (0 if p == 0 else p - 4)
            if x.nuslp[k]:
                x.nuslp[k] = 0
                x.wake[x.n_wake] = k
                x.n_wake += 1
        elif f == host_f:
            x.host_wake = 1
    # ---- phase B2: pushes (copies into the downstream FIFOs) and ejections
    for i in range(n_g):
        f = x.gg[i] >> 4
        r = f >> 3
        o = f & 7
        fl = x.ggf[i]
        if o == 0 or o > 4:
            j = 0 if o == 0 else o - 4
            if fl < 0:
                node = <int>(<uint32_t>fl)
                fl = x.EJK[x.NEJ[node] + j]
            _eject_g(x, r * C + j, fl, c)
        else:
            dn = x.DN[f]
            if fl < 0:
                node = <int>(<uint32_t>fl)
                fl = <int64_t>(<uint64_t>x.NCHILD[4 * node + o - 1] | ((<uint64_t>1) << 63))
            if mode_t is int16_t:
                if x.LKO[f] >= 0:
                    _lk_grant(x, x.LKO[f], fl, c)      # into the link: not in a FIFO until c + L
                    continue
            p = <int>((dn >> KDOWN_FIFO_SHIFT) & KDOWN_FIFO_MASK)
            _push_g(x, p >> 3, p & 7, fl, c, mode)
            delta += 1
    return delta


cdef void _compact_active(Ctx* x) noexcept nogil:
    """Drop the routers that hold no flit any more from the active list."""
    cdef int i, r, n = 0
    for i in range(x.act_n):
        r = x.act[i]
        if x.rnem[r]:
            x.act[n] = r
            n += 1
        else:
            x.inact[r] = 0
    x.act_n = n


# called through pointers so the C compiler keeps each phase a separate, register-friendly function
cdef int (*ARBITRATE)(Ctx*, int64_t) noexcept nogil
cdef int (*POP_ALL)(Ctx*, int, int64_t) noexcept nogil
cdef int64_t (*PUSH_ALL)(Ctx*, int, int64_t) noexcept nogil
ARBITRATE = _arbitrate
POP_ALL = _pop_all
PUSH_ALL = _push_all


cdef inline void _nu_start(Ctx* x, int64_t T, int n_sp) noexcept nogil:
    """NUs start UPDATE(0) at T (spiking rows are sorted, so per-core segments are contiguous)."""
    cdef int k, s = 0
    x.heap_n = 0
    for k in range(x.NC):
        x.nu_sp[k] = s
        while s < n_sp and x.sprow[s] < x.nlo[k + 1]:
            s += 1
        x.nu_sp_end[k] = s
        _nu_advance(x, k, T, 0, &x.heap_n)


cdef inline int64_t _step_end(Ctx* x, int64_t c, int64_t T, int64_t n_host, int64_t* host_flits_total,
                              int64_t bound) noexcept nogil:
    """Quiescence: Q = the cycle the routers emptied, or later if an SI or NU is still busy."""
    cdef int k
    cdef int64_t Q = c
    _flush_log(x)
    host_flits_total[0] += n_host
    for k in range(x.NC):
        if x.si_free[k] > Q:
            Q = x.si_free[k]
        if x.nu_done[k] > Q:
            Q = x.nu_done[k]
    return Q if Q - T <= bound else -1


cdef int64_t _run_step(Ctx* x, int64_t T, int n_sp, const int64_t* host_fl, int64_t n_host,
                       int64_t* host_flits_total, int64_t bound) noexcept nogil:
    """Simulate one timestep from cycle T; return Q (first quiescent cycle), or -1 if the
    timestep runs past ``bound`` cycles (the watchdog: a proven upper bound, docs/engine.md)."""
    cdef int Wm = x.W
    cdef int host_r = x.host_r, host_y = x.host_r // x.W
    cdef int k, i, y, xb, ng, n_grow, host_state, host_push
    cdef int64_t hp = 0
    cdef int n_nu = 0, n_nu_next, n_nupush
    cdef int64_t c = T, key
    cdef int64_t in_flight = 0
    cdef uint64_t g
    cdef uint64_t* FULL = x.FULL
    cdef int64_t* heap = x.heap

    _nu_start(x, T, n_sp)
    host_state = H_PUSH if n_host > 0 else H_DONE
    host_push = 0

    while True:
        if c - T > bound:
            return -1          # watchdog: only an engine bug gets here (the bound is proven)
        # timers due now: an NU's next push phase starts, or a full core FIFO has space again
        while x.heap_n > 0 and (heap[0] >> TIMER_CYCLE_SHIFT) <= c:
            key = _heap_pop(heap, &x.heap_n)
            k = <int>(key & TIMER_CORE_MASK)
            if (key >> TIMER_KIND_SHIFT) & 1 == T_NU:
                x.nu_state[k] = NU_PUSH
                x.nu_list[n_nu] = k
                n_nu += 1
            else:
                x.LSP[k // Wm] |= (<uint64_t>1) << (k % Wm)
        if in_flight == 0 and n_nu == 0 and host_state == H_DONE:
            # nothing moves until the next timer: skip the idle cycles
            if x.heap_n == 0:
                break
            c = heap[0] >> TIMER_CYCLE_SHIFT
            continue

        # ---------------- phase A: every decision from the state at the start of cycle c
        n_nupush = 0
        for i in range(n_nu):
            k = x.nu_list[i]
            y = k // Wm
            xb = k - y * Wm
            if not ((FULL[y] >> xb) & 1):          # input L of router k has space
                x.nu_push[n_nupush] = k
                n_nupush += 1
            else:
                x.nu_state[k] = NU_SLEEP
                x.NUSLEEP[y] |= (<uint64_t>1) << xb
                x.nu_since[k] = c
        if host_state == H_PUSH:
            if not ((FULL[((4 * 6) << 6) + host_y] >> (host_r - host_y * Wm)) & 1):
                host_push = 1
            else:
                host_state = H_SLEEP
        n_grow = ARBITRATE(x, c) if in_flight else 0

        # ---------------- phase B: all pops, then all pushes (effects visible from c+1)
        ng = POP_ALL(x, n_grow, c)
        n_nu_next = 0
        for i in range(n_grow):
            y = x.grow[i]
            # an NU stalled on its full L FIFO can push from the next cycle
            g = x.POPS[2 * i] & x.NUSLEEP[y]
            if g:
                x.NUSLEEP[y] &= ~g
                while g:
                    xb = nc_ctz64(g)
                    g &= g - 1
                    k = y * Wm + xb
                    x.nu_state[k] = NU_PUSH
                    x.c_nu_stall[k] += c + 1 - x.nu_since[k]
                    x.nu_next[n_nu_next] = k
                    n_nu_next += 1
            if host_state == H_SLEEP and y == host_y and (x.POPS[2 * i + 1] >> (host_r - host_y * Wm)) & 1:
                host_state = H_PUSH
        in_flight -= PUSH_ALL(x, ng, c)
        for i in range(n_nupush):
            k = x.nu_push[i]
            y = k // Wm
            _push(x, k - y * Wm, y, 0, x.fo_flit[x.nu_fo[k]], c)
            in_flight += 1
            x.c_fanout[k] += 1
            x.nu_fo[k] += 1
            if x.nu_fo[k] == x.nu_fo_end[k]:
                _nu_advance(x, k, c + 1, x.nu_p[k], &x.heap_n)
            else:
                x.nu_next[n_nu_next] = k
                n_nu_next += 1
        if host_push:
            _push(x, host_r - host_y * Wm, host_y, 4, host_fl[hp], c)
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

    return _step_end(x, c, T, n_host, host_flits_total, bound)


cdef int64_t _run_step_gen(Ctx* x, int64_t T, int n_sp, const int64_t* host_fl, int64_t n_host,
                           int64_t* host_flits_total, int64_t bound) noexcept nogil:
    """_run_step for the general router path (several cores per router and/or multicast): the
    same NU, host and timer logic; the routers are stepped by _router_gen."""
    cdef int C = x.C
    cdef int host_f = (x.host_r << 3) | 4
    cdef int k, i, host_state, host_push
    cdef int64_t hp = 0
    cdef int n_nu = 0, n_nu_next, n_nupush
    cdef int64_t c = T, key
    cdef int64_t in_flight = 0
    cdef int64_t* heap = x.heap

    _nu_start(x, T, n_sp)
    host_state = H_PUSH if n_host > 0 else H_DONE
    host_push = 0
    x.host_wake = 0

    while True:
        if c - T > bound:
            return -1          # watchdog: only an engine bug gets here (the bound is proven)
        while x.heap_n > 0 and (heap[0] >> TIMER_CYCLE_SHIFT) <= c:
            key = _heap_pop(heap, &x.heap_n)
            k = <int>(key & TIMER_CORE_MASK)
            if (key >> TIMER_KIND_SHIFT) & 1 == T_NU:
                x.nu_state[k] = NU_PUSH
                x.nu_list[n_nu] = k
                n_nu += 1
            else:
                x.csp[k] = 1
        if in_flight == 0 and n_nu == 0 and host_state == H_DONE:
            if x.heap_n == 0:
                break
            c = heap[0] >> TIMER_CYCLE_SHIFT
            continue

        # ---------------- phase A: NUs and host (the routers decide inside _router_gen)
        n_nupush = 0
        for i in range(n_nu):
            k = x.nu_list[i]
            if not _full_g(x, ((k // C) << 3) | _lport(k % C)):     # its local input FIFO has space
                x.nu_push[n_nupush] = k
                n_nupush += 1
            else:
                x.nu_state[k] = NU_SLEEP
                x.nuslp[k] = 1
                x.nu_since[k] = c
        if host_state == H_PUSH:
            if not _full_g(x, host_f):
                host_push = 1
            else:
                host_state = H_SLEEP

        # ---------------- routers: decisions, pops, pushes; then the NU and host pushes
        n_nu_next = 0
        if in_flight:
            x.host_wake = 0
            in_flight += _router_gen(x, c, <uint8_t>0)
            for i in range(x.n_wake):
                k = x.wake[i]
                x.nu_state[k] = NU_PUSH
                x.c_nu_stall[k] += c + 1 - x.nu_since[k]
                x.nu_next[n_nu_next] = k
                n_nu_next += 1
            if host_state == H_SLEEP and x.host_wake:
                host_state = H_PUSH
            _compact_active(x)
        for i in range(n_nupush):
            k = x.nu_push[i]
            _push_g(x, k // C, _lport(k % C), x.fo_flit[x.nu_fo[k]], c, <uint8_t>0)
            in_flight += 1
            x.c_fanout[k] += 1
            x.nu_fo[k] += 1
            if x.nu_fo[k] == x.nu_fo_end[k]:
                _nu_advance(x, k, c + 1, x.nu_p[k], &x.heap_n)
            else:
                x.nu_next[n_nu_next] = k
                n_nu_next += 1
        if host_push:
            _push_g(x, x.host_r, 4, host_fl[hp], c, <uint8_t>0)
            in_flight += 1
            hp += 1
            host_push = 0
            if hp == n_host:
                host_state = H_DONE
        for i in range(n_nu_next):
            x.nu_list[i] = x.nu_next[i]
        n_nu = n_nu_next
        c += 1

    return _step_end(x, c, T, n_host, host_flits_total, bound)


# ============================================================================ systems of chips
# docs/engine.md "Systems": one resumable timestep over the system mesh (the general router path
# with links). A kernel may own only some chips (a partition, simulated in a Dask worker): it
# updates its own cores, holds flits only in its own routers, exports the flits and credits its
# links send to other partitions and imports theirs; a run is then a series of windows no
# longer than the links' latency (conservative synchronisation), and the coordinator decides
# quiescence. One partition that owns everything runs a whole timestep in one window.

cdef void _sys_begin(Ctx* x, int64_t T, int n_sp, const int64_t* host_fl, int64_t n_host, int64_t bound) noexcept nogil:
    """The NUs of the owned cores start UPDATE(0) (SCAN(0)) at T; the host starts pushing."""
    cdef int ik, k, s = 0
    x.heap_n = 0
    for ik in range(x.n_own):
        k = x.own[ik]
        while s < n_sp and x.sprow[s] < x.nlo[k]:
            s += 1
        x.nu_sp[k] = s
        while s < n_sp and x.sprow[s] < x.nlo[k + 1]:
            s += 1
        x.nu_sp_end[k] = s
        _nu_advance(x, k, T, 0, &x.heap_n)
    x.c = T
    x.T = T
    x.bound = bound
    x.hp = 0
    x.hfl = host_fl
    x.n_host = n_host
    x.host_state = H_PUSH if n_host > 0 else H_DONE
    x.host_push = 0
    x.host_wake = 0
    x.n_nu = 0
    x.in_flight = 0


cdef int _run_sys(Ctx* x, int64_t c_end) noexcept nogil:
    """Advance the current timestep to cycle c_end (exclusive), or until this kernel is
    quiescent: nothing in its FIFOs, no NU pushing, host done, no timer and no link event
    pending. Returns 1 when quiescent (x.c = the first such cycle), 0 at c_end, -1 when the
    timestep runs past its proven bound (the watchdog). Link events of cycle c are applied after
    its pops and pushes (docs/microarchitecture.md §12.2); an idle kernel jumps to its next
    timer or link event."""
    cdef int C = x.C
    cdef int host_f = (x.host_r << 3) | 4
    cdef int k, i, n_nu_next, n_nupush
    cdef int64_t c = x.c, key, nxt, t
    cdef int64_t* heap = x.heap
    cdef int status = 0
    while c < c_end:
        if c - x.T > x.bound:
            status = -1
            break
        while x.heap_n > 0 and (heap[0] >> TIMER_CYCLE_SHIFT) <= c:
            key = _heap_pop(heap, &x.heap_n)
            k = <int>(key & TIMER_CORE_MASK)
            if (key >> TIMER_KIND_SHIFT) & 1 == T_NU:
                x.nu_state[k] = NU_PUSH
                x.nu_list[x.n_nu] = k
                x.n_nu += 1
            else:
                x.csp[k] = 1
        if x.in_flight == 0 and x.n_nu == 0 and x.host_state == H_DONE:
            nxt = _links_next(x)
            if x.heap_n > 0:
                t = heap[0] >> TIMER_CYCLE_SHIFT
                if nxt < 0 or t < nxt:
                    nxt = t
            if nxt < 0:
                status = 1
                break
            if nxt > c:
                c = nxt if nxt < c_end else c_end
                continue

        # ---------------- phase A: NUs and host (the routers decide inside _router_gen)
        n_nupush = 0
        for i in range(x.n_nu):
            k = x.nu_list[i]
            if not _full_g(x, ((k // C) << 3) | _lport(k % C)):     # its local input FIFO has space
                x.nu_push[n_nupush] = k
                n_nupush += 1
            else:
                x.nu_state[k] = NU_SLEEP
                x.nuslp[k] = 1
                x.nu_since[k] = c
        if x.host_state == H_PUSH:
            if not _full_g(x, host_f):
                x.host_push = 1
            else:
                x.host_state = H_SLEEP

        # ---------------- routers (decisions, pops, pushes), link events, NU and host pushes
        n_nu_next = 0
        if x.in_flight:
            x.host_wake = 0
            x.in_flight += _router_gen(x, c, <int16_t>0)
            for i in range(x.n_wake):
                k = x.wake[i]
                x.nu_state[k] = NU_PUSH
                x.c_nu_stall[k] += c + 1 - x.nu_since[k]
                x.nu_next[n_nu_next] = k
                n_nu_next += 1
            if x.host_state == H_SLEEP and x.host_wake:
                x.host_state = H_PUSH
            _compact_active(x)
        if x.lk_act_n:
            x.in_flight += _links_due(x, c)
        for i in range(n_nupush):
            k = x.nu_push[i]
            _push_g(x, k // C, _lport(k % C), x.fo_flit[x.nu_fo[k]], c, <int16_t>0)
            x.in_flight += 1
            x.c_fanout[k] += 1
            x.nu_fo[k] += 1
            if x.nu_fo[k] == x.nu_fo_end[k]:
                _nu_advance(x, k, c + 1, x.nu_p[k], &x.heap_n)
            else:
                x.nu_next[n_nu_next] = k
                n_nu_next += 1
        if x.host_push:
            _push_g(x, x.host_r, 4, x.hfl[x.hp], c, <int16_t>0)
            x.in_flight += 1
            x.hp += 1
            x.host_push = 0
            if x.hp == x.n_host:
                x.host_state = H_DONE
        for i in range(n_nu_next):
            x.nu_list[i] = x.nu_next[i]
        x.n_nu = n_nu_next
        c += 1
    x.c = c
    return status


cdef int64_t _sys_quiet(Ctx* x) noexcept nogil:
    """Q of a quiescent kernel (after _run_sys returned 1): the cycle its FIFOs and links went
    idle, or later if an owned SI or NU is still busy (docs/microarchitecture.md §6, §12.4)."""
    cdef int ik, k
    cdef int64_t Q = x.c
    for ik in range(x.n_own):
        k = x.own[ik]
        if x.si_free[k] > Q:
            Q = x.si_free[k]
        if x.nu_done[k] > Q:
            Q = x.nu_done[k]
    return Q


cdef inline void* _ptr(cnp.ndarray a):
    return cnp.PyArray_DATA(a)


cdef object _setup(Ctx* x, dict a, dict st):
    """Point the kernel context at the driver's tables (``a``) and allocate its state (kept alive
    in ``st``): every path, chip or system."""
    cdef int NC = a["NC"], D = a["D"], DC = a["DC"], n_rows = a["n_rows"]
    sys_ = int(a.get("sys", 0))

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
    x.H = a["H"]
    x.host_r = a["host_r"]
    x.state_bits = a["state_bits"]
    x.nlo = <int32_t*>_ptr(a["nlo"])
    x.prm = <int64_t*>_ptr(a["prm"])
    x.fo_start = <int64_t*>_ptr(a["fo_start"])
    x.fo_len = <int32_t*>_ptr(a["fo_len"])
    x.fo_flit = <int64_t*>_ptr(a["fo_flit"])
    x.axr = <int64_t*>_ptr(a["axr"])
    x.syn = <SynSlot*>_ptr(a["syn"])
    x.syn_dl = a["syn_dl"]
    x.lanes = a["lanes"]
    x.wcyc = a["word_cycles"]
    x.RT = <uint8_t*>_ptr(a["RT"])
    x.DN = <int64_t*>_ptr(a["DN"])

    x.u = <int64_t*>_ptr(z("u", n_rows, np.int64))
    x.v = <int64_t*>_ptr(z("v", n_rows, np.int64))
    x.ref = <int64_t*>_ptr(z("ref", n_rows, np.int64))
    # the accumulator ring (two banks without delays: cur and nxt swap at the barrier)
    x.n_rows = n_rows
    x.nbank = a["nbank"]
    x.bank_cur = 0
    x.acc_ring = <int64_t*>_ptr(z("acc", x.nbank * max(n_rows, 1), np.int64))
    x.acc_cur = x.acc_ring
    x.acc_nxt = x.acc_ring + max(n_rows, 1)
    H = x.H
    # one bit per router of a row; a Python int, since ``1 << x.W`` on the C int field would be a
    # 32-bit shift (undefined from width 32 on: issue #19)
    row = np.uint64((1 << int(a["W"])) - 1) if not sys_ else np.uint64(0)   # unused on a system
    x.LS = (2 + (1 << x.LD) - 1).bit_length()       # record of 2**LS >= 2 + 2**LD words
    x.fr = <uint64_t*>_ptr(z("fr", NC * 8 << x.LS, np.uint64))
    # bit planes: 64 words each (one per mesh row; H <= 64)
    # REQ[((p*6 + o) << 6) + y]; slot o = 5 of input p is its FULL word, so a push reaches both
    # from one base index
    x.REQ = <uint64_t*>_ptr(z("REQ", 30 * 64, np.uint64))
    x.FULL = x.REQ + (5 << 6)
    lq = z("LQ", 25 * 64, np.uint64).reshape(5, 5, 64)
    lq[:, 4, :H] = row                # every arbiter's pointer starts at W: input L goes first
    x.LQ = <uint64_t*>_ptr(st["LQ"])
    x.LSP = <uint64_t*>_ptr(z("LSP", 64, np.uint64, row))   # every core FIFO starts empty
    x.NUSLEEP = <uint64_t*>_ptr(z("NUSLEEP", 64, np.uint64))
    x.GS = <uint64_t*>_ptr(z("GS", 25 * 64, np.uint64))
    x.row_cnt = <int32_t*>_ptr(z("row_cnt", H, np.int32))
    x.grow = <int32_t*>_ptr(z("grow", H, np.int32))
    x.gmask = <uint32_t*>_ptr(z("gmask", H, np.uint32))
    x.POPS = <uint64_t*>_ptr(z("POPS", 2 * H, np.uint64))
    x.gfl = <int64_t*>_ptr(z("gfl", NC * 5, np.int64))
    x.gmeta = <int32_t*>_ptr(z("gmeta", NC * 5, np.int32))
    x.sq = <int64_t*>_ptr(z("sq", NC * DC, np.int64))
    x.sq_hd = <int32_t*>_ptr(z("sq_hd", NC, np.int32))
    x.sq_cnt = <int32_t*>_ptr(z("sq_cnt", NC, np.int32))
    x.si_free = <int64_t*>_ptr(z("si_free", NC, np.int64))
    x.mo_core = <int64_t*>_ptr(z("mo_core", NC, np.int64))
    x.elog = <int64_t*>_ptr(z("elog", LOG_CAP, np.int64))
    x.n_elog = 0
    x.cc = <int64_t*>_ptr(z("cc", N_CORE_COUNTERS * NC, np.int64))
    x.c_lookups = x.cc + CC_AXON_LOOKUPS * NC
    x.c_words = x.cc + CC_SYNAPSE_WORD_READS * NC
    x.c_sops = x.cc + CC_SYNAPTIC_OPS * NC
    x.nu_state = <int32_t*>_ptr(z("nu_state", NC, np.int32))
    x.nu_sp = <int32_t*>_ptr(z("nu_sp", NC, np.int32))
    x.nu_sp_end = <int32_t*>_ptr(z("nu_sp_end", NC, np.int32))
    x.nu_p = <int32_t*>_ptr(z("nu_p", NC, np.int32))
    x.nu_fo = <int64_t*>_ptr(z("nu_fo", NC, np.int64))
    x.nu_fo_end = <int64_t*>_ptr(z("nu_fo_end", NC, np.int64))
    x.nu_since = <int64_t*>_ptr(z("nu_since", NC, np.int64))
    x.nu_done = <int64_t*>_ptr(z("nu_done", NC, np.int64))
    x.nu_list = <int32_t*>_ptr(z("nu_list", NC, np.int32))
    x.nu_next = <int32_t*>_ptr(z("nu_next", NC, np.int32))
    x.nu_push = <int32_t*>_ptr(z("nu_push", NC, np.int32))
    x.heap = <int64_t*>_ptr(z("heap", 2 * NC + 1, np.int64))
    x.c_upd_active = x.cc + CC_NEURON_UPDATES_ACTIVE * NC
    x.c_upd_inactive = x.cc + CC_NEURON_UPDATES_INACTIVE * NC
    x.c_spikes = x.cc + CC_SPIKES * NC
    x.c_fanout = x.cc + CC_FANOUT_FLITS * NC
    x.c_nu_stall = x.cc + CC_NU_STALL_CYCLES * NC
    x.sprow = <int32_t*>_ptr(z("sprow", n_rows, np.int32))
    x.spcyc = <int64_t*>_ptr(z("spcyc", n_rows, np.int64))
    # general router path (several cores per router and/or multicast)
    x.gen = a["gen"]
    x.C = a["C"]
    x.P = x.C + 4
    x.NR = a["NR"]
    NRF = x.NR * 8
    if x.gen:
        x.NMASK = <uint16_t*>_ptr(a["NMASK"])
        x.NCHILD = <int32_t*>_ptr(a["NCHILD"])
        x.NEJ = <int32_t*>_ptr(a["NEJ"])
        x.EJK = <int64_t*>_ptr(a["EJK"])
        x.fr = <uint64_t*>_ptr(z("fr", NRF << x.LS, np.uint64))
        x.hreq = <uint8_t*>_ptr(z("hreq", NRF, np.uint8))
        x.glast = <uint8_t*>_ptr(z("glast", NRF, np.uint8, x.P - 1))   # every pointer starts at P-1
        x.act = <int32_t*>_ptr(z("act", x.NR, np.int32))
        x.act_n = 0
        x.inact = <uint8_t*>_ptr(z("inact", x.NR, np.uint8))
        x.rnem = <uint8_t*>_ptr(z("rnem", x.NR, np.uint8))
        x.csp = <uint8_t*>_ptr(z("csp", NC, np.uint8, 1))
        x.nuslp = <uint8_t*>_ptr(z("nuslp", NC, np.uint8))
        x.mcl = <int64_t*>_ptr(z("mcl", NRF, np.int64))
        x.mcd = <int64_t*>_ptr(z("mcd", NRF, np.int64))
        x.mcp = <int64_t*>_ptr(z("mcp", NRF, np.int64))
        x.gg = <int32_t*>_ptr(z("gg", NRF, np.int32))
        x.ggf = <int64_t*>_ptr(z("ggf", NRF, np.int64))
        x.gpop = <int32_t*>_ptr(z("gpop", NRF, np.int32))
        x.wake = <int32_t*>_ptr(z("wake", NC, np.int32))
    x.PB = a["payload_bits"]
    x.event = a["event"]
    x.learn = a["learn"]
    x.general = 1 if (x.PB or x.event or x.nbank > 2 or x.learn or x.syn_dl) else 0
    x.lif = _lif_general if x.general else _lif_all
    x.ig_off = NULL
    if x.general and "ig_off" in a:
        x.ig_off = <int64_t*>_ptr(a["ig_off"])
        x.ig_fl = <int64_t*>_ptr(a["ig_fl"])
        x.host_ig = <int64_t*>_ptr(a["host_ig"])
    x.scan_bits = a["scan_bits"]
    x.sppos = <int32_t*>_ptr(z("sppos", n_rows, np.int32))
    x.sppay = <int64_t*>_ptr(z("sppay", n_rows, np.int64))
    x.nu_len = <int32_t*>_ptr(z("nu_len", NC, np.int32))
    nlo_a = a["nlo"]
    st["nu_len"][:NC] = np.diff(nlo_a[:NC + 1])     # dense: the walk is every placed neuron
    # every neuron pending before T_0 (bank 0), the other banks clear: each byte written once
    pr = np.empty(x.nbank * max(n_rows, 1), np.uint8)
    pr[:max(n_rows, 1)] = 1
    pr[max(n_rows, 1):] = 0
    st["pend"] = pr
    x.pend_ring = <uint8_t*>_ptr(pr)
    x.pend_cur = x.pend_ring
    x.pend_nxt = x.pend_ring + max(n_rows, 1)
    x.trace_max = a["trace_max"]
    x.core_learn = <uint8_t*>_ptr(a["core_learn"])
    x.stdp = <int64_t*>_ptr(a["stdp"])
    x.aoff = <int32_t*>_ptr(a["aoff"])
    x.rev_start = <int32_t*>_ptr(a["rev_start"])
    x.rev_len = <int32_t*>_ptr(a["rev_len"])
    x.rev_slot = <int64_t*>_ptr(a["rev_slot"])
    x.ax_wr = <int32_t*>_ptr(a["ax_wr"])
    x.ax_pl = <int32_t*>_ptr(a["ax_pl"])
    x.rev_gax = <int32_t*>_ptr(a["rev_gax"])
    # traces and flags only when some core learns (W1 has a million axons: no setup cost without)
    n_ax = int(a["n_axons"]) if x.learn else 1
    n_tr = n_rows if x.learn else 1
    x.ytr = <int64_t*>_ptr(z("ytr", n_tr, np.int64))
    x.xtr = <int64_t*>_ptr(z("xtr", n_ax, np.int64))
    x.arr = <uint8_t*>_ptr(z("arr", n_ax, np.uint8))
    x.spk = <uint8_t*>_ptr(z("spk", n_tr, np.uint8))
    x.si_wr = <int64_t*>_ptr(z("si_wr", NC, np.int64))
    x.c_wwrites = x.cc + CC_SYNAPSE_WORD_WRITES * NC
    x.c_wupd = x.cc + CC_WEIGHT_UPDATES * NC
    x.c_rev = x.cc + CC_REVERSE_READS * NC
    x.c_post = x.cc + CC_POST_LOOKUPS * NC
    x.c_trace = x.cc + CC_TRACE_UPDATES * NC
    x.c_lcyc = x.cc + CC_LEARNING_CYCLES * NC
    x.c_pend_sets = x.cc + CC_PENDING_SETS * NC
    x.c_scans = x.cc + CC_NU_SCAN_CYCLES * NC
    # the cores whose neurons this kernel updates (a partition of a system: its chips' cores)
    own = np.ascontiguousarray(a["own"] if "own" in a else np.arange(NC), dtype=np.int32)
    st["own"] = own
    x.n_own = int(own.size)
    x.own = <int32_t*>_ptr(own)
    x.sys = sys_
    if sys_:
        _setup_links(x, a, st, z)


cdef object _setup_links(Ctx* x, dict a, dict st, object z):
    """The system tables: router and core coordinates (computed XY routes), the links, their
    rings and the export buffer (docs/engine.md "Systems")."""
    cdef int NL = a["NL"]
    for name in ("rX", "rY", "kcx", "kcy", "LKO", "LKI", "lk_dstf"):
        st[name] = np.ascontiguousarray(a[name], dtype=np.int32)
    for name in ("lk_L", "lk_Lc", "lk_k"):
        st[name] = np.ascontiguousarray(a[name], dtype=np.int64)
    for name in ("lk_rx", "lk_tx"):
        st[name] = np.ascontiguousarray(a[name], dtype=np.uint8)
    x.rX = <int32_t*>_ptr(st["rX"])
    x.rY = <int32_t*>_ptr(st["rY"])
    x.kcx = <int32_t*>_ptr(st["kcx"])
    x.kcy = <int32_t*>_ptr(st["kcy"])
    x.LKO = <int32_t*>_ptr(st["LKO"])
    x.LKI = <int32_t*>_ptr(st["LKI"])
    x.lk_dstf = <int32_t*>_ptr(st["lk_dstf"])
    x.lk_L = <int64_t*>_ptr(st["lk_L"])
    x.lk_Lc = <int64_t*>_ptr(st["lk_Lc"])
    x.lk_k = <int64_t*>_ptr(st["lk_k"])
    x.lk_rx = <uint8_t*>_ptr(st["lk_rx"])
    x.lk_tx = <uint8_t*>_ptr(st["lk_tx"])
    x.lkB = a["lkB"]
    x.lk_cr = <int64_t*>_ptr(z("lk_cr", NL, np.int64, a["lkB"]))        # credits start full
    x.lk_free = <int64_t*>_ptr(z("lk_free", NL, np.int64))
    x.lk_pt = <int64_t*>_ptr(z("lk_pt", NL * x.lkB, np.int64))
    x.lk_pf = <int64_t*>_ptr(z("lk_pf", NL * x.lkB, np.int64))
    x.lk_ph = <int32_t*>_ptr(z("lk_ph", NL, np.int32))
    x.lk_pn = <int32_t*>_ptr(z("lk_pn", NL, np.int32))
    x.lk_ct = <int64_t*>_ptr(z("lk_ct", NL * x.lkB, np.int64))
    x.lk_ch = <int32_t*>_ptr(z("lk_ch", NL, np.int32))
    x.lk_cn = <int32_t*>_ptr(z("lk_cn", NL, np.int32))
    x.lk_act = <int32_t*>_ptr(z("lk_act", NL, np.int32))
    x.lk_act_n = 0
    x.lk_inact = <uint8_t*>_ptr(z("lk_inact", NL, np.uint8))
    x.ex_cap = int(a["ex_cap"])
    x.ex = <int64_t*>_ptr(z("ex", 3 * x.ex_cap, np.int64))
    x.n_ex = 0


cdef dict _state_out(Ctx* x, dict st):
    """The counters a run accumulated in the kernel's state: core counters, per-FIFO pops,
    blocked-cycle sums and maximum occupancies, multicast per-input counts, core FIFO maxima."""
    cdef int NC = x.NC
    out = {"core_counters": st["cc"][:N_CORE_COUNTERS * NC].reshape(N_CORE_COUNTERS, NC).copy(),
           "si_writes": st["si_wr"][:NC].copy()}
    NRT = x.NR if x.gen else NC
    recs = st["fr"][:NRT * 8 << x.LS].reshape(NRT, 8, 1 << x.LS)[:, :x.P, :]
    if x.gen:
        for nm in ("mcl", "mcd", "mcp"):
            out[nm] = st[nm][:NRT * 8].reshape(NRT, 8)[:, :x.P].copy()
    out["necyc"] = recs[:, :, 1].view(np.int64).copy()
    out["mo"] = (recs[:, :, 0] >> np.uint64(KFIFO_MAX_OCC_SHIFT)).astype(np.int64)
    out["pops"] = (recs[:, :, 0] & np.uint64((1 << int(KFIFO_POPS_BITS)) - 1)).astype(np.int64)
    out["mo_core"] = st["mo_core"][:NC].copy()
    return out


def run_fast(dict a, int64_t steps, object progress=None, bint want_state=False):
    """Run ``steps`` timesteps. ``a`` holds every array (exact dtypes, C-contiguous) and scalar
    built by neurocycle.sim._engine; returns a dict of raw result arrays. ``want_state`` adds
    ``out["state"]``: what the chip carries into the next timestep (neuron state, the current
    accumulator and pending banks, every output's round-robin pointer), read after the loop."""
    cdef Ctx x
    cdef int NC = a["NC"], D = a["D"], DC = a["DC"], n_rows = a["n_rows"]
    cdef int64_t barrier = a["barrier"], T = 0, Q, host_total = 0
    cdef int t, n_sp
    cdef int64_t n_host, h0
    cdef int64_t lam
    cdef int nb1
    cdef cnp.ndarray step_cycles = np.zeros(steps, np.int64)
    cdef cnp.ndarray host_off = a["host_off"], host_fl = a["host_fl"], step_bound = a["step_bound"]
    cdef int64_t* sbound = <int64_t*>_ptr(step_bound)
    cdef int64_t watchdog_step = -1
    cdef int64_t* hoff = <int64_t*>_ptr(host_off)
    cdef int64_t* hfl = <int64_t*>_ptr(host_fl)
    cdef int64_t* stc = <int64_t*>_ptr(step_cycles)
    cdef cnp.ndarray sprow_a, spcyc_a, sppay_a, host_pay
    cdef int64_t* hpay

    st = {}   # kernel-owned state, kept alive by this dict
    _setup(&x, a, st)
    sprow_a, spcyc_a, sppay_a = st["sprow"], st["spcyc"], st["sppay"]
    host_pay = a["host_pay"]
    hpay = <int64_t*>_ptr(host_pay)

    sp_rows, sp_cycles, sp_pay, sp_counts = [], [], [], np.zeros(steps, np.int64)
    for t in range(steps):
        with nogil:
            n_sp = x.lif(&x)
            h0 = hoff[t]
            n_host = hoff[t + 1] - hoff[t]
            if x.gen:
                Q = _run_step_gen(&x, T, n_sp, hfl + h0, n_host, &host_total, sbound[t])
            else:
                Q = _run_step(&x, T, n_sp, hfl + h0, n_host, &host_total, sbound[t])
        if Q < 0:
            watchdog_step = t
            break
        with nogil:
            lam = 0
            if x.general:
                _integrate_spikes(&x, n_sp, hfl + h0, hpay + h0, (x.host_ig + h0) if x.ig_off != NULL else NULL, n_host)
                if x.learn:
                    lam = _learn(&x, n_sp)         # the learning phase: L = Q + lam
            stc[t] = Q + lam + barrier - T
            T = Q + lam + barrier
            # barrier: the ring advances (with two banks: acc and pending banks swap)
            x.bank_cur = x.bank_cur + 1 if x.bank_cur + 1 < x.nbank else 0
            nb1 = x.bank_cur + 1 if x.bank_cur + 1 < x.nbank else 0
            x.acc_cur = x.acc_ring + <int64_t>x.bank_cur * x.n_rows
            x.acc_nxt = x.acc_ring + <int64_t>nb1 * x.n_rows
            x.pend_cur = x.pend_ring + <int64_t>x.bank_cur * x.n_rows
            x.pend_nxt = x.pend_ring + <int64_t>nb1 * x.n_rows
        if n_sp:
            sp_rows.append(sprow_a[:n_sp].copy())
            # cycles relative to the timestep's start (stc[t] before it): 32 bits unless the
            # timestep is longer than 2^31 cycles
            rel = spcyc_a[:n_sp] - (T - stc[t])
            sp_cycles.append(rel.astype(np.int32) if stc[t] < (1 << 31) else rel)
            if x.PB:
                sp_pay.append(sppay_a[:n_sp].copy())
            sp_counts[t] = n_sp
        if progress is not None:
            progress(t)

    out = _state_out(&x, st)
    out["host_flits"] = host_total
    out["watchdog_step"] = watchdog_step
    out["step_cycles"] = step_cycles
    # the spikes as one piece per timestep with spikes (rows int32, cycles relative to the
    # timestep's first cycle, payloads int64 on a graded chip): the driver assembles them into the
    # result piece by piece, freeing each
    out["spike_rows"] = sp_rows
    out["spike_cycles"] = sp_cycles
    out["spike_counts"] = sp_counts
    out["spike_payloads"] = sp_pay
    if want_state:
        out["state"] = _state_after(st, n_rows, x.NR, x.W, x.gen, x.P, x.nbank, x.bank_cur, x.learn)
    return out


def _state_after(dict st, int n_rows, int NR, int W, int gen, int P, int nbank, int bank_cur, int learn):
    """The state at the start of the next timestep: the ring's banks from the current one on
    (``acc[j]`` = bank cur+j: the input of that timestep and, with delays, of the next ones),
    the STDP traces when some core learns. Round-robin pointers: on the general router path,
    byte r*8 + o of ``glast``; on the bit-parallel path, the pointer of output o of router
    (x, y) is the q whose plane LQ[o][q][y] has bit x set."""
    order = [(bank_cur + j) % nbank for j in range(nbank)]
    ring = st["acc"][:nbank * n_rows].reshape(nbank, n_rows)
    pring = st["pend"][:nbank * n_rows].reshape(nbank, n_rows)
    if gen:
        last = st["glast"][:NR * 8].reshape(NR, 8)[:, :P].astype(np.int64)
    else:
        lq = st["LQ"].reshape(5, 5, 64)
        k = np.arange(NR)
        bits = (lq[:, :, k // W] >> (k % W).astype(np.uint64)) & np.uint64(1)      # [o, q, router]
        last = np.argmax(bits, axis=1).T.astype(np.int64)                           # [router, o]
    out = {"u": st["u"][:n_rows].copy(), "v": st["v"][:n_rows].copy(), "ref": st["ref"][:n_rows].copy(),
           "acc": ring[order].copy(), "pend": pring[order].astype(bool), "last": last}
    if learn:
        out["x_trace"] = st["xtr"].copy()
        out["y_trace"] = st["ytr"][:n_rows].copy()
    return out


cdef class SysKernel:
    """A system of chips, or the part of one that a partition owns (docs/engine.md "Systems"):
    the general router path with chip-to-chip links on the system mesh, one timestep at a time
    and resumable within it. ``a`` is built by neurocycle.sim._system_engine; ``a["own"]`` lists
    the cores it updates, ``a["lk_rx"]`` / ``a["lk_tx"]`` the links whose receiver / sender it
    owns. Per timestep: :meth:`begin_step`, then :meth:`advance` until it reports quiescence
    (with the imports other partitions exported), then :meth:`end_step` with the Q the
    coordinator decided."""
    cdef Ctx x
    cdef dict st
    cdef dict a
    cdef int n_sp
    cdef int t
    cdef int host
    cdef int64_t host_total
    cdef int n_remote

    def __cinit__(self, dict a):
        self.a = a
        self.st = {}
        _setup(&self.x, a, self.st)
        self.host = int(a["host_owned"])
        self.host_total = 0
        self.n_remote = int(a["n_remote_links"])

    def begin_step(self, int t, int64_t T):
        """Timestep t starts at cycle T: the owned neurons are updated (the NUs' UPDATE cycles are
        known from here on) and the NUs and the host start. Returns the number of spikes."""
        cdef cnp.ndarray hoff = self.a["host_off"], hfl = self.a["host_fl"], bound = self.a["step_bound"]
        cdef int64_t* ho = <int64_t*>_ptr(hoff)
        cdef int64_t h0 = ho[t], n_host = (ho[t + 1] - ho[t]) if self.host else 0
        cdef int n_sp
        cdef int64_t* hp = (<int64_t*>_ptr(hfl)) + h0
        cdef int64_t b = (<int64_t*>_ptr(bound))[t]
        with nogil:
            n_sp = self.x.lif(&self.x)
            _sys_begin(&self.x, T, n_sp, hp, n_host, b)
        self.n_sp = n_sp
        self.t = t
        return n_sp

    def advance(self, int64_t c_end, cnp.ndarray imports=None):
        """Run the timestep up to cycle ``c_end`` (exclusive) or to quiescence, after adding
        ``imports`` (int64 [n, 3]: link | kind << 32, cycle, flit; kind 0 = a flit arriving on a
        link this kernel receives, 1 = a credit of a link it sends on). Returns
        ``(status, q, next, exports)``: status 1 = quiescent since cycle q, 0 = still working at
        c_end (next: the first cycle >= c_end at which it has anything to do, -1 if it only
        waits for imports), -1 = the watchdog; exports as imports are laid out."""
        cdef int i, n, l, kind, status
        cdef int64_t q = -1, nxt = -1, t
        cdef int64_t[:, ::1] imp
        if imports is not None and imports.shape[0]:
            imp = imports
            n = imports.shape[0]
            for i in range(n):
                l = <int>(imp[i, 0] & 0xFFFFFFFF)
                kind = <int>(imp[i, 0] >> 32)
                if imp[i, 1] < self.x.c:
                    raise AssertionError(f"import for cycle {imp[i, 1]} reached a partition already at cycle "
                                         f"{self.x.c}: the window is longer than the links' latency")
                if kind == 0:
                    _lk_arrive(&self.x, l, imp[i, 1], imp[i, 2])
                else:
                    _lk_credit(&self.x, l, imp[i, 1])
        if self.n_remote:
            need = 2 * self.n_remote * max(1, min(c_end - self.x.c, 1 << 30)) + 2
            if need > self.x.ex_cap:
                if c_end - self.x.c > (1 << 24):
                    raise AssertionError("a partition with remote links advanced without a window")
                arr = np.zeros(3 * need, np.int64)
                self.st["ex"] = arr
                self.x.ex = <int64_t*>_ptr(arr)
                self.x.ex_cap = need
        self.x.n_ex = 0
        with nogil:
            status = _run_sys(&self.x, c_end)
            if status == 1:
                q = _sys_quiet(&self.x)
            elif status == 0:
                if self.x.in_flight or self.x.n_nu or self.x.host_state != H_DONE:
                    nxt = c_end
                else:
                    nxt = _links_next(&self.x)
                    if self.x.heap_n > 0:
                        t = self.x.heap[0] >> TIMER_CYCLE_SHIFT
                        if nxt < 0 or t < nxt:
                            nxt = t
        ex = self.st["ex"][:3 * self.x.n_ex].reshape(-1, 3).copy()
        return status, q, nxt, ex

    def spikes(self):
        """(rows, cycles, payloads) of the owned neurons that spiked in the current timestep."""
        n = self.n_sp
        return (self.st["sprow"][:n].copy(), self.st["spcyc"][:n].copy(),
                self.st["sppay"][:n].copy() if self.x.PB else np.zeros(0, np.int64))

    def end_step(self, cnp.ndarray rows=None, cnp.ndarray pays=None):
        """After the system's quiescence: the general path integrates the synapses of the
        timestep's spikes (with payloads and delays, depressing plastic weights), the learning
        phase runs (docs/microarchitecture.md §11.2, after the SYSTEM's quiescence, §12.4), and at
        the barrier the accumulator ring advances. ``rows`` / ``pays`` are then every spike of the
        system in row order: a partition integrates and learns them all (its copy of every
        synapse record, trace and weight stays identical to the other partitions'; only its own
        rows are ever read by its NUs, and only its own cores' counters are reported). Returns
        Λ_t, the learning phase's cycles (0 unless some core learns); the next timestep starts
        at Q + Λ_t + barrier (begin_step)."""
        cdef cnp.ndarray hoff = self.a["host_off"], hfl = self.a["host_fl"], hpay = self.a["host_pay"]
        cdef int64_t* ho = <int64_t*>_ptr(hoff)
        cdef int t = self.t, n_all, nb1
        cdef int64_t h0 = ho[t], n_host = ho[t + 1] - ho[t]
        cdef int64_t* hf
        cdef int64_t* hq
        cdef int64_t lam = 0
        cdef Ctx* x = &self.x
        if self.host:
            self.host_total += n_host
        _flush_log(&self.x)
        if self.x.general:
            n_all = self.n_sp
            if rows is not None:
                n_all = rows.shape[0]
                self.st["sprow"][:n_all] = rows
                self.st["sppay"][:n_all] = pays
            hf = (<int64_t*>_ptr(hfl)) + h0
            hq = (<int64_t*>_ptr(hpay)) + h0
            with nogil:
                _integrate_spikes(&self.x, n_all, hf, hq, (self.x.host_ig + h0) if self.x.ig_off != NULL else NULL,
                                  n_host)
                if self.x.learn:
                    lam = _learn(&self.x, n_all)
        # barrier: the ring advances (with two banks: acc and pending banks swap)
        x.bank_cur = x.bank_cur + 1 if x.bank_cur + 1 < x.nbank else 0
        nb1 = x.bank_cur + 1 if x.bank_cur + 1 < x.nbank else 0
        x.acc_cur = x.acc_ring + <int64_t>x.bank_cur * x.n_rows
        x.acc_nxt = x.acc_ring + <int64_t>nb1 * x.n_rows
        x.pend_cur = x.pend_ring + <int64_t>x.bank_cur * x.n_rows
        x.pend_nxt = x.pend_ring + <int64_t>nb1 * x.n_rows
        return lam

    def weights(self):
        """The weight of every slot of this kernel's copy of the synapse memory (``a["syn"]``, which
        the learning updates in place; flattened, in the program's slot order), or None when no
        core learns."""
        if not self.x.learn:
            return None
        return self.a["syn"]["weight"][:int(self.a["n_slots"])].astype(np.int64)

    def results(self):
        """Every counter this kernel accumulated for its own cores, routers and FIFOs (zero
        elsewhere: a partition learns for every core, see end_step, but reports only its own)."""
        out = _state_out(&self.x, self.st)
        other = np.ones(self.x.NC, bool)
        other[self.st["own"][:self.x.n_own]] = False
        out["core_counters"][:, other] = 0
        out["si_writes"][other] = 0
        out["host_flits"] = self.host_total
        out["lk_cr"] = self.st["lk_cr"][:self.a["NL"]].copy()
        return out
