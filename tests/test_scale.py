"""Issue #18: memory proportional to the hardware, no hidden size limits.

Small networks only (the full-size chip is measured by bench/scale.py): the compact arrays, the
streamed compiler (at any chunk size), the kernel's axon records (the saturated SI-time path),
both reference paths, the results' assembly, the per-phase measurements, the memory estimate and
the refusal before sampling.
"""
import json

import numpy as np
import pytest

from neurocycle.hw import ConfigError, layout, load_chip
from neurocycle.sim import CompileOptions, NetworkBuilder, compile_network, run_cycle, run_reference, simulate
from neurocycle.sim import _compiler, _netsize, _network, _reference
from neurocycle.sim._phases import PhaseLog


def mixed_net(seed=3):
    """Every connectivity kind, shared sources, duplicates across projections, wide weights."""
    b = NetworkBuilder("mixed", seed=seed)
    b.population("a", 40, {"vth": 30, "bias": 2, "du": 500, "dv": 200})
    b.population("b", 25, {"vth": 20, "bias": 1})
    b.poisson_input("x", 6, rate_hz=300)
    b.connect("x", "a", "fixed_probability", p=0.5, weight=4)
    b.connect("a", "b", "fixed_out_degree", k=7, weight={"kind": "uniform", "low": -3, "high": 3})
    b.connect("a", "a", "fixed_in_degree", k=5, allow_self=False, weight=2)
    b.connect("b", "a", "all_to_all", weight=-1)
    b.connect("a", "b", "explicit", pairs=[[0, 1], [0, 1], [5, 24], [39, 0]], weight=3)
    b.connect("b", "b", "one_to_one", weight=1)
    return b.build()


def chip(**over):
    return load_chip("default-4x4").with_overrides(over)


# --------------------------------------------------------------------------- the sampled network
def test_instance_arrays_are_compact_and_source_major():
    net = mixed_net().instantiate()
    assert net.syn_target.dtype == np.int32 and net.syn_weight.dtype == np.int16
    assert net.source_offsets.dtype == np.int64 and net.source_offsets.size == net.n_inputs + net.n_neurons + 1
    s, t = net.syn_source.astype(np.int64), net.syn_target.astype(np.int64)
    assert s.size == t.size == net.n_synapses
    key = s * net.n_neurons + t
    assert np.all(np.diff(key) >= 0)                      # sorted by (source, target)
    # the duplicate pair (a0 -> b1) of the explicit projection comes after fixed_out_degree's
    # a0 -> b1 if that exists: ties keep projection order, and weight 3 follows the explicit draw
    b0 = net.pop_offsets["b"]
    a0 = net.n_inputs + net.pop_offsets["a"]
    sel = (s == a0) & (t == b0 + 1)
    assert net.syn_weight[sel].tolist()[-2:] == [3, 3]


def test_weights_that_need_32_bits_stay_32_bits():
    b = NetworkBuilder("wide")
    b.population("a", 10, {"vth": 10})
    b.connect("a", "a", "all_to_all", weight={"kind": "uniform", "low": -100000, "high": 100000})
    net = b.build().instantiate()
    assert net.syn_weight.dtype == np.int32 and np.abs(net.syn_weight).max() > (1 << 15)


def test_instance_placement_at_any_chunk_size(monkeypatch):
    a = mixed_net().instantiate()
    monkeypatch.setattr(_network, "_CHUNK", 3)
    b = mixed_net().instantiate()
    for f in ("source_offsets", "syn_target", "syn_weight"):
        assert np.array_equal(getattr(a, f), getattr(b, f)), f


# --------------------------------------------------------------------------- the compiler
@pytest.mark.parametrize("placement", ["balanced", "snake"])
def test_compiler_streams_at_any_chunk_size(monkeypatch, placement):
    net = mixed_net().instantiate()
    opts = CompileOptions(placement=placement, neurons_per_core=5)
    c = chip(**{"core.synapse_lanes": 3})
    ref = compile_network(net, c, opts)
    for chunk in (1, 2, 7, 64):
        monkeypatch.setattr(_compiler, "_CHUNK", chunk)
        p = compile_network(net, c, opts)
        for name, arr in ref.arrays().items():
            assert np.array_equal(arr, getattr(p, name)), (chunk, name)


