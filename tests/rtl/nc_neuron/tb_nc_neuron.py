"""cocotb: nc_neuron vs neurocycle.hw.lif_step (the specification), random and at the rails."""
import random

import numpy as np

import cocotb
from cocotb.triggers import Timer

from neurocycle.hw import lif_step


def signed(v, bits):
    v = int(v) & ((1 << bits) - 1)
    return v - (1 << bits) if v >> (bits - 1) else v


def widths(dut):
    # parameters are not visible: measure the port widths
    return len(dut.u), len(dut.i_in), len(dut.ref_cnt)


@cocotb.test()
async def neuron_vs_spec(dut):
    S, A, R = widths(dut)
    smin, smax = -(1 << (S - 1)), (1 << (S - 1)) - 1
    amin, amax = -(1 << (A - 1)), (1 << (A - 1)) - 1
    rmax = (1 << R) - 1
    rng = random.Random(S * 1000 + A)
    rails_s = [smin, smin + 1, -1, 0, 1, smax - 1, smax]
    rails_a = [amin, amin + 1, -1, 0, 1, amax - 1, amax]
    cases = []
    for _ in range(3000):
        pick = lambda rails, lo, hi: rng.choice(rails) if rng.random() < 0.4 else rng.randint(lo, hi)  # noqa: E731
        cases.append(dict(
            u=pick(rails_s, smin, smax), v=pick(rails_s, smin, smax),
            ref=rng.choice([0, 0, 0, 1, rmax]) if rng.random() < 0.5 else rng.randint(0, rmax),
            I=pick(rails_a, amin, amax), du=rng.choice([0, 1, 2048, 4094, 4095, rng.randrange(4096)]),
            dv=rng.choice([0, 1, 2048, 4094, 4095, rng.randrange(4096)]),
            bias=pick(rails_s, smin, smax), vth=pick(rails_s, smin, smax), v_reset=pick(rails_s, smin, smax),
            refractory=rng.randint(0, rmax), w_exp=rng.choice([0, 7, rng.randrange(8)])))
    n_spikes = n_sat = 0
    for i, c in enumerate(cases):
        dut.u.value = c["u"] & ((1 << S) - 1)
        dut.v.value = c["v"] & ((1 << S) - 1)
        dut.ref_cnt.value = c["ref"]
        dut.i_in.value = c["I"] & ((1 << A) - 1)
        dut.du.value = c["du"]
        dut.dv.value = c["dv"]
        dut.bias.value = c["bias"] & ((1 << S) - 1)
        dut.vth.value = c["vth"] & ((1 << S) - 1)
        dut.v_reset.value = c["v_reset"] & ((1 << S) - 1)
        dut.refractory.value = c["refractory"]
        dut.w_exp.value = c["w_exp"]
        await Timer(1, unit="ns")
        a = lambda k: np.array([c[k]], np.int64)  # noqa: E731
        u2, v2, r2, sp = lif_step(a("u"), a("v"), a("ref"), a("I"), a("du"), a("dv"), a("bias"), a("vth"),
                                  a("v_reset"), a("refractory"), a("w_exp"), S)
        want = (int(u2[0]), int(v2[0]), int(r2[0]), int(sp[0]))
        got = (signed(dut.u_next.value, S), signed(dut.v_next.value, S), int(dut.ref_next.value),
               int(dut.spike.value))
        assert got == want, f"case {i} {c}: RTL {got} != spec {want}"
        active = (want[0], want[1], want[2]) != (c["u"], c["v"], c["ref"])
        assert int(dut.active.value) == active, f"case {i} {c}: active"
        n_spikes += want[3]
        n_sat += want[0] in (smin, smax)
    assert n_spikes > 100 and n_sat > 100, (n_spikes, n_sat)
