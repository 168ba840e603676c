"""Concentration (several cores per router) and multicast routing (docs/microarchitecture.md §1,
§2, §4): directed timing tests whose cycle counts are derived by hand in the comments, and seeded
random chips/networks on which the fast engine's general router path equals the literal stepped
model on every number and the functional reference on every spike.

Conventions as in test_engine_timing.py: a flit pushed/granted in cycle c is visible from c+1;
"router j @c" means router j grants the flit (a copy) in cycle c; the SI pops in cycle p and reads
words in p+1 .. p+n, idle from p+n+1; Q is the first quiescent cycle and T_{t+1} = Q + barrier.
Ports: L=0 N=1 E=2 S=3 W=4, then L1=5, L2=6, L3=7.
"""
import numpy as np
import pytest

from neurocycle.hw import CapacityError, ConfigError, load_chip
from neurocycle.sim import CompileOptions, NetworkBuilder, compile_network, run_cycle, run_reference

from test_engine import assert_identical, assert_same_spikes, chip_of, random_net, run_all
from test_engine_timing import FIRE_ONCE, SILENT, both

B = 3
L, N, E, S, W, L1 = 0, 1, 2, 3, 4, 5


def noc_chip(width, height=1, cores=1, routing="unicast", **over):
    base = {"mesh.width": width, "mesh.height": height, "mesh.cores_per_router": cores, "router.routing": routing,
            "router.table_entries": 16, "barrier_cycles": B, "router.fifo_depth": 2, "core.fifo_depth": 2,
            "core.synapse_lanes": 1}
    return load_chip("tiny-2x2").with_overrides({**base, **over})


def compiled(spec, chip, npc, steps):
    net = spec.instantiate()
    prog = compile_network(net, chip, CompileOptions(placement="sequential", neurons_per_core=npc))
    return prog, net.stimulus(steps)


def _fan(targets, n_cores, npc=1):
    """Neuron 0 fires once at step 0 and drives one neuron on each core in ``targets``."""
    b = NetworkBuilder("fan")
    b.population("src", 1, FIRE_ONCE)
    b.population("rest", n_cores * npc - 1, SILENT)
    b.connect("src", "rest", "explicit", pairs=[[0, k * npc - 1] for k in targets], weight=1)
    return b.build()


# --------------------------------------------------------------------------- multicast
def test_multicast_fork_one_flit_two_cores():
    """3x1 mesh, one neuron per core; neuron 0 drives cores 1 and 2: one multicast flit.

    UPDATE(0) @0 fires, push @1; router 0 L->E @2; router 1 @3 sends both copies (E and L have
    space) and pops; router 2 ejects @4. SI1 pops @4, word @5; SI2 pops @5, word @6, idle from 7.
    (Unicast: two flits, pushed @1 and @2, the second ejected @5: Q = 8.)"""
    prog, stim = compiled(_fan([1, 2], 3), noc_chip(3, routing="multicast"), 1, 2)
    assert prog.fanout_mc.tolist() == [1] and np.diff(prog.router_table_offset).tolist() == [1, 1, 1]
    r = both(prog, stim)
    assert r.step_cycles.tolist() == [7 + B, 1 + B]
    assert r.counters["router_flits"].tolist() == [1, 2, 1]
    assert r.counters["link_flits"].tolist() == [1, 1, 0]
    assert r.counters["fanout_flits"].tolist() == [1, 0, 0]
    assert r.counters["mc_table_lookups"].tolist() == [1, 1, 1]
    assert r.counters["mc_default_routes"].sum() == 0 and r.counters["mc_partial_cycles"].sum() == 0
    assert r.detail["mc_lookups_port"][:, [L, W]].tolist() == [[1, 0], [0, 1], [0, 1]]
    uni = both(*compiled(_fan([1, 2], 3), noc_chip(3), 1, 2))
    assert uni.step_cycles.tolist() == [8 + B, 1 + B]
    assert uni.counters["router_flits"].tolist() == [2, 2, 1]


