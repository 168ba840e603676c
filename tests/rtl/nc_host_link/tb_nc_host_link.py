"""cocotb: nc_host_link with random backpressure, two timesteps, queue-size guard."""
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, Timer


async def write(dut, q_we, count_we, index, data):
    dut.q_we.value = q_we
    dut.count_we.value = count_we
    dut.q_index.value = index
    dut.wdata.value = data
    await FallingEdge(dut.clk)
    dut.q_we.value = 0
    dut.count_we.value = 0


@cocotb.test()
async def host_link_push(dut):
    Clock(dut.clk, 10, unit="ns").start()
    for s in ("rst", "q_we", "count_we", "q_index", "wdata", "start", "run", "full"):
        getattr(dut, s).value = 0
    dut.rst.value = 1
    await FallingEdge(dut.clk)
    dut.rst.value = 0
    await FallingEdge(dut.clk)
    assert int(dut.done.value) == 1
    rng = random.Random(3)
    total = 0
    for step, flits in enumerate([[11, 22, 33, 44, 55], [7, 9], []]):
        for i, f in enumerate(flits):
            await write(dut, 1, 0, i, f)
        await write(dut, 0, 1, 0, 6)             # more than the queue holds: ignored
        assert int(dut.count_rd.value) == (0 if step == 0 else len([[11, 22, 33, 44, 55], [7, 9]][step - 1]))
        await write(dut, 0, 1, 0, len(flits))
        assert int(dut.push.value) == 0          # not running: nothing moves
        dut.start.value = 1
        await FallingEdge(dut.clk)
        dut.start.value = 0
        dut.run.value = 1
        sent = []
        for c in range(40):
            full = rng.random() < 0.4
            dut.full.value = int(full)
            await Timer(1, unit="ns")
            if len(sent) < len(flits) and not full:
                assert int(dut.push.value) == 1 and int(dut.flit.value) == flits[len(sent)]
                sent.append(flits[len(sent)])
            else:
                assert int(dut.push.value) == 0
            await FallingEdge(dut.clk)
            assert int(dut.done.value) == (len(sent) == len(flits))
        dut.run.value = 0
        total += len(flits)
        assert sent == flits and int(dut.cnt_host_flits.value) == total
