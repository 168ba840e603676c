"""NIR import: every node type, every unsupported case, the quantisation report, and spike
counts against an independent float reference (tests/test_nir_float.py) within the
tolerance docs/nir.md justifies."""
import json

import nir
import numpy as np
import pytest

from neurocycle.hw import ConfigError, NumericFormat, load_chip
from neurocycle.sim import convert_nir as _convert_nir, load_network, simulate
from test_nir_float import input_arrays, simulate_float

DT = 1e-3


def convert_nir(g, **kw):
    """These tests exercise NIR's own equations: the generic reading at 1 ms unless a test says
    otherwise (tests/test_nir_frameworks.py covers framework conventions and detection)."""
    if "framework" not in kw:
        kw.setdefault("dt_ms", 1.0)
        kw["framework"] = "nir"
    return _convert_nir(g, **kw)


def import_nir(g, **kw):
    return convert_nir(g, **kw).spec


def count_tolerance(n_float: np.ndarray) -> np.ndarray:
    """Allowed |chip - float| spike-count difference per output neuron (docs/nir.md, "Tolerance")."""
    return 2 + 0.1 * n_float


def assert_counts_agree(chip_counts, float_counts):
    chip_counts, float_counts = np.asarray(chip_counts), np.asarray(float_counts)
    bad = np.abs(chip_counts - float_counts) > count_tolerance(float_counts)
    assert not bad.any(), f"chip {chip_counts[bad]} vs float {float_counts[bad]} (all: {chip_counts} vs {float_counts})"


def write(g, tmp_path, name="model.nir"):
    path = tmp_path / name
    nir.write(str(path), g)
    return path


def run_conv(conv, chip="default-4x4", steps=200, seed=0, backend="reference"):
    return simulate(chip, conv, steps=steps, seed=seed, backend=backend)


def dense_weights(conv, run, src_input: str, node: str) -> np.ndarray:
    """The chip's synapses from a NIR Input to a NIR node, as a float matrix in NIR units."""
    c0, n_in = conv.input_channels[src_input]
    g0, n = conv.node_gids[node]
    net = run.net
    sel = (net.syn_source >= c0) & (net.syn_source < c0 + n_in) & (net.syn_target >= g0) & (net.syn_target < g0 + n)
    W = np.zeros((n, n_in))
    W[net.syn_target[sel] - g0, net.syn_source[sel] - c0] = net.syn_weight[sel]
    return W * conv.report.layer(node).weight_lsb


def mlp(seed=0, n_in=40, n_h=60, n_out=10, n_ro=5, bias=True):
    """Input -> Affine -> CubaLIF -> Linear -> LIF -> Output, plus CubaLIF -> Linear -> LI readout."""
    rng = np.random.default_rng(seed)
    W1 = rng.normal(0.02, 0.04, (n_h, n_in))
    b1 = rng.normal(0.0, 0.01, n_h) if bias else np.zeros(n_h)
    W2 = rng.normal(0.01, 0.05, (n_out, n_h))
    W3 = rng.normal(0.0, 0.3, (n_ro, n_h))
    nodes = {
        "input": nir.Input(input_type=np.array([n_in])),
        "fc1": nir.Affine(weight=W1, bias=b1),
        "lif1": nir.CubaLIF(tau_syn=np.full(n_h, 5e-3), tau_mem=np.full(n_h, 20e-3), r=np.full(n_h, 20.0),
                            v_leak=np.zeros(n_h), v_threshold=np.ones(n_h), w_in=np.full(n_h, 5.0)),
        "fc2": nir.Linear(weight=W2),
        "lif2": nir.LIF(tau=np.full(n_out, 20e-3), r=np.full(n_out, 20.0), v_leak=np.zeros(n_out),
                        v_threshold=np.ones(n_out)),
        "output": nir.Output(output_type=np.array([n_out])),
        "fc3": nir.Linear(weight=W3),
        "li": nir.LI(tau=np.full(n_ro, 10e-3), r=np.full(n_ro, 10.0), v_leak=np.zeros(n_ro)),
        "readout": nir.Output(output_type=np.array([n_ro])),
    }
    edges = [("input", "fc1"), ("fc1", "lif1"), ("lif1", "fc2"), ("fc2", "lif2"), ("lif2", "output"),
             ("lif1", "fc3"), ("fc3", "li"), ("li", "readout")]
    return nir.NIRGraph(nodes=nodes, edges=edges)


# ----------------------------------------------------------------------------- end to end
def layer_graph(g, src_size, lin, neuron):
    """Input -> (the linear node) -> (the neuron node): one layer of ``g`` on its own."""
    n = int(np.asarray(g.nodes[lin].weight).shape[0])
    return nir.NIRGraph(nodes={"input": nir.Input(input_type=np.array([src_size])), "w": g.nodes[lin],
                               "neuron": g.nodes[neuron], "output": nir.Output(output_type=np.array([n]))},
                        edges=[("input", "w"), ("w", "neuron"), ("neuron", "output")])


def chip_spike_array(run, population, steps):
    st, ids = run.spikes_of(population)
    a = np.zeros((steps, run.spec.populations[[p.name for p in run.spec.populations].index(population)].size), np.int64)
    a[st, ids] = 1
    return a


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nir_file_spike_counts_match_float_reference(tmp_path, seed):
    steps = 300
    path = write(mlp(seed), tmp_path)
    conv = convert_nir(path, numeric=NumericFormat.of("default-4x4"), input_rate_hz=100.0)
    run = run_conv(conv, steps=steps, seed=seed)
    spikes, _ = simulate_float(mlp(seed), input_arrays(conv, run), steps, DT)
    float_counts = spikes["lif2"].sum(axis=0)
    chip_counts = conv.output_spike_counts(run)["output"]
    assert float_counts.sum() > 200 and (float_counts >= 20).sum() >= 5, "the test network must be active"
    # end to end: the float network and the chip, fed the same input spikes
    assert_counts_agree(chip_counts, float_counts)
    assert_counts_agree(run.spike_counts("lif1"), spikes["lif1"].sum(axis=0))
    # layer by layer: each chip layer against the float layer fed the chip's own input spikes
    hidden = chip_spike_array(run, "lif1", steps)
    sp2, _ = simulate_float(layer_graph(mlp(seed), 60, "fc2", "lif2"), {"input": hidden}, steps, DT)
    assert np.abs(chip_counts - sp2["neuron"].sum(axis=0)).max() <= 2
    _, v_li = simulate_float(layer_graph(mlp(seed), 60, "fc3", "li"), {"input": hidden}, steps, DT)
    v_chip = conv.readout(run)["readout"]
    assert np.abs(v_chip - v_li["neuron"]).max() <= 0.01 * np.abs(v_li["neuron"]).max()
    assert not any(conv.readout_saturated(run).values())


