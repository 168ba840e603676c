"""cocotb: one tile at (0, 0). With one core: a neuron that fires once with a local and an
eastbound flit. With two cores and multicast: core 0's neuron sends one multicast flit that
the router copies to core 1 (port L1) and east in the same cycle."""
import json
import os

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, Timer

from neurocycle.hw import layout
from neurocycle.rtl import defs

D = defs()
P = json.loads(os.environ["NC_TB_PARAMS"])
E = 2
C = P["CORES_PER_ROUTER"]
FB = P["FLIT_BITS"]
WIDTHS = {"axon_bits": P["AXON_BITS"], "y_bits": P["Y_BITS"], "x_bits": P["X_BITS"], "mc_bits": P["MC_BITS"],
          "payload_bits": P.get("PAYLOAD_BITS", 0)}


def flit(cx, y, axon, mc=0):
    vals = dict(axon=axon, dst_y=y, dst_x=cx)
    if P["MC_BITS"]:
        vals["mc"] = mc
    return int(layout.CHIP_FLIT.pack(WIDTHS, **vals))


class Bus:
    def __init__(self, dut):
        self.dut = dut

    async def start(self):
        dut = self.dut
        Clock(dut.clk, 10, unit="ns").start()
        for s in ("bus_we_core", "bus_we_rt", "bus_sel", "bus_index", "bus_field", "bus_wdata", "start", "swap",
                  "cycle", "in_push", "in_flit", "out_full", "my_x", "my_y"):
            getattr(dut, s).value = 0
        dut.bus_rd.value = 1
        dut.rst.value = 1
        await FallingEdge(dut.clk)
        dut.rst.value = 0
        await FallingEdge(dut.clk)

    async def w(self, core, sel, index, field, data):
        """core = local core index, or None for the router (multicast table)."""
        dut = self.dut
        dut.bus_sel.value, dut.bus_index.value, dut.bus_field.value = sel, index, field
        dut.bus_wdata.value = data & 0xFFFFFFFF
        if core is None:
            dut.bus_we_rt.value = 1
        else:
            dut.bus_we_core.value = 1 << core
        await FallingEdge(dut.clk)
        dut.bus_we_core.value = 0
        dut.bus_we_rt.value = 0

    async def r(self, core, sel, index, field=0):
        dut = self.dut
        dut.bus_sel.value, dut.bus_index.value, dut.bus_field.value = sel, index, field
        await FallingEdge(dut.clk)
        if core is None:
            return int(dut.rt_rdata.value)
        return (int(dut.core_rdata.value) >> (64 * core)) & ((1 << 64) - 1)

    async def neuron(self, core, fo_len, n_used=1):
        for f, v in enumerate([0, 0, 10, 5, 0, 7, 0]):          # fires at once, then refractory
            await self.w(core, D["SEL_PROFILE"], 0, f, v)
        for f, v in (("NF_PROFILE", 0), ("NF_FO_BASE", 0), ("NF_FO_LEN", fo_len), ("NF_U", 0), ("NF_V", 0),
                     ("NF_REF", 0), ("NF_ACC0", 0), ("NF_ACC1", 0)):
            await self.w(core, D["SEL_NEURON"], 0, D[f], v)
        await self.w(core, D["SEL_CORE"], D["CORE_N_USED"], 0, n_used)

    async def synapse(self, core, axon, weight):
        await self.w(core, D["SEL_AXON"], axon, 0, 2)
        await self.w(core, D["SEL_AXON"], axon, 1, 1)
        await self.w(core, D["SEL_SYN"], 2, 0, weight)
        await self.w(core, D["SEL_SYN"], 2, 1, (1 << 31) | 0)

    async def run(self, cycles):
        dut = self.dut
        dut.bus_sel.value = D["SEL_CHIP"]                         # keep the bus idle
        dut.start.value = 1
        await FallingEdge(dut.clk)
        dut.start.value = 0
        quiet, east = [], []
        for k in range(cycles):                                   # cycle T0 + k
            await Timer(1, unit="ns")
            quiet.append(int(dut.quiet.value))
            if (int(dut.out_push.value) >> E) & 1:
                east.append((k, (int(dut.out_flit.value) >> (E * FB)) & ((1 << FB) - 1)))
            await FallingEdge(dut.clk)
        return quiet, east