def test_multicast_straight_segment_takes_the_default_route():
    """4x1 mesh; neuron 0 drives cores 1 and 3: router 2 only passes the flit on (W -> E, the
    default route), so it has no table entry and counts a default route.

    Push @1; router 0 @2; router 1 @3 (E and L); router 2 @4; router 3 ejects @5; SI1 pops @4,
    word @5; SI3 pops @6, word @7, idle from 8 = Q."""
    prog, stim = compiled(_fan([1, 3], 4), noc_chip(4, routing="multicast"), 1, 1)
    assert np.diff(prog.router_table_offset).tolist() == [1, 1, 0, 1]
    r = both(prog, stim)
    assert r.step_cycles.tolist() == [8 + B]
    assert r.counters["mc_table_lookups"].tolist() == [1, 1, 1, 1]
    assert r.counters["mc_default_routes"].tolist() == [0, 0, 1, 0]
    assert r.detail["mc_default_port"][2].tolist() == [0, 0, 0, 0, 1]


def test_host_multicast_enters_by_the_default_route():
    """An input channel drives cores 1 and 2 of a 3x1 mesh: one multicast host flit. The host
    pushes @0; router 0 @1 (W -> E: the default route, no entry); router 1 @2 (E and L); router 2
    ejects @3; SI1 pops @3, word @4; SI2 pops @4, word @5; Q = 6."""
    b = NetworkBuilder("host-mc")
    b.population("p", 3, SILENT)
    b.array_input("x", 1, steps=[0], channels=[0])
    b.connect("x", "p", "explicit", pairs=[[0, 1], [0, 2]], weight=1)
    prog, stim = compiled(b.build(), noc_chip(3, routing="multicast"), 1, 1)
    assert prog.input_mc.tolist() == [1] and np.diff(prog.router_table_offset).tolist() == [0, 1, 1]
    r = both(prog, stim)
    assert r.step_cycles.tolist() == [6 + B]
    assert int(r.counters["host_flits"]) == 1
    assert r.counters["mc_default_routes"].tolist() == [1, 0, 0]


def test_partial_forward_when_only_one_output_has_space():
    """3x1 mesh, 2 neurons per core (core k holds neurons 2k, 2k+1), core FIFOs of depth 1.
    A = neuron 0 fires at step 0 and drives neurons 2 (core 1) and 4 (core 2): a multicast flit.
    Input channels x0 (-> neurons 2, 3: 2 synapse words at core 1) and x1 (-> neuron 2) fire at
    step 0: unicast host flits to core 1.

    Host: x0 @0, x1 @1 (W FIFO holds 1 < 2). Router 0: x0 W->E @1; @2 L (A) and W (x1) request E,
    the pointer is at W (x0 won last), so L wins: A @2, x1 blocked @2, x1 @3.
    Router 1: x0 ejected @2 (core FIFO empty). @3 the head is A, route {E, L}: E has space (router
    2's W FIFO is empty), L has not (x0 sits in the depth-1 core FIFO at the start of 3; the SI
    pops it @3): a partial forward, E granted, A stays. @4 A gets L and is popped.
    Router 2 ejects A @4: SI2 pops @5, word @6, idle from 7.
    SI1: x0 popped @3, words @4, @5; A in the core FIFO from 5, popped @6, word @7, idle from 8.
    Router 1: x1 head from 5 (pushed @3 behind A); the core FIFO holds A at the start of 5 and 6
    (popped @6): blocked @5, @6, ejected @7; SI1 pops x1 @8, word @9, idle from 10 = Q.
    Step 1: nothing fires; each NU walks 2 neurons: 2 + B."""
    b = NetworkBuilder("partial")
    b.population("a", 1, FIRE_ONCE)
    b.population("rest", 5, SILENT)
    b.array_input("x", 2, steps=[0, 0], channels=[0, 1])
    b.connect("a", "rest", "explicit", pairs=[[0, 1], [0, 3]], weight=1)
    b.connect("x", "rest", "explicit", pairs=[[0, 1], [0, 2], [1, 1]], weight=1)
    prog, stim = compiled(b.build(), noc_chip(3, routing="multicast", **{"core.fifo_depth": 1}), 2, 2)
    r = both(prog, stim)
    assert r.step_cycles.tolist() == [10 + B, 2 + B]
    pf = r.detail["link_flits_port"]
    assert pf[0, E] == 3 and pf[1, E] == 1 and pf[1, L] == 3 and pf[2, L] == 1
    assert r.detail["blocked_cycles_port"][0].tolist() == [0, 0, 0, 0, 1]
    assert r.detail["blocked_cycles_port"][1].tolist() == [0, 0, 0, 0, 3]
    assert r.detail["mc_partial_port"][1].tolist() == [0, 0, 0, 0, 1]
    assert r.counters["mc_partial_cycles"].tolist() == [0, 1, 0]
    assert r.counters["mc_table_lookups"].tolist() == [1, 1, 1]


