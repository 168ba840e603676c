"""Synaptic delays and on-chip STDP (issue #11): the functional reference, the fast kernel and the
literal stepped model agree on every spike, cycle, counter and final weight; directed timelines
with hand-derived cycles (docs/microarchitecture.md §10, §11); the STDP window is the rule's
exactly; bad delay/plasticity parameters get a clear error naming the field and the fix."""
from pathlib import Path

import numpy as np
import pytest

from neurocycle.hw import (COUNTER_NAMES, CapacityError, ConfigError, load_chip, stdp_decay_constant,
                           stdp_window)
from neurocycle.sim import NetworkBuilder, compile_network, run_cycle, run_reference

from test_engine import assert_identical, assert_same_spikes, chip_of

RULE = {"rule": "stdp", "a_plus": 60, "a_minus": 50, "tau_plus_steps": 6.0, "tau_minus_steps": 8.0,
        "w_min": -20, "w_max": 40, "lr_shift": 2}


def check_all(chip, spec, steps, options=None):
    """reference == fast == stepped: spikes (and payloads); fast == stepped on every number; the
    final weights of all three."""
    net = spec.instantiate()
    prog = compile_network(net, chip, options)
    stim = net.stimulus(steps)
    ref, fast, stepped = run_reference(prog, stim), run_cycle(prog, stim), run_cycle(prog, stim, mode="stepped")
    assert_same_spikes(ref, fast)
    assert_identical(fast, stepped)
    if chip.bits.payload:
        assert np.array_equal(ref.spike_payloads, fast.spike_payloads)
    if prog.learning:
        assert ref.weights is not None
        assert np.array_equal(ref.weights, fast.weights) and np.array_equal(fast.weights, stepped.weights)
    else:
        assert ref.weights is None and fast.weights is None and stepped.weights is None
    return net, prog, ref, fast


