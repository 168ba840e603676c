"""cocotb: nc_core with hand-derived cycle timelines (docs/microarchitecture.md §5)."""
import random

import numpy as np

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, Timer

from neurocycle.hw import CORE_COUNTERS, lif_step
from neurocycle.rtl import defs

D = defs()
LANES = 3
CC = list(CORE_COUNTERS)      # the core counter bank, in declared order


class Core:
    def __init__(self, dut):
        self.dut = dut
        self.cycle = 0

    async def init(self):
        dut = self.dut
        Clock(dut.clk, 10, unit="ns").start()
        for s in ("bus_we", "bus_sel", "bus_index", "bus_field", "bus_wdata", "start", "swap", "cycle",
                  "in_push", "in_flit", "out_full"):
            getattr(dut, s).value = 0
        dut.bus_rd.value = 1          # read-back enabled throughout (the chip gates it with paused)
        dut.rst.value = 1
        await FallingEdge(dut.clk)
        dut.rst.value = 0
        await FallingEdge(dut.clk)

    async def w(self, sel, index, field, data):
        dut = self.dut
        dut.bus_sel.value, dut.bus_index.value, dut.bus_field.value = sel, index, field
        dut.bus_wdata.value = data & 0xFFFFFFFF
        dut.bus_we.value = 1
        await FallingEdge(dut.clk)
        dut.bus_we.value = 0

    async def peek(self, sel, index, field=0):
        """Combinational read within the current cycle (advances 1 ns, stays in the cycle)."""
        dut = self.dut
        dut.bus_sel.value, dut.bus_index.value, dut.bus_field.value = sel, index, field
        await Timer(1, unit="ns")
        v = int(dut.bus_rdata.value)
        return v - (1 << 64) if v >> 63 else v

    async def r(self, sel, index, field=0):
        """Read, then wait for the next falling edge (one clock per read, like the host)."""
        v = await self.peek(sel, index, field)
        await FallingEdge(self.dut.clk)
        return v

    async def state(self):
        s = await self.peek(D["SEL_CORE"], D["CORE_STATE"])
        return {"nu": s & 3, "si_busy": (s >> 2) & 1, "fifo": (s >> 8) & 0x7F}

    async def counters(self):
        return {n: await self.r(D["SEL_CORE"], D["CORE_CNT"] + i) for i, n in enumerate(CC)}

    async def tick(self, push_flit=None, out_full=0):
        """One chip cycle: drive inputs, return the combinational outputs of this cycle."""
        dut = self.dut
        dut.cycle.value = self.cycle
        dut.in_push.value = int(push_flit is not None)
        dut.in_flit.value = push_flit or 0
        dut.out_full.value = out_full
        st = await self.state()
        out = (int(dut.out_push.value), int(dut.out_flit.value), int(dut.in_full.value), int(dut.quiet.value))
        await FallingEdge(dut.clk)
        dut.in_push.value = 0
        self.cycle += 1
        return st, out