# --------------------------------------------------------------------------- concentration
def test_concentration_local_to_local_and_to_the_next_router():
    """2x1 routers, 2 cores each (cores 0, 1 at router 0 on ports L and L1; cores 2, 3 at
    router 1), one neuron per core. Neuron 0 drives cores 1 and 3: two unicast flits, core order.
    Push f1 @1, f3 @2. Router 0: f1 L->L1 (core 1) @2; f3 L->E @3; router 1 W->L1 (core 3) @4.
    SI1 pops @3, word @4; SI3 pops @5, word @6, idle from 7 = Q."""
    prog, stim = compiled(_fan([1, 3], 4), noc_chip(2, cores=2), 1, 1)
    r = both(prog, stim)
    assert r.step_cycles.tolist() == [7 + B]
    assert r.counters["router_flits"].tolist() == [2, 1]          # router scope: one per router
    assert r.counters["axon_lookups"].tolist() == [0, 1, 0, 1]    # core scope: one per core
    assert r.detail["link_flits_port"].tolist() == [[0, 0, 1, 0, 0, 1], [0, 0, 0, 0, 0, 1]]
    assert r.detail["fifo_max_occupancy"].shape == (2, 6 + 2)


def test_concentration_two_local_inputs_contend():
    """2x1 routers, 2 cores each. Neurons 0 (core 0, port L) and 1 (core 1, port L1) both fire
    at step 0 and drive neuron 2 (core 2). Both push @1. Router 0 @2: output E is requested by L
    and L1; the pointer starts at P-1 = 5 (L1), so L goes first: L @2, L1 blocked, L1 @3.
    Router 1 ejects @3 and @4; SI2 pops @4, word @5, pops @6, word @7; Q = 8."""
    b = NetworkBuilder("contend")
    b.population("a", 2, FIRE_ONCE)
    b.population("rest", 2, SILENT)
    b.connect("a", "rest", "explicit", pairs=[[0, 0], [1, 0]], weight=1)
    prog, stim = compiled(b.build(), noc_chip(2, cores=2), 1, 1)
    r = both(prog, stim)
    assert r.step_cycles.tolist() == [8 + B]
    assert r.detail["blocked_cycles_port"][0].tolist() == [0, 0, 0, 0, 0, 1]
    assert r.spike_cycles.tolist() == [0, 0]


def test_multicast_with_concentration():
    """2x1 routers, 2 cores each; neuron 0 (core 0) drives cores 1, 2, 3: one multicast flit.
    Push @1; router 0 @2 sends L1 and E; router 1 @3 sends L and L1. SI1 pops @3, word @4;
    SI2 and SI3 pop @4, word @5; Q = 6."""
    prog, stim = compiled(_fan([1, 2, 3], 4), noc_chip(2, cores=2, routing="multicast"), 1, 1)
    r = both(prog, stim)
    assert r.step_cycles.tolist() == [6 + B]
    assert r.counters["router_flits"].tolist() == [2, 2]
    assert r.counters["link_flits"].tolist() == [1, 0]
    assert r.counters["mc_table_lookups"].tolist() == [1, 1]
    assert prog.table_outputs.tolist() == [(1 << L1) | (1 << E), (1 << L) | (1 << L1)]


