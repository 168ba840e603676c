"""Physical neurons in PyNN's names and units (`model: lif`): the one conversion to the chip's
fixed point, its reported error, its warnings, and the textbook example (docs/networks.md)."""
import math
import warnings

import numpy as np
import pytest

from neurocycle.hw import ConfigError, QuantisationWarning, decay, load_chip
from neurocycle.sim import LIF, load_network, network_from_yaml_text, simulate
from neurocycle.sim._neurons import QUANTISATION_TOLERANCE, FixedPoint, fixed_plateau

TEXTBOOK = dict(tau_m=10.0, cm=1.0, v_rest=-60.0, v_reset=-60.0, v_thresh=-50.0, tau_refrac=5.0)
CHIP = load_chip("default-4x4").with_overrides({"bits.refractory": 8})   # 5 ms = 50 steps at 0.1 ms


def one_neuron(dt_ms, mv_per_lsb, i_offset, **kw):
    return {"name": "textbook", "fixed_point": {"dt_ms": dt_ms, "mv_per_lsb": mv_per_lsb},
            "populations": [{"name": "n", "size": 1,
                             "neuron": {"model": "lif", **TEXTBOOK, "i_offset": i_offset, **kw}}]}


def spike_times_ms(net, ms):
    dt = net["fixed_point"]["dt_ms"]
    run = simulate(CHIP, net, steps=round(ms / dt), backend="reference")
    return run.result.spike_steps * dt


@pytest.mark.parametrize("dt_ms", [1.0, 0.25, 0.1])
def test_textbook_neuron_never_fires_at_2_mv(dt_ms):
    assert spike_times_ms(one_neuron(dt_ms, 0.001, 0.2), 1000).size == 0
    assert LIF(**TEXTBOOK, i_offset=0.2).analytic_isi_ms() == math.inf


@pytest.mark.parametrize("dt_ms", [1.0, 0.25, 0.1])
def test_textbook_neuron_at_20_mv_fires_at_the_analytic_interval(dt_ms):
    n = LIF(**TEXTBOOK, i_offset=2.0)
    analytic = 5 + 10 * math.log(20 / 10)
    assert n.analytic_isi_ms() == pytest.approx(analytic)
    conv = n.conversion(FixedPoint(dt_ms=dt_ms, mv_per_lsb=0.001))
    lo, hi = conv.isi_bounds_ms()
    isi = np.diff(spike_times_ms(one_neuron(dt_ms, 0.001, 2.0), 400))
    assert isi.size > 20 and np.allclose(isi, isi[0]), "a constant input gives a regular spike train"
    assert lo - 1e-9 <= isi[0] <= hi + 1e-9, "the chip's interval is inside the documented bounds"
    # the documented discretisation error: the bounds around the analytic value, about one timestep
    error = max(hi - analytic, analytic - lo)
    assert abs(isi[0] - analytic) <= error <= dt_ms + 0.05
    assert not conv.problems()


def test_textbook_gallery_twins_run_from_the_cli(cli):
    out = cli("run", "default-4x4", "textbook-lif-2mv", "--steps", "1000", "--no-files", "--quiet").stdout
    assert "spikes (neurons)" in out and any("spikes (neurons)" in ln and ln.split("│")[2].strip() == "0"
                                             for ln in out.splitlines())
    out = cli("run", "default-4x4", "textbook-lif-20mv", "--steps", "1000", "--no-files", "--quiet").stdout
    row = next(ln for ln in out.splitlines() if "spikes (neurons)" in ln)
    assert row.split("│")[2].strip() == "83"          # first at 6, then every 12: 6, 18, ..., 990
    assert "R*i_offset plateau" in out                   # the conversion report is printed
    spec, _ = load_network("textbook-lif-20mv")
    assert spec.populations[0].neuron.drive_mv == pytest.approx(20.0)


def test_plateau_formula_is_the_chip_fixed_point():
    rng = np.random.default_rng(3)
    for _ in range(300):
        dv, b = int(rng.integers(1, 4096)), int(rng.integers(-60, 61))
        v = 0
        for _ in range(200_000):
            nxt = int(decay(np.int64(v), dv)) + b
            if nxt == v:
                break
            v = nxt
        assert v == fixed_plateau(b, dv), (dv, b)


def test_truncation_would_halve_the_naive_plateau_and_is_warned_about():
    """2 mV at dt = 0.1 ms, 0.01 mV/LSB: the naive bias round(200 * 41/4096) = 2 settles at 1 mV;
    the conversion picks 3 (plateau 2 mV) and warns that the drive is only 2..3 LSB per step."""
    n = LIF(**TEXTBOOK, i_offset=0.2)
    fp = FixedPoint(dt_ms=0.1, mv_per_lsb=0.01)
    assert fixed_plateau(round(200 * 41 / 4096), 41) == 100           # the naive choice: halved
    conv = n.conversion(fp)
    assert (conv.fixed.dv, conv.fixed.bias) == (41, 3) and conv.plateau_mv == pytest.approx(-58.0)
    with pytest.warns(QuantisationWarning, match=r"R\*i_offset = 2 mV is a bias of only 3 LSB.*between 2 and 3 "
                                                 r"LSB.*33 % uncertain.*fix: a smaller mv_per_lsb"):
        fixed = n.to_fixed(fp)
    assert fixed == conv.fixed
    with pytest.warns(QuantisationWarning):                              # through a network too
        network_from_yaml_text(str(one_neuron(0.1, 0.01, 0.2)).replace("'", '"')).instantiate()


