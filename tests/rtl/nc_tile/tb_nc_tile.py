"""cocotb: one tile at (0, 0), a neuron that fires once with a local and an eastbound flit."""
import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, Timer

from neurocycle.rtl import defs

D = defs()
E = 2


def flit(x, y, axon):
    return axon | (y << 2) | (x << 3)


@cocotb.test()
async def tile_loopback(dut):
    Clock(dut.clk, 10, unit="ns").start()
    for s in ("bus_we", "bus_sel", "bus_index", "bus_field", "bus_wdata", "start", "swap", "cycle", "in_push",
              "in_flit", "out_full", "my_x", "my_y"):
        getattr(dut, s).value = 0
    dut.bus_rd.value = 1
    dut.rst.value = 1
    await FallingEdge(dut.clk)
    dut.rst.value = 0
    await FallingEdge(dut.clk)

    async def w(sel, index, field, data):
        dut.bus_sel.value, dut.bus_index.value, dut.bus_field.value = sel, index, field
        dut.bus_wdata.value = data & 0xFFFFFFFF
        dut.bus_we.value = 1
        await FallingEdge(dut.clk)
        dut.bus_we.value = 0

    async def r(sel, index, field=0):
        dut.bus_sel.value, dut.bus_index.value, dut.bus_field.value = sel, index, field
        await FallingEdge(dut.clk)
        return int(dut.bus_rdata.value)

    for f, v in enumerate([0, 0, 10, 5, 0, 7, 0]):          # fires at once, then refractory
        await w(D["SEL_PROFILE"], 0, f, v)
    for f, v in (("NF_PROFILE", 0), ("NF_FO_BASE", 0), ("NF_FO_LEN", 2), ("NF_U", 0), ("NF_V", 0),
                 ("NF_REF", 0), ("NF_ACC0", 0), ("NF_ACC1", 0)):
        await w(D["SEL_NEURON"], 0, D[f], v)
    await w(D["SEL_CORE"], D["CORE_N_USED"], 0, 1)
    await w(D["SEL_FANOUT"], 0, 0, flit(0, 0, 3))            # to itself, axon 3
    await w(D["SEL_FANOUT"], 1, 0, flit(1, 0, 1))            # to the east neighbour
    await w(D["SEL_AXON"], 3, 0, 2)
    await w(D["SEL_AXON"], 3, 1, 1)
    await w(D["SEL_SYN"], 2, 0, -4)
    await w(D["SEL_SYN"], 2, 1, (1 << 31) | 0)
    dut.bus_sel.value = D["SEL_CHIP"]                         # keep the bus idle
    dut.start.value = 1
    await FallingEdge(dut.clk)
    dut.start.value = 0
    quiet, east = [], []
    for k in range(8):                                        # cycle T0 + k
        await Timer(1, unit="ns")
        quiet.append(int(dut.quiet.value))
        if (int(dut.out_push.value) >> E) & 1:
            east.append((k, (int(dut.out_flit.value) >> (E * 4)) & 0xF))
        await FallingEdge(dut.clk)
    # T0: update (fires). T0+1: push local flit. T0+2: push east flit; router grants the local
    # one (L -> L). T0+3: the core pops it; router grants the east flit on E. T0+4: its synapse
    # word. T0+5: all idle.
    assert east == [(3, flit(1, 0, 1))], east
    assert quiet == [0, 0, 0, 0, 0, 1, 1, 1], quiet
    assert await r(D["SEL_NEURON"], 0, D["NF_ACC1"]) == (1 << 64) - 4      # -4 into the next bank
    assert await r(D["SEL_ROUTER"], D["RT_CNT"] + D["RC_ROUTER_FLITS"]) == 2
    assert await r(D["SEL_ROUTER"], D["RT_CNT"] + D["RC_LINK_FLITS"]) == 1
    assert await r(D["SEL_ROUTER"], D["RT_PORT_FLITS"] + 0) == 1
    assert await r(D["SEL_ROUTER"], D["RT_PORT_FLITS"] + E) == 1
    assert await r(D["SEL_CORE"], D["CORE_CNT"] + D["CC_SYNAPTIC_OPS"]) == 1   # one synaptic op
