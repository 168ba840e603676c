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
    dut.any_learn.value = 0          # no learning core: Q is the first barrier cycle
    dut.all_le_done.value = 1
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


@cocotb.test()
async def ctrl_learning_phase(dut):
    """With a learning core (any_learn): quiescence in Q raises le_go for that cycle only, the
    controller waits in LEARN until every LE is done at the start of a cycle L (>= Q + 1), and
    L is the first barrier cycle: T_{t+1} = L + B (docs/microarchitecture.md §11.2)."""
    Clock(dut.clk, 10, unit="ns").start()
    dut.rst.value = 1
    dut.start_cmd.value = 0
    dut.all_quiet.value = 0
    dut.any_learn.value = 0
    dut.all_le_done.value = 1
    await FallingEdge(dut.clk)
    dut.rst.value = 0
    await FallingEdge(dut.clk)
    B = json.loads(os.environ["NC_TB_PARAMS"])["BARRIER_CYCLES"]
    rng = random.Random(11)
    T = 0
    for t in range(10):
        learn = t % 4 != 3                              # every fourth timestep: no learning core
        dut.any_learn.value = int(learn)
        dut.start_cmd.value = 1
        await FallingEdge(dut.clk)
        dut.start_cmd.value = 0
        busy, lam = rng.choice([0, 2, 4]), rng.choice([1, 2, 6])
        c, go_cycles, swaps = T, [], 0
        while True:
            k = c - T
            dut.all_quiet.value = int(k >= busy)        # quiet from Q = T + busy on
            # the LEs: not done from T to Q + lam - 1 (they act from Q on)
            dut.all_le_done.value = int(not learn or k >= busy + lam)
            await Timer(1, unit="ns")
            if int(dut.le_go.value):
                go_cycles.append(c)
            swaps += int(dut.swap.value)
            await FallingEdge(dut.clk)
            c += 1
            if int(dut.paused.value):
                break
        Q = T + busy
        L = Q + lam if learn else Q
        assert go_cycles == [Q], f"timestep {t}: le_go in {go_cycles}, Q = {Q}"
        assert c == L + B, f"timestep {t}: T_next {c} != L {L} + B {B}"
        assert swaps == 1
        T = c