def warned(neuron, fp):
    """The QuantisationWarning messages of converting ``neuron`` (and nothing else is warned)."""
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        neuron.to_fixed(fp)
    assert all(r.category is QuantisationWarning for r in rec)
    return [str(r.message) for r in rec]


def test_plateau_on_the_wrong_side_of_the_threshold_is_warned_about():
    # R*I = 10.05 mV is just above the 10 mV threshold; at 0.1 mV/LSB the nearest plateaus are
    # 9.5 and 10.6 mV (equally near): the conversion takes 9.5 mV and the neuron would never fire
    msgs = warned(LIF(**TEXTBOOK, i_offset=1.005), FixedPoint(dt_ms=1.0, mv_per_lsb=0.1))
    assert any("(plateau -49.95 mV) reaches v_thresh = -50 mV" in m and "plateau -50.5 mV stays below its "
               "threshold -50 mV" in m and "never fires on the chip" in m for m in msgs), msgs


def test_time_constants_the_12_bit_decay_cannot_hold_are_warned_about():
    n = LIF(**{**TEXTBOOK, "tau_m": 1e5}, i_offset=0.2)
    msgs = warned(n, FixedPoint(dt_ms=0.1))
    assert msgs == ["tau_m = 100000 is represented as no decay at all (the 12-bit decay rounds to 0) at "
                    "dt_ms=0.1, mv_per_lsb=0.01; fix: a larger dt_ms"]
    conv = n.conversion(FixedPoint(dt_ms=0.1))
    assert conv.fixed.dv == 0 and math.isnan(conv.plateau_mv)
    # no leak: the bias is the per-step increment i_offset/cm * dt = 0.2 nA / 1 nF * 0.1 ms = 0.02 mV
    assert conv.fixed.bias == 2
    err = LIF(**{**TEXTBOOK, "tau_syn": 900.0}).conversion(FixedPoint(dt_ms=1.0)).rows()[1][3]
    assert abs(err) > QUANTISATION_TOLERANCE                              # du = 5: 9 % off
    msgs = warned(LIF(**{**TEXTBOOK, "tau_syn": 900.0}), FixedPoint(dt_ms=1.0))
    assert len(msgs) == 1 and msgs[0].startswith("tau_syn = 900 is represented as 818.7 (-9.0 %)")


def test_a_representable_neuron_raises_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        spec, _ = load_network("textbook-lif-20mv")
        net = spec.instantiate()
    conv = net.conversions()["neuron"]
    assert conv["warnings"] == [] and conv["fixed"]["bias"] == 1905
    errs = {q["quantity"]: q["relative_error"] for q in conv["quantities"]}
    assert abs(errs["tau_m (ms)"]) < 1e-3 and abs(errs["R*i_offset plateau (mV)"]) < 1e-3


def test_old_field_names_are_refused_with_the_mapping():
    text = """name: old
populations:
  - {name: a, size: 1, neuron: {model: lif, tau_mem_ms: 10, tau_syn_ms: 5, v_th_mv: 10, bias_mv: 2}}
"""
    with pytest.raises(ConfigError) as exc:
        network_from_yaml_text(text, source="old.yaml")
    e = exc.value.errors[0]
    assert e.field.startswith("populations[0].neuron") and e.field.endswith("tau_mem_ms") and e.line == 3
    assert "tau_mem_ms -> tau_m" in e.rule and "bias_mv -> i_offset" in e.rule and "v_rest" in e.fix


def test_reset_must_be_below_threshold():
    with pytest.raises(Exception, match="v_reset"):
        LIF(**{**TEXTBOOK, "v_reset": -50.0})


def test_migrated_gallery_networks_keep_their_fixed_point_parameters():
    """The networks moved from the old names keep bit-identical profiles (and so W1, the default
    run and every gallery result)."""
    got = {}
    for name in ("default-net", "brunel-ei", "ff-classifier"):
        spec, _ = load_network(name)
        for p in spec.populations:
            f = p.neuron.to_fixed(spec.fixed_point)
            got[(name, p.name)] = (f.du, f.dv, f.bias, f.vth, f.v_reset, f.refractory)
    assert got[("default-net", "exc")] == (742, 200, 0, 400, 0, 2)
    assert got[("default-net", "inh")] == (742, 390, 0, 400, 0, 1)
    assert got[("brunel-ei", "exc")] == got[("brunel-ei", "inh")] == (3542, 200, 28, 400, 200, 2)
    assert got[("ff-classifier", "output")] == (1612, 200, 0, 100, 0, 1)


def test_the_cli_prints_the_warning_as_one_line_and_still_runs(cli, tmp_path):
    import json
    net = tmp_path / "coarse.json.yaml"
    net.write_text(json.dumps(one_neuron(0.1, 0.01, 0.2)))
    proc = cli("validate", net)
    assert "ok" in proc.stdout and "R*i_offset plateau" in proc.stdout          # the conversion table
    warned_lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("neurocycle: warning: ")]
    assert len(warned_lines) == 1 and "bias of only 3 LSB per timestep" in warned_lines[0]
    assert "Traceback" not in proc.stderr
