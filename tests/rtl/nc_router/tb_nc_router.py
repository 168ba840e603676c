"""cocotb: nc_router against a Python model written from docs/microarchitecture.md §4:
unicast XY over core columns, key-table multicast with default routes, asynchronous
replication (the `done` outputs of a head), P = CORES + 4 ports."""
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
WIDTHS = {"axon_bits": P["AXON_BITS"], "y_bits": P["Y_BITS"], "x_bits": P["X_BITS"], "mc_bits": P["MC_BITS"],
          "payload_bits": P.get("PAYLOAD_BITS", 0)}
FB = P["FLIT_BITS"]
C = P["CORES"]
NP = C + 4
ENTRIES = P["MC_ENTRIES"]
L, N, E, S, W = (layout.PORTS.index(p) for p in "LNESW")
CNT = P["CNT_BITS"]
LPORT = [layout.local_port(j) for j in range(C)]
DEFAULT = {N: 1 << S, S: 1 << N, E: 1 << W, W: 1 << E}


def flit(cx, y, axon, mc=0, payload=0):
    vals = dict(axon=axon, dst_y=y, dst_x=cx)
    if P["MC_BITS"]:
        vals["mc"] = mc
    if WIDTHS["payload_bits"]:
        vals["payload"] = payload
    return int(layout.CHIP_FLIT.pack(WIDTHS, **vals))


def with_payload(f, rng):
    """``f`` with a random payload on top (graded chips): the router carries it and never reads it."""
    pb = WIDTHS["payload_bits"]
    return f | (rng.randrange(1 << pb) << (FB - pb)) if pb else f


ROUTE_BITS = P["AXON_BITS"] + P["Y_BITS"] + P["X_BITS"]      # the key: the route without mc and payload


def key_of(f):
    return f & ((1 << ROUTE_BITS) - 1)


def is_mc(f):
    return P["MC_BITS"] and (f >> ROUTE_BITS) & 1


class Model:
    def __init__(self, depth, mx, my, table=None):
        self.d, self.mx, self.my = depth, mx, my
        self.table = table or {}
        self.q = [deque() for _ in range(NP)]
        self.done = [0] * NP
        self.last = [NP - 1] * NP
        self.port_flits = [0] * NP
        self.blocked = [0] * NP
        self.maxocc = [0] * NP
        self.lookups = [0] * NP
        self.defaults = [0] * NP
        self.partial = [0] * NP
        self.local = 0          # a local output granted to a local input

    def route(self, p, f):
        """(outputs, default taken) of head f at input p."""
        if is_mc(f):
            k = key_of(f)
            if k in self.table:
                return self.table[k], False
            return DEFAULT.get(p, 0), True
        cx, y = (int(layout.CHIP_FLIT.unpack(f, k, WIDTHS)) for k in ("dst_x", "dst_y"))
        if cx >= (self.mx + 1) * C:
            return 1 << E, False
        if cx < self.mx * C:
            return 1 << W, False
        if y > self.my:
            return 1 << S, False
        if y < self.my:
            return 1 << N, False
        return 1 << LPORT[cx - self.mx * C], False

    def decide(self, out_full):
        """(grants {output: input}, pops {input}) of this cycle, from the start-of-cycle state;
        updates the done registers and the counters."""
        routes = [self.route(p, self.q[p][0]) if self.q[p] else (0, False) for p in range(NP)]
        want = [routes[p][0] & ~self.done[p] if self.q[p] else 0 for p in range(NP)]
        g, got = {}, [0] * NP
        for o in range(NP):
            if out_full[o]:
                continue
            for k in range(1, NP + 1):
                p = (self.last[o] + k) % NP
                if (want[p] >> o) & 1:
                    g[o] = p
                    got[p] |= 1 << o
                    break
        pops = set()
        for p in range(NP):
            if not self.q[p]:
                continue
            if want[p] & ~got[p] == 0:
                pops.add(p)
                if is_mc(self.q[p][0]):
                    self.lookups[p] += 1
                    self.defaults[p] += routes[p][1]
            else:
                self.blocked[p] += 1
                self.partial[p] += got[p] != 0
        return g, pops, got

    def apply(self, g, pops, got, pushes):
        for o, p in g.items():
            self.last[o] = p
            self.port_flits[o] += 1
            self.local += o in LPORT and p in LPORT
        for p in range(NP):
            if p in pops:
                self.q[p].popleft()
                self.done[p] = 0
            else:
                self.done[p] |= got[p]
        for p, f in pushes.items():
            self.q[p].append(f)
        for p in range(NP):
            self.maxocc[p] = max(self.maxocc[p], len(self.q[p]))