@cocotb.test()
async def core_si_timing(dut):
    c = Core(dut)
    await c.init()
    # axon 0: 7 synapses = 3 words of 3 lanes (last word has 1 valid slot), axon 1: none,
    # axon 2: one word whose lanes hit targets 1, 1, 2 (merged into two accumulator writes)
    syn = {0: [(0, 1), (1, 2), (2, 3)], 1: [(3, 4), (0, -5), (1, 6)], 2: [(2, 7), None, None],
           3: [(1, 5), (1, -3), (2, 4)]}
    for word, slots in syn.items():
        for lane, s in enumerate(slots):
            await c.w(D["SEL_SYN"], word, 2 * lane, 0 if s is None else s[1])
            await c.w(D["SEL_SYN"], word, 2 * lane + 1, 0 if s is None else (1 << 31) | s[0])
    for a, (base, n) in enumerate([(0, 7), (0, 0), (3, 3), (0, 0)]):
        await c.w(D["SEL_AXON"], a, 0, base)
        await c.w(D["SEL_AXON"], a, 1, n)
    for i in range(4):
        for f in ("NF_ACC0", "NF_ACC1"):
            await c.w(D["SEL_NEURON"], i, D[f], 0)
    assert await c.r(D["SEL_CORE"], D["CORE_CUR_BANK"]) == 0     # the SI writes bank 1 (nxt)
    # flits carry the axon in the low bits; the upper (x, y) bits are ignored by the core
    flits = [0b1100 << 2 | 0, 0b0011 << 2 | 1, 0b1111 << 2 | 2]
    timeline = []
    for k in range(12):
        push = flits[k] if k < 3 else None
        st, (op, of, in_full, quiet) = await c.tick(push)
        timeline.append((st["si_busy"], st["fifo"], in_full))
    # cycle 0: push a0. 1: pop a0 (lookup), push a1. 2..4: words of a0 (push a2 at 2, so the
    # FIFO holds 2 from cycle 3). 5: pop a1 (len 0). 6: pop a2. 7: its word. 8: idle, empty.
    want_busy = [0, 0, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0]
    want_fifo = [0, 1, 1, 2, 2, 2, 1, 0, 0, 0, 0, 0]
    assert [t[0] for t in timeline] == want_busy, timeline
    assert [t[1] for t in timeline] == want_fifo, timeline
    assert [t[2] for t in timeline] == [int(f == 2) for f in want_fifo]
    acc = [await c.r(D["SEL_NEURON"], i, D["NF_ACC1"]) for i in range(4)]
    assert acc == [1 - 5, 2 + 6 + 5 - 3, 3 + 7 + 4, 4], acc
    assert [await c.r(D["SEL_NEURON"], i, D["NF_ACC0"]) for i in range(4)] == [0, 0, 0, 0]
    cnt = await c.counters()
    assert cnt["axon_lookups"] == 3 and cnt["synapse_word_reads"] == 4 and cnt["synaptic_ops"] == 10
    assert cnt["si_busy_cycles"] == 7 and cnt["nu_busy_cycles"] == 0


@cocotb.test()
async def core_nu_timing(dut):
    c = Core(dut)
    await c.init()
    # profile 0 fires every update (bias >= vth, no refractory); profile 1 never fires
    prof = [[0, 0, 100, 50, -7, 0, 0], [4095, 1, -3, 2047, 0, 2, 3]]
    for p, fields in enumerate(prof):
        for f, val in enumerate(fields):
            await c.w(D["SEL_PROFILE"], p, f, val)
    # neuron 0: fires, 2 fan-out flits; 1: quiet; 2: fires, 1 flit; 3: not placed
    neurons = [(0, 0, 2), (1, 0, 0), (0, 5, 1)]
    fo = {0: 0x11, 1: 0x22, 5: 0x35}
    for e, f in fo.items():
        await c.w(D["SEL_FANOUT"], e, 0, f)
    for i, (p, base, n) in enumerate(neurons):
        for f, val in (("NF_PROFILE", p), ("NF_FO_BASE", base), ("NF_FO_LEN", n), ("NF_U", 0), ("NF_V", 0),
                       ("NF_REF", 0), ("NF_ACC0", 0), ("NF_ACC1", 0)):
            await c.w(D["SEL_NEURON"], i, D[f], val)
    await c.w(D["SEL_NEURON"], 1, D["NF_ACC0"], -9)       # input of neuron 1 this timestep (cur = 0)
    await c.w(D["SEL_CORE"], D["CORE_N_USED"], 0, 3)
    assert (await c.r(D["SEL_CORE"], D["CORE_STATE"])) & 3 == 0 and int(dut.quiet.value) == 1
    # start edge: the next cycle (c.cycle) is T_0
    dut.start.value = 1
    await FallingEdge(dut.clk)
    dut.start.value = 0
    T0 = c.cycle
    full = {2}                                   # the L FIFO is full at the start of cycle T0+2
    log = []
    for k in range(9):
        st, (op, of, _, quiet) = await c.tick(out_full=int(k in full))
        log.append((st["nu"], op, of if op else None, quiet))
    U, P, DN = 1, 2, 0
    # T0: U(0) fires -> T0+1: push 0x11 -> T0+2: stalled -> T0+3: push 0x22 -> T0+4: U(1)
    # -> T0+5: U(2) fires -> T0+6: push 0x35 -> T0+7: done
    want = [(U, 0, None, 0), (P, 1, 0x11, 0), (P, 0, None, 0), (P, 1, 0x22, 0), (U, 0, None, 0), (U, 0, None, 0),
            (P, 1, 0x35, 0), (DN, 0, None, 1), (DN, 0, None, 1)]
    assert log == want, log
    assert await c.r(D["SEL_CORE"], D["CORE_TRACE_COUNT"]) == 2
    assert [await c.r(D["SEL_TRACE"], j, 0) for j in range(2)] == [0, 2]
    assert [await c.r(D["SEL_TRACE"], j, 1) for j in range(2)] == [T0, T0 + 5]
    # state written back, exactly as the specification computes it
    one = lambda v: np.array([v], np.int64)  # noqa: E731
    for i, I in ((0, 0), (1, -9), (2, 0)):
        pr = prof[neurons[i][0]]
        u2, v2, r2, sp = lif_step(one(0), one(0), one(0), one(I), *(one(x) for x in pr), 12)
        got = [await c.r(D["SEL_NEURON"], i, D[f]) for f in ("NF_U", "NF_V", "NF_REF")]
        assert got == [int(u2[0]), int(v2[0]), int(r2[0])], (i, got)
        assert await c.r(D["SEL_NEURON"], i, D["NF_ACC0"]) == 0          # cleared by the NU
    cnt = await c.counters()
    assert cnt["spikes"] == 2 and cnt["fanout_flits"] == 3 and cnt["nu_stall_cycles"] == 1
    assert cnt["nu_busy_cycles"] == 3 + 3
    assert cnt["neuron_updates_active"] + cnt["neuron_updates_inactive"] == 3
    assert cnt["neuron_updates_active"] == 3      # all three changed state (u or v or ref)
    # swap: the NU now reads bank 1
    dut.swap.value = 1
    await FallingEdge(dut.clk)
    dut.swap.value = 0
    assert await c.r(D["SEL_CORE"], D["CORE_CUR_BANK"]) == 1