@pytest.mark.parametrize("change", ["threshold", "dt"])
def test_tolerance_is_discriminative(change):
    """A float model 20 % off in threshold, or simulated at a 25 % longer dt, falls outside the
    tolerance: the comparison can fail."""
    seed = 0
    conv = convert_nir(mlp(seed), numeric=NumericFormat.of("default-4x4"), input_rate_hz=100.0)
    run = run_conv(conv, steps=300, seed=seed)
    wrong, dt = mlp(seed), DT
    if change == "threshold":
        wrong.nodes["lif2"].v_threshold = np.full(10, 1.2)
    else:
        dt = 1.25 * DT
    spikes, _ = simulate_float(wrong, input_arrays(conv, run), 300, dt)
    with pytest.raises(AssertionError):
        assert_counts_agree(conv.output_spike_counts(run)["output"], spikes["lif2"].sum(axis=0))


def test_cycle_backend_gives_the_same_spikes(tmp_path):
    conv = convert_nir(mlp(1), numeric=NumericFormat.of("default-4x4"))
    ref = run_conv(conv, steps=60, seed=1)
    cyc = run_conv(conv, steps=60, seed=1, backend="cycle")
    assert np.array_equal(ref.result.spike_neurons, cyc.result.spike_neurons)
    assert np.array_equal(ref.result.spike_steps, cyc.result.spike_steps)
    assert cyc.total_cycles > 0


def test_cli_runs_a_nir_file(tmp_path, cli):
    path = write(mlp(0, n_in=8, n_h=12, n_out=4, n_ro=2), tmp_path)
    proc = cli("run", "tiny-2x2", path, "--steps", "20", "--out", tmp_path / "out", "--quiet")
    assert "model on tiny-2x2" in proc.stdout
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["network_summary"]["neurons"] == 12 + 4 + 2
    # the quantisation used the chip's 6-bit weights
    spec = import_nir(path, numeric=NumericFormat.of("tiny-2x2"))
    w = [p.weight for p in spec.projections]
    assert max(abs(x) for x in w) <= 31


def test_load_network_accepts_graph_objects_and_conversions():
    g = mlp(0, n_in=4, n_h=6, n_out=2, n_ro=2)
    with pytest.raises(ConfigError, match="round to 0"):               # 4-bit weights lose synapses: loud
        load_network(g, numeric=NumericFormat.of("odin-like"))
    conv4 = convert_nir(g, numeric=NumericFormat.of("odin-like"), allow_dropped=True)
    spec, _ = load_network(conv4)
    assert max(abs(p.weight) for p in spec.projections) <= 7           # odin-like: 4-bit weights
    conv = convert_nir(g)
    assert load_network(conv)[0] is conv.spec


# ----------------------------------------------------------------------------- node types
def one_layer(neuron, n_in=10, n=8, w=None, seed=0, extra_nodes=None):
    rng = np.random.default_rng(seed)
    W = rng.normal(0.3, 1.0, (n, n_in)) if w is None else w
    return nir.NIRGraph(nodes={"input": nir.Input(input_type=np.array([n_in])), "w": nir.Linear(weight=W),
                               "neuron": neuron, "output": nir.Output(output_type=np.array([n]))},
                        edges=[("input", "w"), ("w", "neuron"), ("neuron", "output")])


def compare_layer(g, steps=300, chip="default-4x4", rate=200.0, **opts):
    conv = convert_nir(g, numeric=NumericFormat.of(chip), input_rate_hz=rate, **opts)
    run = run_conv(conv, chip=chip, steps=steps)
    spikes, vs = simulate_float(g, input_arrays(conv, run), steps, conv.dt_ms / 1e3)
    return conv, run, spikes, vs


def test_lif_node(tmp_path):
    n = 8
    g = one_layer(nir.LIF(tau=np.full(n, 10e-3), r=np.full(n, 10.0), v_leak=np.zeros(n),
                          v_threshold=np.full(n, 2.0), v_reset=np.full(n, -0.5)), n=n)
    conv, run, spikes, _ = compare_layer(g)
    p = conv.spec.populations[0].neuron
    lq = conv.report.layer("neuron")
    assert p.dv == round(4096 * 0.1) and p.du == 4095          # Euler: d = 4096 dt/tau; current lasts 1 step
    assert p.vth == int(np.floor(lq.state_scale * 2.0)) + 1     # NIR fires on v > threshold
    assert p.v_reset == round(lq.state_scale * -0.5)
    assert spikes["neuron"].sum() > 50
    assert_counts_agree(conv.output_spike_counts(run)["output"], spikes["neuron"].sum(axis=0))


def test_cubalif_node():
    n = 8
    g = one_layer(nir.CubaLIF(tau_syn=np.full(n, 4e-3), tau_mem=np.full(n, 16e-3), r=np.full(n, 2.0),
                              v_leak=np.full(n, 0.1), v_threshold=np.ones(n), w_in=np.full(n, 3.0)), n=n)
    conv, run, spikes, _ = compare_layer(g)
    p = conv.spec.populations[0].neuron
    assert (p.du, p.dv) == (1024, 256)
    lq = conv.report.layer("neuron")
    assert p.bias == round(lq.state_scale * 0.1 * (1e-3 / 16e-3))   # v_leak drive per step
    assert spikes["neuron"].sum() > 50
    assert_counts_agree(conv.output_spike_counts(run)["output"], spikes["neuron"].sum(axis=0))


def test_if_node():
    n = 6
    g = one_layer(nir.IF(r=np.full(n, 100.0), v_threshold=np.full(n, 1.5)), n=n)
    conv, run, spikes, _ = compare_layer(g, rate=150.0)
    p = conv.spec.populations[0].neuron
    assert p.dv == 0 and p.du == 4095                                # no leak
    assert spikes["neuron"].sum() > 50
    assert_counts_agree(conv.output_spike_counts(run)["output"], spikes["neuron"].sum(axis=0))