async def setup(dut, mx, my):
    Clock(dut.clk, 10, unit="ns").start()
    dut.rst.value = 1
    dut.in_push.value = 0
    dut.in_flit.value = 0
    dut.out_full.value = 0
    dut.tbl_we.value = 0
    dut.tbl_index.value = 0
    dut.tbl_field.value = 0
    dut.tbl_wdata.value = 0
    dut.my_x.value = mx
    dut.my_y.value = my
    await FallingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.rst.value = 0


async def load_table(dut, table):
    """Write every entry (valid ones from ``table``: key -> outputs), as the host does."""
    items = sorted(table.items())
    for e in range(ENTRIES):
        k, o = items[e] if e < len(items) else (0, None)
        for fld, val in ((0, k), (1, (1 << 31 | o) if o is not None else 0)):
            dut.tbl_we.value = 1
            dut.tbl_index.value = e
            dut.tbl_field.value = fld
            dut.tbl_wdata.value = val
            await FallingEdge(dut.clk)
    dut.tbl_we.value = 0
    for e, (k, o) in enumerate(items):          # read back
        dut.tbl_index.value = e
        dut.tbl_field.value = 1
        await Timer(1, unit="ns")
        assert int(dut.tbl_rdata.value) == (1 << 31 | o)
    await FallingEdge(dut.clk)


def field(v, i, bits):
    return (int(v) >> (i * bits)) & ((1 << bits) - 1)


async def one_cycle(dut, m, pushes, out_full, tag):
    """Drive one cycle (we are just after a falling edge) and check it against the model."""
    assert all(not field(dut.in_full.value, p, 1) for p in pushes), "test drove a push into a full FIFO"
    for p in range(NP):
        assert field(dut.in_full.value, p, 1) == (len(m.q[p]) == m.d), f"{tag}: in_full[{p}]"
        assert field(dut.fifo_count.value, p, P["OCC_BITS"]) == len(m.q[p]), f"{tag}: fifo_count[{p}]"
    dut.in_push.value = sum(1 << p for p in pushes)
    dut.in_flit.value = sum(f << (p * FB) for p, f in pushes.items())
    dut.out_full.value = sum(1 << o for o in range(NP) if out_full[o])
    await Timer(1, unit="ns")
    g, pops, got = m.decide(out_full)
    got_rtl = {o: field(dut.out_flit.value, o, FB) for o in range(NP) if field(dut.out_push.value, o, 1)}
    want = {o: m.q[p][0] for o, p in g.items()}
    assert got_rtl == want, f"{tag}: grants {got_rtl} != model {want} (last={m.last}, done={m.done})"
    m.apply(g, pops, got, pushes)
    await FallingEdge(dut.clk)


async def check_counters(dut, m):
    rd = lambda sig, bits: [field(sig.value, p, bits) for p in range(NP)]  # noqa: E731
    assert rd(dut.cnt_port_flits, CNT) == m.port_flits, (rd(dut.cnt_port_flits, CNT), m.port_flits)
    assert rd(dut.cnt_port_blocked, CNT) == m.blocked, (rd(dut.cnt_port_blocked, CNT), m.blocked)
    assert rd(dut.cnt_mc_lookups, CNT) == m.lookups
    assert rd(dut.cnt_mc_default, CNT) == m.defaults
    assert rd(dut.cnt_mc_partial, CNT) == m.partial
    bank = {name: field(dut.cnt.value, D[f"RC_{name.upper()}"], CNT) for name in ROUTER_COUNTERS}
    assert bank["router_flits"] == sum(m.port_flits)
    assert bank["link_flits"] == sum(m.port_flits[o] for o in (N, E, S, W))
    assert bank["router_blocked_cycles"] == sum(m.blocked)
    assert bank["mc_table_lookups"] == sum(m.lookups)
    assert bank["mc_default_routes"] == sum(m.defaults)
    assert bank["mc_partial_cycles"] == sum(m.partial)
    assert bank["link_flits_ew"] == m.port_flits[E] + m.port_flits[W]
    assert bank["link_flits_ns"] == m.port_flits[N] + m.port_flits[S]
    assert bank["local_flits"] == m.local
    assert rd(dut.fifo_max, P["OCC_BITS"]) == m.maxocc


@cocotb.test()
async def router_xy_table(dut):
    """Router (1,1) of a 4x4 mesh: x first, then y; own tile -> the local port of the core."""
    await setup(dut, 1, 1)
    expect = {(2 * C, 0): E, (3 * C, 3): E, (0, 3): W, (0, 0): W, (C, 3): S, (C, 2): S, (C, 0): N, (C, 1): L}
    expect.update({(C + j, 1): LPORT[j] for j in range(C)})
    for (cx, y), port in expect.items():
        dut.in_push.value = 1 << N
        dut.in_flit.value = flit(cx, y, 5) << (N * FB)
        await FallingEdge(dut.clk)            # flit enters the N FIFO
        dut.in_push.value = 0
        await Timer(1, unit="ns")
        assert int(dut.out_push.value) == 1 << port, f"dst ({cx},{y}): out_push {int(dut.out_push.value):b}"
        assert field(dut.out_flit.value, port, FB) == flit(cx, y, 5)
        await FallingEdge(dut.clk)