@cocotb.test()
async def core_readback(dut):
    """Every host-writable table reads back what was written (sign-extended where signed)."""
    c = Core(dut)
    await c.init()
    rng = random.Random(1)
    checks = []
    for p in range(2):
        vals = [rng.randrange(4096), rng.randrange(4096), rng.randint(-2048, 2047), rng.randint(-2048, 2047),
                rng.randint(-2048, 2047), rng.randrange(8), rng.randrange(8)]
        for f, v in enumerate(vals):
            checks.append((D["SEL_PROFILE"], p, f, v))
    for i in range(4):
        for f, v in (("NF_PROFILE", rng.randrange(2)), ("NF_FO_BASE", rng.randrange(8)), ("NF_FO_LEN", 8),
                     ("NF_U", -2048), ("NF_V", 2047), ("NF_REF", 7), ("NF_ACC0", -8192), ("NF_ACC1", 8191)):
            checks.append((D["SEL_NEURON"], i, D[f], v))
    for a in range(4):
        checks += [(D["SEL_AXON"], a, 0, rng.randrange(16)), (D["SEL_AXON"], a, 1, 48)]
    for word in range(16):
        for lane in range(LANES):
            checks += [(D["SEL_SYN"], word, 2 * lane, rng.randint(-32, 31)),
                       (D["SEL_SYN"], word, 2 * lane + 1, (rng.randrange(2) << 31) | rng.randrange(4))]
    for e in range(8):
        checks.append((D["SEL_FANOUT"], e, 0, rng.randrange(64)))
    for sel, idx, f, v in checks:
        await c.w(sel, idx, f, v)
    for sel, idx, f, v in checks:
        got = await c.r(sel, idx, f)
        assert got == v, (sel, idx, f, got, v)
    # out-of-range writes are dropped, reads return 0
    await c.w(D["SEL_AXON"], 4, 0, 9)
    assert await c.r(D["SEL_AXON"], 4, 0) == 0