def test_valid_bits_are_exactly_the_axons_slots():
    p = compile_network(mixed_net().instantiate(), chip(**{"core.synapse_lanes": 3}))
    lanes = 3
    want = np.zeros(p.synapses.size, np.uint8)
    for k in range(p.n_cores):
        for g in range(p.core_axon_offset[k], p.core_axon_offset[k + 1]):
            s0 = (p.core_word_offset[k] + p.axon_base[g]) * lanes
            want[s0:s0 + p.axon_len[g]] = 1
    assert np.array_equal(p.syn_valid.reshape(-1), want)
    assert not p.syn_valid.flags.writeable
    assert np.all(p.synapses.view("<u4").reshape(-1)[want == 0] == 0)      # padding slots are zero


# --------------------------------------------------------------------------- the kernel
def test_axon_records_point_into_the_program_synapse_memory():
    from neurocycle.sim._engine import _axon_records

    p = compile_network(mixed_net().instantiate(), chip(**{"core.synapse_lanes": 2}))
    rec, busy = _axon_records(p)
    rec = rec.reshape(-1, 2)
    ka = layout.KERNEL_AXON
    for g in (0, 7, int(p.axon_len.size) - 1):
        k = int(np.searchsorted(p.core_axon_offset, g, side="right")) - 1
        assert rec[g, 0] == (p.core_word_offset[k] + p.axon_base[g]) * 2 * p.synapses.dtype.itemsize
        assert ka.unpack(rec[g, 1], "n_syn") == p.axon_len[g]
        assert ka.unpack(rec[g, 1], "row_base") == p.core_neuron_offset[k]
        assert busy[g] == -(-int(p.axon_len[g]) // 2)


# an axon of N words (1 lane) whose SI time N x 64 just saturates the kernel flit's words field
# (N x 63 does not): N = 64 with the 12-bit field
N_LONG = (layout.KERNEL_FLIT.max("words") + 1) // 64


def _long_axon(word_cycles, plastic=False):
    """One input channel -> N_LONG neurons of one core: one axon of N_LONG words (1 lane), so its
    SI time N_LONG x word_cycles saturates the kernel flit's words field at 64 (``plastic``: the
    synapses learn, one WRITE cycle per word more)."""
    n = N_LONG
    b = NetworkBuilder("long")
    b.population("p", n, {"vth": 1 << 20})
    b.array_input("x", 1, steps=[0], channels=[0])
    rule = {"rule": "stdp", "a_plus": 8, "a_minus": 8, "tau_plus_steps": 4.0, "tau_minus_steps": 4.0,
            "w_min": 0, "w_max": 4, "lr_shift": 0}
    b.connect("x", "p", "all_to_all", weight=1, plasticity=rule if plastic else None)
    over = {"core.learning": "stdp", "core.learning_entries": n} if plastic else {}
    c = load_chip("tiny-2x2").with_overrides({"mesh.width": 1, "mesh.height": 1, "core.neurons": n,
                                              "core.axons": 4, "core.synapse_words": n, "core.synapse_lanes": 1,
                                              "core.synapse_word_cycles": word_cycles, "bits.state": 24,
                                              "bits.accumulator": 24, **over})
    net = b.build().instantiate()
    return compile_network(net, c), net.stimulus(2)


def test_an_axon_longer_than_the_flit_field_takes_its_time_from_the_record():
    n = N_LONG
    assert n * 64 > layout.KERNEL_FLIT.max("words") >= n * 63
    slow, stim = _long_axon(64)
    fast, _ = _long_axon(63)
    a, b = run_cycle(slow, stim), run_cycle(fast, stim)
    # the only difference: n more SI cycles in timestep 0 (the SI is the last to finish)
    assert int(a.step_cycles[0]) - int(b.step_cycles[0]) == n
    assert a.step_cycles[1] == b.step_cycles[1]
    assert int(np.sum(a.counters["synapse_word_reads"])) == n
    assert int(np.sum(a.counters["si_busy_cycles"])) == 1 + n * 64
    stepped = run_cycle(slow, stim, mode="stepped")
    assert np.array_equal(a.step_cycles, stepped.step_cycles)
    ref = run_reference(slow, stim)
    assert np.array_equal(a.spike_neurons, ref.spike_neurons)


def test_a_long_plastic_axon_adds_its_write_cycles_to_the_record_s_time():
    """The saturated path of a learning program: words x cycles per word + one WRITE cycle per
    word with a plastic slot (here every one of the N_LONG words), as an unsaturated axon."""
    n = N_LONG
    slow, stim = _long_axon(64, plastic=True)
    fast, _ = _long_axon(63, plastic=True)
    a, b = run_cycle(slow, stim), run_cycle(fast, stim)
    assert int(a.step_cycles[0]) - int(b.step_cycles[0]) == n
    assert int(np.sum(a.counters["synapse_word_writes"])) == n
    assert int(np.sum(a.counters["si_busy_cycles"])) == 1 + n * 64 + n
    plain, _ = _long_axon(64)
    assert int(a.step_cycles[0]) - int(run_cycle(plain, stim).step_cycles[0]) >= n
    stepped = run_cycle(slow, stim, mode="stepped")
    assert np.array_equal(a.step_cycles, stepped.step_cycles) and np.array_equal(a.weights, stepped.weights)
    ref = run_reference(slow, stim)
    assert np.array_equal(a.spike_neurons, ref.spike_neurons) and np.array_equal(a.weights, ref.weights)


# --------------------------------------------------------------------------- reference
def test_reference_reads_the_synapse_memory_as_the_copy_does(monkeypatch):
    net = mixed_net().instantiate()
    p = compile_network(net, chip(**{"core.synapse_lanes": 2, "bits.payload": 2, "bits.accumulator": 24}))
    stim = net.stimulus(40)
    copy = run_reference(p, stim)
    monkeypatch.setattr(_reference, "CSR_MAX_SYNAPSES", 0)
    streamed = run_reference(p, stim)
    assert copy.n_spikes > 0
    for f in ("spike_steps", "spike_neurons", "spike_payloads"):
        assert np.array_equal(getattr(copy, f), getattr(streamed, f)), f


# --------------------------------------------------------------------------- results, phases
def test_results_are_int32_sorted_and_agree_on_a_reordering_placement():
    net = mixed_net().instantiate()
    p = compile_network(net, chip(), CompileOptions(placement="snake", neurons_per_core=5))
    assert not np.all(np.diff(p.row_gid) > 0)             # rows are not in neuron-id order
    stim = net.stimulus(40)
    c, r = run_cycle(p, stim), run_reference(p, stim)
    assert c.spike_steps.dtype == np.int32 and c.spike_neurons.dtype == np.int32
    key = c.spike_steps.astype(np.int64) * net.n_neurons + c.spike_neurons
    assert np.all(np.diff(key) > 0)
    assert np.array_equal(c.spike_neurons, r.spike_neurons) and np.array_equal(c.spike_steps, r.spike_steps)


def test_simulate_records_every_phase_and_the_estimate(tmp_path):
    seen = []
    run = simulate("tiny-2x2", "tiny-recurrent", steps=5, on_estimate=seen.append)
    assert [ph.name for ph in run.phases.phases] == ["load", "build", "compile", "stimulus", "simulate"]
    assert all(ph.peak_bytes > 0 and ph.wall_s >= 0 for ph in run.phases.phases)
    assert seen and seen[0] is run.phases.estimate and seen[0].total > 0
    run.save(tmp_path / "o")
    rep = json.loads((tmp_path / "o" / "report.json").read_text())
    assert [ph["name"] for ph in rep["phases"]["phases"]][-1] == "simulate"
    assert rep["phases"]["estimate_bytes"] == seen[0].total
    text = (tmp_path / "o" / "spikes.csv").read_text()
    assert text == run.spikes_csv() and text.count("\n") == run.result.n_spikes + 1


def test_phase_peaks_are_per_phase():
    log = PhaseLog()
    with log.phase("big"):
        a = np.ones(40 << 20, np.uint8)             # 40 MiB touched
        del a
    with log.phase("small"):
        pass
    big, small = log.phases
    if log.per_phase:                                # Linux: the mark is reset per phase
        assert big.peak_bytes - small.peak_bytes > 30 << 20
    assert log.peak_bytes == big.peak_bytes


def test_a_dense_raster_is_drawn_as_an_image(monkeypatch, tmp_path):
    from neurocycle.sim import _plots
    run = simulate("tiny-2x2", "tiny-recurrent", steps=20)
    monkeypatch.setattr(_plots, "RASTER_MAX_POINTS", 10)
    fig = run.plot_raster(tmp_path / "r.png")
    assert "density" in fig.axes[0].get_title() and (tmp_path / "r.png").stat().st_size > 0


# --------------------------------------------------------------------------- estimate, refusal
def test_the_estimate_counts_axons_and_padded_slots_as_the_compiler_makes_them():
    b = NetworkBuilder("fo", seed=1)
    for k in range(8):
        b.population(f"p{k}", 64, {"vth": 10})
    for k in range(8):
        b.connect(f"p{k}", f"p{(k + 1) % 8}", "fixed_out_degree", k=20, weight=1)
    spec = b.build()
    c = chip(**{"core.neurons": 64, "core.synapse_lanes": 8})
    est = _netsize.memory_estimate(spec, ".", c, 10, neurons_per_core=64)
    p = compile_network(spec.instantiate(), c, CompileOptions(neurons_per_core=64))
    assert est.axons == p.axon_len.size                       # one axon per source: its targets share a core
    assert est.slots == p.synapses.size                        # 20 synapses -> 3 words of 8 lanes
    assert est.synapses == 8 * 64 * 20
    assert est.parts["network"] == est.synapses * 6 + 8 * 512   # int16 weights
    ref = _netsize.memory_estimate(spec, ".", c, 10, neurons_per_core=64, backend="reference")
    assert ref.total - est.total == est.synapses * _netsize.REFERENCE_CSR_BYTES


def test_a_run_larger_than_memory_is_refused_before_sampling(monkeypatch):
    monkeypatch.setattr(_netsize, "available_memory_bytes", lambda: 300 << 20)
    monkeypatch.setattr(_network, "_instantiate", lambda *a: pytest.fail("sampled"))
    b = NetworkBuilder("big", seed=1)
    b.population("a", 4096, {"vth": 10})
    b.connect("a", "a", "fixed_out_degree", k=4096, weight=1)
    c = chip(**{"core.synapse_words": 1 << 20, "core.synapse_lanes": 16, "core.axons": 4096})
    with pytest.raises(ConfigError) as e:
        simulate(c, b.build(), steps=10)
    msg = str(e.value)
    assert "would need about" in msg and "synapse memory" in msg and "16,777,216 synapses" in msg
    assert "300 MiB available" in msg and "smaller network" in msg


def test_long_runs_are_told_to_shorten(monkeypatch):
    spec, c = mixed_net(), chip()
    small = _netsize.memory_estimate(spec, ".", c, 10)
    monkeypatch.setattr(_netsize, "available_memory_bytes", lambda: small.total + (1 << 20))
    _netsize.check_before_sampling(spec, ".", c, 10)                 # fits
    with pytest.raises(ConfigError, match=r"fewer timesteps \(--steps; 5,000,000 now\)"):
        _netsize.check_before_sampling(spec, ".", c, 5_000_000)


def test_run_announces_a_large_run_and_prints_phases(monkeypatch, capsys):
    from neurocycle.sim.cli import _run, main
    monkeypatch.setattr(_run, "LARGE_RUN_BYTES", 0)           # every run counts as large here
    assert main(["run", "tiny-2x2", "tiny-recurrent", "--steps", "3", "--no-files"]) == 0
    out = capsys.readouterr().out
    assert "large network" in out and "estimated peak memory" in out
    for phase in ("load", "build", "compile", "stimulus", "simulate"):
        assert f"  {phase}" in out
    assert "peak" in out and "estimated peak" in out


# --------------------------------------------------------------------------- delays and STDP (#11)
RULE = {"rule": "stdp", "a_plus": 60, "a_minus": 50, "tau_plus_steps": 6.0, "tau_minus_steps": 8.0,
        "w_min": -20, "w_max": 40, "lr_shift": 2}


def learning_net(shared=False, seed=5):
    """Delays on some projections, STDP on one, optionally two projections between the same groups."""
    b = NetworkBuilder("dl", seed=seed)
    b.population("a", 30, {"bias": 12, "vth": 80, "dv": 300, "du": 1500})
    b.population("b", 12, {"vth": 60, "dv": 500})
    b.poisson_input("x", 5, rate_hz=250)
    b.connect("x", "a", "fixed_probability", p=0.5, weight={"kind": "uniform", "low": 0, "high": 30},
              delay_steps={"kind": "uniform", "low": 1, "high": 4}, plasticity=dict(RULE))
    b.connect("a", "b", "fixed_out_degree", k=4, weight=7, delay_steps=3)
    b.connect("b", "a", "all_to_all", weight=-5)
    if shared:
        b.connect("a", "b", "explicit", pairs=[[0, 1], [3, 2], [29, 11]], weight=2, delay_steps=2)
    return b.build()


def dl_chip(**over):
    return chip(**{"core.delay_slots": 4, "core.learning": "stdp", "bits.trace": 8, **over})


def test_delays_and_rules_are_compact_columns_only_when_the_network_has_them():
    plain = mixed_net().instantiate()          # two projections a -> b: their synapses' projections stored
    assert plain.syn_delay is None and plain.syn_rule is None and plain.proj_stored.dtype == np.uint8
    net = learning_net().instantiate()
    assert net.syn_delay.dtype == np.uint8 and net.syn_rule.dtype == np.int8 and net.proj_stored is None
    proj = net.syn_proj                       # from the groups of source and target
    assert np.array_equal(net.syn_rule >= 0, proj == 0)
    assert set(net.syn_delay[proj == 1].tolist()) == {3} and set(net.syn_delay[proj == 2].tolist()) == {1}
    assert set(net.syn_delay[proj == 0].tolist()) <= {1, 2, 3, 4}
    # two projections between the same groups: the projection of each synapse is stored
    sh = learning_net(shared=True).instantiate()
    assert sh.proj_stored is not None and sh.proj_stored.dtype == np.uint8
    assert np.bincount(sh.syn_proj).tolist()[3] == 3
    assert sh.syn_delay[sh.syn_proj == 3].tolist() == [2, 2, 2]


def test_slots_carry_the_meta_byte_only_on_a_chip_with_delays_or_learning():
    assert compile_network(mixed_net().instantiate(), chip()).synapses.dtype == layout.SYNAPSE_SLOT.dtype
    for over in ({"core.delay_slots": 2}, {"core.learning": "stdp"}):
        p = compile_network(mixed_net().instantiate(), chip(**over))
        assert p.synapses.dtype == layout.SYNAPSE_SLOT_DL.dtype and p.synapses.dtype.itemsize == 5
        assert not p.syn_delay.any() and not p.syn_plastic.any() and p.syn_slot is None
    net = learning_net().instantiate()
    p = compile_network(net, dl_chip())
    assert p.learning and p.syn_slot.dtype == np.int32 and p.syn_slot.size == net.n_synapses
    slot = p.syn_slot
    assert np.array_equal(p.syn_delay.reshape(-1)[slot], net.syn_delay.astype(np.int64) - 1)
    assert np.array_equal(p.syn_plastic.reshape(-1)[slot], (net.syn_rule >= 0).astype(np.uint8))
    assert np.array_equal(p.syn_weight.reshape(-1)[slot], net.syn_weight)
    meta = p.synapses["meta"].reshape(-1)[slot].astype(np.int64)
    assert np.array_equal(meta, (net.syn_delay.astype(np.int64) - 1) | ((net.syn_rule >= 0).astype(np.int64) << 6))


@pytest.mark.parametrize("shared", [False, True])
def test_compiler_streams_delays_and_stdp_at_any_chunk_size(monkeypatch, shared):
    net = learning_net(shared).instantiate()
    opts = CompileOptions(placement="snake", neurons_per_core=7)
    c = dl_chip(**{"core.synapse_lanes": 3})
    ref = compile_network(net, c, opts)
    assert ref.rev_axon.size == int((net.syn_rule >= 0).sum())
    for chunk in (1, 5, 64):
        monkeypatch.setattr(_compiler, "_CHUNK", chunk)
        p = compile_network(net, c, opts)
        for name, arr in ref.arrays().items():
            assert np.array_equal(arr, getattr(p, name)), (chunk, name)


def test_the_kernel_learns_in_its_own_copy_of_the_synapse_memory():
    net = learning_net().instantiate()
    p = compile_network(net, dl_chip())
    before = p.synapses.copy()
    stim = net.stimulus(40)
    fast, ref = run_cycle(p, stim), run_reference(p, stim)
    assert np.array_equal(p.synapses, before)                       # the program is not touched
    assert np.array_equal(fast.weights, ref.weights) and not np.array_equal(fast.weights, p.syn_weight)
    assert np.array_equal(run_cycle(p, stim).weights, fast.weights)   # a second run starts from the program


def test_the_estimate_prices_delays_and_learning_only_when_present():
    c = dl_chip(**{"core.neurons": 64})
    plain = _netsize.memory_estimate(mixed_net(), ".", chip(**{"core.neurons": 64}), 10)
    assert "learning" not in plain.parts and "delay ring" not in plain.parts
    est = _netsize.memory_estimate(learning_net(), ".", c, 10)
    n = 42
    assert est.parts["delay ring"] == n * 3 * _netsize.BYTES_PER_RING_BANK
    assert est.parts["synapse memory"] == est.slots * 5
    assert est.parts["network"] == est.synapses * (4 + 2 + 1 + 1) + 8 * (n + 5)   # target, weight, delay, rule
    assert est.parts["learning"] > est.synapses * _netsize.LEARN_BYTES_PER_SYNAPSE
    ref = _netsize.memory_estimate(learning_net(), ".", c, 10, backend="reference")
    assert ref.parts["reference table"] == est.synapses * _netsize.REFERENCE_TABLE_BYTES
