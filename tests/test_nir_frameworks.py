"""Framework conventions (docs/nir.md, "Framework conventions"): each writer's encoding is
undone, a writer's evidence is recognised, an unknowable timestep is refused with the
candidates, dropped synapses are never silent, and the CLI takes what the API takes."""
import json
from pathlib import Path

import nir
import numpy as np
import pytest

from neurocycle.hw import ConfigError, load_chip
from neurocycle.sim import convert_nir, estimate, simulate
from neurocycle.sim.nir import CONVENTIONS, FRAMEWORKS, NIRTypeCheckWarning

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "nir"


def layer(neuron, n_in=6, n=4, seed=0, scale=1.0):
    W = np.random.default_rng(seed).normal(0.4, 0.3, (n, n_in)) * scale
    return nir.NIRGraph(nodes={"input": nir.Input(input_type=np.array([n_in])), "w": nir.Linear(weight=W),
                               "neuron": neuron, "output": nir.Output(output_type=np.array([n]))},
                        edges=[("input", "w"), ("w", "neuron"), ("neuron", "output")])


def norse11_cuba(n=4, dt=1e-3, tau_syn_inv=200.0, tau_mem_inv=100.0):
    """What Norse 1.1's to_nir writes for a LIFCell: tau = dt/tau_inv, r = 1, w_in = 1."""
    return nir.CubaLIF(tau_syn=np.full(n, dt / tau_syn_inv), tau_mem=np.full(n, dt / tau_mem_inv), r=np.ones(n),
                       v_leak=np.zeros(n), v_threshold=np.ones(n), w_in=np.ones(n))


def test_every_framework_has_a_documented_convention():
    doc = (Path(__file__).resolve().parents[1] / "docs" / "nir.md").read_text()
    for name in FRAMEWORKS:
        assert name in CONVENTIONS
        assert f"`--from {name}`" in doc, name


def test_norse_11_is_read_with_its_own_step_and_input_gain():
    g = layer(norse11_cuba())
    conv = convert_nir(g)                        # the only plausible reading
    assert conv.report.framework == "norse" and "Norse 1.1" in conv.report.dt_source
    p = conv.spec.populations[0].neuron
    assert (p.du, p.dv) == (round(4096 * 0.2), round(4096 * 0.1))    # dt * tau_inv per step
    named = convert_nir(g, framework="norse")
    assert named.spec.populations == conv.spec.populations
    # NIR's own reading at the "right" dt scales the input by f_syn: 5x fewer weight units than Norse's jump
    generic = convert_nir(g, framework="nir", dt_ms=0.001)
    assert generic.spec.populations[0].neuron.dv == p.dv
    lq_n, lq_g = named.report.layer("neuron"), generic.report.layer("neuron")
    assert lq_g.weight_lsb / lq_n.weight_lsb == pytest.approx(0.2, rel=0.05) or lq_g.w_exp != lq_n.w_exp


def test_norse_dt_fix_is_refused_not_run_silently():
    """The issue's trap: dt_ms=0.001 makes NIR's decays right but not Norse's input gain."""
    with pytest.raises(ConfigError) as exc:
        convert_nir(layer(norse11_cuba()), dt_ms=0.001)
    msg = str(exc.value)
    assert "cannot be known" in msg and "--from norse" in msg and "--from nir" in msg
    assert msg.count("output spikes per neuron-step") >= 2


def test_ambiguous_graph_is_refused_with_every_candidate():
    n = 4
    g = layer(nir.LIF(tau=np.full(n, 2e-4), r=np.ones(n), v_leak=np.zeros(n), v_threshold=np.ones(n)))
    with pytest.raises(ConfigError) as exc:
        convert_nir(g)
    msg = str(exc.value)
    assert "--from norse" in msg and "--from spikingjelly" in msg
    assert "membrane keeps" in msg and "synapses placed" in msg
    # naming the framework resolves it, each with its own per-step decay
    sj = convert_nir(g, framework="spikingjelly").spec.populations[0].neuron
    no = convert_nir(g, framework="norse").spec.populations[0].neuron
    assert sj.dv == round(4096 * 0.5) and no.dv == round(4096 * 1e-6 / 2e-4)


def test_sinabs_steps_and_threshold_comparison():
    n = 4
    g = layer(nir.LIF(tau=np.full(n, 8.0), r=np.ones(n), v_leak=np.zeros(n), v_threshold=np.ones(n)))
    conv = convert_nir(g)
    assert conv.report.framework == "sinabs" and conv.report.fires_on == ">="
    p = conv.spec.populations[0].neuron
    S = conv.report.layer("neuron").state_scale
    assert p.dv == round(4096 * (1 - np.exp(-1 / 8)))
    assert p.vth == int(np.ceil(S * 1.0 - 1e-9))                 # v >= threshold
    ifg = layer(nir.IF(r=np.ones(n), v_threshold=np.ones(n)))
    with pytest.raises(ConfigError, match="--from sinabs"):       # IF with r = 1: Sinabs, Norse, Spyx or NIR
        convert_nir(ifg)
    assert convert_nir(ifg, framework="sinabs").report.layer("neuron").synapses_dropped == 0


