"""nc_chip, the whole chip: model vs RTL co-simulation, exact on spikes, spike cycles, cycles
per timestep, every event counter and the per-port detail arrays.

Default run (the chips are declared in nc_cosim_plan.py; docs/rtl-coverage.md shows what they
cover): directed timing cases with hand-derived cycle counts (binary dense, graded
event-driven, and delays with STDP: final weights compared), two networks on the tiny-2x2
preset, two seeded random chips (binary event-driven, graded dense; both with delays and STDP)
and the coverage chip (graded, event-driven, delays, STDP; two networks each, one congested). On demand (``-m slow``): a sweep over hundreds of random chip/network cases
(binary or graded, dense or event-driven), and a 33-wide mesh."""
from __future__ import annotations

import pytest

from nc_cosim_plan import (NOC_SEEDS, RANDOM_MAX_MESH, RANDOM_SEEDS, coverage_case, directed_delay_stdp_chip,
                           directed_graded_event_chip, noc_case)
from nc_random_cases import random_cases
from neurocycle.sim import prepare
from neurocycle.sim._cosim import compare, run_rtl_many
from neurocycle.sim._engine import run_cycle

pytestmark = pytest.mark.rtl


def cosim_cases(cases, build_options=None):
    """cases: [(chip, network, steps, options)] of one chip. Runs the model and, in one
    simulator process, the RTL (built with ``build_options``); fails on the first mismatch.
    Returns (programs, models, rtls)."""
    progs, stims, models = [], [], []
    for chip, net, steps, opts in cases:
        _, _, _, prog, stim, _ = prepare(chip, net, steps=steps, options=opts)
        progs.append(prog)
        stims.append(stim)
        models.append(run_cycle(prog, stim))
    rtls = run_rtl_many(list(zip(progs, stims)), build_options=build_options)
    for (chip, net, _, _), prog, m, r in zip(cases, progs, models, rtls):
        mm = compare(m, r, prog)
        name = net["name"] if isinstance(net, dict) else getattr(net, "name", net)
        assert mm is None, f"{name} on {prog.chip.name}: first mismatch: {mm}"
        assert r.counters is not None and r.step_cycles is not None
    return progs, models, rtls


def _lif(vth, bias=0, refractory=0):
    return {"model": "lif_fixed", "vth": vth, "bias": bias, "refractory": refractory}


def test_directed_hops_tiny_2x2():
    """Hand-derived timelines on tiny-2x2 (barrier 2, one neuron per core):
    host flit -> neuron on (1,1): T0 push; hops (0,0)E, (1,0)S, (1,1)L at T0+1..3; SI pop T0+4,
    word T0+5; quiescent at T0+6 -> 8 cycles. Neuron on (0,0) firing -> neuron on (1,1):
    update T0, push T0+1, hops T0+2..4, pop T0+5, word T0+6, Q = T0+7 -> 9 cycles.
    Idle timesteps: update T, done T+1 -> 3 cycles."""
    host = {"name": "host-hop", "populations": [{"name": "a", "size": 4, "neuron": _lif(1000)}],
            "inputs": [{"name": "in", "size": 1, "source": {"kind": "array", "steps": [0], "channels": [0]}}],
            "projections": [{"source": "in", "target": "a", "connect": {"kind": "explicit", "pairs": [[0, 3]]},
                             "weight": 5}]}
    spike = {"name": "spike-hop", "populations": [{"name": "src", "size": 1, "neuron": _lif(5, bias=10, refractory=7)},
                                                 {"name": "dst", "size": 3, "neuron": _lif(1000)}],
             "projections": [{"source": "src", "target": "dst", "connect": {"kind": "explicit", "pairs": [[0, 2]]},
                              "weight": 5}]}
    _, models, rtls = cosim_cases([("tiny-2x2", host, 3, None), ("tiny-2x2", spike, 3, None)])
    assert rtls[0].step_cycles.tolist() == [8, 3, 3] == models[0].step_cycles.tolist()
    assert rtls[1].step_cycles.tolist() == [9, 3, 3] == models[1].step_cycles.tolist()
    assert rtls[1].spike_cycles.tolist() == [0] and rtls[1].spike_neurons.tolist() == [0]
    # the spike's flit: 3 router traversals, 2 links; one synaptic op on core 3
    assert rtls[1].counters["router_flits"].tolist() == [1, 1, 0, 1]
    assert int(rtls[1].counters["link_flits"].sum()) == 2
    assert rtls[1].counters["synaptic_ops"].tolist() == [0, 0, 0, 1]