def test_threshold_node_is_a_memoryless_comparator():
    n = 6
    g = one_layer(nir.Threshold(threshold=np.full(n, 0.5)), n=n)
    conv, run, spikes, _ = compare_layer(g, rate=300.0)
    p = conv.spec.populations[0].neuron
    assert p.du == p.dv == 4095
    chip = np.zeros_like(spikes["neuron"])
    (st, ids), = conv.output_spikes(run).values()
    chip[st, ids] = 1
    # same spike trains except where the input sits within quantisation error of the threshold
    assert spikes["neuron"].sum() > 50
    assert (chip != spikes["neuron"]).mean() < 0.01


@pytest.mark.parametrize("kind", ["LI", "CubaLI", "I"])
def test_readout_nodes_expose_state(kind):
    n = 5
    if kind == "LI":
        neuron = nir.LI(tau=np.full(n, 10e-3), r=np.full(n, 10.0), v_leak=np.zeros(n))
    elif kind == "CubaLI":
        neuron = nir.CubaLI(tau_syn=np.full(n, 5e-3), tau_mem=np.full(n, 10e-3), r=np.full(n, 10.0),
                            v_leak=np.full(n, 0.2), w_in=np.full(n, 5.0))
    else:
        neuron = nir.I(r=np.full(n, 20.0))
    g = one_layer(neuron, n=n)
    conv, run, _, vs = compare_layer(g, steps=120)
    om = conv.outputs["output"]
    assert om.kind == "state"
    assert conv.output_spike_counts(run) == {}
    v = conv.readout(run)["output"]
    ref = vs["neuron"]
    assert v.shape == ref.shape == (120, n)
    assert np.abs(v - ref).max() <= 0.01 * np.abs(ref).max() + 2 / om.state_scale
    assert run.result.n_spikes == 0                         # the threshold is out of reach
    assert conv.report.layer("neuron").role == "readout" and conv.report.layer("neuron").w_exp == 0
    raw = conv.readout(run, units="chip")["output"]
    assert raw.dtype.kind == "i" and np.allclose(raw / om.state_scale, v)


def test_readout_saturation_is_flagged():
    n = 2
    g = one_layer(nir.I(r=np.full(n, 20.0)), n=n, w=np.ones((n, 10)))   # integrates forever
    conv = convert_nir(g, numeric=NumericFormat.of("tiny-2x2"), input_rate_hz=500.0)
    run = run_conv(conv, chip="tiny-2x2", steps=200)
    assert conv.readout_saturated(run) == {"output": True}


def test_affine_bias_and_linear_weights_are_quantised_per_layer():
    rng = np.random.default_rng(3)
    W = rng.normal(0, 1.0, (7, 9))
    b = np.linspace(-0.5, 0.5, 7)
    n = 7
    g = nir.NIRGraph(nodes={"input": nir.Input(input_type=np.array([9])), "fc": nir.Affine(weight=W, bias=b),
                            "lif": nir.LIF(tau=np.full(n, 5e-3), r=np.full(n, 5.0), v_leak=np.zeros(n),
                                           v_threshold=np.full(n, 1.0)),
                            "output": nir.Output(output_type=np.array([n]))},
                     edges=[("input", "fc"), ("fc", "lif"), ("lif", "output")])
    conv = convert_nir(g)
    run = run_conv(conv, steps=2)
    lq = conv.report.layer("lif")
    gain = (1e-3 / 5e-3) * 5.0
    got = dense_weights(conv, run, "input", "lif")
    assert np.abs(got - gain * W).max() <= lq.weight_lsb / 2 + 1e-12
    assert lq.weight_max_q <= 127 and lq.weight_max_q >= 64          # weights use at least half the levels
    # the bias is an always-on input channel with per-neuron weights
    names = [i.name for i in conv.spec.inputs]
    assert names == ["input", "nir_bias"]
    assert conv.spec.inputs[1].source.kind == "regular" and conv.spec.inputs[1].source.period_steps == 1
    c_bias = run.net.input_offsets["nir_bias"]
    sel = run.net.syn_source == c_bias
    bias_chip = np.zeros(n)
    bias_chip[run.net.syn_target[sel] - conv.node_gids["lif"][0]] = run.net.syn_weight[sel] * lq.weight_lsb
    assert np.abs(bias_chip - gain * b).max() <= lq.weight_lsb / 2 + 1e-12


def test_scale_and_flatten_nodes():
    shape = (2, 3, 4)
    n_in, n = int(np.prod(shape)), 5
    rng = np.random.default_rng(4)
    W = rng.normal(0, 1, (n, n_in))
    s = np.array([1.0, -2.0, 0.5, 3.0, 0.0])
    g = nir.NIRGraph(nodes={"input": nir.Input(input_type=np.array(shape)),
                            "flat": nir.Flatten(input_type={"input": np.array(shape)}, start_dim=0),
                            "fc": nir.Linear(weight=W), "scale": nir.Scale(scale=s),
                            "lif": nir.LIF(tau=np.full(n, 5e-3), r=np.full(n, 5.0), v_leak=np.zeros(n),
                                           v_threshold=np.ones(n)),
                            "output": nir.Output(output_type=np.array([n]))},
                     edges=[("input", "flat"), ("flat", "fc"), ("fc", "scale"), ("scale", "lif"), ("lif", "output")])
    conv = convert_nir(g)
    run = run_conv(conv, steps=2)
    got = dense_weights(conv, run, "input", "lif")
    want = (1e-3 / 5e-3) * 5.0 * s[:, None] * W            # Flatten is C order: channel index = flat index
    assert np.abs(got - want).max() <= conv.report.layer("lif").weight_lsb / 2 + 1e-12
    assert not got[4].any()                                  # a zero scale removes the synapses


def conv_graph(kind, weight, in_shape, **kw):
    from test_nir_float import conv_naive
    c_out = weight.shape[0]
    node = (nir.Conv2d if kind == "Conv2d" else nir.Conv1d)(input_shape=in_shape[1:] if kind == "Conv2d" else in_shape[1],
                                                            weight=weight, bias=np.zeros(c_out), **kw)
    # nir 1.0.8 derives the output shape from a square kernel and ignores groups for the input
    # channels, so the shapes come from the naive convolution and nir's type check is off
    out_shape = conv_naive(np.zeros(in_shape), weight, kw["stride"], kw["padding"], kw["dilation"], kw["groups"]).shape
    n = int(np.prod(out_shape))
    lif = nir.IF(r=np.full(out_shape, 1000.0), v_threshold=np.full(out_shape, 1.0))
    g = nir.NIRGraph(nodes={"input": nir.Input(input_type=np.array(in_shape)), "conv": node, "if": lif,
                            "output": nir.Output(output_type=np.array(out_shape))},
                     edges=[("input", "conv"), ("conv", "if"), ("if", "output")], type_check=False)
    return g, out_shape, n