@cocotb.test()
async def tile_loopback(dut):
    b = Bus(dut)
    await b.start()
    await b.neuron(0, fo_len=2)
    await b.w(0, D["SEL_FANOUT"], 0, 0, flit(0, 0, 3))            # to itself, axon 3
    await b.w(0, D["SEL_FANOUT"], 1, 0, flit(C, 0, 1))            # to the east neighbour's core 0
    await b.synapse(0, 3, -4)
    quiet, east = await b.run(8)
    # T0: update (fires). T0+1: push local flit. T0+2: push east flit; router grants the local
    # one (L -> L). T0+3: the core pops it; router grants the east flit on E. T0+4: its synapse
    # word. T0+5: all idle.
    assert east == [(3, flit(C, 0, 1))], east
    assert quiet == [0, 0, 0, 0, 0, 1, 1, 1], quiet
    assert await b.r(0, D["SEL_NEURON"], 0, D["NF_ACC1"]) == (1 << 64) - 4      # -4 into the next bank
    assert await b.r(None, D["SEL_ROUTER"], D["RT_CNT"] + D["RC_ROUTER_FLITS"]) == 2
    assert await b.r(None, D["SEL_ROUTER"], D["RT_CNT"] + D["RC_LINK_FLITS"]) == 1
    assert await b.r(None, D["SEL_ROUTER"], D["RT_PORT_FLITS"] + 0) == 1
    assert await b.r(None, D["SEL_ROUTER"], D["RT_PORT_FLITS"] + E) == 1
    assert await b.r(0, D["SEL_CORE"], D["CORE_CNT"] + D["CC_SYNAPTIC_OPS"]) == 1   # one synaptic op


@cocotb.test()
async def tile_multicast(dut):
    """Core 0's neuron fires with one multicast flit (key: core column 0, row 0, axon 3); the
    table entry sends it to L1 (core 1) and E. T0 update, T0+1 push, T0+2 both copies granted
    and the flit popped; core 1's SI pops T0+3, word T0+4; quiet from T0+5."""
    if C < 2 or not P["MC_BITS"]:
        return
    b = Bus(dut)
    await b.start()
    fk = flit(0, 0, 3, mc=1)
    await b.neuron(0, fo_len=1)
    await b.w(0, D["SEL_FANOUT"], 0, 0, fk)
    await b.w(1, D["SEL_CORE"], D["CORE_N_USED"], 0, 0)          # core 1: no neurons, an axon 3
    await b.synapse(1, 3, 6)
    for e in range(P["MC_ENTRIES"]):                             # every entry: only 0 is valid
        await b.w(None, D["SEL_MCTABLE"], e, 0, fk & ((1 << (FB - 1)) - 1) if e == 0 else 0)
        await b.w(None, D["SEL_MCTABLE"], e, 1, (1 << 31) | (1 << 5) | (1 << E) if e == 0 else 0)
    assert await b.r(None, D["SEL_MCTABLE"], 0, 1) == (1 << 31) | (1 << 5) | (1 << E)
    quiet, east = await b.run(8)
    assert east == [(2, fk)], east
    assert quiet == [0, 0, 0, 0, 0, 1, 1, 1], quiet
    assert await b.r(1, D["SEL_NEURON"], 0, D["NF_ACC1"]) == 6
    assert await b.r(None, D["SEL_ROUTER"], D["RT_CNT"] + D["RC_ROUTER_FLITS"]) == 2
    assert await b.r(None, D["SEL_ROUTER"], D["RT_CNT"] + D["RC_MC_TABLE_LOOKUPS"]) == 1
    assert await b.r(None, D["SEL_ROUTER"], D["RT_MC_LOOKUPS"] + 0) == 1
    assert await b.r(None, D["SEL_ROUTER"], D["RT_PORT_FLITS"] + 5) == 1
