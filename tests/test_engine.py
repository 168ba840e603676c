"""Cycle-level engine: spikes identical to the functional reference, and the fast (event-skipping)
engine identical to the literal cycle-by-cycle one on every spike, cycle and counter."""
import dataclasses

import numpy as np
import pytest

from neurocycle.hw import (CHIP_COUNTERS, CORE_COUNTERS, COUNTER_NAMES, ROUTER_COUNTERS, ConfigError,
                           layout, load_chip)

DETAIL_NAMES = layout.DETAIL_NAMES
from neurocycle.sim import CompileOptions, NetworkBuilder, compile_network, run_cycle, run_reference, simulate

SMALL_CORE = {"core.neurons": 16, "core.axons": 128, "core.fanout_entries": 256, "core.synapse_words": 1024}


def chip_of(width, height, **over):
    return load_chip("tiny-2x2").with_overrides({"mesh.width": width, "mesh.height": height, **SMALL_CORE, **over})


def random_net(seed, n, n_in=4, rate_hz=300.0, p_rec=0.3, p_in=0.4, bias=20, w=(-8, 12), w_in=25, dv=200,
               refractory=1):
    b = NetworkBuilder("rand", seed=seed)
    b.population("a", n, {"bias": bias, "vth": 100, "dv": dv, "refractory": refractory})
    if n_in:
        b.poisson_input("x", n_in, rate_hz=rate_hz)
        b.connect("x", "a", "fixed_probability", p=p_in, weight=w_in)
    b.connect("a", "a", "fixed_probability", p=p_rec, weight={"kind": "uniform", "low": w[0], "high": w[1]})
    return b.build()


def run_all(chip, spec, steps, options=None):
    net = spec.instantiate()
    prog = compile_network(net, chip, options)
    stim = net.stimulus(steps)
    return prog, run_reference(prog, stim), run_cycle(prog, stim), run_cycle(prog, stim, mode="stepped")


def assert_same_spikes(a, b):
    assert np.array_equal(a.spike_steps, b.spike_steps)
    assert np.array_equal(a.spike_neurons, b.spike_neurons)


def assert_identical(fast, stepped):
    """fast == stepped on every externally visible number."""
    assert_same_spikes(fast, stepped)
    assert np.array_equal(fast.spike_cycles, stepped.spike_cycles)
    assert np.array_equal(fast.step_cycles, stepped.step_cycles)
    for name in COUNTER_NAMES:
        assert np.array_equal(fast.counters[name], stepped.counters[name]), name
    for name in DETAIL_NAMES:
        assert np.array_equal(fast.detail[name], stepped.detail[name]), name


def check(chip, spec, steps, options=None):
    prog, ref, fast, stepped = run_all(chip, spec, steps, options)
    assert_same_spikes(ref, fast)
    assert_identical(fast, stepped)
    return prog, fast


# --------------------------------------------------------------------------- exactness scenarios
@pytest.mark.parametrize("seed", range(6))
def test_random_networks_on_random_chips(seed):
    rng = np.random.default_rng(seed)
    w, h = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    chip = chip_of(w, h, **{"router.fifo_depth": int(rng.integers(1, 4)), "core.fifo_depth": int(rng.integers(1, 4)),
                            "core.synapse_lanes": int(rng.integers(1, 4)), "barrier_cycles": int(rng.integers(1, 6)),
                            "host.row": int(rng.integers(0, h))})
    spec = random_net(seed, n=int(rng.integers(4, 12 * w * h)), n_in=int(rng.integers(1, 6)),
                      rate_hz=float(rng.uniform(50, 500)), p_rec=float(rng.uniform(0.05, 0.4)))
    _, fast = check(chip, spec, steps=int(rng.integers(4, 12)))
    assert fast.n_spikes > 0


def test_congested_fifo_depth_one():
    chip = chip_of(3, 2, **{"router.fifo_depth": 1, "core.fifo_depth": 1})
    prog, fast = check(chip, random_net(1, 80, p_rec=0.5, bias=40), steps=8)
    assert fast.counters["nu_stall_cycles"].sum() > 0
    assert fast.counters["router_blocked_cycles"].sum() > 0
    assert fast.detail["fifo_max_occupancy"].max() == 1