@cocotb.test()
async def router_round_robin(dut):
    """Every input wants E while E is blocked; then grants go L, N, E, S, W, L1 .. (pointer starts
    at P-1), one per cycle, and the blocked cycles are counted per input."""
    await setup(dut, 1, 1)
    m = Model(2, 1, 1)
    pushes = {p: flit(3 * C, p % 4, p) for p in range(NP)}
    full_e = [o == E for o in range(NP)]
    await one_cycle(dut, m, pushes, full_e, "fill")
    for c in range(3):                         # E stays full: nobody moves, pointer stays
        await one_cycle(dut, m, {}, full_e, f"blocked {c}")
    order = []
    for c in range(NP):
        before = [len(q) for q in m.q]
        await one_cycle(dut, m, {}, [0] * NP, f"drain {c}")
        order += [p for p in range(NP) if len(m.q[p]) < before[p]]
    assert order == list(range(NP)), order
    # 3 cycles behind a full E for everyone, then input p waits p more cycles for its turn
    assert m.blocked == [3 + p for p in range(NP)], m.blocked
    await check_counters(dut, m)


@cocotb.test()
async def router_multicast_partial(dut):
    """A multicast head for E and L: E full for 2 cycles while L is free. L gets its copy at
    once (a partial forward), E two cycles later, then the head pops; a key without an entry at
    the N input goes straight through to S (default route)."""
    if not P["MC_BITS"]:
        return
    await setup(dut, 1, 1)
    fk = flit(0, 0, 3, mc=1)
    table = {key_of(fk): (1 << E) | (1 << L)}
    await load_table(dut, table)
    m = Model(2, 1, 1, table)
    full_e = [o == E for o in range(NP)]
    await one_cycle(dut, m, {W: fk}, [0] * NP, "push")
    await one_cycle(dut, m, {}, full_e, "partial 1")     # L granted, E full
    await one_cycle(dut, m, {}, full_e, "partial 2")     # only E owed, still full
    await one_cycle(dut, m, {}, [0] * NP, "pop")
    assert m.partial[W] == 1 and m.blocked[W] == 2 and m.lookups[W] == 1 and not m.q[W]
    fd = flit(1, 2, 7, mc=1)                             # no entry: N -> S
    await one_cycle(dut, m, {N: fd}, [0] * NP, "push default")
    await one_cycle(dut, m, {}, [0] * NP, "default")
    assert m.port_flits[S] == 1 and m.defaults[N] == 1
    await check_counters(dut, m)


@cocotb.test()
async def router_random(dut):
    """Random unicast and multicast traffic, random positions, random downstream backpressure."""
    rng = random.Random(11)
    for mx, my in [(1, 2), (0, 0), (3, 3)]:
        dut.rst.value = 1
        await setup(dut, mx, my)
        table = {}
        if P["MC_BITS"]:
            while len(table) < ENTRIES - 1:                   # one entry left invalid
                k = key_of(flit(rng.randrange(4 * C), rng.randrange(4), rng.randrange(8), mc=1))
                table[k] = rng.randrange(1, 1 << NP)
            await load_table(dut, table)
        keys = sorted(table)
        depth = P["FIFO_DEPTH"]
        m = Model(depth, mx, my, table)
        for c in range(1400):
            p_push = 0.5 if (c // 300) % 2 else 0.9
            pushes = {}
            for p in range(NP):
                if len(m.q[p]) < depth and rng.random() < p_push:
                    if keys and rng.random() < 0.5:
                        k = rng.choice(keys) if rng.random() < 0.85 else key_of(flit(0, 0, 9, mc=1))
                        pushes[p] = with_payload(k | (1 << ROUTE_BITS), rng)
                    else:
                        pushes[p] = with_payload(flit(rng.randrange(4 * C), rng.randrange(4), rng.randrange(8)), rng)
            out_full = [rng.random() < 0.3 for _ in range(NP)]
            await one_cycle(dut, m, pushes, out_full, f"({mx},{my}) cycle {c}")
        await check_counters(dut, m)
        assert sum(m.blocked) > 100 and sum(m.port_flits) > 1000
        if keys:
            assert sum(m.partial) > 10 and sum(m.lookups) > 100