def test_directed_graded_event_driven():
    """tiny-2x2 with 3-bit payloads and an event-driven update scanning 4-bit words (barrier 2).

    Event timing (all ten neurons on core 0; every update quiet except as noted; cores 1-3 hold
    no neuron): step 0 updates all 10 in 3 words: SCAN0 @0, U0-3 @1-4, SCAN1 @5, U4-7 @6-9,
    SCAN2 @10, U8-9 @11-12, DONE @13 -> 13 + 2 = 15 cycles (the host flit to a5: pushed @0,
    router (0,0) @1, SI pop @2, word @3). Step 1 (T=15): SCAN0 @15, SCAN1 @16, U5 @17 fires,
    push @18, SCAN2 @19, DONE @20; router @19, SI pop @20, word @21 -> Q = 22 -> 9 cycles.
    Step 2: SCAN0, SCAN1, U5 (u -> 0), SCAN2, U9 (u = v = 1), DONE -> 5 + 2 = 7; step 3 the
    same (U5 quiet, U9 u -> 0): 7; step 4: 3 SCANs, U9 (quiet) -> 6; step 5: 3 SCANs -> 5.

    Graded payloads: graded a0 (vth 3) gets payload 7 x weight 4 = 28: step 1 q = min(9, 7) = 7,
    residual 7; step 2 q = 2, residual 1; b0 integrates 5 x q."""
    from neurocycle.sim import CompileOptions
    ev = {"name": "ev", "populations": [{"name": "a", "size": 10, "neuron": {"vth": 5, "du": 4095}}],
          "inputs": [{"name": "x", "size": 1, "source": {"kind": "array", "steps": [0], "channels": [0]}}],
          "projections": [{"source": "x", "target": "a", "connect": {"kind": "explicit", "pairs": [[0, 5]]},
                           "weight": 10},
                          {"source": "a", "target": "a", "connect": {"kind": "explicit", "pairs": [[5, 9]]},
                           "weight": 1}]}
    pay = {"name": "pay", "populations": [{"name": "a", "size": 1, "spikes": "graded", "neuron": {"vth": 3, "du": 4095}},
                                          {"name": "b", "size": 1, "neuron": {"vth": 100, "du": 4095}}],
           "inputs": [{"name": "x", "size": 1, "spikes": "graded",
                       "source": {"kind": "array", "steps": [0], "channels": [0], "payloads": [7]}}],
           "projections": [{"source": "x", "target": "a", "connect": {"kind": "all_to_all"}, "weight": 4},
                           {"source": "a", "target": "b", "connect": {"kind": "all_to_all"}, "weight": 5}]}
    chip = directed_graded_event_chip()
    _, models, rtls = cosim_cases([(chip, ev, 6, CompileOptions(placement="sequential")), (chip, pay, 4, None)])
    assert rtls[0].step_cycles.tolist() == [15, 9, 7, 7, 6, 5] == models[0].step_cycles.tolist()
    assert rtls[0].spike_cycles.tolist() == [17] and rtls[0].spike_payloads.tolist() == [1]
    assert int(rtls[0].counters["nu_scan_cycles"].sum()) == 3 * 6 and int(rtls[0].counters["pending_sets"].sum()) == 6
    assert rtls[1].spike_payloads.tolist() == [7, 2] and rtls[1].spike_steps.tolist() == [1, 2]


def test_directed_delays_and_stdp():
    """The hand-derived timelines of tests/test_delays_learning.py on the RTL (1x1 chip, barrier
    3, delays up to 3, STDP). Delays: input spikes at 0 and 2 through total delays 1, 2, 3 make
    the three neurons fire at 1, 3 / 2, 4 / 3, 5. STDP: step 0 host push @0, router @1, SI pop
    @2, read @3, WRITE @4, Q = 5, TRACE @5, 6, barrier -> 10 cycles; step 1: 9; step 2: a1 fires
    @20, POST @21, RD @22, WR @23, TRACE @24, 25 -> 10; step 3: 7. Final weight 49, the window at
    dt = 2 (x = 64 decayed once with d = 906)."""
    from neurocycle.sim import NetworkBuilder
    s = NetworkBuilder("stdp-directed")               # as tests/test_delays_learning.py's
    s.population("a", 2, {"vth": 50, "du": 4095, "dv": 4095})
    s.array_input("x", 2, steps=[0, 1], channels=[0, 1])
    s.connect("x", "a", "explicit", pairs=[[0, 1]], weight=0,
              plasticity={"rule": "stdp", "a_plus": 64, "a_minus": 32, "tau_plus_steps": 4, "tau_minus_steps": 4,
                          "w_min": -100, "w_max": 100, "lr_shift": 0})
    s.connect("x", "a", "explicit", pairs=[[1, 1]], weight=100)
    b = NetworkBuilder("delays")
    b.population("a", 3, {"vth": 5, "du": 4095, "dv": 4095})
    b.array_input("x", 1, steps=[0, 2], channels=[0, 0])
    for i, k in enumerate((1, 2, 3)):
        b.connect("x", "a", "explicit", pairs=[[0, i]], weight=10, delay_steps=k)
    chip = directed_delay_stdp_chip()
    progs, models, rtls = cosim_cases([(chip, b.build(), 7, None), (chip, s.build(), 4, None)])
    got = sorted(zip(rtls[0].spike_steps.tolist(), rtls[0].spike_neurons.tolist()))
    assert got == [(1, 0), (2, 1), (3, 0), (3, 2), (4, 1), (5, 2)]
    assert rtls[1].step_cycles.tolist() == [10, 9, 10, 7] and rtls[1].spike_cycles.tolist() == [20]
    w = rtls[1].weights.ravel()[progs[1].syn_slot]
    assert sorted(w.tolist()) == [49, 100]                           # the plastic synapse learned; the teacher not
    assert int(rtls[1].counters["synapse_word_writes"].sum()) == 2 and int(rtls[1].counters["learning_cycles"].sum()) == 11