@pytest.mark.parametrize("kind,in_shape,wshape,kw", [
    ("Conv2d", (2, 6, 5), (3, 2, 3, 3), dict(stride=1, padding=0, dilation=1, groups=1)),
    ("Conv2d", (2, 7, 6), (4, 2, 3, 2), dict(stride=(2, 1), padding=(1, 0), dilation=1, groups=1)),
    ("Conv2d", (4, 5, 5), (4, 2, 3, 3), dict(stride=1, padding="same", dilation=1, groups=2)),
    ("Conv2d", (1, 7, 7), (2, 1, 2, 2), dict(stride=1, padding=0, dilation=2, groups=1)),
    ("Conv1d", (2, 9), (3, 2, 3), dict(stride=2, padding=1, dilation=1, groups=1)),
])
def test_conv_nodes_expand_to_shared_weight_synapses(kind, in_shape, wshape, kw):
    from test_nir_float import conv_naive
    rng = np.random.default_rng(5)
    w = rng.normal(0, 1, wshape)
    g, out_shape, n = conv_graph(kind, w, in_shape, **kw)
    conv = convert_nir(g)
    run = run_conv(conv, steps=2)
    got = dense_weights(conv, run, "input", "if")
    n_in = int(np.prod(in_shape))
    want = np.stack([conv_naive(np.eye(n_in)[j].reshape(in_shape), w, kw["stride"], kw["padding"], kw["dilation"],
                                kw["groups"]).ravel() for j in range(n_in)], axis=1) * 1e-3 * 1000.0
    assert got.shape == want.shape == (n, n_in)
    assert np.abs(got - want).max() <= conv.report.layer("if").weight_lsb / 2 + 1e-12
    # shared weights: the number of synapses is what the kernel touches, not a dense matrix
    assert conv.report.layer("if").synapses == int((np.abs(want) > conv.report.layer("if").weight_lsb / 2).sum())


@pytest.mark.parametrize("kind", ["SumPool2d", "AvgPool2d"])
def test_pooling_nodes(kind):
    in_shape = (2, 6, 6)
    pool = getattr(nir, kind)(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0]))
    out_shape = (2, 3, 3)
    g = nir.NIRGraph(nodes={"input": nir.Input(input_type=np.array(in_shape)), "pool": pool,
                            "if": nir.IF(r=np.full(out_shape, 1000.0), v_threshold=np.full(out_shape, 0.9)),
                            "output": nir.Output(output_type=np.array(out_shape))},
                     edges=[("input", "pool"), ("pool", "if"), ("if", "output")])
    conv = convert_nir(g)
    run = run_conv(conv, steps=2)
    got = dense_weights(conv, run, "input", "if")
    assert got.shape == (18, 72)
    val = 0.25 if kind == "AvgPool2d" else 1.0
    assert (np.count_nonzero(got, axis=1) == 4).all() and (np.count_nonzero(got, axis=0) == 1).all()
    assert np.allclose(got[got != 0], val, rtol=1e-2)
    # output (c=1, y=1, x=2) pools input rows 2..3, columns 4..5 of channel 1
    o = np.ravel_multi_index((1, 1, 2), out_shape)
    src = sorted(np.flatnonzero(got[o]).tolist())
    assert src == sorted(np.ravel_multi_index((1, y, x), in_shape) for y in (2, 3) for x in (4, 5))


def test_conv_snn_end_to_end_against_float():
    """Input (2,8,8) -> Conv2d -> IF -> SumPool2d -> IF -> Flatten -> Linear -> LIF."""
    rng = np.random.default_rng(6)
    cw = rng.normal(0.1, 0.5, (4, 2, 3, 3))
    conv2d = nir.Conv2d(input_shape=(8, 8), weight=cw, stride=1, padding=1, dilation=1, groups=1, bias=np.full(4, 0.05))
    s1 = (4, 8, 8)
    pool = nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0]))
    s2 = (4, 4, 4)
    W = rng.normal(0.1, 0.5, (6, 64))
    g = nir.NIRGraph(nodes={
        "input": nir.Input(input_type=np.array([2, 8, 8])), "conv": conv2d,
        "if1": nir.IF(r=np.full(s1, 437.0), v_threshold=np.full(s1, 1.0)),
        "pool": pool, "if2": nir.IF(r=np.full(s2, 437.0), v_threshold=np.full(s2, 1.0)),
        "flat": nir.Flatten(input_type={"input": np.array(s2)}, start_dim=0), "fc": nir.Linear(weight=W),
        "lif": nir.LIF(tau=np.full(6, 10e-3), r=np.full(6, 10.0), v_leak=np.zeros(6), v_threshold=np.ones(6)),
        "output": nir.Output(output_type=np.array([6]))},
        edges=[("input", "conv"), ("conv", "if1"), ("if1", "pool"), ("pool", "if2"), ("if2", "flat"),
               ("flat", "fc"), ("fc", "lif"), ("lif", "output")])
    conv = convert_nir(g, numeric=NumericFormat.of("default-4x4"), input_rate_hz=150.0)
    run = run_conv(conv, steps=200)
    shapes = {"conv": (2, 8, 8), "pool": s1}
    spikes, _ = simulate_float(g, input_arrays(conv, run), 200, DT, shapes=shapes)
    assert spikes["lif"].sum() > 30
    assert_counts_agree(conv.output_spike_counts(run)["output"], spikes["lif"].sum(axis=0))
    assert_counts_agree(run.spike_counts("if2"), spikes["if2"].reshape(200, -1).sum(axis=0))


def test_delay_of_one_timestep_is_the_hop_delay():
    base = one_layer(nir.IF(r=np.full(4, 1000.0), v_threshold=np.ones(4)), n=4, seed=7)
    g = nir.NIRGraph(nodes={**base.nodes, "delay": nir.Delay(delay=np.full(4, DT))},
                     edges=[("input", "w"), ("w", "delay"), ("delay", "neuron"), ("neuron", "output")])
    a, b = import_nir(base), import_nir(g)
    assert a.projections == b.projections and a.populations == b.populations


