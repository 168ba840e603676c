"""An independent float simulator of NIR graphs, used as the reference in the NIR tests.

It implements the NIR node equations directly (forward Euler at ``dt``) with the chip's
timing convention that docs/nir.md states: every neuron's input at timestep t is computed
from the *outputs of timestep t-1* (spikes of inputs and neurons, plus constant biases), and
is zero at t = 0. It shares no code with neurocycle.sim.nir: convolutions and pooling are
evaluated naively, position by position.
"""
from __future__ import annotations

import numpy as np

SOURCES = ("Input", "LIF", "CubaLIF", "IF", "Threshold", "LI", "CubaLI", "I")


def _pad_tuple(x, nd):
    a = np.atleast_1d(np.asarray(x)).astype(int).ravel()
    return tuple(np.repeat(a, nd)) if a.size == 1 else tuple(a)


def conv_naive(x: np.ndarray, w: np.ndarray, stride, padding, dilation, groups: int) -> np.ndarray:
    """PyTorch-style cross-correlation of x (C, *spatial) with w (Cout, Cin/groups, *k)."""
    nd = w.ndim - 2
    ks = w.shape[2:]
    stride, dilation = _pad_tuple(stride, nd), _pad_tuple(dilation, nd)
    if isinstance(padding, str):
        if padding == "valid":
            lo = (0,) * nd
        else:
            lo = tuple(dilation[d] * (ks[d] - 1) // 2 for d in range(nd))
    else:
        lo = _pad_tuple(padding, nd)
    sp = x.shape[1:]
    if isinstance(padding, str) and padding == "same":
        out_sp = sp
    else:
        out_sp = tuple((sp[d] + 2 * lo[d] - dilation[d] * (ks[d] - 1) - 1) // stride[d] + 1 for d in range(nd))
    cout, cin_g = w.shape[:2]
    cout_g = cout // groups
    y = np.zeros((cout,) + tuple(out_sp))
    for co in range(cout):
        g = co // cout_g
        for o in np.ndindex(*out_sp):
            acc = 0.0
            for cil in range(cin_g):
                ci = g * cin_g + cil
                for k in np.ndindex(*ks):
                    pos = tuple(o[d] * stride[d] - lo[d] + k[d] * dilation[d] for d in range(nd))
                    if all(0 <= pos[d] < sp[d] for d in range(nd)):
                        acc += w[(co, cil) + k] * x[(ci,) + pos]
            y[(co,) + o] = acc
    return y


_MATRICES: dict = {}


def _as_matrix(node, in_shape, fn):
    """The linear map ``fn`` (naive, per position) tabulated once on unit vectors."""
    key = (id(node), tuple(in_shape))
    if key not in _MATRICES:
        n = int(np.prod(in_shape))
        _MATRICES[key] = (node, np.stack([fn(np.eye(n)[j].reshape(in_shape)).ravel() for j in range(n)], axis=1))
    return _MATRICES[key][1]


def apply_linear(node, x: np.ndarray, in_shape) -> np.ndarray:
    t = type(node).__name__
    if t == "Affine":
        return node.weight @ x.ravel() + node.bias
    if t == "Linear":
        return node.weight @ x.ravel()
    if t == "Scale":
        return (x.reshape(in_shape) * node.scale).ravel()
    if t in ("Flatten", "Delay", "Identity", "Output", "Input"):
        return x.ravel()
    if t in ("Conv1d", "Conv2d"):
        w = np.asarray(node.weight, float)
        M = _as_matrix(node, in_shape, lambda v: conv_naive(v, w, node.stride, node.padding, node.dilation,
                                                            int(node.groups)))
        c_out = w.shape[0]
        return M @ x.ravel() + np.repeat(np.asarray(node.bias, float).ravel(), M.shape[0] // c_out)
    if t in ("SumPool2d", "AvgPool2d"):
        k = _pad_tuple(node.kernel_size, 2)
        c = in_shape[0]
        w = np.zeros((c, 1) + k) + (1.0 / (k[0] * k[1]) if t == "AvgPool2d" else 1.0)
        return _as_matrix(node, in_shape, lambda v: conv_naive(v, w, node.stride, node.padding, 1, c)) @ x.ravel()
    raise AssertionError(t)


class _Flat:
    """A node's parameters as flat arrays (neuron order = C order of the node's shape)."""

    def __init__(self, node):
        self._node = node

    def __getattr__(self, name):
        return np.asarray(getattr(self._node, name), float).ravel()


def simulate_float(graph, inputs: dict, steps: int, dt: float, shapes: dict | None = None):
    """Run ``graph`` for ``steps``; ``inputs[name]`` is a [steps, n] 0/1 array per Input node.

    Returns (spikes, states): per neuron node a [steps, n] array of spikes (spiking nodes) or
    of the membrane potential v after the update (all neuron nodes).
    """
    nodes, edges = graph.nodes, graph.edges
    preds = {k: [a for a, b in edges if b == k] for k in nodes}
    kind = {k: type(n).__name__ for k, n in nodes.items()}
    shapes = dict(shapes or {})

    def size(k):
        n = nodes[k]
        for attr in ("tau", "tau_mem", "r", "threshold"):
            if hasattr(n, attr):
                return int(np.asarray(getattr(n, attr)).size)
        return int(np.prod(n.input_type["input"]))

    prev = {k: np.zeros(inputs[k].shape[1]) if kind[k] == "Input" else np.zeros(size(k))
            for k in nodes if kind[k] in SOURCES}
    state = {k: {"v": np.zeros(size(k)), "i": np.zeros(size(k))} for k in nodes if kind[k] in SOURCES[1:]}
    spikes = {k: np.zeros((steps, size(k)), np.int64) for k in state}
    vs = {k: np.zeros((steps, size(k))) for k in state}

    def value(k, cache):
        if k in cache:
            return cache[k]
        if kind[k] in SOURCES:
            return prev[k]
        xs = [value(p, cache) for p in preds[k]]
        x = np.sum(xs, axis=0)
        in_shape = shapes.get(k, (x.size,))
        cache[k] = apply_linear(nodes[k], x, in_shape)
        return cache[k]

    for t in range(steps):
        cache: dict = {}
        xin = {}
        for k in state:
            if t == 0:
                xin[k] = np.zeros(size(k))
            else:
                xin[k] = np.sum([value(p, cache) for p in preds[k]], axis=0)
        new_prev = {}
        for k, st in state.items():
            node, x, tp = nodes[k], xin[k], kind[k]
            n = _Flat(node)
            s = np.zeros(x.size, bool)
            if tp in ("LIF", "LI"):
                st["v"] = st["v"] + dt / n.tau * (n.v_leak - st["v"] + n.r * x)
            elif tp in ("CubaLIF", "CubaLI"):
                st["i"] = st["i"] + dt / n.tau_syn * (-st["i"] + n.w_in * x)
                st["v"] = st["v"] + dt / n.tau_mem * (n.v_leak - st["v"] + n.r * st["i"])
            elif tp in ("IF", "I"):
                st["v"] = st["v"] + dt * n.r * x
            elif tp == "Threshold":
                st["v"] = x.copy()
            if tp in ("LIF", "CubaLIF", "IF"):
                s = st["v"] > n.v_threshold
                st["v"] = np.where(s, n.v_reset, st["v"])
            elif tp == "Threshold":
                s = st["v"] > n.threshold
            spikes[k][t] = s
            vs[k][t] = st["v"]
            new_prev[k] = s.astype(float)
        for k in prev:
            if kind[k] == "Input":
                prev[k] = inputs[k][t].astype(float)
            else:
                prev[k] = new_prev[k]
    return spikes, vs


def input_arrays(conv, run) -> dict:
    """The stimulus of a run, per NIR Input node, as [steps, n] 0/1 arrays."""
    stim = run.stimulus
    out = {}
    for name, (c0, n) in conv.input_channels.items():
        a = np.zeros((stim.steps, n), np.int64)
        for t in range(stim.steps):
            ch = stim.channels[stim.offsets[t]:stim.offsets[t + 1]]
            ch = ch[(ch >= c0) & (ch < c0 + n)] - c0
            a[t, ch] = 1
        out[name] = a
    return out


# ----------------------------------------------------------------------------- self-checks
def test_conv_naive_matches_a_hand_computed_case():
    x = np.arange(16, dtype=float).reshape(1, 4, 4)
    w = np.zeros((1, 1, 2, 2))
    w[0, 0] = [[1, 2], [3, 4]]
    y = conv_naive(x, w, 1, 0, 1, 1)
    assert y.shape == (1, 3, 3)
    assert y[0, 0, 0] == 0 * 1 + 1 * 2 + 4 * 3 + 5 * 4
    assert y[0, 2, 2] == 10 * 1 + 11 * 2 + 14 * 3 + 15 * 4
    ys = conv_naive(x, w, 2, 1, 1, 1)      # stride 2, padding 1: the top row of windows hangs over
    assert ys.shape == (1, 3, 3)
    assert ys[0, 0, 0] == 0 * 4 and ys[0, 0, 1] == 1 * 3 + 2 * 4


def test_float_lif_integrates_and_fires_with_a_one_step_hop():
    import nir
    g = nir.NIRGraph(nodes={"input": nir.Input(input_type=np.array([1])),
                            "w": nir.Linear(weight=np.array([[0.6]])),
                            "lif": nir.IF(r=np.array([1000.0]), v_threshold=np.array([1.0])),
                            "output": nir.Output(output_type=np.array([1]))},
                     edges=[("input", "w"), ("w", "lif"), ("lif", "output")])
    spikes, v = simulate_float(g, {"input": np.ones((4, 1))}, 4, 1e-3)
    # input at t=0 reaches the neuron at t=1: v = 0, 0.6, 1.2 -> spike and reset, 0.6
    assert np.allclose(v["lif"][:, 0], [0.0, 0.6, 0.0, 0.6])
    assert spikes["lif"][:, 0].tolist() == [0, 0, 1, 0]