def delay_net(seed, n, D, n_in=4, plastic=False, graded=False):
    """A recurrent network with random delays 1..D on every projection (uniform, normal, constant
    and delay_ms), optionally plastic (one rule) and graded."""
    rng = np.random.default_rng([seed, 3])
    b = NetworkBuilder("delays", seed=seed)
    b.population("a", n, {"bias": 12, "vth": 80, "dv": 300, "du": 1500, "refractory": 1},
                 spikes="graded" if graded else "binary")
    b.population("b", max(1, n // 3), {"vth": 60, "dv": 500})
    b.poisson_input("x", n_in, rate_hz=250)
    rule = dict(RULE) if plastic else None
    b.connect("x", "a", "fixed_probability", p=0.5, weight={"kind": "uniform", "low": 0, "high": 30},
              delay_steps={"kind": "uniform", "low": 1, "high": D}, plasticity=rule)
    b.connect("a", "a", "fixed_probability", p=0.3, weight={"kind": "uniform", "low": -10, "high": 20},
              delay_steps={"kind": "normal", "mean": (D + 1) / 2, "std": 1.5, "high": D}, plasticity=rule)
    b.connect("a", "b", "fixed_probability", p=0.4, weight=int(rng.integers(10, 25)), delay_ms=float(min(D, 2)))
    b.connect("b", "a", "all_to_all", weight=-5, delay_steps=D)
    return b.build()


# --------------------------------------------------------------------------- delays
def test_delay_semantics_by_hand():
    """A spike at t through a synapse of total delay k is integrated into the input of t + k: input
    spikes at 0 and 2 through delays 1, 2, 3 reach a leak-free threshold-5 neuron each at 0 + k, 2 + k."""
    b = NetworkBuilder("d")
    b.population("a", 3, {"vth": 5, "du": 4095, "dv": 4095})
    b.array_input("x", 1, steps=[0, 2], channels=[0, 0])
    for i, k in enumerate((1, 2, 3)):
        b.connect("x", "a", "explicit", pairs=[[0, i]], weight=10, delay_steps=k)
    chip = chip_of(1, 1, **{"core.delay_slots": 3})
    _, prog, ref, fast = check_all(chip, b.build(), 8)
    got = sorted(zip(ref.spike_steps.tolist(), ref.spike_neurons.tolist()))
    assert got == [(1, 0), (2, 1), (3, 0), (3, 2), (4, 1), (5, 2)]
    assert sorted(prog.syn_delay[prog.syn_valid == 1].tolist()) == [0, 1, 2]      # stored as d = k - 1
    # delays cost no cycle: the same network without delays takes as many cycles per timestep
    # whenever the same flits move (timestep 0: one host flit, no spike)
    b2 = NetworkBuilder("d0")
    b2.population("a", 3, {"vth": 5, "du": 4095, "dv": 4095})
    b2.array_input("x", 1, steps=[0, 2], channels=[0, 0])
    for i in range(3):
        b2.connect("x", "a", "explicit", pairs=[[0, i]], weight=10)
    _, _, _, fast0 = check_all(chip_of(1, 1), b2.build(), 8)
    assert fast.step_cycles[0] == fast0.step_cycles[0]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("mode", ["dense", "event"])
def test_delays_random_networks_on_random_chips(seed, mode):
    rng = np.random.default_rng([seed, 21])
    w, h = int(rng.integers(1, 4)), int(rng.integers(1, 3))
    D = int(rng.integers(2, 9))
    graded = seed % 2 == 1
    chip = chip_of(w, h, **{"core.delay_slots": D, "core.neuron_update": mode, "bits.accumulator": 24,
                            "bits.payload": 3 if graded else 0,
                            "core.scan_word_bits": int(2 ** rng.integers(0, 5)),
                            "core.synapse_lanes": int(rng.integers(1, 4)), "router.fifo_depth": int(rng.integers(1, 3)),
                            "core.fifo_depth": int(rng.integers(1, 3)), "host.row": int(rng.integers(0, h))})
    _, prog, ref, fast = check_all(chip, delay_net(seed, int(rng.integers(8, 8 * w * h)), D, graded=graded), 14)
    assert fast.n_spikes > 0 and prog.syn_delay.max() > 0


def test_delay_one_is_the_v1_chip():
    """delay_slots = 1 (and a learning chip running a static network) give every number of the
    default chip: same spikes, cycles and counters."""
    from test_engine import random_net
    spec = random_net(5, 40)
    base = chip_of(2, 2)
    _, _, _, f0 = check_all(base, spec, 12)
    for over in ({"core.delay_slots": 1}, {"core.learning": "stdp"}):
        _, _, _, f1 = check_all(chip_of(2, 2, **over), spec, 12)
        assert_identical(f0, f1)


# --------------------------------------------------------------------------- learning
def directed_learning_net(learning=True):
    b = NetworkBuilder("stdp-directed", seed=0)
    b.population("a", 2, {"vth": 50, "du": 4095, "dv": 4095})
    b.array_input("x", 2, steps=[0, 1], channels=[0, 1])
    b.connect("x", "a", "explicit", pairs=[[0, 1]], weight=0, name="plastic",
              plasticity={"rule": "stdp", "a_plus": 64, "a_minus": 32, "tau_plus_steps": 4, "tau_minus_steps": 4,
                          "w_min": -100, "w_max": 100, "lr_shift": 0})
    b.connect("x", "a", "explicit", pairs=[[1, 1]], weight=100, name="teacher")
    spec = b.build()
    return spec if learning else spec.model_copy(update={"learning": False})


def test_learning_timeline_by_hand():
    """1x1 chip, barrier 3, 2 neurons, axons x0 (plastic synapse to a1) and x1 (teacher to a1).

    Step 0: host push @0, router @1, SI pop @2, word read @3 (plastic: WRITE @4), idle from 5 -> Q = 5;
    LE: no spike, TRACE(0) @5, TRACE(1) @6 (max(2 neurons, 2 axons)) -> L = 7, T1 = 10.
    Step 1 (T = 10): pop @12, read @13 (static word: no write) -> Q = 14, TRACE @14, 15 -> T2 = 19.
    Step 2 (T = 19): U1 @20 fires (I = 100); Q = 21; POST(0) @21, RD @22, WR @23, TRACE @24, 25 -> T3 = 29.
    Step 3: U0 @29, U1 @30, Q = 31, TRACE @31, 32 -> T4 = 36.
    Weight: depressed at step 0 by y = 0 (0), x[x0] = 64 after step 0, decay(64, 906) = 49 after
    step 1, potentiated at step 2 by 49 -> 49 = the window at dt = 2."""
    chip = chip_of(1, 1, **{"barrier_cycles": 3, "core.learning": "stdp", "bits.weight": 8, "bits.accumulator": 16})
    net, prog, ref, fast = check_all(chip, directed_learning_net(), 4)
    assert fast.step_cycles.tolist() == [10, 9, 10, 7]
    assert fast.spike_cycles.tolist() == [20] and fast.spike_neurons.tolist() == [1]
    c = {k: int(v.sum()) for k, v in fast.counters.items()}
    assert (c["synapse_word_writes"], c["weight_updates"], c["reverse_reads"], c["post_lookups"]) == (2, 2, 1, 1)
    assert (c["trace_updates"], c["learning_cycles"], c["si_busy_cycles"], c["synapse_word_reads"]) == (16, 11, 5, 2)
    assert stdp_decay_constant(4) == 906
    w = fast.weights.ravel()[prog.syn_slot]
    assert w[net.syn_proj == 0].tolist() == [49] == stdp_window([2], 64, 32, 906, 906, 0, 8).tolist()
    # the same network frozen (learning: false): no write cycle, no learning phase
    _, _, _, frozen = check_all(chip, directed_learning_net(learning=False), 4)
    assert frozen.step_cycles.tolist() == [7, 7, 5, 5]     # Q = T + 2 (two updates) when no flit moves
    assert frozen.counters["learning_cycles"].sum() == frozen.counters["synapse_word_writes"].sum() == 0


def plastic_net(seed, n, n_in=6, rule=None, D=1, graded=False):
    """Inputs and a recurrent population with plastic projections (one rule), static inhibition."""
    rule = rule or RULE
    b = NetworkBuilder("plastic", seed=seed)
    b.population("a", n, {"bias": 6, "vth": 70, "dv": 400, "du": 2000, "refractory": 1},
                 spikes="graded" if graded else "binary")
    b.population("i", max(1, n // 4), {"vth": 40, "dv": 800})
    b.poisson_input("x", n_in, rate_hz=300)
    lo, hi = rule["w_min"], rule["w_max"]
    b.connect("x", "a", "fixed_probability", p=0.6, weight={"kind": "uniform", "low": max(lo, 0), "high": hi},
              plasticity=rule, delay_steps={"kind": "uniform", "low": 1, "high": D})
    b.connect("a", "a", "fixed_probability", p=0.25, weight={"kind": "uniform", "low": lo, "high": hi // 2},
              plasticity=rule)
    b.connect("a", "i", "fixed_probability", p=0.5, weight=15)
    b.connect("i", "a", "all_to_all", weight=-6)
    return b.build()


@pytest.mark.parametrize("seed", range(6))
def test_learning_random_networks_on_random_chips(seed):
    rng = np.random.default_rng([seed, 22])
    w, h = int(rng.integers(1, 4)), int(rng.integers(1, 3))
    D = int(rng.integers(1, 4))
    graded = seed % 3 == 2
    mode = "event" if seed % 2 else "dense"
    chip = chip_of(w, h, **{"core.learning": "stdp", "core.delay_slots": D, "core.neuron_update": mode,
                            "bits.weight": 8, "bits.accumulator": 24, "bits.trace": int(rng.integers(6, 11)),
                            "bits.payload": 2 if graded else 0, "core.synapse_lanes": int(rng.integers(1, 4)),
                            "core.synapse_word_cycles": int(rng.integers(1, 3)),
                            "router.fifo_depth": int(rng.integers(1, 3)), "core.fifo_depth": int(rng.integers(1, 3)),
                            "barrier_cycles": int(rng.integers(1, 4)), "host.row": int(rng.integers(0, h))})
    rule = {**RULE, "a_plus": int(rng.integers(20, 60)), "a_minus": int(rng.integers(20, 60)),
            "lr_shift": int(rng.integers(0, 4))}
    net, prog, ref, fast = check_all(chip, plastic_net(seed, int(rng.integers(6, 7 * w * h)), rule=rule, D=D,
                                                       graded=graded), 16)
    assert fast.n_spikes > 0
    w0 = prog.syn_weight.ravel()[prog.syn_slot]
    w1 = fast.weights.ravel()[prog.syn_slot]
    plastic = net.plastic_rule >= 0
    assert (w0[~plastic] == w1[~plastic]).all()                  # static synapses never change
    assert (w0[plastic] != w1[plastic]).any()                    # plastic ones learned
    assert ((w1 >= rule["w_min"]) & (w1 <= rule["w_max"]))[plastic].all()
    c = fast.counters
    assert (c["learning_cycles"] == c["post_lookups"] + 2 * c["reverse_reads"]
            + fast.steps * np.maximum(np.diff(prog.core_neuron_offset), np.diff(prog.core_axon_offset))
            * (prog.core_stdp[:, 0] > 0)).all()


def test_stdp_window_is_exact():
    """The two-neuron protocol over dt = -20..20 reproduces neurocycle.hw.stdp_window exactly, on
    the reference, the fast kernel and the stepped model."""
    from neurocycle.sim.experiments import stdp_window_network
    dts = np.arange(-20, 21)
    spec, fixed, steps = stdp_window_network(dts, RULE)
    chip = load_chip("tiny-2x2").with_overrides({"core.learning": "stdp", "bits.weight": 8, "bits.accumulator": 16,
                                                 "mesh.width": 1, "mesh.height": 1, "core.neurons": 64,
                                                 "core.axons": 128})
    net, prog, ref, fast = check_all(chip, spec, steps)
    w = fast.weights.ravel()[prog.syn_slot][net.syn_proj == 0]
    a_plus, a_minus, d_plus, d_minus, _, _, shift = fixed
    want = stdp_window(dts, a_plus, a_minus, d_plus, d_minus, shift, chip.bits.trace)
    assert w.tolist() == want.tolist()
    pos, neg = want[dts > 0], want[dts < 0][::-1]                  # by |dt|, nearest first
    assert pos[0] > 0 > neg[0] and want[dts == 0] == 0
    assert (np.diff(pos) <= 0).all() and (np.diff(neg) >= 0).all() and pos.min() >= 0 >= neg.max()


def test_stdp_window_experiment(tmp_path):
    """`neurocycle experiment stdp-window` (the function): every pair exact, files written."""
    from neurocycle.sim.experiments import stdp_window as run_window
    res = run_window(tmp_path, dts=range(-12, 13), plot=True)
    assert all(r["exact"] for r in res.rows) and len(res.rows) == 25
    assert {f.name for f in res.files} >= {"stdp-window.csv", "stdp-window.json", "stdp-window.png"}
    assert res.headline["exact"].startswith("25 of 25")


def test_stdp_pattern_demo_learns(tmp_path):
    """The gallery's pattern-in-noise network: the neuron answers (almost) every pattern
    occurrence late in the run and fires less outside them than early; pattern afferents end
    with larger weights than noise afferents (docs/learning.md)."""
    from neurocycle.sim.experiments import stdp_pattern
    res = stdp_pattern(tmp_path, plot=False)
    early, late = res.rows[0], res.rows[1]
    assert late["hit_rate"] >= 0.9 and late["false_alarms_hz"] <= 1.0
    assert late["false_alarms_hz"] < early["false_alarms_hz"]
    w = np.load(tmp_path / "stdp-pattern-weights.npz")
    pat = np.isin(np.arange(100), res.settings["pattern_channels"])
    final = np.zeros(100)
    np.add.at(final, w["afferents->out/source"], w["afferents->out/weight"])
    assert final[pat].mean() > 2 * final[~pat].mean()


# --------------------------------------------------------------------------- bad input
def _err(fn):
    with pytest.raises((ConfigError, CapacityError)) as e:
        fn()
    return str(e.value)


def test_bad_delay_and_plasticity_parameters_are_named():
    base = NetworkBuilder("bad")
    base.population("a", 4, {"vth": 10})
    base.poisson_input("x", 2, rate_hz=10)

    def net(**proj):
        b = NetworkBuilder("bad")
        b.population("a", 4, {"vth": 10})
        b.poisson_input("x", 2, rate_hz=10)
        b.connect("x", "a", "all_to_all", weight=proj.pop("weight", 5), **proj)
        return b.build()

    # schema: a delay of 0, both delay forms, a delay_ms under one timestep, inverted bounds
    assert "delay_steps" in _err(lambda: net(delay_steps=0))
    assert "delay_ms" in _err(lambda: net(delay_steps=2, delay_ms=3.0))
    assert "below one timestep" in _err(lambda: net(delay_ms=0.2))
    assert "w_min" in _err(lambda: net(plasticity={**RULE, "w_min": 50, "w_max": 10}))
    assert "lr_shift" in _err(lambda: net(plasticity={**RULE, "lr_shift": 16}))
    # chip: delays longer than delay_slots; plasticity without learning; traces too narrow;
    # initial weight outside the bounds; two rules on one core
    chip = chip_of(1, 1)
    m = _err(lambda: compile_network(net(delay_steps=5).instantiate(), chip))
    assert "core.delay_slots" in m and "raise core.delay_slots to 5" in m
    m = _err(lambda: compile_network(net(plasticity=RULE).instantiate(), chip))
    assert "core.learning" in m and "set core.learning: stdp" in m
    lchip = chip_of(1, 1, **{"core.learning": "stdp", "bits.weight": 8, "bits.trace": 5})
    m = _err(lambda: compile_network(net(plasticity=RULE).instantiate(), lchip))
    assert "bits.trace" in m and "a_plus = 60" in m
    lchip = chip_of(1, 1, **{"core.learning": "stdp", "bits.weight": 8})
    m = _err(lambda: compile_network(net(plasticity=RULE, weight=60).instantiate(), lchip))
    assert "outside its rule's bounds" in m and "[-20, 40]" in m
    b = NetworkBuilder("two")
    b.population("a", 4, {"vth": 10})
    b.poisson_input("x", 2, rate_hz=10)
    b.connect("x", "a", "all_to_all", weight=5, plasticity=RULE)
    b.connect("a", "a", "all_to_all", weight=5, plasticity={**RULE, "a_plus": 10})
    m = _err(lambda: compile_network(b.build().instantiate(), lchip))
    assert "two different STDP rules" in m and "same rule" in m
    m = _err(lambda: compile_network(net(plasticity=RULE).instantiate(),
                                     chip_of(1, 1, **{"core.learning": "stdp", "bits.weight": 8,
                                                      "core.learning_entries": 3})))
    assert "core.learning_entries" in m
    # chip config: out-of-range fields name themselves
    for over, field in (({"core.delay_slots": 65}, "delay_slots"), ({"core.delay_slots": 0}, "delay_slots"),
                        ({"core.learning": "hebb"}, "learning"), ({"bits.trace": 17}, "trace")):
        assert field in _err(lambda: chip_of(1, 1, **over))


def test_learning_counters_are_declared_and_priced():
    from neurocycle.hw import COUNTER_BY_NAME, energy_params
    for name in ("synapse_word_writes", "weight_updates", "reverse_reads", "post_lookups", "trace_updates",
                 "learning_cycles"):
        assert name in COUNTER_NAMES and COUNTER_BY_NAME[name].scope == "core"
    chip = chip_of(2, 2, **{"core.learning": "stdp"})
    ep = energy_params(chip)
    for name in ("synapse_word_writes", "weight_updates", "reverse_reads", "post_lookups", "trace_updates"):
        assert ep.events_pj[name] > 0, name
    off = energy_params(chip_of(2, 2))
    assert off.events_pj["weight_updates"] == 0 or off.events_pj["weight_updates"] < ep.events_pj["weight_updates"]


# --------------------------------------------------------------------------- sweeps, PPA
def test_delay_slots_and_learning_are_sweep_axes(tmp_path):
    """configs/sweeps/delays-learning.yaml: core.delay_slots and network.learning as axes. More
    delay slots cost area (wider words, more banks); learning costs cycles and energy per timestep
    (the write-backs and the learning engine); every row carries the learning counters."""
    from pathlib import Path
    from neurocycle.sim.sweep import load_sweep, run_sweep
    sw = load_sweep(Path(__file__).resolve().parents[1] / "configs" / "sweeps" / "delays-learning.yaml")
    pts = sw.points()
    assert len(pts) == 8 and {p.overrides["core.delay_slots"] for p in pts} == {1, 2, 4, 8}
    assert {p.network.learning for p in pts} == {True, False}
    small = load_sweep({**sw.spec.model_dump(), "steps": 300, "grid": {"core.delay_slots": [1, 8],
                                                                      "network.learning": [True, False]},
                        "network": str(Path(__file__).resolve().parents[1] / "configs" / "networks" / "stdp-pattern.yaml")})
    out = run_sweep(small, tmp_path / "dl.sqlite", in_process=True, progress=False)
    import json
    rows = {(json.loads(r["overrides"])["core.delay_slots"], json.loads(r["overrides"])["network.learning"]):
            json.loads(r["metrics"]) for r in out.rows}
    assert rows[(8, True)]["area_mm2"] > rows[(1, True)]["area_mm2"] == rows[(1, False)]["area_mm2"]
    assert rows[(1, True)]["energy_per_step_pj"] > rows[(1, False)]["energy_per_step_pj"]
    assert rows[(1, True)]["cycles_per_step_mean"] > rows[(1, False)]["cycles_per_step_mean"]
    assert rows[(1, True)]["counts"]["weight_updates"] > 0 == rows[(1, False)]["counts"]["weight_updates"]


def test_ppa_report_shows_delays_and_learning():
    """The area report lists the trace memory, the reverse table and the accumulator ring; the
    logic estimate the delay-bank adders and the learning datapaths; their energies are priced."""
    from neurocycle.hw import area_report, energy_params
    base = load_chip("learning-2x2")
    off = base.with_overrides({"core.learning": "off", "core.delay_slots": 1})
    a_on, a_off = area_report(base), area_report(off)
    assert {"traces", "reverse_table"} <= set(a_on.sram_bits) and "traces" not in a_off.sram_bits
    assert a_on.sram_bits["accumulators"] == 9 * a_off.sram_bits["accumulators"] // 2
    d = base.derived
    assert d.synapse_slot_bits == off.derived.synapse_slot_bits + 3 + 1          # 3 delay bits + the plastic bit
    assert {"si_delay_banks", "si_stdp_depression", "le_datapath"} <= set(a_on.logic_breakdown_ge["core"])
    assert a_on.chip_mm2 > a_off.chip_mm2
    ep = energy_params(base)
    assert ep.events_pj["synaptic_ops"] > 0 and ep.events_pj["synapse_word_reads"] > energy_params(off).events_pj[
        "synapse_word_reads"]


def test_cli_run_writes_the_learned_weights(cli, tmp_path):
    """`neurocycle run CHIP NETWORK --out DIR` of a learning network: weights.npz (every projection's
    synapses, initial and final weights) and the learning section of report.json."""
    import json
    cli("run", "learning-2x2", "stdp-pattern", "--steps", "400", "--out", tmp_path / "out")
    with np.load(tmp_path / "out" / "weights.npz") as z:
        w, w0 = z["afferents->out/weight"], z["afferents->out/initial"]
        assert w.size == 100 and (w != w0).any() and z["afferents->out/delay_steps"].tolist() == [1] * 100
    rep = json.loads((tmp_path / "out" / "report.json").read_text())
    learn = rep["results"]["learning"]["afferents->out"]
    assert learn["synapses"] == 100 and learn["shrank"] + learn["grew"] + learn["unchanged"] == 100
    assert rep["results"]["counter_totals"]["weight_updates"] > 0
    # a bad plasticity field is named, with the rule and a fix, and nothing is simulated
    bad = tmp_path / "bad.yaml"
    bad.write_text((Path(__file__).resolve().parents[1] / "configs" / "networks" / "stdp-pattern.yaml").read_text()
                   .replace("lr_shift: 3", "lr_shift: 30").replace("file: stdp-pattern.npz",
                                                                   "file: " + str(Path(__file__).resolve().parents[1]
                                                                                  / "configs" / "networks"
                                                                                  / "stdp-pattern.npz")))
    proc = cli("run", "learning-2x2", bad, "--out", tmp_path / "bad", check=False)
    assert proc.returncode == 2 and "lr_shift" in proc.stderr and "15" in proc.stderr
    assert not (tmp_path / "bad").exists()


@pytest.mark.parametrize("routing,cpr", [("multicast", 1), ("unicast", 2), ("multicast", 3)])
def test_delays_and_stdp_compose_with_the_noc(routing, cpr):
    """Delays and STDP on multicast routing and several cores per router (microarchitecture.md
    section 4): a multicast flit's ejections each set their axon's arrived bit and integrate into
    the bank of each slot's delay; reference == fast == stepped with the final weights."""
    chip = chip_of(2, 2, **{"core.learning": "stdp", "core.delay_slots": 3, "bits.weight": 8, "bits.accumulator": 24,
                            "mesh.cores_per_router": cpr, "router.routing": routing, "router.table_entries": 4096,
                            "core.neuron_update": "event", "bits.payload": 2})
    net, prog, ref, fast = check_all(chip, plastic_net(1, 30, D=3, graded=True), 14)
    assert fast.n_spikes > 0 and int(fast.counters["weight_updates"].sum()) > 0
    assert (fast.weights != prog.syn_weight).any()
    check_all(chip, delay_net(2, 25, 3), 12)