def test_recurrent_and_nested_graphs():
    """An snnTorch-RLeaky-shaped subgraph (lif -> w_rec -> lif) inlined as 'rlif.*'."""
    n = 6
    rng = np.random.default_rng(8)
    sub = nir.NIRGraph(nodes={"input": nir.Input(input_type=np.array([n])),
                              "lif": nir.LIF(tau=np.full(n, 10e-3), r=np.full(n, 10.0), v_leak=np.zeros(n),
                                             v_threshold=np.ones(n)),
                              "w_rec": nir.Linear(weight=rng.normal(0, 0.3, (n, n))),
                              "output": nir.Output(output_type=np.array([n]))},
                       edges=[("input", "lif"), ("lif", "w_rec"), ("w_rec", "lif"), ("lif", "output")])
    g = nir.NIRGraph(nodes={"input": nir.Input(input_type=np.array([8])),
                            "fc": nir.Linear(weight=rng.normal(0.5, 0.5, (n, 8))), "rlif": sub,
                            "output": nir.Output(output_type=np.array([n]))},
                     edges=[("input", "fc"), ("fc", "rlif"), ("rlif", "output")])
    conv = convert_nir(g, input_rate_hz=200.0)
    assert list(conv.node_gids) == ["rlif.lif"]
    pops = [p.name for p in conv.spec.populations]
    rec = [p for p in conv.spec.projections if p.source == pops[0] and p.target == pops[0]]
    assert rec, "the recurrent connection must become a projection of the population onto itself"
    run = run_conv(conv, steps=300)
    flat = nir.NIRGraph(nodes={"input": g.nodes["input"], "fc": g.nodes["fc"], "lif": sub.nodes["lif"],
                               "w_rec": sub.nodes["w_rec"], "output": nir.Output(output_type=np.array([n]))},
                        edges=[("input", "fc"), ("fc", "lif"), ("lif", "w_rec"), ("w_rec", "lif"), ("lif", "output")])
    spikes, _ = simulate_float(flat, input_arrays(conv, run), 300, DT)
    assert spikes["lif"].sum() > 30
    assert_counts_agree(conv.output_spike_counts(run)["output"], spikes["lif"].sum(axis=0))


def test_heterogeneous_parameters_split_into_populations():
    n = 6
    tau = np.array([5e-3, 5e-3, 5e-3, 20e-3, 20e-3, 5e-3])
    g = one_layer(nir.LIF(tau=tau, r=np.full(n, 1.0), v_leak=np.zeros(n), v_threshold=np.ones(n)), n=n)
    conv = convert_nir(g)
    assert [p.size for p in conv.spec.populations] == [3, 2, 1]
    assert [p.neuron.dv for p in conv.spec.populations] == [819, 205, 819]
    assert conv.node_gids["neuron"] == (0, 6)


# ----------------------------------------------------------------------------- dt choice
def test_dt_inferred_metadata_and_given():
    n = 4
    beta, dt = 0.9, 1e-4                                     # snnTorch: tau = dt/(1-beta), r = tau/dt
    tau = dt / (1 - beta)
    snntorch_like = one_layer(nir.LIF(tau=np.full(n, tau), r=np.full(n, tau / dt), v_leak=np.zeros(n),
                                      v_threshold=np.ones(n)), n=n)
    c = _convert_nir(snntorch_like)
    assert c.dt_ms == pytest.approx(0.1) and c.report.framework == "snntorch" and "r = tau/dt" in c.report.reading
    assert c.spec.populations[0].neuron.dv == round(4096 * (1 - beta))   # beta survives the round trip
    assert c.spec.fixed_point.dt_ms == pytest.approx(0.1)
    # a given dt_ms is the physical step only: the file's step still sets the per-step model
    c2 = _convert_nir(snntorch_like, dt_ms=1.0)
    assert c2.dt_ms == 1.0 and c2.spec.populations[0].neuron.dv == round(4096 * (1 - beta))
    generic = one_layer(nir.LIF(tau=np.full(n, 10e-3), r=np.ones(n), v_leak=np.zeros(n), v_threshold=np.ones(n)), n=n)
    generic.metadata = {"dt": 5e-4}
    assert _convert_nir(generic).dt_ms == pytest.approx(0.5) and _convert_nir(generic).report.framework == "nir"
    assert convert_nir(generic, dt_ms=2.0).dt_ms == 2.0
    ex = convert_nir(generic, dt_ms=2.0, discretisation="exp").spec.populations[0].neuron
    assert ex.dv == round(4096 * (1 - np.exp(-0.2)))


def test_inputs_option_array_npz_and_dict(tmp_path):
    g = one_layer(nir.IF(r=np.full(3, 1000.0), v_threshold=np.full(3, 0.5)), n_in=4, n=3, w=np.eye(3, 4))
    arr = np.zeros((10, 4), bool)
    arr[2, 1] = arr[5, 0] = True
    conv = convert_nir(g, inputs={"input": arr})
    run = run_conv(conv, steps=10)
    assert run.stimulus.channels.tolist() == [1, 0]
    t, ids = conv.output_spikes(run)["output"]
    assert list(zip(t.tolist(), ids.tolist())) == [(3, 1), (6, 0)]      # one hop later
    np.savez(tmp_path / "ev.npz", steps=np.array([1]), channels=np.array([2]))
    run2 = run_conv(convert_nir(g, inputs={"input": str(tmp_path / "ev.npz")}), steps=4)
    assert run2.stimulus.channels.tolist() == [2]
    run3 = run_conv(convert_nir(g, inputs={"input": {"kind": "regular", "period_steps": 2}}), steps=4)
    assert run3.stimulus.n_spikes == 8


# ----------------------------------------------------------------------------- errors
def test_delay_that_is_not_whole_timesteps_or_too_long():
    base = one_layer(nir.IF(r=np.ones(4), v_threshold=np.ones(4)), n=4)
    g = nir.NIRGraph(nodes={**base.nodes, "delay": nir.Delay(delay=np.full(4, 2.5 * DT))},
                     edges=[("input", "w"), ("w", "delay"), ("delay", "neuron"), ("neuron", "output")])
    with pytest.raises(ConfigError, match=r"nir\.nodes\.delay: Delay of .* is not a whole number of timesteps"):
        import_nir(g)
    g = nir.NIRGraph(nodes={**base.nodes, "delay": nir.Delay(delay=np.full(4, 65 * DT))},
                     edges=[("input", "w"), ("w", "delay"), ("delay", "neuron"), ("neuron", "output")])
    with pytest.raises(ConfigError, match=r"65 timesteps .* beyond the longest synaptic delay a chip holds \(64"):
        import_nir(g)


