"""cocotb: nc_c2c_link against the contract's link (docs/microarchitecture.md §12.2), with random
grants on the sending side (whenever the link has space), a receiving FIFO that pops at random,
and paused stretches (tick low, the link idle) in which the serialiser must not count."""
import json
import os
import random
from collections import deque

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, Timer


@cocotb.test()
async def link_random(dut):
    p = json.loads(os.environ["NC_TB_PARAMS"])
    L, Lc, K, B = p["LATENCY"], p["CREDIT_LATENCY"], p["CYCLES_PER_FLIT"], p["CREDITS"]
    Clock(dut.clk, 10, unit="ns").start()
    dut.rst.value = 1
    dut.tick.value = 1
    dut.in_push.value = 0
    dut.in_flit.value = 0
    dut.out_pop.value = 0
    await FallingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.rst.value = 0
    rng = random.Random(11 + L + 7 * Lc + 13 * K + 17 * B)
    cr, free = B, 0
    pipe, cret, rx = deque(), deque(), deque()      # (arrival cycle, flit); credit cycles; receiving FIFO
    c = 0                                           # chip cycle (counts while tick is high)
    sent = received = stalled = paused = 0
    for clock in range(4000):
        await FallingEdge(dut.clk)
        phase = (clock // 300) % 3                  # bursty sending, slow draining, then a pause
        pause = phase == 2 and cr == B and (clock % 300) < 40
        dut.tick.value = int(not pause)
        if pause:
            dut.in_push.value = 0
            dut.out_pop.value = 0
            await Timer(1, unit="ns")
            assert int(dut.idle.value) == 1 and int(dut.out_push.value) == 0
            paused += 1
            continue
        space = cr > 0 and c >= free
        push = space and rng.random() < (0.9 if phase == 0 else 0.4)
        pop = len(rx) > 0 and rng.random() < (0.3 if phase == 0 else 0.8)
        flit = rng.randrange(1 << 9)
        dut.in_push.value = int(push)
        dut.in_flit.value = flit
        dut.out_pop.value = int(pop)
        await Timer(1, unit="ns")
        assert int(dut.in_full.value) == int(not space), f"cycle {c}: in_full {int(dut.in_full.value)}, " \
                                                          f"credits {cr}, serialiser free from {free}"
        assert int(dut.idle.value) == int(cr == B), f"cycle {c}: idle with {cr}/{B} credits"
        # apply cycle c: grant, pop, then what the link delivers in c
        if push:
            cr -= 1
            free = c + K
            pipe.append((c + L, flit))
            sent += 1
        stalled += not space
        if pop:
            rx.popleft()
            cret.append(c + Lc)
        arriving = bool(pipe) and pipe[0][0] == c
        assert int(dut.out_push.value) == int(arriving), f"cycle {c}: out_push {int(dut.out_push.value)}"
        if arriving:
            assert int(dut.out_flit.value) == pipe[0][1], f"cycle {c}: flit {int(dut.out_flit.value)}"
            rx.append(pipe.popleft()[1])
            assert len(rx) <= B, "the receive buffer overflowed"
            received += 1
        while cret and cret[0] == c:
            cret.popleft()
            cr += 1
        c += 1
    assert sent > 200 and received >= sent - B and stalled > 50 and paused > 40, (sent, received, stalled, paused)