# --------------------------------------------------------------------------- seeded random chips
def random_noc_case(seed):
    rng = np.random.default_rng([12, seed])
    w, h = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    cores = int(rng.integers(1, 5))
    mc = bool(rng.integers(0, 2)) or cores == 1
    over = {"router.fifo_depth": int(rng.integers(1, 4)), "core.fifo_depth": int(rng.integers(1, 4)),
            "core.synapse_lanes": int(rng.integers(1, 4)), "barrier_cycles": int(rng.integers(1, 6)),
            "host.row": int(rng.integers(0, h)), "mesh.cores_per_router": cores,
            "router.routing": "multicast" if mc else "unicast", "router.table_entries": 4096, "core.axons": 512,
            "core.fanout_entries": 1024}
    chip = chip_of(w, h, **over)
    spec = random_net(seed, n=int(rng.integers(4, 12 * w * h * cores)), n_in=int(rng.integers(1, 6)),
                      rate_hz=float(rng.uniform(50, 500)), p_rec=float(rng.uniform(0.05, 0.4)))
    placement = str(rng.choice(["balanced", "sequential", "snake", "traffic"]))
    return chip, spec, int(rng.integers(4, 10)), CompileOptions(placement=placement)


@pytest.mark.parametrize("seed", range(8))
def test_random_noc_chips(seed):
    chip, spec, steps, opts = random_noc_case(seed)
    prog, ref, fast, stepped = run_all(chip, spec, steps, opts)
    assert_same_spikes(ref, fast)
    assert_identical(fast, stepped)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(8, 200))
def test_random_noc_chips_sweep(seed):
    test_random_noc_chips(seed)


@pytest.mark.parametrize("seed", range(6))
def test_graded_and_event_driven_on_noc_chips(seed):
    """Graded payloads and the event-driven update on concentrated / multicast chips: every copy
    of a multicast flit carries its payload, and the kernel integrates a tree's ejections."""
    from test_graded_event import check_all, graded_net

    rng = np.random.default_rng([13, seed])
    w, h, cores = int(rng.integers(1, 3)), int(rng.integers(1, 3)), int(rng.integers(1, 5))
    P = int(rng.choice([0, 1, 3, 5]))
    mode = "event" if seed % 2 else "dense"
    chip = chip_of(w, h, **{"mesh.cores_per_router": cores,
                            "router.routing": "multicast" if (seed % 3 or cores == 1) else "unicast",
                            "router.table_entries": 4096, "core.axons": 512, "core.fanout_entries": 1024,
                            "bits.payload": P, "bits.accumulator": 26, "core.neuron_update": mode,
                            "core.scan_word_bits": int(2 ** rng.integers(0, 6)),
                            "router.fifo_depth": int(rng.integers(1, 4)), "core.fifo_depth": int(rng.integers(1, 4)),
                            "host.row": int(rng.integers(0, h))})
    n = int(rng.integers(8, 10 * w * h * cores))
    prog, fast = check_all(chip, graded_net(seed, n, P) if P else random_net(seed, n), steps=8)
    assert fast.n_spikes > 0
    if chip.router.routing == "multicast":
        assert prog.fanout_mc.sum() > 0 and fast.counters["mc_table_lookups"].sum() > 0


def test_congested_multicast_partial_forwards_and_stalls():
    chip = chip_of(3, 2, **{"router.fifo_depth": 1, "core.fifo_depth": 1, "router.routing": "multicast",
                            "router.table_entries": 512, "core.axons": 512, "mesh.cores_per_router": 2})
    prog, ref, fast, stepped = run_all(chip, random_net(1, 90, p_rec=0.5, bias=40), 6)
    assert_same_spikes(ref, fast)
    assert_identical(fast, stepped)
    assert fast.counters["mc_partial_cycles"].sum() > 0 and fast.counters["nu_stall_cycles"].sum() > 0