def test_delays_import_as_synaptic_delays():
    """Delay nodes of k timesteps (per element, in series, on one branch of two) become synapses
    of total delay k (the hop is the first timestep, docs/nir.md); on a chip with delay slots the
    delayed layer fires exactly k - 1 timesteps later than the undelayed one."""
    from neurocycle.hw import CoreConfig, load_chip
    from neurocycle.sim._network import load_network
    from neurocycle.sim.nir._convert import MAX_DELAY_STEPS
    assert MAX_DELAY_STEPS == CoreConfig.model_fields["delay_slots"].metadata[1].le
    base = one_layer(nir.IF(r=np.full(4, 1000.0), v_threshold=np.ones(4)), n=4, w=np.full((4, 10), 0.5))
    g = nir.NIRGraph(nodes={**base.nodes, "d1": nir.Delay(delay=np.array([DT, 2 * DT, 3 * DT, 3 * DT])),
                            "d2": nir.Delay(delay=np.full(4, DT))},
                     edges=[("input", "w"), ("w", "d1"), ("d1", "d2"), ("d2", "neuron"), ("neuron", "output")])
    spec = import_nir(g)
    assert sorted({p.delay_steps for p in spec.projections}) == [2, 3, 4]       # 1 + 1, 2 + 1, 3 + 1
    chip = load_chip("default-4x4").with_overrides({"core.delay_slots": 4})
    undelayed = run_conv(convert_nir(base, inputs={"input": {"kind": "regular", "period_steps": 7}}),
                         steps=40, chip=chip)
    delayed = run_conv(convert_nir(g, inputs={"input": {"kind": "regular", "period_steps": 7}}), steps=40, chip=chip)
    k = np.array([2, 3, 4, 4])                          # each output neuron's total delay
    for i in range(4):
        a = undelayed.result.spike_steps[undelayed.result.spike_neurons == i]
        b = delayed.result.spike_steps[delayed.result.spike_neurons == i]
        assert a.size > 2 and b.tolist() == [t + k[i] - 1 for t in a if t + k[i] - 1 < 40]
    # a chip without enough delay slots says which field to raise
    with pytest.raises(ConfigError, match=r"core\.delay_slots.*raise core\.delay_slots to 4"):
        run_conv(convert_nir(g), steps=4)
    assert load_network is not None


def test_unknown_node_type():
    from dataclasses import dataclass

    @dataclass(eq=False)
    class Dropout(nir.NIRNode):
        p: float = 0.5

        def __post_init__(self):
            self.input_type = {"input": np.array([4])}
            self.output_type = {"output": np.array([4])}

    base = one_layer(nir.IF(r=np.ones(4), v_threshold=np.ones(4)), n=4, n_in=4)
    g = nir.NIRGraph(nodes={**base.nodes, "drop": Dropout()},
                     edges=[("input", "drop"), ("drop", "w"), ("w", "neuron"), ("neuron", "output")], type_check=False)
    with pytest.raises(ConfigError, match="node type Dropout is not supported"):
        import_nir(g)


def test_non_spiking_node_feeding_a_layer():
    n = 4
    g = nir.NIRGraph(nodes={"input": nir.Input(input_type=np.array([n])), "w": nir.Linear(weight=np.eye(n)),
                            "li": nir.LI(tau=np.full(n, 1e-2), r=np.ones(n), v_leak=np.zeros(n)),
                            "w2": nir.Linear(weight=np.eye(n)),
                            "lif": nir.IF(r=np.ones(n), v_threshold=np.ones(n)),
                            "output": nir.Output(output_type=np.array([n]))},
                     edges=[("input", "w"), ("w", "li"), ("li", "w2"), ("w2", "lif"), ("lif", "output")])
    with pytest.raises(ConfigError, match=r"nir\.nodes\.li: LI is non-spiking"):
        import_nir(g)


def test_linear_output_and_input_to_output():
    n = 3
    g = nir.NIRGraph(nodes={"input": nir.Input(input_type=np.array([n])), "w": nir.Linear(weight=np.eye(n)),
                            "lif": nir.IF(r=np.ones(n), v_threshold=np.ones(n)), "w2": nir.Linear(weight=np.eye(n)),
                            "output": nir.Output(output_type=np.array([n])),
                            "raw": nir.Output(output_type=np.array([n]))},
                     edges=[("input", "w"), ("w", "lif"), ("lif", "w2"), ("w2", "output"), ("input", "raw")],
                     type_check=False)
    with pytest.raises(ConfigError) as exc:
        import_nir(g)
    msg = str(exc.value)
    assert msg.startswith("3 problems")      # the raw output is also named as fed by a non-neuron node
    assert "nir.nodes.output: an Output must be fed by exactly one neuron node" in msg
    assert "nir.nodes.input: an Input feeds an Output directly" in msg


def test_all_problems_are_listed_in_one_error():
    n = 4
    g = nir.NIRGraph(nodes={"input": nir.Input(input_type=np.array([n])), "w": nir.Linear(weight=np.eye(n)),
                            "delay": nir.Delay(delay=np.full(n, 0.5)),
                            "lif": nir.LIF(tau=np.full(n, 1e-4), r=np.ones(n), v_leak=np.zeros(n),
                                           v_threshold=np.ones(n)),
                            "i": nir.I(r=np.ones(n)), "w3": nir.Linear(weight=np.eye(n)),
                            "lif2": nir.IF(r=np.ones(n), v_threshold=np.ones(n)),
                            "output": nir.Output(output_type=np.array([n]))},
                     edges=[("input", "w"), ("w", "delay"), ("delay", "lif"), ("lif", "i"), ("i", "w3"),
                            ("w3", "lif2"), ("lif2", "output")], type_check=False)
    with pytest.raises(ConfigError) as exc:
        import_nir(g, dt_ms=1.0)
    msg = str(exc.value)
    assert len(exc.value.errors) >= 2
    assert "nir.nodes.i: I is non-spiking" in msg
    # errors found after the structural pass are reported together as well
    g2 = nir.NIRGraph(nodes={k: v for k, v in g.nodes.items() if k not in ("i", "w3")},
                      edges=[("input", "w"), ("w", "delay"), ("delay", "lif"), ("lif", "lif2"), ("lif2", "output")],
                      type_check=False)
    with pytest.raises(ConfigError) as exc2:
        import_nir(g2, dt_ms=1.0)
    msg2 = str(exc2.value)
    assert "nir.nodes.delay: Delay of" in msg2
    assert "nir.nodes.lif: tau = 0.0001 is shorter than one timestep" in msg2 and "dt_ms <= 0.1" in msg2