def test_hot_spot_all_to_one_core():
    # every neuron of the 3x3 mesh drives the neurons placed on core 4 (the centre)
    chip = chip_of(3, 3, **{"router.fifo_depth": 2, "core.fifo_depth": 2})
    b = NetworkBuilder("hot", seed=3)
    b.population("src", 64, {"bias": 35, "vth": 100, "dv": 50})
    b.population("sink", 8, {"vth": 2000})
    b.connect("src", "sink", "all_to_all", weight=1)
    _, fast = check(chip, b.build(), steps=10, options=CompileOptions(neurons_per_core=8))
    # the centre core receives everything: its router ejects the most flits
    port_l = fast.detail["link_flits_port"][:, 0]
    assert np.argmax(port_l) == 8   # sink neurons fill the last core (k = 8) with 8 per core


def test_saturating_neurons():
    chip = chip_of(2, 2, **{"bits.state": 8, "bits.weight": 6, "bits.accumulator": 12})
    b = NetworkBuilder("sat", seed=5)
    b.population("a", 30, {"bias": 100, "vth": 127, "v_reset": -128, "w_exp": 3})
    b.poisson_input("x", 6, rate_hz=400)
    b.connect("x", "a", "fixed_probability", p=0.8, weight=31)
    b.connect("a", "a", "fixed_probability", p=0.3, weight={"kind": "uniform", "low": -32, "high": 31})
    _, fast = check(chip, b.build(), steps=8)
    assert fast.n_spikes > 0