def test_spyx_rockpool_spikingjelly_and_snntorch_evidence():
    n, beta = 4, 0.9
    spyx = layer(nir.LIF(tau=np.full(n, 1 / (1 - beta)), r=np.full(n, beta), v_leak=np.zeros(n),
                         v_threshold=np.ones(n)))
    c = convert_nir(spyx)
    assert c.report.framework == "spyx" and c.spec.populations[0].neuron.dv == round(4096 * (1 - beta))
    dt, ts, tm = 1e-3, 0.01, 0.02
    rock = layer(nir.CubaLIF(tau_syn=np.full(n, ts), tau_mem=np.full(n, tm), r=np.full(n, tm * np.exp(-dt / tm) / dt),
                             v_leak=np.zeros(n), v_threshold=np.ones(n)))
    c = convert_nir(rock)
    assert c.report.framework == "rockpool" and c.dt_ms == pytest.approx(1.0)
    p = c.spec.populations[0].neuron
    assert (p.du, p.dv) == (round(4096 * -np.expm1(-dt / ts)), round(4096 * -np.expm1(-dt / tm)))
    sj = layer(nir.IF(r=np.full(n, 1e4), v_threshold=np.ones(n), v_reset=np.zeros(n)))
    c = convert_nir(sj)
    assert c.report.framework == "spikingjelly" and c.dt_ms == pytest.approx(0.1) and c.report.fires_on == ">="


def test_a_named_framework_that_contradicts_the_file_is_an_error():
    with pytest.raises(ConfigError, match="not written by snnTorch"):
        convert_nir(layer(norse11_cuba()), framework="snntorch")
    with pytest.raises(ConfigError, match="framework: must be one of"):
        convert_nir(layer(norse11_cuba()), framework="brian")


def test_dropped_projection_is_an_error_unless_allowed():
    n = 4
    W = np.zeros((n, 6))
    W[:, 0] = 1.0
    W[:, 1:] = 1e-5                              # five inputs whose weights round to 0
    g = nir.NIRGraph(nodes={"input": nir.Input(input_type=np.array([6])), "w": nir.Linear(weight=W),
                            "neuron": nir.IF(r=np.ones(n), v_threshold=np.ones(n)),
                            "output": nir.Output(output_type=np.array([n]))},
                     edges=[("input", "w"), ("w", "neuron"), ("neuron", "output")])
    conv = convert_nir(g, framework="sinabs", max_dropped_fraction=0.5)        # 0.005 % of the weight: kept quiet
    assert conv.report.layer("neuron").synapses_dropped == 20
    assert any("20 of 24 synapses round to 0" in line for line in conv.report.dropped_lines())
    zeroed = layer(nir.IF(r=np.ones(n), v_threshold=np.full(n, 1e6)), scale=1.0)   # every weight below an LSB
    with pytest.raises(ConfigError, match=r"nir\.nodes\.neuron: the projection from 'input' would lose every one"):
        convert_nir(zeroed, framework="sinabs")
    ok = convert_nir(zeroed, framework="sinabs", allow_dropped=True)
    assert ok.report.layer("neuron").projections[0].zeroed
    with pytest.raises(ConfigError, match="max_dropped_fraction"):
        convert_nir(g, framework="sinabs", max_dropped_fraction=2)


def test_old_nir_is_refused_with_the_reason(monkeypatch):
    monkeypatch.setattr(nir, "__version__", "1.0.4")
    with pytest.raises(ConfigError, match="too old.*--no-deps"):
        convert_nir(layer(norse11_cuba()))


def test_type_check_fallback_warns_and_notes(tmp_path):
    path = FIXTURES / "sinabs_lif" / "model.nir"
    with pytest.raises(Exception):
        nir.read(str(path))                      # NIR's own inference fails on this Sinabs export
    with pytest.warns(NIRTypeCheckWarning):
        conv = convert_nir(path, framework="sinabs")
    assert any("type inference" in n for n in conv.report.notes)


# ----------------------------------------------------------------------------- CLI
def test_cli_run_with_inputs_and_compare(cli, tmp_path):
    d = FIXTURES / "spikingjelly_if_lif"
    proc = cli("run", "default-4x4", d / "model.nir", "--from", "spikingjelly", "--inputs", d / "expected.npz",
               "--out", tmp_path / "out", "--quiet")
    assert "spikingjelly conventions" in proc.stdout
    out = np.load(tmp_path / "out" / "output_spikes.npz")
    assert int(out["latency.output"]) == 2 and out["output.output"].shape == (60, 4)
    rep = json.loads((tmp_path / "out" / "report.json").read_text())
    assert rep["results"]["steps"] == 62                          # the inputs' length plus the latency
    cmp = cli("compare", tmp_path / "out" / "output_spikes.npz", d / "expected.npz", "--require", "exact",
              "--out", tmp_path / "cmp.json")
    assert "agrees" in cmp.stdout and json.loads((tmp_path / "cmp.json").read_text())["output"]["exact"]
    ref = dict(np.load(d / "expected.npz"))
    ref["output.output"] = np.roll(ref["output.output"], 3, axis=0)
    np.savez(tmp_path / "shifted.npz", **ref)
    bad = cli("compare", tmp_path / "out" / "output_spikes.npz", tmp_path / "shifted.npz", "--require", "exact",
              check=False)
    assert bad.returncode == 1 and "does not agree" in bad.stdout


