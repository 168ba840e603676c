"""cocotb: nc_router against a Python model written from docs/microarchitecture.md §4."""
import json
import os
import random
from collections import deque

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, Timer

from neurocycle.hw import ROUTER_COUNTERS, layout
from neurocycle.rtl import defs

D = defs()
P = json.loads(os.environ["NC_TB_PARAMS"])          # the DUT's parameters (set by test_nc_router.py)
WIDTHS = {"axon_bits": P["AXON_BITS"], "y_bits": P["Y_BITS"], "x_bits": P["X_BITS"], "payload_bits": P.get("PAYLOAD_BITS", 0)}
FB = P["FLIT_BITS"]
L, N, E, S, W = (layout.PORTS.index(p) for p in "LNESW")
CNT = P["CNT_BITS"]


def flit(x, y, axon):
    return int(layout.CHIP_FLIT.pack(WIDTHS, axon=axon, dst_y=y, dst_x=x))


def route(f, mx, my):
    x, y = (int(layout.CHIP_FLIT.unpack(f, k, WIDTHS)) for k in ("dst_x", "dst_y"))
    if x > mx:
        return E
    if x < mx:
        return W
    if y > my:
        return S
    if y < my:
        return N
    return L


class Model:
    def __init__(self, depth, mx, my):
        self.d, self.mx, self.my = depth, mx, my
        self.q = [deque() for _ in range(5)]
        self.last = [4] * 5
        self.port_flits = [0] * 5
        self.blocked = [0] * 5
        self.maxocc = [0] * 5
        self.local = 0          # output L granted to input L

    def decide(self, out_full):
        """Grants of this cycle {output: input}, from the start-of-cycle state."""
        g = {}
        for o in range(5):
            if out_full[o]:
                continue
            for k in range(1, 6):
                p = (self.last[o] + k) % 5
                if self.q[p] and route(self.q[p][0], self.mx, self.my) == o:
                    g[o] = p
                    break
        return g

    def apply(self, g, pushes):
        for o, p in g.items():
            self.q[p].popleft()
            self.last[o] = p
            self.port_flits[o] += 1
            self.local += o == 0 and p == 0
        for p, f in pushes.items():
            self.q[p].append(f)
        for p in range(5):
            self.maxocc[p] = max(self.maxocc[p], len(self.q[p]))


async def setup(dut, mx, my):
    Clock(dut.clk, 10, unit="ns").start()
    dut.rst.value = 1
    dut.in_push.value = 0
    dut.in_flit.value = 0
    dut.out_full.value = 0
    dut.my_x.value = mx
    dut.my_y.value = my
    await FallingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.rst.value = 0


def field(v, i, bits):
    return (int(v) >> (i * bits)) & ((1 << bits) - 1)


async def one_cycle(dut, m, pushes, out_full, tag):
    """Drive one cycle (we are just after a falling edge) and check it against the model."""
    assert all(not field(dut.in_full.value, p, 1) for p in pushes), "test drove a push into a full FIFO"
    for p in range(5):
        assert field(dut.in_full.value, p, 1) == (len(m.q[p]) == m.d), f"{tag}: in_full[{p}]"
        assert field(dut.fifo_count.value, p, P["OCC_BITS"]) == len(m.q[p]), f"{tag}: fifo_count[{p}]"
    dut.in_push.value = sum(1 << p for p in pushes)
    dut.in_flit.value = sum(f << (p * FB) for p, f in pushes.items())
    dut.out_full.value = sum(1 << o for o in range(5) if out_full[o])
    await Timer(1, unit="ns")
    g = m.decide(out_full)
    got = {o: field(dut.out_flit.value, o, FB) for o in range(5) if field(dut.out_push.value, o, 1)}
    want = {o: m.q[p][0] for o, p in g.items()}
    assert got == want, f"{tag}: grants {got} != model {want} (last={m.last})"
    granted = set(g.values())
    for p in range(5):
        if m.q[p] and p not in granted:
            m.blocked[p] += 1
    m.apply(g, pushes)
    await FallingEdge(dut.clk)