def test_empty_timesteps_cost_only_the_walk_and_barrier():
    chip = chip_of(2, 2, barrier_cycles=3)
    b = NetworkBuilder("quiet")
    b.population("a", 10, {"vth": 1000})
    b.array_input("x", 2, steps=[3], channels=[1])
    b.connect("x", "a", "all_to_all", weight=1)
    _, fast = check(chip, b.build(), steps=6)
    per_core = -(-10 // 4)
    quiet = [t for t in range(6) if t != 3]
    assert all(fast.step_cycles[t] == per_core + 3 for t in quiet)
    assert fast.step_cycles[3] > per_core + 3
    assert fast.n_spikes == 0


def test_one_by_one_mesh():
    chip = chip_of(1, 1, **{"core.neurons": 40, "core.axons": 64, "core.fanout_entries": 64})
    _, fast = check(chip, random_net(2, 40, p_rec=0.4), steps=8)
    assert fast.counters["link_flits"].sum() == 0         # nowhere to go but back into the core
    assert fast.counters["router_flits"].sum() > 0


@pytest.mark.parametrize("w,h", [(4, 1), (1, 4), (3, 2), (2, 3)])
def test_non_square_meshes(w, h):
    chip = chip_of(w, h, **{"host.row": h - 1})
    check(chip, random_net(w * 10 + h, 6 * w * h), steps=6)


def test_inputs_only():
    chip = chip_of(2, 2)
    b = NetworkBuilder("inputs", seed=4)
    b.population("a", 20, {"vth": 2000})
    b.poisson_input("x", 12, rate_hz=500)
    b.connect("x", "a", "fixed_probability", p=0.5, weight=3)
    _, fast = check(chip, b.build(), steps=8)
    assert fast.n_spikes == 0
    assert int(fast.counters["host_flits"]) > 0
    assert fast.counters["fanout_flits"].sum() == 0
    assert fast.counters["axon_lookups"].sum() == int(fast.counters["host_flits"])


def test_core_filled_to_capacity():
    # all-to-all: each core holds 12 neurons, 51 axons (48 neurons + 3 inputs), 51*12 synapse
    # words and 12*4 fan-out entries -- every memory exactly full
    chip = chip_of(2, 2, **{"core.neurons": 12, "core.axons": 51, "core.fanout_entries": 48,
                            "core.synapse_words": 612})
    b = NetworkBuilder("full", seed=6)
    b.population("a", 48, {"bias": 30, "vth": 100, "dv": 300, "refractory": 1})
    b.poisson_input("x", 3, rate_hz=300)
    b.connect("x", "a", "all_to_all", weight=20)
    b.connect("a", "a", "all_to_all", weight={"kind": "uniform", "low": -6, "high": 6})
    prog, fast = check(chip, b.build(), steps=6)
    use = prog.core_usage()
    assert (use["neurons"] == 12).all() and (use["axons"] == 51).all()
    assert (use["synapse_words"] == 612).all() and (use["fanout_entries"] == 48).all()
    assert fast.n_spikes > 0


@pytest.mark.parametrize("lanes", [2, 3, 5])
def test_synapse_lanes(lanes):
    chip = chip_of(2, 2, **{"core.synapse_lanes": lanes})
    prog, fast = check(chip, random_net(7, 40, p_rec=0.6), steps=6)
    assert (fast.counters["synapse_word_reads"] <= fast.counters["synaptic_ops"]).all()
    assert (fast.counters["synapse_word_reads"] < fast.counters["synaptic_ops"]).any()


@pytest.mark.parametrize("wc,lanes", [(2, 1), (3, 2), (16, 8)])
def test_synapse_word_cycles(wc, lanes):
    """A slower synapse memory changes cycles, never spikes; fast == stepped on everything."""
    chip = chip_of(3, 2, **{"core.synapse_lanes": lanes, "core.synapse_word_cycles": wc})
    prog, fast = check(chip, random_net(17, 50, p_rec=0.5), steps=6)
    base = run_cycle(dataclasses.replace(prog, chip=chip_of(3, 2, **{"core.synapse_lanes": lanes})),
                     random_net(17, 50, p_rec=0.5).instantiate().stimulus(6))
    assert_same_spikes(base, fast)
    assert np.array_equal(fast.counters["synapse_word_reads"], base.counters["synapse_word_reads"])
    assert np.array_equal(fast.counters["si_busy_cycles"],
                          fast.counters["axon_lookups"] + wc * fast.counters["synapse_word_reads"])
    assert fast.total_cycles > base.total_cycles


def test_placement_options_and_host_row():
    chip = chip_of(3, 3, **{"host.row": 1})
    check(chip, random_net(8, 40), steps=6, options=CompileOptions(placement="snake"))


# --------------------------------------------------------------------------- result shape and wiring
def test_result_carries_every_counter_with_its_scope():
    chip = chip_of(3, 2)
    prog, fast = check(chip, random_net(9, 30), steps=4)
    nc = 6
    assert set(fast.counters) == set(COUNTER_NAMES)
    for name in CORE_COUNTERS + ROUTER_COUNTERS:
        assert fast.counters[name].shape == (nc,) and fast.counters[name].dtype == np.int64
    for name in CHIP_COUNTERS:
        assert fast.counters[name].shape == () and fast.counters[name].dtype == np.int64
    assert fast.detail["link_flits_port"].shape == (nc, 5)
    assert fast.detail["blocked_cycles_port"].shape == (nc, 5)
    assert fast.detail["fifo_max_occupancy"].shape == (nc, 6)
    lp = fast.detail["link_flits_port"]
    assert np.array_equal(fast.counters["router_flits"], lp.sum(1))
    assert np.array_equal(fast.counters["link_flits"], lp[:, 1:].sum(1))
    assert np.array_equal(fast.counters["link_flits_ew"], lp[:, 2] + lp[:, 4])
    assert np.array_equal(fast.counters["link_flits_ns"], lp[:, 1] + lp[:, 3])
    assert (fast.counters["local_flits"] <= lp[:, 0]).all()
    assert np.array_equal(fast.counters["router_blocked_cycles"], fast.detail["blocked_cycles_port"].sum(1))
    assert int(fast.counters["cycles"]) == int(fast.step_cycles.sum())
    assert int(fast.counters["barriers"]) == 4
    # conservation: every flit pushed is ejected exactly once and looked up once
    pushed = fast.counters["fanout_flits"].sum() + int(fast.counters["host_flits"])
    assert lp[:, 0].sum() == pushed == fast.counters["axon_lookups"].sum()
    assert np.array_equal(fast.counters["si_busy_cycles"],
                          fast.counters["axon_lookups"] + fast.counters["synapse_word_reads"])
    upd = fast.counters["neuron_updates_active"] + fast.counters["neuron_updates_inactive"]
    assert np.array_equal(upd, 4 * np.diff(prog.core_neuron_offset))
    assert np.array_equal(fast.counters["nu_busy_cycles"], upd + fast.counters["fanout_flits"])
    # spike cycles fall inside their timestep
    starts = np.concatenate([[0], np.cumsum(fast.step_cycles)])
    assert ((fast.spike_cycles >= starts[fast.spike_steps]) & (fast.spike_cycles < starts[fast.spike_steps + 1])).all()
    assert fast.backend == "cycle"


def test_stepped_backend_name_and_progress():
    chip = chip_of(2, 2)
    net = random_net(10, 20).instantiate()
    prog = compile_network(net, chip)
    seen_fast, seen_stepped = [], []
    f = run_cycle(prog, net.stimulus(5), progress=seen_fast.append)
    s = run_cycle(prog, net.stimulus(5), progress=seen_stepped.append, mode="stepped")
    assert seen_fast == seen_stepped == [0, 1, 2, 3, 4]
    assert (f.backend, s.backend) == ("cycle", "cycle-stepped")


def test_bad_mode_is_a_config_error():
    chip = chip_of(2, 2)
    net = random_net(11, 8).instantiate()
    prog = compile_network(net, chip)
    with pytest.raises(ConfigError, match="mode"):
        run_cycle(prog, net.stimulus(2), mode="turbo")


def test_simulate_uses_the_cycle_backend():
    b = NetworkBuilder("api", seed=2)
    b.population("a", 20, {"bias": 40, "vth": 100})
    run = simulate(chip_of(2, 2), b.build(), steps=5, backend="cycle")
    ref = simulate(chip_of(2, 2), b.build(), steps=5, backend="reference")
    assert run.result.backend == "cycle"
    assert_same_spikes(run.result, ref.result)


def test_default_chip_and_network_match_the_reference():
    run = simulate(steps=20, backend="cycle")
    ref = run_reference(run.program, run.stimulus)
    assert_same_spikes(ref, run.result)
    assert run.result.n_spikes > 0


# --------------------------------------------------------------------------- layout corners
@pytest.mark.parametrize("over", [
    {"mesh.width": 64, "mesh.height": 1},                      # a full 64-bit row
    {"mesh.width": 1, "mesh.height": 64, "host.row": 63},       # 64 rows of one tile
    {"mesh.width": 3, "mesh.height": 2, "router.fifo_depth": 64, "core.fifo_depth": 64},
    {"mesh.width": 3, "mesh.height": 2, "router.fifo_depth": 5, "core.fifo_depth": 3},
])
def test_mesh_and_fifo_extremes(over):
    w, h = over["mesh.width"], over["mesh.height"]
    chip = chip_of(w, h, **{k: v for k, v in over.items() if not k.startswith("mesh")})
    npc = 1 if w * h >= 40 else None
    check(chip, random_net(12, 40 if npc else 60, n_in=3, p_rec=0.2, bias=40),
          steps=4, options=CompileOptions(neurons_per_core=npc) if npc else None)


def test_large_sparse_mesh_matches_the_reference():
    # 64x64 = 4096 tiles (the largest mesh): exercises the widest core/router indices
    chip = chip_of(64, 64, **{"host.row": 40})
    b = NetworkBuilder("sparse", seed=13)
    b.population("a", 300, {"bias": 30, "vth": 100, "refractory": 2, "du": 2048})
    b.poisson_input("x", 4, rate_hz=200)
    b.connect("x", "a", "fixed_probability", p=0.05, weight=31)
    b.connect("a", "a", "fixed_probability", p=0.02, weight=20)
    net = b.build().instantiate()
    prog = compile_network(net, chip, CompileOptions(neurons_per_core=1, placement="snake"))
    stim = net.stimulus(5)
    fast = run_cycle(prog, stim)
    assert_same_spikes(run_reference(prog, stim), fast)
    assert fast.n_spikes > 0 and int(fast.counters["host_flits"]) > 0