RECURRENT = "tiny-recurrent"   # configs/networks/tiny-recurrent.yaml (also bench/rtl_bench.py's workload)

CONGESTED = {
    "name": "tiny-congested", "seed": 9,
    "populations": [{"name": "a", "size": 24, "neuron": {"model": "lif_fixed", "dv": 100, "bias": 6, "vth": 40}}],
    "inputs": [{"name": "in", "size": 8, "source": {"kind": "poisson", "rate_hz": 900}}],
    "projections": [
        {"source": "in", "target": "a", "connect": {"kind": "all_to_all"}, "weight": {"kind": "uniform", "low": 1, "high": 6}},
        {"source": "a", "target": "a", "connect": {"kind": "fixed_probability", "p": 0.5},
         "weight": {"kind": "uniform", "low": -4, "high": 6}}],
}


def test_tiny_2x2_networks():
    """The tiny-2x2 preset with a recurrent E/I network and a saturating, congested one."""
    _, models, _ = cosim_cases([("tiny-2x2", RECURRENT, 15, None), ("tiny-2x2", CONGESTED, 8, None)])
    assert models[0].n_spikes > 50 and models[1].n_spikes > 100
    assert int(models[1].counters["router_blocked_cycles"].sum()) > 1000      # really congested
    assert int(models[1].counters["nu_stall_cycles"].sum()) > 100


@pytest.mark.parametrize("seed", RANDOM_SEEDS)
def test_random_small_chips(seed):
    """Seeded random small chips (mesh, FIFO depths, lanes, capacities, barrier, host row,
    widths drawn), each with a normal and a congested random network."""
    chip, specs, opts = random_cases(seed, 2, max_w=RANDOM_MAX_MESH[0], max_h=RANDOM_MAX_MESH[1])
    cosim_cases([(chip, spec, 10, opts) for spec in specs])


def test_coverage_chip():
    """The 3x2 chip with the host link on row 1, 5 lanes of 3 cycles per word, deep FIFOs, 40-bit
    counters and a 256-flit host queue: with the chips above, every RTL parameter away from its default
    (docs/rtl-coverage.md)."""
    chip, specs, opts, build = coverage_case()
    progs, models, rtls = cosim_cases([(chip, spec, 10, opts) for spec in specs], build_options=build)
    assert all(m.n_spikes > 0 for m in models)
    assert int(models[1].counters["router_blocked_cycles"].sum()) > 0
    for r in rtls:     # equal to the model (compare above); here: each rule visibly exercised
        c = {k: v.astype(int) for k, v in r.counters.items()}
        assert min(c["local_flits"].sum(), c["link_flits_ew"].sum(), c["link_flits_ns"].sum()) > 0
        assert (c["link_flits_ew"] + c["link_flits_ns"] == c["link_flits"]).all()
        # 3 cycles per synapse word (core.synapse_word_cycles), read in the last of them, and one
        # WRITE cycle per word with a plastic slot (the SI's writes: all but the LE's WR cycles)
        si_writes = c["synapse_word_writes"] - c["reverse_reads"]
        assert (c["si_busy_cycles"] == c["axon_lookups"] + 3 * c["synapse_word_reads"] + si_writes).all()
    assert sum(int(r.counters["weight_updates"].sum()) for r in rtls) > 0          # STDP exercised
    assert any(r.weights is not None and (r.weights != p.syn_weight).any() for r, p in zip(rtls, progs))