def test_unicast_and_multicast_compute_the_same_spikes():
    spec = random_net(5, 60, p_rec=0.3)
    runs = []
    for routing, cores in (("unicast", 1), ("multicast", 1), ("unicast", 2), ("multicast", 4)):
        chip = chip_of(4 // cores if cores < 4 else 1, 2, **{"mesh.cores_per_router": cores, "router.routing": routing,
                                                             "router.table_entries": 1024, "core.axons": 512})
        net = spec.instantiate()
        prog = compile_network(net, chip)
        runs.append(run_cycle(prog, net.stimulus(8)))
    for r in runs[1:]:
        assert_same_spikes(runs[0], r)


# --------------------------------------------------------------------------- errors
def test_table_overflow_names_the_router_and_the_fix():
    net = random_net(2, 48, p_rec=0.5).instantiate()
    chip = chip_of(3, 2, **{"router.routing": "multicast", "router.table_entries": 2, "core.axons": 512})
    with pytest.raises(CapacityError) as e:
        compile_network(net, chip)
    msg = str(e.value)
    assert e.value.field == "router.table_entries" and "multicast routing-table entries" in msg
    assert "router.table_entries is 2" in msg and "over by" in msg and "raise router.table_entries to" in msg
    assert "placement: traffic" in msg and "unicast" in msg


def test_aligned_axon_overflow_says_why():
    net = random_net(2, 48, p_rec=0.5).instantiate()
    chip = chip_of(3, 2, **{"router.routing": "multicast", "router.table_entries": 512, "core.axons": 16})
    with pytest.raises(CapacityError, match=r"core.axons.*same axon index in every core.*router.routing: unicast"):
        compile_network(net, chip)


def test_too_many_cores_is_a_config_error():
    with pytest.raises(ConfigError, match=r"mesh.cores_per_router.*8192 cores.*4096"):
        load_chip({"mesh": {"width": 64, "height": 32, "cores_per_router": 4}})
    with pytest.raises(ConfigError, match=r"mesh.cores_per_router"):
        load_chip({"mesh": {"width": 2, "height": 2, "cores_per_router": 5}})
    with pytest.raises(ConfigError, match=r"router.routing"):
        load_chip({"router": {"routing": "broadcast"}})


def test_traffic_placement_never_worse_than_balanced():
    for name in ("ff-classifier", "brunel-ei"):
        from neurocycle.sim import load_network
        spec, base = load_network(name)
        net = spec.instantiate(base_dir=base)
        chip = load_chip("default-4x4")
        a = compile_network(net, chip).noc_traffic()
        b = compile_network(net, chip, CompileOptions(placement="traffic")).noc_traffic()
        assert b["link_flits"] <= a["link_flits"], name


def test_noc_traffic_is_the_link_count_when_every_source_fires_once():
    """noc_traffic() predicts the link and router counters of a timestep in which every
    neuron and input channel fires once."""
    b = NetworkBuilder("all-once", seed=4)
    b.population("a", 24, FIRE_ONCE)
    b.array_input("x", 2, steps=[0, 0], channels=[0, 1])
    b.connect("x", "a", "fixed_probability", p=0.5, weight=1)
    b.connect("a", "a", "fixed_probability", p=0.3, weight=1)
    spec = b.build()
    for routing, cores in (("unicast", 1), ("multicast", 1), ("multicast", 2)):
        chip = chip_of(3, 2 // (1 if cores == 1 else 2) or 1, **{"mesh.cores_per_router": cores, "router.routing": routing,
                                                                 "router.table_entries": 256, "core.axons": 256})
        net = spec.instantiate()
        prog = compile_network(net, chip)
        res = run_cycle(prog, net.stimulus(1))
        assert res.n_spikes == 24
        t = prog.noc_traffic()
        assert t["link_flits"] == int(res.counters["link_flits"].sum())
        assert t["router_flits"] == int(res.counters["router_flits"].sum())
        assert t["mc_table_lookups"] == int(res.counters["mc_table_lookups"].sum())
        assert run_reference(prog, net.stimulus(1)).n_spikes == 24
