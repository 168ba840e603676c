"""Graded spikes and event-driven neuron update (issue #10): the functional reference, the fast
kernel and the literal stepped model agree on every spike, payload, cycle and counter; an
event-driven core produces the spikes of a dense one; directed tests with hand-derived timing
(docs/microarchitecture.md §5.1, §7, §9); every new config field has a rule and a clear error."""
import numpy as np
import pytest

from neurocycle.hw import (COUNTER_NAMES, CapacityError, ConfigError, area_report, energy_params, graded_count,
                           load_chip, neuron_update)
from neurocycle.sim import NetworkBuilder, compile_network, run_cycle, run_reference, simulate

from test_engine import assert_identical, assert_same_spikes, chip_of, random_net

B = 3   # barrier cycles of the directed tests


def graded_net(seed, n, P, n_in=4, bias=10):
    """Graded and binary populations, a graded array input (random payloads up to 2^P - 1), a
    Poisson input, every kind of projection between them."""
    rng = np.random.default_rng([seed, 7])
    b = NetworkBuilder("graded", seed=seed)
    b.population("g", max(1, n // 2), {"bias": bias, "vth": 40, "dv": 300, "du": 2000, "refractory": 1},
                 spikes="graded")
    b.population("c", max(1, n - n // 2), {"bias": bias // 2, "vth": 60, "dv": 100})
    steps, ch = rng.integers(0, 6, 8 * n_in), rng.integers(0, n_in, 8 * n_in)
    key = np.unique(steps * n_in + ch)
    b.array_input("x", n_in, steps=(key // n_in).tolist(), channels=(key % n_in).tolist(),
                  payloads=rng.integers(1, 2 ** P, key.size).tolist())
    b.poisson_input("y", 3, rate_hz=300)
    b.connect("x", "g", "fixed_probability", p=0.5, weight={"kind": "uniform", "low": -3, "high": 8})
    b.connect("y", "c", "fixed_probability", p=0.5, weight=20)
    b.connect("g", "c", "fixed_probability", p=0.4, weight={"kind": "uniform", "low": -4, "high": 6})
    b.connect("c", "g", "fixed_probability", p=0.4, weight={"kind": "uniform", "low": -4, "high": 6})
    b.connect("g", "g", "fixed_probability", p=0.2, weight={"kind": "uniform", "low": -4, "high": 6})
    return b.build()


def quiet_net(seed, n, n_in=6, rate_hz=150.0):
    """Neurons at rest unless driven (no bias), a leak that brings them back to rest: most
    updates of an event-driven core are skipped."""
    b = NetworkBuilder("quiet", seed=seed)
    b.population("a", n, {"vth": 30, "du": 3000, "dv": 1500, "refractory": 1})
    b.poisson_input("x", n_in, rate_hz=rate_hz)
    b.connect("x", "a", "fixed_probability", p=0.3, weight=31)
    b.connect("a", "a", "fixed_probability", p=0.1, weight={"kind": "uniform", "low": -10, "high": 25})
    return b.build()


def check_all(chip, spec, steps):
    """reference == fast == stepped (spikes and payloads; fast == stepped on everything)."""
    net = spec.instantiate()
    prog = compile_network(net, chip)
    stim = net.stimulus(steps)
    ref, fast, stepped = run_reference(prog, stim), run_cycle(prog, stim), run_cycle(prog, stim, mode="stepped")
    assert_same_spikes(ref, fast)
    assert_identical(fast, stepped)
    if chip.bits.payload:
        assert np.array_equal(ref.spike_payloads, fast.spike_payloads)
        assert np.array_equal(fast.spike_payloads, stepped.spike_payloads)
    else:
        assert ref.spike_payloads is None and fast.spike_payloads is None and stepped.spike_payloads is None
    return prog, fast


# --------------------------------------------------------------------------- the arithmetic
def test_graded_count_is_a_saturated_division_with_residual():
    v = np.arange(-40, 400)
    for vth in (1, 3, 7, 64):
        for P in (1, 2, 4, 8):
            q, r = graded_count(v, np.full(v.shape, vth), P)
            want = np.where(v >= 0, np.minimum(v // vth, 2 ** P - 1), 0)
            assert np.array_equal(q, want) and np.array_equal(r, v - q * vth)


def test_graded_update_is_a_quantised_relu_with_carried_residual():
    """From rest without leak: q = min(floor(I / vth), 2^P - 1), residual kept for the next step."""
    z = lambda *x: np.array(x, np.int64)   # noqa: E731
    u, v, r, q = neuron_update(z(0, 0, 0), z(0, 0, 0), z(0, 0, 0), z(20, 2, 40), z(4095), z(0), z(0), z(3), z(-9),
                               z(0), z(0), 16, graded=z(1, 1, 1), payload_bits=3)
    assert q.tolist() == [6, 0, 7] and v.tolist() == [2, 2, 19]    # 20 = 6*3 + 2; 2 < 3; 40 -> 7 (saturated), 40 - 21
    # the next step (no input) spends the residual: 19 -> q = 6, 1 left
    u2, v2, r2, q2 = neuron_update(u, v, r, z(0, 0, 0), z(4095), z(0), z(0), z(3), z(-9), z(0), z(0), 16,
                                   graded=z(1, 1, 1), payload_bits=3)
    assert q2.tolist() == [0, 0, 6] and v2.tolist() == [2, 2, 1]
    # a binary profile on a graded chip: payload 1, reset to v_reset
    _, vb, _, qb = neuron_update(z(0), z(0), z(0), z(20), z(4095), z(0), z(0), z(3), z(-9), z(0), z(0), 16,
                                 graded=z(0), payload_bits=3)
    assert qb.tolist() == [1] and vb.tolist() == [-9]


# --------------------------------------------------------------------------- exactness
@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("mode", ["dense", "event"])
def test_graded_random_networks_on_random_chips(seed, mode):
    rng = np.random.default_rng([seed, 11])
    w, h = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    P = int(rng.choice([1, 2, 3, 5, 8]))
    chip = chip_of(w, h, **{"bits.payload": P, "bits.accumulator": 26, "core.neuron_update": mode,
                            "core.scan_word_bits": int(2 ** rng.integers(0, 6)),
                            "router.fifo_depth": int(rng.integers(1, 4)), "core.fifo_depth": int(rng.integers(1, 4)),
                            "core.synapse_lanes": int(rng.integers(1, 4)), "host.row": int(rng.integers(0, h))})
    _, fast = check_all(chip, graded_net(seed, int(rng.integers(6, 10 * w * h)), P), steps=9)
    assert fast.n_spikes > 0
    if P > 1:
        assert fast.spike_payloads.max() > 1


@pytest.mark.parametrize("seed", range(4))
def test_event_driven_random_networks_match_dense(seed):
    rng = np.random.default_rng([seed, 12])
    w, h = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    base = {"core.scan_word_bits": int(2 ** rng.integers(0, 5)), "core.synapse_lanes": int(rng.integers(1, 3)),
            "router.fifo_depth": int(rng.integers(1, 3))}
    spec = quiet_net(seed, int(rng.integers(8, 12 * w * h))) if seed % 2 else random_net(seed, 8 * w * h)
    _, dense = check_all(chip_of(w, h, **base), spec, steps=12)
    _, event = check_all(chip_of(w, h, **base, **{"core.neuron_update": "event"}), spec, steps=12)
    assert_same_spikes(dense, event)                       # the point of §9
    visited = event.counters["neuron_updates_active"] + event.counters["neuron_updates_inactive"]
    assert (visited <= dense.counters["neuron_updates_active"] + dense.counters["neuron_updates_inactive"]).all()
    assert np.array_equal(event.counters["neuron_updates_active"], dense.counters["neuron_updates_active"])
    assert dense.counters["nu_scan_cycles"].sum() == dense.counters["pending_sets"].sum() == 0
    if seed % 2:                                           # neurons at rest are skipped
        assert visited.sum() < (dense.counters["neuron_updates_inactive"].sum()
                                + dense.counters["neuron_updates_active"].sum())


def test_event_driven_never_skips_a_neuron_that_would_change():
    """Bias, leak, refractory, and a neuron that fires every step without changing its state
    (bias >= vth, v_reset = the membrane it would reach): none of them is ever quiet."""
    b = NetworkBuilder("busy", seed=1)
    b.population("bias", 3, {"bias": 7, "vth": 1000})                       # v climbs: always active
    b.population("leak", 3, {"dv": 400, "vth": 1000, "v_reset": 0, "w_exp": 2})
    b.population("fixed", 2, {"bias": 50, "vth": 50, "v_reset": 0, "dv": 4095})   # fires every step, state fixed
    b.population("refr", 2, {"bias": 60, "vth": 50, "refractory": 3})
    b.array_input("x", 1, steps=[0, 4], channels=[0, 0])
    b.connect("x", "leak", "all_to_all", weight=30)
    b.connect("fixed", "refr", "all_to_all", weight=1)
    spec = b.build()
    _, dense = check_all(chip_of(1, 1, **{"core.neurons": 16}), spec, steps=10)
    _, event = check_all(chip_of(1, 1, **{"core.neurons": 16, "core.neuron_update": "event",
                                          "core.scan_word_bits": 4}), spec, steps=10)
    assert_same_spikes(dense, event)
    fixed_spikes = dense.spike_neurons[(dense.spike_neurons >= 6) & (dense.spike_neurons < 8)]
    assert fixed_spikes.size == 2 * 10                      # every step: never skipped although inactive
    assert dense.counters["neuron_updates_inactive"].sum() > 0


def test_event_driven_graded_on_a_busy_mesh():
    chip = chip_of(3, 2, **{"bits.payload": 4, "bits.accumulator": 24, "core.neuron_update": "event",
                            "core.scan_word_bits": 2, "router.fifo_depth": 1, "core.fifo_depth": 1})
    _, fast = check_all(chip, graded_net(21, 60, 4, n_in=6, bias=0), steps=10)
    assert fast.counters["nu_stall_cycles"].sum() > 0 and fast.counters["router_blocked_cycles"].sum() > 0


# --------------------------------------------------------------------------- directed timing
def _line(**over):
    return load_chip("tiny-2x2").with_overrides({"mesh.width": 1, "mesh.height": 1, "barrier_cycles": B,
                                                 "core.synapse_lanes": 1, **over})


def test_event_driven_timing_by_hand():
    """1x1 chip, 10 neurons, scan words of 4 bits (nw = 3 SCAN cycles per timestep), barrier 3.
    Input spike at step 0 -> a5 (w 10, vth 5, du 4095: u forgets, dv 0: v keeps); a5 -> a9 (w 1).

    step 0 (T=0): all pending. SCAN0 @0, U0..U3 @1..4, SCAN1 @5, U4..U7 @6..9, SCAN2 @10, U8 U9
      @11 12, DONE @13; all quiet (no input, no bias). Host push @0, router L @1, SI pop @2, word
      @3 (sets pend[a5]), idle @4. Q = 13 -> 16 cycles.
    step 1 (T=16): pend {5}. SCAN0 @16 (empty), SCAN1 @17, U5 @18 fires (u = v = 10): active;
      PUSH @19; SCAN2 @20; DONE @21. Flit: router @20, SI pop @21, word @22 (pend[a9]), idle @23.
      Q = 23 -> 10 cycles.
    step 2 (T=26): pend {5, 9}. SCAN0 @26, SCAN1 @27, U5 @28 (u 10 -> 0: active), SCAN2 @29, U9
      @30 (u = v = 1: active), DONE @31 -> 8 cycles.
    step 3 (T=34): pend {5, 9}. SCAN0, SCAN1, U5 @36 (all 0, no input: quiet), SCAN2, U9 @38
      (u 1 -> 0: active), DONE @39 -> 8 cycles.
    step 4 (T=42): pend {9}. SCAN0..2 @42..44, U9 @45 (v stays 1, u 0: quiet), DONE @46 -> 7.
    step 5: nothing pending: 3 SCAN cycles -> 6.
    """
    b = NetworkBuilder("ev")
    b.population("a", 10, {"vth": 5, "du": 4095})
    b.array_input("x", 1, steps=[0], channels=[0])
    b.connect("x", "a", "explicit", pairs=[[0, 5]], weight=10)
    b.connect("a", "a", "explicit", pairs=[[5, 9]], weight=1)
    spec = b.build()
    chip = _line(**{"core.neuron_update": "event", "core.scan_word_bits": 4})
    _, r = check_all(chip, spec, steps=6)
    assert r.step_cycles.tolist() == [16, 10, 8, 8, 7, 6]
    assert r.spike_cycles.tolist() == [18] and r.spike_neurons.tolist() == [5]
    c = {k: int(np.sum(v)) for k, v in r.counters.items()}
    assert c["nu_scan_cycles"] == 3 * 6
    assert c["neuron_updates_active"] + c["neuron_updates_inactive"] == 10 + 1 + 2 + 2 + 1
    assert c["neuron_updates_active"] == 4                 # U5 @1, U5 U9 @2, U9 @3
    assert c["pending_sets"] == 2 + 4                      # 2 synapses + 4 updates that were not quiet
    assert c["nu_busy_cycles"] == 16 + 18 + 1              # updates + scans + the push
    # the same network on a dense core: the same spike, 10 updates per step
    _, d = check_all(_line(), spec, steps=6)
    assert_same_spikes(d, r)
    assert d.step_cycles.tolist()[0] == 10 + B and d.counters["neuron_updates_inactive"].sum() == 60 - 4


def test_event_driven_scan_word_sizes():
    """No input, no bias: after step 0 every neuron is quiet, so a timestep is its SCAN cycles
    plus the barrier: ceil(n / scan_word_bits) + B; step 0 also updates all n."""
    b = NetworkBuilder("rest")
    b.population("a", 13, {"vth": 5})
    for bits, nw in ((1, 13), (4, 4), (8, 2), (16, 1), (64, 1)):
        _, r = check_all(_line(**{"core.neuron_update": "event", "core.scan_word_bits": bits}), b.build(), 3)
        assert r.step_cycles.tolist() == [nw + 13 + B, nw + B, nw + B], bits


def test_graded_payloads_by_hand():
    """P = 3, graded a0 (vth 3, du 4095, dv 0) gets one graded input of payload 7 x weight 4 = 28
    at step 0. Step 1: u = v = 28 -> q = min(9, 7) = 7, residual 7. Step 2: u = 0, v = 7 -> q = 2,
    residual 1. Binary b0 (vth 100) integrates 5 * q per spike: 35, then 10. On a P = 8 chip the
    payload does not saturate (q = 9, residual 1: no second spike), and the payload changes no
    cycle: step 0 and 1 take as long as on the P = 3 chip."""
    b = NetworkBuilder("pay")
    b.population("a", 1, {"vth": 3, "du": 4095}, spikes="graded")
    b.population("b", 1, {"vth": 100, "du": 4095})
    b.array_input("x", 1, steps=[0], channels=[0], payloads=[7])
    b.connect("x", "a", "all_to_all", weight=4)
    b.connect("a", "b", "all_to_all", weight=5)
    spec = b.build()
    chip = _line(**{"bits.payload": 3})
    _, r = check_all(chip, spec, steps=4)
    assert r.spike_neurons.tolist() == [0, 0] and r.spike_steps.tolist() == [1, 2]
    assert r.spike_payloads.tolist() == [7, 2]
    assert r.counters["synaptic_ops"].sum() == 3
    _, r8 = check_all(_line(**{"bits.payload": 8}), spec, steps=4)
    assert r8.spike_payloads.tolist() == [9] and r8.step_cycles.tolist()[:2] == r.step_cycles.tolist()[:2]


def test_binary_chip_results_carry_no_payloads_and_zero_new_counters():
    run = simulate(chip_of(2, 2), random_net(3, 20), steps=5)
    assert run.result.spike_payloads is None
    assert run.result.counters["nu_scan_cycles"].sum() == run.result.counters["pending_sets"].sum() == 0
    assert set(run.result.counters) == set(COUNTER_NAMES)


# --------------------------------------------------------------------------- rules and errors
def _err(fn):
    with pytest.raises((ConfigError, CapacityError)) as e:
        fn()
    return str(e.value)


@pytest.mark.parametrize("over,words", [
    ({"bits.payload": 17}, ["bits.payload", "16"]),
    ({"bits.payload": 8, "bits.weight": 8, "bits.accumulator": 14}, ["bits.payload", "16 bits", "accumulator to 16",
                                                                      "payload to 6"]),
    ({"bits.payload": 12, "bits.state": 12, "bits.accumulator": 32}, ["bits.payload", "below bits.state",
                                                                       "payload to 11"]),
    ({"core.neuron_update": "sparse"}, ["core.neuron_update", "dense", "event"]),
    ({"core.scan_word_bits": 12}, ["core.scan_word_bits", "power of two", "use 8 or 16"]),
    ({"core.scan_word_bits": 128}, ["core.scan_word_bits", "64"]),
])
def test_new_chip_fields_have_rules(over, words):
    msg = _err(lambda: load_chip("tiny-2x2").with_overrides(over))
    for w in words:
        assert w in msg, (w, msg)


def test_graded_population_on_a_binary_chip_is_refused():
    b = NetworkBuilder("g")
    b.population("layer", 4, {"vth": 3}, spikes="graded")
    msg = _err(lambda: compile_network(b.build().instantiate(), load_chip("tiny-2x2")))
    assert "bits.payload" in msg and "population 'layer'" in msg and "spikes: binary" in msg


def test_graded_neuron_needs_a_positive_threshold():
    b = NetworkBuilder("g")
    b.population("layer", 4, {"vth": 0}, spikes="graded")
    msg = _err(lambda: compile_network(b.build().instantiate(), _line(**{"bits.payload": 2})))
    assert "neuron.vth" in msg and "vth >= 1" in msg


def test_accumulator_budget_includes_the_payload():
    b = NetworkBuilder("g")
    b.population("a", 5, {"vth": 3}, spikes="graded")
    b.population("b", 4, {"vth": 3})
    b.connect("a", "b", "all_to_all", weight=31)
    chip = _line(**{"bits.payload": 6, "bits.weight": 6, "bits.accumulator": 14, "core.neurons": 16})
    msg = _err(lambda: compile_network(b.build().instantiate(), chip))   # 5 x 31 x 63 = 9765 > 8191
    assert "bits.accumulator" in msg and "largest payload" in msg
    compile_network(b.build().instantiate(), chip.with_overrides({"bits.accumulator": 15}))


def test_accumulator_budget_error_when_payload_is_fine_binary():
    b = NetworkBuilder("g")
    b.population("a", 4, {"vth": 3})
    b.population("b", 4, {"vth": 3})
    b.connect("a", "b", "all_to_all", weight=31)
    compile_network(b.build().instantiate(), _line(**{"bits.payload": 6, "bits.weight": 6, "bits.accumulator": 14}))


def test_input_payloads_are_checked():
    b = NetworkBuilder("g")
    b.population("a", 2, {"vth": 3})
    b.array_input("x", 2, steps=[0, 1], channels=[0, 1], payloads=[3, 9])
    b.connect("x", "a", "one_to_one", weight=1)
    net = b.build().instantiate()
    prog = compile_network(net, _line(**{"bits.payload": 3}))
    msg = _err(lambda: run_reference(prog, net.stimulus(3)))
    assert "payload 9" in msg and "bits.payload to 4" in msg
    msg = _err(lambda: run_cycle(prog, net.stimulus(3)))
    assert "payload 9" in msg


@pytest.mark.parametrize("inp,words", [
    ({"name": "x", "size": 2, "spikes": "graded", "source": {"kind": "poisson", "rate_hz": 10}},
     ["inputs[0].source", "array source with payloads"]),
    ({"name": "x", "size": 2, "source": {"kind": "array", "steps": [0], "channels": [1], "payloads": [2]}},
     ["payloads", "spikes: graded"]),
    ({"name": "x", "size": 2, "spikes": "graded", "source": {"kind": "array", "steps": [0, 1], "channels": [1, 1],
                                                            "payloads": [2]}},
     ["payloads", "one payload per spike"]),
    ({"name": "x", "size": 2, "spikes": "graded", "source": {"kind": "array", "steps": [0], "channels": [1],
                                                            "payloads": [0]}},
     ["payloads", "greater than or equal to 1"]),
])
def test_graded_input_schema(inp, words):
    from neurocycle.sim import NetworkSpec
    from neurocycle.hw import validate_data
    data = {"name": "n", "populations": [{"name": "a", "size": 2, "neuron": {"vth": 3}}], "inputs": [inp]}
    msg = _err(lambda: validate_data(NetworkSpec, data, what="network"))
    for w in words:
        assert w in msg, (w, msg)


def test_a_graded_channel_fires_once_per_timestep():
    b = NetworkBuilder("g")
    b.population("a", 2, {"vth": 3})
    b.array_input("x", 2, steps=[0, 0], channels=[1, 1], payloads=[2, 3])
    b.connect("x", "a", "one_to_one", weight=1)
    msg = _err(lambda: b.build().instantiate().stimulus(2))
    assert "fires twice" in msg and "at most one payload" in msg


# --------------------------------------------------------------------------- price and area
def test_payload_bits_reach_flits_energy_and_area():
    base = load_chip("default-4x4")
    g = base.with_overrides({"bits.payload": 8, "bits.accumulator": 28})
    assert g.derived.flit_bits == base.derived.flit_bits + 8
    assert g.derived.fanout_entry_bits == base.derived.fanout_entry_bits    # routes only
    assert g.derived.profile_entry_bits == base.derived.profile_entry_bits + 1
    pb, pg = energy_params(base), energy_params(g)
    for ev in ("router_flits", "link_flits", "host_flits"):
        assert pg.events_pj[ev] > pb.events_pj[ev]
    assert "payload_multiply" in pg.components_pj["synaptic_ops"]
    assert "payload_multiply" not in pb.components_pj["synaptic_ops"]
    assert "graded_output" in pg.components_pj["neuron_updates_active"]
    ab, ag = area_report(base), area_report(g)
    assert "si_payload_multiply" in ag.logic_breakdown_ge["core"] and "si_payload_multiply" not in ab.logic_breakdown_ge["core"]
    assert ag.router_logic_ge > ab.router_logic_ge and ag.tile_mm2 > ab.tile_mm2


def test_event_mode_adds_the_pending_bitmaps():
    base = load_chip("default-4x4")
    ev = base.with_overrides({"core.neuron_update": "event", "core.scan_word_bits": 16})
    assert ev.derived.pending_bits == 2 * 256 and ev.derived.scan_words == 16
    assert ev.derived.core_sram_bits == base.derived.core_sram_bits + 512
    a = area_report(ev)
    assert a.sram_bits["pending_bitmaps"] == 512 and "nu_event_scan" in a.logic_breakdown_ge["core"]
    assert "pending_bitmaps" not in area_report(base).sram_bits
    p = energy_params(ev)
    assert p.events_pj["nu_scan_cycles"] > 0 and p.events_pj["pending_sets"] > 0
    assert energy_params(base).events_pj["nu_scan_cycles"] == 0.0


def test_graded_run_writes_payloads():
    run = simulate(chip_of(2, 2, **{"bits.payload": 4, "bits.accumulator": 24}), graded_net(4, 20, 4), steps=6)
    lines = run.spikes_csv().splitlines()
    assert lines[0] == "timestep,neuron,cycle,payload" and len(lines) == run.result.n_spikes + 1
    assert run.result.spike_payloads.max() > 1
