"""Export small models from each SNN framework to NIR, with the framework's own output spikes.

Run by hand (not in CI), in a virtualenv that has the frameworks (requirements.txt beside
this file; docs/nir.md, "Fixtures from the frameworks"):

    python3 -m venv .venv-frameworks
    .venv-frameworks/bin/pip install -r tools/nir_fixtures/requirements.txt
    .venv-frameworks/bin/pip install --no-deps sinabs==3.1.3     # sinabs pins nir<=1.0.4
    .venv-frameworks/bin/python tools/nir_fixtures/make_fixtures.py [FRAMEWORK ...]

For every model it writes ``tests/fixtures/nir/<name>/``:

- ``model.nir``: the framework's own NIR export, unchanged;
- ``expected.npz``: ``input.<node>`` the fixed input spike trains ``[steps, *shape]`` (uint8)
  and ``output.<node>`` the spike trains the framework itself produced for them;
- ``meta.json``: framework, versions, the ``--from`` option, what the model is, and the
  agreement the tests assert (``exact`` trains or ``counts`` within docs/nir.md's tolerance).

Regenerate when a framework's export changes; the default test suite
(tests/test_nir_fixtures.py) imports every fixture and checks the agreement.
"""
from __future__ import annotations

import argparse
import importlib.metadata as md
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "fixtures" / "nir"
N_IN, N_HID, N_OUT, STEPS = 12, 10, 4, 60


def version(pkg: str) -> str:
    try:
        return md.version(pkg)
    except md.PackageNotFoundError:
        return "?"


def dyadic(rng, shape, lo=-2, hi=5, denom=8) -> np.ndarray:
    """Weights that are multiples of 1/denom: exactly representable in fixed point."""
    return (rng.integers(lo, hi, shape) / denom).astype(np.float32)


def inputs(seed: int, p: float = 0.3) -> np.ndarray:
    return (np.random.default_rng(seed).random((STEPS, N_IN)) < p).astype(np.uint8)


def linear(w: np.ndarray) -> torch.nn.Linear:
    lin = torch.nn.Linear(w.shape[1], w.shape[0], bias=False)
    with torch.no_grad():
        lin.weight.copy_(torch.from_numpy(w))
    return lin


