"""cocotb: nc_ctrl, cycle by cycle, against the timestep rules of docs §6."""
import json
import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, Timer


@cocotb.test()
async def ctrl_timesteps(dut):
    Clock(dut.clk, 10, unit="ns").start()
    dut.rst.value = 1
    dut.start_cmd.value = 0
    dut.all_quiet.value = 0
    await FallingEdge(dut.clk)
    dut.rst.value = 0
    await FallingEdge(dut.clk)
    B = json.loads(os.environ["NC_TB_PARAMS"])["BARRIER_CYCLES"]
    rng = random.Random(5)
    T = 0
    for t in range(12):
        assert int(dut.paused.value) == 1 and int(dut.cycle.value) == T
        # idle clocks while paused are not chip cycles
        for _ in range(rng.randrange(3)):
            await FallingEdge(dut.clk)
            assert int(dut.cycle.value) == T
        dut.start_cmd.value = 1
        await Timer(1, unit="ns")
        assert int(dut.start.value) == 1 and int(dut.swap.value) == 0
        await FallingEdge(dut.clk)
        dut.start_cmd.value = rng.randrange(2)          # START while running is ignored
        busy = rng.choice([0, 1, 5])                    # cycles before the chip is quiescent
        c = T
        swaps = 0
        while True:
            assert int(dut.paused.value) == 0 and int(dut.cycle.value) == c
            quiet = c - T >= busy
            dut.all_quiet.value = int(quiet if (c - T) <= busy else rng.randrange(2))
            await Timer(1, unit="ns")
            assert int(dut.start.value) == 0
            in_barrier = int(dut.run.value) == 0
            if c - T < busy:
                assert not in_barrier
            swaps += int(dut.swap.value)
            await FallingEdge(dut.clk)
            c += 1
            if int(dut.paused.value):
                break
        dut.start_cmd.value = 0
        Q = T + busy
        assert c == Q + B, f"timestep {t}: T_next {c} != Q {Q} + B {B}"
        assert swaps == 1 and int(dut.barriers.value) == t + 1
        T = c
