"""Networks: schema errors, sampling rules, determinism, builder == YAML."""
import numpy as np
import pytest

from neurocycle.hw import ConfigError
from neurocycle.sim import LIF, NetworkBuilder, network_from_yaml_text

BASE = """\
name: n
populations:
  - {name: a, size: 10, neuron: {vth: 100}}
  - {name: b, size: 20, neuron: {model: lif, tau_m: 20, tau_syn: 5, v_rest: 0, v_reset: 0, v_thresh: 10, tau_refrac: 0}}
inputs:
  - {name: x, size: 4, source: {kind: poisson, rate_hz: 100}}
projections:
"""


def net(proj: str):
    return network_from_yaml_text(BASE + proj, source="net.yaml")


def err(text):
    with pytest.raises(ConfigError) as exc:
        network_from_yaml_text(text, source="net.yaml")
    return exc.value, str(exc.value)


def test_unknown_population_name_points_at_the_line():
    e, msg = err(BASE + "  - {source: x, target: c, connect: {kind: all_to_all}}\n")
    assert e.field == "projections[0].target" and "'c' is not a population" in msg and "a, b" in msg
    assert e.line == 8


def test_input_cannot_be_target():
    e, msg = err(BASE + "  - {source: a, target: x, connect: {kind: all_to_all}}\n")
    assert "inputs cannot be targets" in msg


def test_unknown_connect_kind():
    e, msg = err(BASE + "  - {source: a, target: b, connect: {kind: star}}\n")
    assert "projections[0].connect" in e.field and "all_to_all" in msg


def test_one_to_one_size_mismatch():
    e, msg = err(BASE + "  - {source: a, target: b, connect: {kind: one_to_one}}\n")
    assert "one_to_one needs equal sizes" in msg and e.field == "projections[0].connect"


def test_degree_too_large():
    e, msg = err(BASE + "  - {source: a, target: b, connect: {kind: fixed_in_degree, k: 11}}\n")
    assert "k=11 exceeds the source size 10" in msg and "k <= 10" in msg


def test_duplicate_names():
    e, msg = err(BASE.replace("name: b,", "name: a,"))
    assert "already used" in msg


def test_bad_neuron_parameter():
    e, msg = err(BASE.replace("{vth: 100}", "{vth: 100, du: 5000}"))
    assert "populations[0].neuron" in e.field and "du" in e.field and "4096" in msg


def test_no_populations():
    e, msg = err("name: n\npopulations: []\n")
    assert "at least one population" in msg


def test_poisson_rate_too_high():
    spec = net("").model_copy(update={})
    spec = network_from_yaml_text(BASE.replace("rate_hz: 100", "rate_hz: 5000"))
    with pytest.raises(ConfigError, match="rate_hz.*exceeds one spike per timestep"):
        spec.instantiate().stimulus(10)


def test_explicit_out_of_range():
    spec = net("  - {source: a, target: b, connect: {kind: explicit, pairs: [[0, 1], [3, 25]]}, weight: 2}\n")
    with pytest.raises(ConfigError, match="target index out of range 0..19"):
        spec.instantiate()


def test_npz_file_errors(tmp_path):
    np.savez(tmp_path / "c.npz", source=np.array([0, 1]))
    spec = net("  - {source: a, target: b, connect: {kind: explicit, file: c.npz}}\n")
    with pytest.raises(ConfigError, match="lacks array.*target"):
        spec.instantiate(base_dir=tmp_path)
    with pytest.raises(ConfigError, match="file does not exist"):
        net("  - {source: a, target: b, connect: {kind: explicit, file: nope.npz}}\n").instantiate(base_dir=tmp_path)