def save(name: str, graph, x: np.ndarray, y: np.ndarray, meta: dict, in_node: str, out_node: str) -> None:
    import nir

    d = OUT / name
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    try:
        nir.write(str(d / "model.nir"), graph)
    except TypeError:   # scalar parameters (Norse 1.1 with scalar LIFParameters) cannot be gzip-compressed
        nir.write(str(d / "model.nir"), graph, compression=None)
    np.savez_compressed(d / "expected.npz", **{f"input.{in_node}": x.astype(np.uint8),
                                               f"output.{out_node}": np.asarray(y).astype(np.uint8)})
    meta = {"nir": version("nir"), "torch": version("torch"), "steps": STEPS, **meta}
    (d / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    print(f"{name}: {int(np.asarray(y).sum())} output spikes over {STEPS} steps -> {d.relative_to(ROOT)}")


def io_names(graph) -> tuple[str, str]:
    import nir
    ins = [k for k, v in graph.nodes.items() if isinstance(v, nir.Input)]
    outs = [k for k, v in graph.nodes.items() if isinstance(v, nir.Output)]
    assert len(ins) == 1 and len(outs) == 1, (ins, outs)
    return ins[0], outs[0]


# ----------------------------------------------------------------------------- snnTorch
def snntorch_models():
    import snntorch as snn
    from snntorch import utils
    from snntorch.export_nir import export_to_nir

    rng = np.random.default_rng(1)
    w1, w2 = dyadic(rng, (N_HID, N_IN)), dyadic(rng, (N_OUT, N_HID))
    # Leaky, beta = 0.5, reset to zero, dyadic weights: exactly representable
    # per-neuron beta and threshold: with scalars snnTorch's own export fails NIR's type inference
    def leaky(n):
        return snn.Leaky(beta=torch.full((n,), 0.5), threshold=torch.ones(n), init_hidden=True,
                         reset_mechanism="zero")
    net = torch.nn.Sequential(linear(w1), leaky(N_HID), linear(w2), leaky(N_OUT))
    x = inputs(11)
    utils.reset(net)
    with torch.no_grad():
        y = np.stack([net(torch.from_numpy(x[t][None]).float())[0].numpy() for t in range(STEPS)])
    g = export_to_nir(net, torch.zeros(1, N_IN), ignore_dims=[0])
    i, o = io_names(g)
    save("snntorch_leaky", g, x, y, {"framework": "snntorch", "version": version("snntorch"), "from": "snntorch",
         "model": "Linear 12-10, Leaky(beta=0.5, reset 'zero'), Linear 10-4, Leaky; weights k/8",
         "agreement": "exact"}, i, o)
    # Synaptic (CubaLIF), non-dyadic weights and decays, default threshold: within the tolerance
    rng = np.random.default_rng(2)
    w1 = rng.normal(0.25, 0.35, (N_HID, N_IN)).astype(np.float32)
    w2 = rng.normal(0.3, 0.4, (N_OUT, N_HID)).astype(np.float32)
    def synaptic(n):
        return snn.Synaptic(alpha=torch.full((n,), 0.8), beta=torch.full((n,), 0.9), threshold=torch.ones(n),
                            init_hidden=True, reset_mechanism="zero")
    net = torch.nn.Sequential(linear(w1), synaptic(N_HID), linear(w2), synaptic(N_OUT))
    x = inputs(12)
    utils.reset(net)
    with torch.no_grad():
        y = np.stack([net(torch.from_numpy(x[t][None]).float())[0].numpy() for t in range(STEPS)])
    g = export_to_nir(net, torch.zeros(1, N_IN), ignore_dims=[0])
    i, o = io_names(g)
    save("snntorch_synaptic", g, x, y, {"framework": "snntorch", "version": version("snntorch"), "from": "snntorch",
         "model": "Linear 12-10, Synaptic(alpha=0.8, beta=0.9, reset 'zero'), Linear 10-4, Synaptic; float weights",
         "agreement": "counts"}, i, o)


# ----------------------------------------------------------------------------- Norse
def norse_models():
    from norse.torch import LIFCell, LIFParameters, SequentialState
    from norse.torch.utils.export_nir import to_nir

    rng = np.random.default_rng(3)
    w1, w2 = dyadic(rng, (N_HID, N_IN), -3, 6, 4), dyadic(rng, (N_OUT, N_HID), -3, 6, 4)
    # LIFCell with tau_syn_inv = tau_mem_inv = 500 /s at dt = 1 ms: both decays 1/2 per step; a threshold
    # that no dyadic sum can equal (0.9), so float32 rounding in Norse cannot decide a tie
    p = LIFParameters(tau_syn_inv=torch.tensor(500.0), tau_mem_inv=torch.tensor(500.0), v_th=torch.tensor(0.9))
    model = SequentialState(linear(w1), LIFCell(p), linear(w2), LIFCell(p))
    x = inputs(13)
    state, ys = None, []
    with torch.no_grad():
        for t in range(STEPS):
            out, state = model(torch.from_numpy(x[t][None]).float(), state)
            ys.append(out[0].numpy())
    g = to_nir(model, torch.zeros(1, N_IN))
    i, o = io_names(g)
    save("norse_lifcell", g, x, np.stack(ys), {"framework": "norse", "version": version("norse"), "from": "norse",
         "model": "Linear 12-10, LIFCell(tau_syn_inv=tau_mem_inv=500, v_th=0.9, dt=1e-3), Linear 10-4, LIFCell; "
                  "weights k/4",
         # two chained halvings per step: the chip truncates the current's low bits after ~9 steps
         "agreement": "counts"}, i, o)


# ----------------------------------------------------------------------------- Sinabs
def sinabs_models():
    import sinabs.layers as sl
    from sinabs.activation import MembraneReset, SingleSpike
    from sinabs.nir import to_nir

    rng = np.random.default_rng(4)
    w1, w2 = dyadic(rng, (N_HID, N_IN)), dyadic(rng, (N_OUT, N_HID))
    kw = dict(spike_fn=SingleSpike, reset_fn=MembraneReset())
    model = torch.nn.Sequential(linear(w1), sl.IAF(**kw), linear(w2), sl.IAF(**kw))
    x = inputs(14)
    with torch.no_grad():
        y = model(torch.from_numpy(x[None]).float())[0].numpy()
    for m in model.modules():
        if hasattr(m, "reset_states"):
            m.reset_states()
    g = to_nir(model, torch.zeros(1, 1, N_IN))
    i, o = io_names(g)
    save("sinabs_iaf", g, x, y, {"framework": "sinabs", "version": version("sinabs"), "from": "sinabs",
         "model": "Linear 12-10, IAF(SingleSpike, MembraneReset), Linear 10-4, IAF; weights k/8",
         "agreement": "exact"}, i, o)
    rng = np.random.default_rng(5)
    w1 = rng.normal(0.9, 0.8, (N_HID, N_IN)).astype(np.float32)
    w2 = rng.normal(1.2, 0.8, (N_OUT, N_HID)).astype(np.float32)
    model = torch.nn.Sequential(linear(w1), sl.LIF(tau_mem=torch.tensor(8.0), **kw), linear(w2),
                                sl.LIF(tau_mem=torch.tensor(8.0), **kw))
    x = inputs(15, 0.5)
    with torch.no_grad():
        y = model(torch.from_numpy(x[None]).float())[0].numpy()
    for m in model.modules():
        if hasattr(m, "reset_states"):
            m.reset_states()
    g = to_nir(model, torch.zeros(1, 1, N_IN))
    i, o = io_names(g)
    save("sinabs_lif", g, x, y, {"framework": "sinabs", "version": version("sinabs"), "from": "sinabs",
         "model": "Linear 12-10, LIF(tau_mem=8, norm_input=True, SingleSpike, MembraneReset), Linear 10-4, LIF",
         "agreement": "counts"}, i, o)


# ----------------------------------------------------------------------------- SpikingJelly
def spikingjelly_models():
    from spikingjelly.activation_based import functional, neuron
    from spikingjelly.activation_based.nir_exchange import export_to_nir

    rng = np.random.default_rng(6)
    w1, w2 = dyadic(rng, (N_HID, N_IN)), dyadic(rng, (N_OUT, N_HID), -2, 9, 8)
    net = torch.nn.Sequential(linear(w1), neuron.IFNode(), linear(w2), neuron.LIFNode(tau=2.0))
    x = inputs(16)
    functional.reset_net(net)
    with torch.no_grad():
        y = np.stack([net(torch.from_numpy(x[t][None]).float())[0].numpy() for t in range(STEPS)])
    functional.reset_net(net)
    g = export_to_nir(net, torch.zeros(1, N_IN))
    i, o = io_names(g)
    save("spikingjelly_if_lif", g, x, y, {"framework": "spikingjelly", "version": version("spikingjelly"),
         "from": "spikingjelly", "model": "Linear 12-10, IFNode, Linear 10-4, LIFNode(tau=2); weights k/8",
         "agreement": "exact"}, i, o)


# ----------------------------------------------------------------------------- Rockpool
def rockpool_models():
    from rockpool.nn.combinators import Sequential
    from rockpool.nn.modules import LIFTorch, LinearTorch
    from rockpool.nn.modules.torch.nir import to_nir

    rng = np.random.default_rng(7)
    w1 = rng.normal(0.012, 0.03, (N_IN, N_HID)).astype(np.float32)     # rockpool weights are (in, out)
    w2 = rng.normal(0.025, 0.03, (N_HID, N_OUT)).astype(np.float32)
    # max_spikes_per_dt=1: one spike per step like the chip; Rockpool still resets by subtraction
    lif = dict(tau_mem=0.02, tau_syn=0.01, dt=1e-3, max_spikes_per_dt=1)
    net = Sequential(LinearTorch((N_IN, N_HID), weight=torch.tensor(w1), has_bias=False), LIFTorch(N_HID, **lif),
                     LinearTorch((N_HID, N_OUT), weight=torch.tensor(w2), has_bias=False), LIFTorch(N_OUT, **lif))
    x = inputs(17, 0.4)
    with torch.no_grad():
        out, _, _ = net(torch.from_numpy(x[None]).float())
    g = to_nir(net)
    i, o = io_names(g)
    save("rockpool_lif", g, x, out[0].numpy(), {"framework": "rockpool", "version": version("rockpool"),
         "from": "rockpool", "model": "LinearTorch 12-10, LIFTorch(tau_mem=20 ms, tau_syn=10 ms, dt=1 ms, "
                                      "max_spikes_per_dt=1), LinearTorch 10-4, LIFTorch",
         # Rockpool always resets by subtraction, which neither NIR nor the chip has: not within the
         # tolerance; the test records the gap instead of claiming agreement
         "agreement": "subtract-reset"}, i, o)


# ----------------------------------------------------------------------------- Spyx
def spyx_models():
    import jax.numpy as jnp
    import spyx.nn as snn
    from flax import nnx
    from spyx.nir import to_nir

    rngs = nnx.Rngs(0)
    rng = np.random.default_rng(8)
    w1 = (rng.integers(-1, 7, (N_IN, N_HID)) / 8).astype(np.float32)     # nnx kernels are (in, out)
    w2 = (rng.integers(-1, 7, (N_HID, N_OUT)) / 8).astype(np.float32)
    l1 = nnx.Linear(N_IN, N_HID, use_bias=False, rngs=rngs)
    l1.kernel[...] = jnp.array(w1)
    l2 = nnx.Linear(N_HID, N_OUT, use_bias=False, rngs=rngs)
    l2.kernel[...] = jnp.array(w2)
    model = snn.Sequential(l1, snn.LIF((N_HID,), beta=0.5, rngs=rngs), l2, snn.LIF((N_OUT,), beta=0.5, rngs=rngs))
    x = inputs(18, 0.4)
    state, ys = model.initial_state(1), []
    for t in range(STEPS):
        out, state = model(jnp.array(x[t][None], dtype=jnp.float32), state)
        ys.append(np.asarray(out[0]))
    g = to_nir(model, {"input": np.array([N_IN])}, {"output": np.array([N_OUT])}, dt=1)
    i, o = io_names(g)
    save("spyx_lif", g, x, np.stack(ys), {"framework": "spyx", "version": version("spyx"), "from": "spyx",
         "model": "Linear 12-10, LIF(beta=0.5), Linear 10-4, LIF; weights k/8",
         # Spyx always subtracts the threshold: like Rockpool, only the counts' ordering is asserted
         "agreement": "subtract-reset"}, i, o)


MODELS = {"snntorch": snntorch_models, "norse": norse_models, "sinabs": sinabs_models,
          "spikingjelly": spikingjelly_models, "rockpool": rockpool_models,
          "spyx": spyx_models}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("frameworks", nargs="*", default=list(MODELS), help=f"any of {', '.join(MODELS)}")
    args = ap.parse_args(argv)
    torch.manual_seed(0)
    failed = []
    for name in args.frameworks:
        try:
            MODELS[name]()
        except Exception as exc:  # noqa: BLE001 - report every framework, then fail
            failed.append(name)
            print(f"{name}: FAILED {type(exc).__name__}: {exc}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