def test_shape_errors():
    g = nir.NIRGraph(nodes={"input": nir.Input(input_type=np.array([7])), "w": nir.Linear(weight=np.ones((3, 5))),
                            "lif": nir.IF(r=np.ones(3), v_threshold=np.ones(3)),
                            "output": nir.Output(output_type=np.array([3]))},
                     edges=[("input", "w"), ("w", "lif"), ("lif", "output")], type_check=False)
    with pytest.raises(ConfigError, match=r"nir\.nodes\.w: input size mismatch: 'input' gives 7 values, this node takes 5"):
        import_nir(g)
    g3 = nir.NIRGraph(nodes={"input": nir.Input(input_type=np.array([5])), "w": nir.Linear(weight=np.ones((2, 3, 5))),
                             "lif": nir.IF(r=np.ones(3), v_threshold=np.ones(3)),
                             "output": nir.Output(output_type=np.array([3]))},
                      edges=[("input", "w"), ("w", "lif"), ("lif", "output")], type_check=False)
    with pytest.raises(ConfigError, match="Linear weight must be a 2-d"):
        import_nir(g3)


def test_algebraic_loop():
    n = 3
    g = nir.NIRGraph(nodes={"input": nir.Input(input_type=np.array([n])), "a": nir.Linear(weight=np.eye(n)),
                            "b": nir.Linear(weight=np.eye(n)), "lif": nir.IF(r=np.ones(n), v_threshold=np.ones(n)),
                            "output": nir.Output(output_type=np.array([n]))},
                     edges=[("input", "a"), ("a", "b"), ("b", "a"), ("b", "lif"), ("lif", "output")], type_check=False)
    with pytest.raises(ConfigError, match="loop through linear nodes only"):
        import_nir(g)


def test_bad_files_and_options(tmp_path):
    with pytest.raises(ConfigError, match="NIR file does not exist"):
        import_nir(tmp_path / "missing.nir")
    (tmp_path / "junk.nir").write_text("not hdf5")
    with pytest.raises(ConfigError, match="cannot be read as a NIR graph"):
        import_nir(tmp_path / "junk.nir")
    with pytest.raises(ConfigError, match="NIR file does not exist"):
        load_network(tmp_path / "missing.nir")
    g = mlp(0, n_in=4, n_h=4, n_out=2, n_ro=2)
    with pytest.raises(ConfigError, match="discretisation"):
        import_nir(g, discretisation="rk4")
    with pytest.raises(ConfigError, match="dt_ms"):
        import_nir(g, dt_ms=-1)
    with pytest.raises(ConfigError, match="names no Input node"):
        import_nir(g, inputs={"camera": {"kind": "poisson", "rate_hz": 10}})
    with pytest.raises(ConfigError, match=r"inputs\.input: a spike array must have shape"):
        import_nir(g, inputs={"input": np.zeros((5, 3))})
    with pytest.raises(ConfigError, match="is not a NIR graph"):
        import_nir(42)


# ----------------------------------------------------------------------------- report
def test_quantisation_report():
    conv = convert_nir(mlp(0), numeric=NumericFormat.of("default-4x4"))
    rep = conv.report
    assert [lq.node for lq in rep.layers] == ["lif1", "lif2", "li"]
    assert rep.weight_bits == 8 and rep.state_bits == 16 and rep.dt_ms == 1.0
    for lq in rep.layers:
        assert lq.weight_max_rel_error <= 0.5 / 63 + 1e-9       # at least half the 127 levels in use
        assert 0 < lq.weight_rms_rel_error < 0.05
        assert lq.weight_lsb == pytest.approx(2 ** lq.w_exp / lq.state_scale)
    spiking = rep.layer("lif1")
    assert spiking.role == "spiking"
    # the threshold sits within the headroom of the state range, as high as it can
    assert max(spiking.vth) <= 2 ** 15 / rep.state_headroom + 1
    assert max(spiking.vth) >= 2 ** 15 / rep.state_headroom / 2
    assert spiking.threshold_max_rel_error <= 1 / min(spiking.vth)
    assert rep.layer("li").role == "readout" and rep.layer("li").w_exp == 0
    text = str(rep)
    for word in ("lif1", "lif2", "li", "CubaLIF", "w rms err", "dt = 1 ms"):
        assert word in text
    json.dumps(rep.to_dict())
    with pytest.raises(KeyError):
        rep.layer("nope")


def test_report_reflects_the_chip_bits():
    g = mlp(0)
    e8 = convert_nir(g, numeric=NumericFormat.of("default-4x4")).report.layer("lif2").weight_rms_rel_error
    e4 = convert_nir(g, numeric=NumericFormat.of("odin-like"), allow_dropped=True).report.layer("lif2").weight_rms_rel_error
    e6 = convert_nir(g, weight_bits=6, allow_dropped=True).report.layer("lif2").weight_rms_rel_error
    assert e8 < e6 < e4
    odin = load_chip("odin-like")
    rep = convert_nir(g, numeric=NumericFormat.of(odin), allow_dropped=True).report
    assert rep.weight_bits == 4 and rep.state_bits == 12
    assert all(lq.weight_max_q <= 7 for lq in rep.layers)


def test_tiny_weights_are_dropped_and_counted():
    W = np.array([[1.0, 1e-4, 0.5, 0.0]])
    g = one_layer(nir.IF(r=np.ones(1) * 1000, v_threshold=np.ones(1)), n_in=4, n=1, w=W)
    lq = convert_nir(g).report.layer("neuron")
    assert lq.synapses == 2 and lq.synapses_dropped == 1


