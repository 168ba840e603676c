"""Systems of chips in the cycle model (docs/microarchitecture.md §12): the fast kernel's system
path equals the literal stepped model on every number and the functional reference on every
spike; links that behave like wires give exactly the single chip; the partitioned run equals the
single-process one bit for bit; directed timing derived by hand.

Conventions as in test_engine_timing.py: a flit pushed/granted in cycle c is visible from c+1;
"router (X,Y) @c" = the router grants it in cycle c; a link granted @c pushes into its receiving
FIFO @c+L (visible c+L+1) and the credit of a pop @c' is back @c'+Lc (visible c'+Lc+1).
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from neurocycle.hw import ConfigError, layout, load_chip, load_system, system_from_yaml_text
from neurocycle.sim import CompileOptions, NetworkBuilder, compile_network, run_cycle, run_reference
from neurocycle.sim._system_engine import run_system

from test_engine import assert_identical, assert_same_spikes, random_net
from test_engine_timing import FIRE_ONCE, SILENT

DETAIL_NAMES = layout.DETAIL_NAMES
E, W = layout.PORTS.index("E"), layout.PORTS.index("W")


def system(grid=(2, 1), chip="tiny-2x2", **fields):
    lines = [f"chip: {chip}", f"grid: {{width: {grid[0]}, height: {grid[1]}}}"]
    lines += [f"{k}: {v}" for k, v in fields.items()]
    return system_from_yaml_text("\n".join(lines) + "\n")


def compiled(spec, target, steps, options=None):
    net = spec.instantiate()
    prog = compile_network(net, target, options)
    return prog, net.stimulus(steps)


def all_three(prog, stim):
    """fast == stepped on every number, == reference on spikes; returns the fast result."""
    fast = run_cycle(prog, stim)
    stepped = run_cycle(prog, stim, mode="stepped")
    assert_same_spikes(run_reference(prog, stim), fast)
    assert_identical(fast, stepped)
    return fast


def assert_same_numbers(a, b):
    assert_identical(a, b)
    assert (a.spike_payloads is None) == (b.spike_payloads is None)
    if a.spike_payloads is not None:
        assert np.array_equal(a.spike_payloads, b.spike_payloads)


# --------------------------------------------------------------------------- directed timing
def test_host_flit_crosses_one_link():
    """tiny-pair-like system, L = 3 (credits back in 3): the host flit goes to the one neuron of
    system tile (2,0) = chip 1's tile (0,0) (neuron 4: the system places chip by chip).

    Host push @0 into (0,0).W; router (0,0) E @1; router (1,0) E onto the link @2 -> pushed into
    (2,0).W @5; router (2,0) L @6 (and the pop sends a credit back: @9, visible from 10); SI pops
    @7, word @8, idle from 9. Quiescent when the credit is home: Q = 10. Barrier = 2 + 2 x 1 x 4
    = 10 -> 20 cycles. The other cores hold one neuron each (NUs done @1)."""
    b = NetworkBuilder("host-link")
    b.population("p", 8, SILENT)
    b.array_input("x", 1, steps=[0], channels=[0])
    b.connect("x", "p", "explicit", pairs=[[0, 4]], weight=5)
    s = system((2, 1), link_latency_cycles=3, link_buffer_flits=4)
    prog, stim = compiled(b.build(), s, 2, CompileOptions(neurons_per_core=1))
    assert prog.input_dst_x.tolist() == [2] and prog.input_dst_y.tolist() == [0]
    r = all_three(prog, stim)
    assert r.step_cycles.tolist() == [10 + 10, 1 + 10]
    pf = r.detail["link_flits_port"]
    assert pf[1, E] == 1 and pf[0, E] == 1 and pf[2, 0] == 1
    assert int(r.counters["link_flits"].sum()) == 2


def test_serialiser_and_credits_pace_a_burst():
    """Four host flits to core 2 (system tile (2,0)) over a link with L = 2, credits back in 2,
    2 cycles per flit, a receive buffer of 1 flit: the sender holds a flit until the serialiser
    is free AND the single credit is back.

    Host pushes @0..@3 into (0,0).W (depth 2: @0, @1, then @2 and @3 as router (0,0) pops @1, @2
    ...). Link grants: f0 @2 -> arrives @4, (2,0) L @5 pops -> credit @7 (visible 8); f1: credit
    back from 8, serialiser free from 4: granted @8 -> @10, L @11, credit @13; f2 @14 -> L @17,
    credit @19; f3 @20 -> @22, L @23, credit @25 -> Q = 26 (the SIs pop @6.. with one word each,
    long done). Barrier 2 + 2 x (2 + 1) = 8."""
    b = NetworkBuilder("burst")
    b.population("p", 8, SILENT)
    b.array_input("x", 4, steps=[0, 0, 0, 0], channels=[0, 1, 2, 3])
    b.connect("x", "p", "explicit", pairs=[[0, 4], [1, 4], [2, 4], [3, 4]], weight=1)
    s = system((2, 1), link_latency_cycles=2, link_cycles_per_flit=2, link_buffer_flits=1)
    prog, stim = compiled(b.build(), s, 1, CompileOptions(neurons_per_core=1))
    r = all_three(prog, stim)
    assert r.step_cycles.tolist() == [26 + 8]
    assert r.detail["fifo_max_occupancy"][2, W] == 1             # the receive buffer never holds more
    assert r.detail["blocked_cycles_port"][1, W] > 0              # f1..f3 waited at the sender


# --------------------------------------------------------------------------- wires = one chip
@pytest.mark.parametrize("grid, seed", [((2, 1), 1), ((2, 2), 2), ((1, 3), 3)])
def test_links_that_are_wires_give_the_single_chip(grid, seed):
    """L = Lc = 0, a receive buffer of router.fifo_depth, 1 cycle per flit and no barrier cost
    per chip hop: the system is its system mesh as one chip (microarchitecture.md §12.2), so the
    system path (general routers + links) equals the bit-parallel single-chip path on every
    spike, cycle and counter."""
    s = system(grid, link_latency_cycles=0, link_buffer_flits=2, barrier_cycles_per_chip_hop=0)
    chip = load_chip("tiny-2x2").with_overrides({"mesh.width": 2 * grid[0], "mesh.height": 2 * grid[1]})
    spec = random_net(seed, 12 * grid[0] * grid[1], n_in=3, rate_hz=400, p_rec=0.4)
    net = spec.instantiate()
    ps = compile_network(net, s, CompileOptions(placement="sequential", neurons_per_core=3))
    # the same tables on the same mesh, as a program of the single chip (row-major numbering and
    # flit widths are the same; the system placed the neurons chip by chip)
    pc = dataclasses.replace(ps, chip=chip, system=None)
    stim = net.stimulus(25)
    sys_r = run_cycle(ps, stim)
    chip_r = run_cycle(pc, stim)
    assert sys_r.n_spikes > 50
    assert_same_numbers(sys_r, chip_r)


# --------------------------------------------------------------------------- random systems
@pytest.mark.parametrize("seed", range(6))
def test_random_systems_fast_equals_stepped_and_reference(seed):
    rng = np.random.default_rng(seed)
    gx, gy = [(2, 1), (1, 2), (2, 2), (3, 1), (2, 2), (3, 2)][seed]
    cw, ch = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    L = int(rng.integers(0, 6))
    fields = {"link_latency_cycles": L, "link_credit_latency_cycles": int(rng.integers(0, 5)),
              "link_cycles_per_flit": int(rng.integers(1, 4)), "link_buffer_flits": int(rng.integers(1, 5))}
    chip = load_chip("tiny-2x2").with_overrides({
        "mesh.width": cw, "mesh.height": ch, "router.fifo_depth": int(rng.integers(1, 4)),
        "core.fifo_depth": int(rng.integers(1, 4)), "barrier_cycles": int(rng.integers(1, 4)),
        "core.synapse_lanes": int(rng.integers(1, 3)), "core.neurons": 16, "core.axons": 128,
        "core.fanout_entries": 256, "core.synapse_words": 1024})
    s = load_system({"chip": chip.model_dump(mode="json"), "grid": {"width": gx, "height": gy}, **fields})
    n = 5 * s.derived.n_cores
    spec = random_net(seed + 10, n, n_in=int(rng.integers(1, 5)), rate_hz=float(rng.uniform(100, 600)),
                      p_rec=float(rng.uniform(0.1, 0.5)))
    placement = ["balanced", "sequential", "snake"][seed % 3]
    prog, stim = compiled(spec, s, 12, CompileOptions(placement=placement))
    r = all_three(prog, stim)
    assert r.n_spikes > 0


@pytest.mark.parametrize("routing, cores, payload, update", [
    ("multicast", 1, 0, "dense"), ("unicast", 2, 0, "dense"), ("multicast", 2, 3, "event"),
    ("unicast", 1, 4, "dense"), ("multicast", 1, 0, "event")])
def test_systems_with_multicast_concentration_graded_event(routing, cores, payload, update):
    chip = load_chip("tiny-2x2").with_overrides({
        "router.routing": routing, "router.table_entries": 512, "mesh.cores_per_router": cores,
        "bits.payload": payload, "bits.accumulator": 20, "core.neuron_update": update, "core.scan_word_bits": 4,
        "core.neurons": 16, "core.axons": 512, "core.fanout_entries": 256, "core.synapse_words": 1024})
    s = load_system({"chip": chip.model_dump(mode="json"), "grid": {"width": 2, "height": 2},
                     "link_latency_cycles": 2, "link_buffer_flits": 2, "link_cycles_per_flit": 2})
    b = NetworkBuilder("mix", seed=7)
    spikes = "graded" if payload else "binary"
    b.population("a", 4 * s.derived.n_cores, {"bias": 20, "vth": 100, "dv": 200, "refractory": 1}, spikes=spikes)
    b.poisson_input("x", 3, rate_hz=300.0)
    b.connect("x", "a", "fixed_probability", p=0.4, weight=25)
    b.connect("a", "a", "fixed_probability", p=0.3, weight={"kind": "uniform", "low": -8, "high": 12})
    prog, stim = compiled(b.build(), s, 10)
    r = all_three(prog, stim)
    assert r.n_spikes > 0
    if routing == "multicast":
        assert prog.fanout_mc.any()


# --------------------------------------------------------------------------- partitions
@pytest.mark.parametrize("update, payload", [("dense", 0), ("event", 3)])
def test_partitioned_equals_single_process(update, payload):
    """The partitioned algorithm (2 and 4 partitions of a 2 x 2 system, in this process) gives
    the single-process run bit for bit: spikes, spike cycles, cycles, every counter and detail."""
    chip = load_chip("tiny-2x2").with_overrides({
        "bits.payload": payload, "bits.accumulator": 20, "core.neuron_update": update, "core.scan_word_bits": 4,
        "core.neurons": 16, "core.axons": 128, "core.fanout_entries": 256, "core.synapse_words": 1024})
    s = load_system({"chip": chip.model_dump(mode="json"), "grid": {"width": 2, "height": 2},
                     "link_latency_cycles": 3, "link_buffer_flits": 3})
    spec = random_net(5, 80, n_in=4, rate_hz=500, p_rec=0.35)
    if payload:
        spec = spec.model_copy(update={"populations": tuple(p.model_copy(update={"spikes": "graded"})
                                                            for p in spec.populations)})
    prog, stim = compiled(spec, s, 20)
    one = run_system(prog, stim)
    for k in (2, 4):
        part = run_system(prog, stim, partitions=k)
        assert_same_numbers(one, part)
        assert part.partition["window_cycles"] == 3 and part.partition["exchanged"] > 0
    assert one.n_spikes > 100


def test_zero_latency_refuses_partitioning():
    s = system((2, 1), link_latency_cycles=0)
    prog, stim = compiled(random_net(1, 16), s, 2)
    run_system(prog, stim)                            # one process: a wire is fine
    with pytest.raises(ConfigError) as ei:
        run_system(prog, stim, partitions=2)
    e = ei.value
    assert e.field == "link_latency_cycles" and "no window" in e.rule and "at least 1" in e.fix


def test_too_many_partitions():
    s = system((2, 1))
    prog, stim = compiled(random_net(1, 16), s, 2)
    with pytest.raises(ConfigError) as ei:
        run_system(prog, stim, partitions=3)
    assert ei.value.field == "workers" and "--workers 2" in ei.value.fix


def test_network_too_big_for_the_system_names_the_grid():
    from neurocycle.hw import CapacityError
    s = system((2, 1))
    with pytest.raises(CapacityError) as ei:
        compiled(random_net(1, 8 * 16 + 1), s, 1)
    assert ei.value.field == "grid" and "grid of at least 3 chips" in ei.value.fix


# --------------------------------------------------------------------------- beyond one chip's mesh
def test_system_wider_than_64_tiles():
    """Two 64 x 1 chips side by side: a 128 x 1 system mesh (wider than a chip may be), fast ==
    stepped == reference."""
    chip = load_chip("tiny-2x2").with_overrides({"mesh.width": 64, "mesh.height": 1, "core.neurons": 4,
                                                 "core.axons": 64, "core.fanout_entries": 64,
                                                 "core.synapse_words": 256})
    s = load_system({"chip": chip.model_dump(mode="json"), "grid": {"width": 2, "height": 1},
                     "link_latency_cycles": 2, "link_buffer_flits": 2})
    assert s.derived.mesh_width == 128
    spec = random_net(3, 256, n_in=2, rate_hz=300, p_rec=0.03)
    prog, stim = compiled(spec, s, 6)
    r = all_three(prog, stim)
    assert r.n_spikes > 20 and int(r.counters["link_flits"].sum()) > 100


def test_system_with_more_than_4096_cores():
    """Two 64 x 40 chips: 5,120 cores on a 128 x 40 system mesh (more than the 4,096 cores of the
    largest chip). One spike from core 0 (0,0) to the last core (127,39), L = Lc = 4, barrier
    2 + 2 x 1 x 5 = 12: UPDATE @0, push @1; routers (X,0) E @2+X for X = 0..62, router (63,0) onto
    the link @65 -> (64,0).W @69 (its credit back @74); routers (X,0) @70+X-64 .. (127,0) S @133;
    routers (127,y) @133+y, the last ejects @172; SI pops @173, word @174, idle from 175 = Q.
    Fast == reference on the spikes (the stepped model is too slow for 5,120 cores)."""
    chip = load_chip("tiny-2x2").with_overrides({"mesh.width": 64, "mesh.height": 40, "core.neurons": 1,
                                                 "core.axons": 4, "core.fanout_entries": 4,
                                                 "core.synapse_words": 4})
    s = load_system({"chip": chip.model_dump(mode="json"), "grid": {"width": 2, "height": 1},
                     "link_latency_cycles": 4, "link_buffer_flits": 2})
    assert s.derived.n_cores == 5120
    n = s.derived.n_cores
    b = NetworkBuilder("far")
    b.population("src", 1, FIRE_ONCE)
    b.population("rest", n - 1, SILENT)
    b.connect("src", "rest", "explicit", pairs=[[0, n - 2]], weight=1)
    prog, stim = compiled(b.build(), s, 2, CompileOptions(placement="sequential", neurons_per_core=1))
    last = n - 1
    assert prog.row_gid[prog.core_neuron_offset[last]] == n - 1        # the target sits on core 5119 = (127,39)
    fast = run_cycle(prog, stim)
    assert_same_spikes(run_reference(prog, stim), fast)
    assert fast.step_cycles.tolist() == [175 + 12, 1 + 12]
    assert int(fast.counters["synaptic_ops"][last]) == 1 and int(fast.counters["link_flits"].sum()) == 127 + 39


# --------------------------------------------------------------------------- delays and STDP on systems
@pytest.mark.parametrize("seed", range(3))
def test_systems_with_delays_and_stdp(seed):
    """Synaptic delays and STDP (microarchitecture.md §10, §11) on random systems: the learning
    phase follows the SYSTEM's quiescence (§12.4: the longest learning engine of any chip, then
    the system barrier). Reference == fast == stepped on spikes and final weights, fast ==
    stepped on every number, and the partitioned run (2 and 4 partitions, each learning for the
    whole system and reporting its own cores) == the single process bit for bit."""
    from test_delays_learning import RULE, plastic_net

    rng = np.random.default_rng([seed, 13])
    D = int(rng.integers(2, 5))
    graded = seed == 2
    chip = load_chip("tiny-2x2").with_overrides({
        "mesh.width": int(rng.integers(1, 3)), "mesh.height": 1, "core.learning": "stdp", "core.delay_slots": D,
        "core.neuron_update": "event" if seed % 2 else "dense", "bits.weight": 8, "bits.accumulator": 24,
        "bits.payload": 2 if graded else 0, "core.synapse_lanes": int(rng.integers(1, 3)),
        "router.fifo_depth": int(rng.integers(1, 3)), "barrier_cycles": int(rng.integers(1, 4)),
        "core.neurons": 16, "core.axons": 128, "core.fanout_entries": 256, "core.synapse_words": 1024})
    s = load_system({"chip": chip.model_dump(mode="json"), "grid": {"width": 2, "height": 2},
                     "link_latency_cycles": int(rng.integers(1, 4)), "link_buffer_flits": int(rng.integers(1, 4)),
                     "link_cycles_per_flit": int(rng.integers(1, 3))})
    rule = {**RULE, "a_plus": int(rng.integers(20, 60)), "lr_shift": int(rng.integers(0, 3))}
    spec = plastic_net(seed, 5 * s.derived.n_cores, rule=rule, D=D, graded=graded)
    prog, stim = compiled(spec, s, 14)
    assert prog.learning and prog.chip.core.delay_slots == D
    ref = run_reference(prog, stim)
    fast = all_three(prog, stim)
    stepped = run_cycle(prog, stim, mode="stepped")
    assert np.array_equal(ref.weights, fast.weights) and np.array_equal(fast.weights, stepped.weights)
    assert (fast.weights != prog.syn_weight).any()                      # it learned
    c = fast.counters
    assert int(c["weight_updates"].sum()) > 0 and int(c["link_flits"].sum()) > 0
    # every learning core walks its traces once per timestep: counted once, by the core's owner
    m = np.maximum(np.diff(prog.core_neuron_offset), np.diff(prog.core_axon_offset)) * (prog.core_stdp[:, 0] > 0)
    assert (c["learning_cycles"] == c["post_lookups"] + 2 * c["reverse_reads"] + fast.steps * m).all()
    for k in (2, 4):
        part = run_system(prog, stim, partitions=k)
        assert_same_numbers(fast, part)
        assert np.array_equal(fast.weights, part.weights)