def test_sampling_rules():
    spec = net(
        "  - {source: a, target: a, connect: {kind: all_to_all, allow_self: false}, weight: 1}\n"
        "  - {source: a, target: b, connect: {kind: fixed_in_degree, k: 3}, weight: {kind: uniform, low: -2, high: 2}}\n"
        "  - {source: b, target: a, connect: {kind: fixed_out_degree, k: 4}, weight: {kind: normal, mean: 0, std: 50, low: -5, high: 5}}\n"
        "  - {source: x, target: b, connect: {kind: one_to_one}, weight: 7}\n" if False else
        "  - {source: a, target: a, connect: {kind: all_to_all, allow_self: false}, weight: 1}\n"
        "  - {source: a, target: b, connect: {kind: fixed_in_degree, k: 3}, weight: {kind: uniform, low: -2, high: 2}}\n"
        "  - {source: b, target: a, connect: {kind: fixed_out_degree, k: 4}, weight: {kind: normal, mean: 0, std: 50, low: -5, high: 5}}\n")
    n = spec.instantiate(seed=3)
    s, t, w = n.syn_source, n.syn_target, n.syn_weight
    n_in = n.n_inputs
    aa = (s >= n_in) & (s < n_in + 10) & (t < 10)
    assert aa.sum() == 90 and not np.any(s[aa] - n_in == t[aa])          # no self
    ab = (s < n_in + 10) & (s >= n_in) & (t >= 10)
    assert np.all(np.bincount(t[ab] - 10, minlength=20) == 3)             # in-degree exactly 3
    assert w[ab].min() >= -2 and w[ab].max() <= 2
    ba = (s >= n_in + 10)
    assert np.all(np.bincount(s[ba] - n_in - 10, minlength=20) == 4)     # out-degree exactly 4
    assert w[ba].min() >= -5 and w[ba].max() <= 5 and set(np.unique(w[ba])) >= {-5, 5}  # clipped
    pairs = set(zip(s.tolist(), t.tolist()))
    assert len(pairs) == s.size                                           # no duplicate pairs


def test_determinism_and_seed_sensitivity():
    spec = net("  - {source: x, target: b, connect: {kind: fixed_probability, p: 0.5}, weight: {kind: uniform, low: 1, high: 9}}\n")
    a, b, c = spec.instantiate(seed=1), spec.instantiate(seed=1), spec.instantiate(seed=2)
    assert np.array_equal(a.syn_target, b.syn_target) and np.array_equal(a.syn_weight, b.syn_weight)
    assert not (np.array_equal(a.syn_target, c.syn_target) and np.array_equal(a.syn_weight, c.syn_weight))
    sa, sb = a.stimulus(50), b.stimulus(50)
    assert np.array_equal(sa.channels, sb.channels) and np.array_equal(sa.offsets, sb.offsets)
    assert sa.n_spikes > 0


def test_lif_conversion_is_the_documented_one():
    spec = net("")
    n = spec.instantiate()
    b = 10  # first neuron of population b
    assert n.params["dv"][b] == round(4096 * (1 - np.exp(-1 / 20)))
    assert n.params["du"][b] == round(4096 * (1 - np.exp(-1 / 5)))
    assert n.params["vth"][b] == 1000  # 10 mV / 0.01 mV per lsb


def test_regular_and_array_inputs(tmp_path):
    np.savez(tmp_path / "ev.npz", steps=np.array([0, 2, 2]), channels=np.array([1, 0, 1]))
    text = BASE.replace("source: {kind: poisson, rate_hz: 100}", "source: {kind: regular, period_steps: 3, phase_steps: 1}")
    text = text.replace("inputs:\n", "inputs:\n  - {name: ev, size: 2, source: {kind: array, file: ev.npz}}\n")
    spec = network_from_yaml_text(text)
    st = spec.instantiate(base_dir=tmp_path).stimulus(6)
    per_step = [st.channels[st.offsets[t]:st.offsets[t + 1]].tolist() for t in range(6)]
    # ev occupies channels 0..1, x (regular, period 3 phase 1) channels 2..5
    assert per_step == [[1], [2, 3, 4, 5], [0, 1], [], [2, 3, 4, 5], []]


def test_builder_equals_yaml():
    b = NetworkBuilder("n", seed=0)
    b.population("a", 10, {"vth": 100})
    b.population("b", 20, LIF(tau_m=20, tau_syn=5, v_rest=0, v_reset=0, v_thresh=10, tau_refrac=0))
    b.poisson_input("x", 4, rate_hz=100)
    b.connect("x", "b", "fixed_probability", p=0.5, weight=3)
    spec_b = b.build()
    spec_y = net("  - {source: x, target: b, connect: {kind: fixed_probability, p: 0.5}, weight: 3}\n")
    assert spec_b.model_dump() == spec_y.model_dump()
    nb, ny = spec_b.instantiate(), spec_y.instantiate()
    assert np.array_equal(nb.syn_target, ny.syn_target)


def test_builder_errors_name_the_field():
    b = NetworkBuilder()
    b.population("a", 0, {"vth": 1})
    with pytest.raises(ConfigError, match=r"populations\[0\].size"):
        b.build()