def test_conv_input_shape_must_match_its_input():
    w = np.ones((2, 1, 3, 3))
    g = nir.NIRGraph(nodes={"input": nir.Input(input_type=np.array([1, 6, 6])),
                            "conv": nir.Conv2d(input_shape=(5, 5), weight=w, stride=1, padding=0, dilation=1, groups=1,
                                               bias=np.zeros(2)),
                            "if": nir.IF(r=np.ones((2, 3, 3)), v_threshold=np.ones((2, 3, 3))),
                            "output": nir.Output(output_type=np.array([2, 3, 3]))},
                     edges=[("input", "conv"), ("conv", "if"), ("if", "output")], type_check=False)
    with pytest.raises(ConfigError, match=r"nir\.nodes\.conv: input size mismatch: 'input' gives 36 values, this node takes 25"):
        import_nir(g)


def test_conv_after_flatten_uses_its_own_input_shape():
    """A Conv2d with input_shape reshapes a flat input (C order), e.g. after Flatten."""
    rng = np.random.default_rng(9)
    w = rng.normal(0, 1, (2, 1, 3, 3))
    g = nir.NIRGraph(nodes={"input": nir.Input(input_type=np.array([1, 5, 5])),
                            "flat": nir.Flatten(input_type={"input": np.array([1, 5, 5])}, start_dim=0),
                            "conv": nir.Conv2d(input_shape=(5, 5), weight=w, stride=1, padding=0, dilation=1, groups=1,
                                               bias=np.zeros(2)),
                            "if": nir.IF(r=np.full((2, 3, 3), 1000.0), v_threshold=np.ones((2, 3, 3))),
                            "output": nir.Output(output_type=np.array([2, 3, 3]))},
                     edges=[("input", "flat"), ("flat", "conv"), ("conv", "if"), ("if", "output")], type_check=False)
    conv = convert_nir(g)
    run = run_conv(conv, steps=2)
    from test_nir_float import conv_naive
    want = np.stack([conv_naive(np.eye(25)[j].reshape(1, 5, 5), w, 1, 0, 1, 1).ravel() for j in range(25)], axis=1)
    assert np.abs(dense_weights(conv, run, "input", "if") - want).max() <= conv.report.layer("if").weight_lsb / 2 + 1e-12


def test_nested_graph_with_two_inputs_used_as_one_node():
    n = 3
    sub = nir.NIRGraph(nodes={"a": nir.Input(input_type=np.array([n])), "b": nir.Input(input_type=np.array([n])),
                              "lif": nir.IF(r=np.ones(n), v_threshold=np.ones(n)),
                              "out": nir.Output(output_type=np.array([n]))},
                       edges=[("a", "lif"), ("b", "lif"), ("lif", "out")], type_check=False)
    g = nir.NIRGraph(nodes={"input": nir.Input(input_type=np.array([n])), "w": nir.Linear(weight=np.eye(n)),
                            "sub": sub, "output": nir.Output(output_type=np.array([n]))},
                     edges=[("input", "w"), ("w", "sub"), ("sub", "output")], type_check=False)
    with pytest.raises(ConfigError, match=r"nir\.nodes\.sub: a nested graph used as one node must have exactly one "
                                          r"Input and one Output"):
        import_nir(g)


# ----------------------------------------------------------------------------- layering
def test_numeric_format_is_range_checked_and_derived_from_a_chip():
    odin = load_chip("odin-like")
    assert NumericFormat.of(odin) == NumericFormat.of("odin-like") == NumericFormat(4, 12, odin.bits.accumulator)
    assert NumericFormat.default() == NumericFormat.of(None) == NumericFormat.of("default-4x4")
    for kwargs, match in (({"weight_bits": 1}, r"weight_bits: must be in 2\.\.16"),
                          ({"state_bits": 33}, r"state_bits: must be in 4\.\.32"),
                          ({"accumulator_bits": 3}, r"accumulator_bits: must be in 4\.\.32"),
                          ({"weight_bits": 12, "accumulator_bits": 10}, r"accumulator_bits: must be >= weight_bits"),
                          ({"state_bits": 16.5}, r"state_bits: must be a whole number of bits")):
        with pytest.raises(ConfigError, match=match):
            NumericFormat(**{"weight_bits": 8, "state_bits": 16, "accumulator_bits": 20, **kwargs})
    g = mlp(0, n_in=4, n_h=4, n_out=2, n_ro=2)
    with pytest.raises(ConfigError, match="accumulator_bits: must be >= weight_bits"):
        import_nir(g, accumulator_bits=6)                     # single-width overrides are checked too
    with pytest.raises(ConfigError, match=r"numeric: must be a neurocycle\.hw\.NumericFormat"):
        import_nir(g, numeric=odin)                           # a chip is not a number format


def test_the_nir_package_needs_no_chip():
    """sim/nir quantises for a NumericFormat; it neither imports nor loads chip configs."""
    from pathlib import Path

    import neurocycle.sim.nir as pkg
    for f in Path(pkg.__file__).parent.glob("*.py"):
        text = f.read_text()
        assert "load_chip" not in text and "ChipConfig" not in text, f.name


def test_state_read_back_is_the_reference_recording():
    """conv.state() is run_reference(record=...) on the run's program and stimulus; recording
    leaves the simulation unchanged and the recorded spikes are the run's."""
    from neurocycle.sim import StateRecord, run_reference
    conv = convert_nir(mlp(3), input_rate_hz=100.0)
    run = run_conv(conv, steps=80, seed=3, backend="cycle")
    g0, n = conv.node_gids["lif1"]
    rec = StateRecord(run.program.gid_row[g0:g0 + n])
    plain, recorded = run_reference(run.program, run.stimulus), run_reference(run.program, run.stimulus, record=rec)
    for r in (plain, recorded):
        assert np.array_equal(r.spike_steps, run.result.spike_steps)
        assert np.array_equal(r.spike_neurons, run.result.spike_neurons)
    st, ids = run.spikes_of("lif1")
    fired = np.zeros((80, n), bool)
    fired[st, ids] = True
    assert np.array_equal(rec.spiked, fired) and fired.any()
    u, v = conv.state(run, "lif1", units="chip")
    assert np.array_equal(u, rec.u) and np.array_equal(v, rec.v)
    assert rec.u.shape == (80, n) and rec.u.dtype == np.int64
    with pytest.raises(ConfigError, match="record.rows"):
        run_reference(run.program, run.stimulus, record=StateRecord([run.program.n_rows]))