def test_cli_refuses_an_ambiguous_graph_without_a_traceback(cli, tmp_path):
    proc = cli("run", "default-4x4", FIXTURES / "sinabs_iaf" / "model.nir", "--no-files", "--quiet", check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "--from sinabs" in proc.stderr and "neurocycle: warning: " in proc.stderr
    v = cli("validate", FIXTURES / "sinabs_iaf" / "model.nir", "--from", "spikingjelly", check=False)
    assert v.returncode == 1 and "would lose every one of its" in v.stdout
    ok = cli("validate", FIXTURES / "sinabs_iaf" / "model.nir", "--from", "sinabs")
    assert "sinabs conventions" in ok.stdout
    yaml_net = cli("run", "tiny-2x2", "synfire-chain", "--from", "norse", "--no-files", check=False)
    assert yaml_net.returncode == 2 and "apply to NIR graphs" in yaml_net.stderr


# ----------------------------------------------------------------------------- estimate
@pytest.mark.parametrize("case", sorted(p.name for p in FIXTURES.iterdir() if (p / "model.nir").exists()))
def test_estimate_on_every_fixture(case):
    d = FIXTURES / case
    meta = json.loads((d / "meta.json").read_text())
    exp = np.load(d / "expected.npz")
    ins = {k[6:]: exp[k] for k in exp.files if k.startswith("input.")}
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NIRTypeCheckWarning)
        est = estimate(d / "model.nir", "tiny-2x2", framework=meta["from"], inputs=ins)
        lag = max(convert_nir(d / "model.nir", framework=meta["from"], inputs=ins).latency.values())
    assert lag == (0 if meta["from"] == "spyx" else 2)           # Spyx's neuron delays by one step itself
    assert est.fits and est.steps == meta["steps"] + lag and est.framework == meta["from"]
    assert est.total_cycles > 0 and est.neurobench_synops > 0
    assert sum(est.energy_breakdown_pj.values()) == pytest.approx(est.energy_pj, rel=1e-9)
    assert est.energy_pj > est.synops_only_energy_pj > 0 and est.area_mm2 > 0
    assert est.smallest_fitting_mesh == (1, 1)


def test_neurobench_synops_count_spikes_times_nonzero_synapses():
    d = FIXTURES / "snntorch_leaky"
    exp = np.load(d / "expected.npz")
    x = exp["input.input"]
    conv = convert_nir(d / "model.nir", framework="snntorch", inputs={"input": x})
    est = estimate(conv, "default-4x4", steps=62)
    g = nir.read(str(d / "model.nir"))
    lin = [n for n in g.nodes.values() if isinstance(n, (nir.Linear, nir.Affine))]
    W1, W2 = (np.asarray(n.weight) for n in lin)
    run = simulate("default-4x4", conv, steps=62)
    hidden = [k for k in conv.node_gids if k not in (conv.outputs["output"].node,)][0]
    g0, nh = conv.node_gids[hidden]
    hid_counts = np.bincount(run.result.spike_neurons[(run.result.spike_neurons >= g0)
                                                      & (run.result.spike_neurons < g0 + nh)] - g0, minlength=nh)
    want = int(x.sum(0) @ (W1 != 0).sum(0) + hid_counts @ (W2 != 0).sum(0))
    assert est.neurobench_synops == want


def test_estimate_finds_the_smallest_mesh_and_runs_there():
    one = load_chip("default-4x4").with_overrides({"mesh.width": 1, "mesh.height": 1})
    est = estimate("default-net", one, steps=5)
    assert not est.fits and est.mesh == est.smallest_fitting_mesh == (2, 2)
    assert "does NOT fit" in est.table()
    with pytest.raises(ConfigError, match="apply to NIR graphs"):
        estimate("default-net", one, steps=5, framework="norse")


def test_cli_estimate(cli, tmp_path):
    d = FIXTURES / "snntorch_synaptic"
    proc = cli("estimate", "tiny-2x2", d / "model.nir", "--from", "snntorch", "--inputs", d / "expected.npz",
               "--out", tmp_path / "est.json")
    assert "synaptic ops (NeuroBench)" in proc.stdout and "static (leakage)" in proc.stdout
    data = json.loads((tmp_path / "est.json").read_text())
    assert data["fits"] and data["framework"] == "snntorch" and data["overhead_factor"] > 1