async def check_counters(dut, m):
    pf = [field(dut.cnt_port_flits.value, o, CNT) for o in range(5)]
    pb = [field(dut.cnt_port_blocked.value, p, CNT) for p in range(5)]
    assert pf == m.port_flits, (pf, m.port_flits)
    assert pb == m.blocked, (pb, m.blocked)
    bank = {name: field(dut.cnt.value, D[f"RC_{name.upper()}"], CNT) for name in ROUTER_COUNTERS}
    assert bank["router_flits"] == sum(m.port_flits)
    assert bank["link_flits"] == sum(m.port_flits[1:])
    assert bank["router_blocked_cycles"] == sum(m.blocked)
    assert bank["link_flits_ew"] == m.port_flits[2] + m.port_flits[4]
    assert bank["link_flits_ns"] == m.port_flits[1] + m.port_flits[3]
    assert bank["local_flits"] == m.local
    assert [field(dut.fifo_max.value, p, P["OCC_BITS"]) for p in range(5)] == m.maxocc


@cocotb.test()
async def router_xy_table(dut):
    """Router (1,1) of a 4x4 mesh: x first, then y; own tile -> L."""
    await setup(dut, 1, 1)
    m = Model(None, 1, 1)
    expect = {(2, 0): E, (3, 3): E, (0, 3): W, (0, 0): W, (1, 3): S, (1, 2): S, (1, 0): N, (1, 1): L}
    for (x, y), port in expect.items():
        dut.in_push.value = 1 << N
        dut.in_flit.value = flit(x, y, 5) << (N * FB)
        await FallingEdge(dut.clk)            # flit enters the N FIFO
        dut.in_push.value = 0
        await Timer(1, unit="ns")
        assert int(dut.out_push.value) == 1 << port, f"dst ({x},{y}): out_push {int(dut.out_push.value):05b}"
        assert field(dut.out_flit.value, port, FB) == flit(x, y, 5)
        await FallingEdge(dut.clk)
    del m


@cocotb.test()
async def router_round_robin(dut):
    """All five inputs want E while E is blocked; then grants go L, N, E, S, W (pointer starts
    at W), one per cycle, and the blocked cycles are counted per input."""
    await setup(dut, 1, 1)
    m = Model(2, 1, 1)
    pushes = {p: flit(3, p % 4, p) for p in range(5)}
    await one_cycle(dut, m, pushes, [0, 0, 1, 0, 0], "fill")
    for c in range(3):                         # E stays full: nobody moves, pointer stays
        await one_cycle(dut, m, {}, [0, 0, 1, 0, 0], f"blocked {c}")
    order = []
    for c in range(5):
        before = [len(q) for q in m.q]
        await one_cycle(dut, m, {}, [0] * 5, f"drain {c}")
        order += [p for p in range(5) if len(m.q[p]) < before[p]]
    assert order == [L, N, E, S, W], order
    # 3 cycles behind a full E for everyone, then input p waits p more cycles for its turn
    assert m.blocked == [3, 4, 5, 6, 7], m.blocked
    await check_counters(dut, m)


@cocotb.test()
async def router_random(dut):
    """Random traffic, random positions, random downstream backpressure, ~4000 cycles."""
    rng = random.Random(11)
    for mx, my in [(1, 2), (0, 0), (3, 3)]:
        dut.rst.value = 1
        await setup(dut, mx, my)
        depth = P["FIFO_DEPTH"]
        m = Model(depth, mx, my)
        for c in range(1400):
            p_push = 0.5 if (c // 300) % 2 else 0.9
            pushes = {}
            for p in range(5):
                if len(m.q[p]) < depth and rng.random() < p_push:
                    pushes[p] = flit(rng.randrange(4), rng.randrange(4), rng.randrange(8))
            out_full = [rng.random() < 0.3 for _ in range(5)]
            await one_cycle(dut, m, pushes, out_full, f"({mx},{my}) cycle {c}")
        await check_counters(dut, m)
        assert sum(m.blocked) > 100 and sum(m.port_flits) > 1000