def test_noc_chip_multicast_two_cores_per_router():
    """The NoC chip (3x1 routers x 2 cores, multicast, core FIFOs of depth 1; docs §4): two
    directed programs with hand-derived timelines and two random networks, one congested.

    noc-fan: neuron 0 (core 0) drives cores 1, 2 and 5: one multicast flit. UPDATE @0, push @1;
    router 0 @2 sends L1 (core 1) and E; router 1 @3 sends E and L (core 2); router 2 @4 sends
    L1 (core 5). SI1 pops @3, word @4; SI2 @4, @5; SI5 @5, @6: Q = 7, a timestep of 7 + 3.
    noc-contend: neurons 0 (core 0, port L) and 1 (core 1, port L1) both drive core 2 (unicast).
    Both push @1; router 0 @2: E is requested by L and L1, the pointer starts at P-1 = L1, so L
    wins, L1 goes @3. Router 1 ejects A @3; B arrives @4 but core 2's FIFO (depth 1) holds A at
    the start of 4 (the SI pops it @4): blocked, ejected @5. SI2: A @4, word @5; B @6, word @7:
    Q = 8, a timestep of 8 + 3. Idle timesteps: one neuron walk + barrier = 4."""
    chip, specs, opts, build = noc_case()
    cases = [(chip, spec, 3 if j < 2 else 10, o) for j, (spec, o) in enumerate(zip(specs, opts))]
    progs, models, rtls = cosim_cases(cases, build_options=build)
    fan, contend = rtls[0], rtls[1]
    assert fan.step_cycles.tolist() == [10, 4, 4] == models[0].step_cycles.tolist()
    assert fan.counters["router_flits"].tolist() == [2, 2, 1]
    assert fan.counters["mc_table_lookups"].tolist() == [1, 1, 1]
    assert progs[0].fanout_mc.sum() == 1
    assert contend.step_cycles.tolist() == [11, 4, 4]
    assert contend.detail["blocked_cycles_port"][:, [4, 5]].tolist() == [[0, 1], [1, 0], [0, 0]]
    assert int(models[3].counters["mc_partial_cycles"].sum()) > 0      # the congested network
    assert all(m.n_spikes > 0 for m in models[2:])


@pytest.mark.parametrize("seed", NOC_SEEDS)
def test_random_noc_chips(seed):
    """Seeded random chips whose NoC is drawn too (cores per router, unicast or multicast)."""
    chip, specs, opts = random_cases(seed, 2, max_w=RANDOM_MAX_MESH[0], max_h=RANDOM_MAX_MESH[1], noc=True)
    cosim_cases([(chip, spec, 10, opts) for spec in specs])


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(2000, 2040))
def test_random_noc_sweep(seed):
    """40 random NoC chips (mesh up to 3x3, 1..4 cores per router, unicast / multicast,
    placement incl. traffic) x 3 networks."""
    chip, specs, opts = random_cases(seed, 3, max_w=3, max_h=3, noc=True)
    cosim_cases([(chip, spec, 10, opts) for spec in specs])


@pytest.mark.slow
def test_33_wide_mesh():
    """Issue #19's case on the RTL too: one synapse 0 -> 1 on a 33 x 1 mesh (the fast engine once
    hung on widths 32..63). A 33-tile build takes minutes, hence slow."""
    from neurocycle.sim import CompileOptions, NetworkBuilder
    b = NetworkBuilder("pair")
    b.population("a", 1, {"vth": 5, "bias": 10})
    b.population("b", 1, {"vth": 1000})
    b.connect("a", "b", "all_to_all", weight=5)
    chip = {"name": "w33", "mesh": {"width": 33, "height": 1},
            "core": {"neurons": 1, "axons": 8, "synapse_words": 8, "fanout_entries": 8}}
    _, models, rtls = cosim_cases([(chip, b.build(), 3, CompileOptions(placement="sequential", neurons_per_core=1))])
    assert rtls[0].counters["synaptic_ops"][1] == 3


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(1000, 1060))
def test_random_sweep(seed):
    """60 random chips (mesh up to 4x4; payload 0..5 bits, dense or event-driven) x 4 random
    networks = 240 cases."""
    chip, specs, opts = random_cases(seed, 4)
    cosim_cases([(chip, spec, 12, opts) for spec in specs])


def test_watchdog_reports_a_hang():
    """A timestep that does not reach quiescence within the watchdog is reported as a mismatch
    of that timestep (here forced with a 3-cycle watchdog against an 8-cycle timestep)."""
    from neurocycle.sim._cosim import run_rtl
    net = {"name": "hang", "populations": [{"name": "a", "size": 4, "neuron": _lif(1000)}],
           "inputs": [{"name": "in", "size": 1, "source": {"kind": "array", "steps": [0], "channels": [0]}}],
           "projections": [{"source": "in", "target": "a", "connect": {"kind": "explicit", "pairs": [[0, 3]]},
                            "weight": 5}]}
    _, _, _, prog, stim, _ = prepare("tiny-2x2", net, steps=2)
    rtl = run_rtl(prog, stim, max_step_cycles=3)
    mm = compare(run_cycle(prog, stim), rtl, prog)
    assert (mm.timestep, mm.field, mm.expected) == (0, "step_cycles", 8) and "watchdog" in str(mm.actual)
