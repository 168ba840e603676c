"""cocotb: nc_fifo against a Python deque, cycle by cycle, with random pushes and pops."""
import json
import os
import random
from collections import deque

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, Timer


@cocotb.test()
async def fifo_random(dut):
    depth = json.loads(os.environ["NC_TB_PARAMS"])["DEPTH"]
    Clock(dut.clk, 10, unit="ns").start()
    dut.rst.value = 1
    dut.push.value = 0
    dut.pop.value = 0
    dut.push_data.value = 0
    await FallingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.rst.value = 0
    q = deque()
    rng = random.Random(7)
    max_seen = 0
    same_cycle = 0
    for cycle in range(3000):
        await FallingEdge(dut.clk)              # start-of-cycle state is settled
        count = int(dut.count.value)
        assert count == len(q), f"cycle {cycle}: count {count} != {len(q)}"
        assert int(dut.empty.value) == (len(q) == 0)
        full = int(dut.full.value)
        assert full == (len(q) == depth), f"cycle {cycle}: full={full} with {len(q)}/{depth}"
        if q:
            assert int(dut.head.value) == q[0], f"cycle {cycle}: head {int(dut.head.value)} != {q[0]}"
        assert int(dut.max_count.value) == max_seen
        bias = 0.7 if (cycle // 200) % 2 == 0 else 0.3      # alternate filling and draining
        do_push = not full and rng.random() < bias
        do_pop = len(q) > 0 and rng.random() < 1 - bias + 0.1
        data = rng.randrange(256)
        dut.push.value = int(do_push)
        dut.pop.value = int(do_pop)
        dut.push_data.value = data
        await Timer(1, unit="ns")
        # the rule: a pop does not make room for a push in the same cycle
        if do_pop:
            q.popleft()
        if do_push:
            q.append(data)
            same_cycle += do_pop
        max_seen = max(max_seen, len(q))
    assert max_seen == depth, "never filled the FIFO"
    # with depth 1 a push needs an empty FIFO and a pop a full one: never both in one cycle
    assert (same_cycle > 10) if depth > 1 else same_cycle == 0, same_cycle
