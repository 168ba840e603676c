"""graded-vs-binary: is the graded spike worth it?

The same feed-forward network shape (the gallery's ``ff-classifier``, 784-256-128-10, or any
strictly layered network: a NIR graph too) computes a quantised ReLU network in three ways:

- **graded**: every value travels as one P-bit graded spike (payload = the value), in one
  timestep per layer: inputs at step 0, layer d fires at step d;
- **binary, equal information**: a binary rate code over T = 2^P - 1 timesteps (value x ->
  x spikes, spread evenly), the same neurons with reset to zero, outputs counted;
- **binary, equal timesteps**: a binary rate code over one timestep (x -> one spike if
  x >= 2^(P-1)), thresholds scaled to the code (x T / (2^P - 1) units per spike).

The neurons are integrate-and-fire (du = 4095, dv = 0, no bias, no refractory period) with one
threshold per layer, calibrated on the samples so that 99 % of the positive pre-activations
fit the P-bit range. The **integer reference** is the exact quantised network:
a_0 = x, a_d = clip(floor(W_d a_{d-1} / theta_d), 0, 2^P - 1); a graded chip computes it exactly
(docs/microarchitecture.md §7), so its output error is 0 unless a state saturates. Each arm
reports latency (cycles and µs per inference), energy and its breakdown, flits, SRAM bits and
area of its chip, and the output error against the reference (mean absolute error as a share
of the output range, and agreement of the largest output).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from neurocycle.hw import ConfigError, area_report, load_chip

from ._common import ExperimentResult, mean, run_points

__all__ = ["graded_vs_binary", "ARMS", "DEFAULT_PAYLOADS"]

DEFAULT_PAYLOADS = (1, 2, 3, 4, 6, 8)
DEFAULT_SAMPLES = 4
ARMS = ("graded", "binary-equal-information", "binary-equal-timesteps")
ARM_LABEL = {"graded": "graded, 1 timestep / layer", "binary-equal-information": "binary, T = 2^P - 1",
             "binary-equal-timesteps": "binary, T = 1"}
FLIT_COUNTERS = ("host_flits", "fanout_flits", "router_flits", "link_flits")
COLUMNS = ["payload_bits", "arm", "timesteps", "latency_cycles", "latency_us", "energy_nj", "energy_per_sop_pj",
           "synaptic_ops", "flits_routed", "link_flits", "host_flits", "spikes", "flit_bits", "sram_bits", "area_mm2",
           "output_error_pct", "top_agreement_pct"]


# ----------------------------------------------------------------------------- the network
class Layered:
    """A strictly layered feed-forward network: one input group, every synapse from depth d to d+1."""

    def __init__(self, spec, seed: int | None = None):
        if len(spec.inputs) != 1:
            raise ConfigError("network.inputs", f"graded-vs-binary needs exactly one input group (the encoded "
                              f"values); the network has {len(spec.inputs)}", len(spec.inputs),
                              "use a feed-forward classifier with one input layer (e.g. ff-classifier)")
        self.spec = spec
        self.net = net = spec.instantiate(seed)
        n_in, N = net.n_inputs, net.n_neurons
        src, tgt = net.syn_source, net.syn_target
        depth = np.full(n_in + N, -1, np.int64)
        depth[:n_in] = 0
        for _ in range(N + 1):                          # longest path from the inputs
            d = depth[src]
            ok = d >= 0
            new = np.full(N, -1, np.int64)
            np.maximum.at(new, tgt[ok], d[ok] + 1)
            if np.array_equal(new, depth[n_in:]):
                break
            depth[n_in:] = new
        nd = depth[n_in:]
        if (nd < 1).any():
            g = int(np.argmax(nd < 1))
            raise ConfigError("network", f"neuron {g} is not reached from the input group", g,
                              "graded-vs-binary runs feed-forward networks whose every neuron is driven by the inputs")
        if src.size and (depth[n_in + tgt] != depth[src] + 1).any():
            k = int(np.argmax(depth[n_in + tgt] != depth[src] + 1))
            raise ConfigError("network.projections", f"a synapse skips or loops back a layer (source depth "
                              f"{int(depth[src[k]])} -> target depth {int(depth[n_in + tgt[k]])})", None,
                              "use a strictly layered feed-forward network (each projection from one layer to "
                              "the next): a graded value must arrive in one timestep")
        self.depth = nd
        self.L = int(nd.max())
        self.pop_depth = {}
        for p in spec.populations:
            off = net.pop_offsets[p.name]
            ds = set(nd[off:off + p.size].tolist())
            if len(ds) != 1:
                raise ConfigError(f"populations.{p.name}", "spans several layers", sorted(ds),
                                  "split it into one population per layer")
            self.pop_depth[p.name] = ds.pop()
        out = [p.name for p in spec.populations if self.pop_depth[p.name] == self.L]
        self.outputs = out
        w_exp = np.asarray(net.params["w_exp"], np.int64)
        self.w_eff = net.syn_weight.astype(np.int64) << w_exp[tgt]

    def pre(self, a_src: np.ndarray) -> np.ndarray:
        """Pre-activations of every neuron from source values (inputs, then neurons)."""
        net = self.net
        return np.bincount(net.syn_target, weights=(self.w_eff * a_src[net.syn_source]).astype(np.float64),
                           minlength=net.n_neurons).astype(np.int64)

    def reference(self, x: np.ndarray, theta: dict[int, int], Q: int) -> np.ndarray:
        """The integer reference: per neuron a_d = clip(floor(pre / theta_d), 0, Q), layer by layer."""
        n_in = self.net.n_inputs
        a = np.concatenate([x.astype(np.int64), np.zeros(self.net.n_neurons, np.int64)])
        for d in range(1, self.L + 1):
            pre = self.pre(a)
            sel = self.depth == d
            a[n_in:][sel] = np.clip(np.floor_divide(pre[sel], theta[d]), 0, Q)
        return a[n_in:]

    def calibrate(self, xs: np.ndarray, Q: int) -> dict[int, int]:
        """theta_d: 99 % of the positive pre-activations of layer d (over the samples) fit 0..Q."""
        n_in = self.net.n_inputs
        theta: dict[int, int] = {}
        acts = [np.concatenate([x.astype(np.int64), np.zeros(self.net.n_neurons, np.int64)]) for x in xs]
        for d in range(1, self.L + 1):
            sel = self.depth == d
            pres = [self.pre(a)[sel] for a in acts]
            pos = np.concatenate([p[p > 0] for p in pres]) if pres else np.zeros(0)
            theta[d] = max(1, int(np.ceil(np.quantile(pos, 0.99) / Q))) if pos.size else 1
            for a, p in zip(acts, pres):
                a[n_in:][sel] = np.clip(np.floor_divide(p, theta[d]), 0, Q)
        return theta

    def max_pre(self, xs, theta, Q) -> int:
        """The largest |pre-activation| of the reference over the samples (must fit the state)."""
        worst = 0
        for x in xs:
            a = np.concatenate([x.astype(np.int64), self.reference(x, theta, Q)])
            worst = max(worst, int(np.abs(self.pre(a)).max(initial=0)))
        return worst


def _samples(n_in: int, n: int, seed: int) -> np.ndarray:
    """Synthetic input images in [0, 1]: uniform values cubed (mostly dark, a few bright pixels,
    like a digit); the same underlying values are quantised to every P."""
    return np.random.default_rng([seed, 10]).random((n, n_in)) ** 3


def _rate_code(x: np.ndarray, T: int, Q: int) -> tuple[np.ndarray, np.ndarray]:
    """Binary rate code over T timesteps: value x -> round(x T / Q) spikes, evenly spread.
    Returns (steps, channels)."""
    n = np.rint(x.astype(np.float64) * T / Q).astype(np.int64)
    steps, chans = [], []
    for c in np.flatnonzero(n):
        k = np.arange(n[c])
        steps.append((k * T) // n[c])
        chans.append(np.full(n[c], c))
    if not steps:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    s, c = np.concatenate(steps), np.concatenate(chans)
    o = np.lexsort((c, s))
    return s[o], c[o]


# ----------------------------------------------------------------------------- the experiment
def graded_vs_binary(out: "str | Path" = "experiment-graded-vs-binary", *, network="ff-classifier",
                     chip="default-4x4", payload_bits=DEFAULT_PAYLOADS, samples: int = DEFAULT_SAMPLES,
                     seed: int = 0, workers: int | None = None, scheduler: str | None = None,
                     progress: bool = True, console=None, plot: bool = True,
                     in_process: bool | None = None) -> ExperimentResult:
    """Run the graded-vs-binary experiment (module docstring) and write its table
    (``graded-vs-binary.csv``/``.md``), JSON and plot (``graded-vs-binary.png``) into ``out``;
    the simulations go through the sweep machinery (``out/graded-vs-binary.sqlite``, resumable)."""
    from neurocycle.hw import NumericFormat
    from neurocycle.sim import load_network

    out = Path(out)
    base_chip = load_chip(chip)
    payload_bits = tuple(int(p) for p in payload_bits)
    if not payload_bits or min(payload_bits) < 1 or max(payload_bits) > 16:
        raise ConfigError("payload_bits", "must be values in 1..16", payload_bits, "give e.g. 1 2 4 8")
    if samples < 1:
        raise ConfigError("samples", "must be at least 1", samples, "give e.g. --samples 4")
    # both arms get the widest state and accumulator the chip can have: the exact reference must
    # not saturate (the payload is the only difference between the chips)
    chip_base = base_chip.with_overrides({"bits.state": 32, "bits.accumulator": 32})
    spec, base_dir = load_network(network, numeric=NumericFormat.of(chip_base))
    lay = Layered(spec, seed=None)
    n_in = lay.net.n_inputs
    z = _samples(n_in, samples, seed)
    inputs_dir = (out / "inputs").resolve()
    inputs_dir.mkdir(parents=True, exist_ok=True)

    # the experiment's network: the same shape and weights, IF neurons, one array input group
    pops = []
    for p in spec.populations:
        w_exp = getattr(p.neuron.to_fixed(spec.fixed_point), "w_exp", 0)
        pops.append({"name": p.name, "size": p.size, "spikes": "binary",
                     "neuron": {"model": "lif_fixed", "du": 4095, "dv": 0, "bias": 0, "vth": 1, "v_reset": 0,
                                "refractory": 0, "w_exp": int(w_exp)}})
    g0 = spec.inputs[0]
    placeholder = inputs_dir / "placeholder.npz"
    np.savez(placeholder, steps=np.zeros(0, np.int64), channels=np.zeros(0, np.int64), payloads=np.zeros(0, np.int64))
    base_net = spec.model_dump(mode="json")
    base_net.update(name=f"{spec.name}-quantised-relu", populations=pops,
                    inputs=[{"name": g0.name, "size": g0.size, "source": {"kind": "array", "file": str(placeholder)}}])

    points, labels, refs, thetas = [], [], {}, {}
    for P in payload_bits:
        Q = (1 << P) - 1
        xs = np.rint(z * Q).astype(np.int64)
        theta = lay.calibrate(xs, Q)
        worst = lay.max_pre(xs, theta, Q)
        if worst >= 1 << 31:
            raise ConfigError("payload_bits", f"at P = {P} a pre-activation reaches {worst}, beyond a 32-bit state",
                              P, "use fewer payload bits or a network with smaller weights")
        thetas[P] = theta
        for s in range(samples):
            refs[(P, s)] = lay.reference(xs[s], theta, Q)
            arms = {"graded": (1, None), "binary-equal-information": (Q, None), "binary-equal-timesteps": (1, None)}
            for arm, (T, _) in arms.items():
                graded = arm == "graded"
                f = inputs_dir / f"P{P}-s{s}-{arm}.npz"
                if graded:
                    ch = np.flatnonzero(xs[s])
                    np.savez(f, steps=np.zeros(ch.size, np.int64), channels=ch, payloads=xs[s][ch])
                    steps = lay.L + 1
                else:
                    st, ch = _rate_code(xs[s], T, Q)
                    np.savez(f, steps=st, channels=ch)
                    steps = T + lay.L + 1
                ov = {"bits.payload": P if graded else 0, "steps": steps,
                      "network.inputs[0].spikes": "graded" if graded else "binary",
                      "network.inputs[0].source.file": str(f)}
                for i, p in enumerate(spec.populations):
                    th = theta[lay.pop_depth[p.name]]
                    ov[f"network.populations[{i}].spikes"] = "graded" if graded else "binary"
                    ov[f"network.populations[{i}].neuron.vth"] = th if graded else max(1, int(round(th * T / Q)))
                points.append(ov)
                labels.append((P, s, arm, T))

    chip_dump = chip_base.model_dump(mode="json")
    res = run_points("graded-vs-binary", chip_dump, base_net, points, out, outputs=lay.outputs, steps=lay.L + 1,
                     workers=workers, scheduler=scheduler, progress=progress, console=console,
                     in_process=in_process)

    # ---- per point: decode the outputs, compare with the reference -------------------------
    out_idx = np.concatenate([np.arange(lay.net.pop_offsets[o], lay.net.pop_offsets[o] + sz)
                              for o in lay.outputs for sz in [next(p.size for p in spec.populations if p.name == o)]])
    per_point = []
    for (P, s, arm, T), r in zip(labels, res):
        Q = (1 << P) - 1
        m = r["metrics"]
        y = np.concatenate([np.asarray(m["outputs"][o], np.float64) for o in lay.outputs])
        if arm != "graded":
            y = y * Q / T                                   # one spike = Q / T units of the value
        ref = refs[(P, s)][out_idx].astype(np.float64)
        err = float(np.abs(y - ref).mean() / Q)
        top = None
        if ref.max() > 0:
            top = float(y.argmax() in np.flatnonzero(ref == ref.max()))
        c = m.get("counts", {})
        chip_p = chip_base.with_overrides({"bits.payload": P if arm == "graded" else 0})
        per_point.append({
            "payload_bits": P, "sample": s, "arm": arm, "timesteps": int(r["overrides"]["steps"]),
            "latency_cycles": m["total_cycles"], "latency_us": m["time_us"], "energy_pj": m["energy_pj"],
            "energy_by_event_pj": m.get("energy_by_event_pj", {}), "synaptic_ops": m["synaptic_ops"],
            "spikes": m["spikes"], **{k: c.get(k) for k in FLIT_COUNTERS},
            "flit_bits": chip_p.derived.flit_bits, "sram_bits": chip_p.derived.core_sram_bits * chip_p.derived.n_cores,
            "area_mm2": area_report(chip_p).chip_mm2, "output_error": err, "top_agreement": top})

    rows = []
    for P in payload_bits:
        for arm in ARMS:
            pts = [p for p in per_point if p["payload_bits"] == P and p["arm"] == arm]
            e = mean([p["energy_pj"] for p in pts])
            sops = mean([p["synaptic_ops"] for p in pts])
            rows.append({
                "payload_bits": P, "arm": arm, "timesteps": pts[0]["timesteps"],
                "latency_cycles": mean([p["latency_cycles"] for p in pts]), "latency_us": mean([p["latency_us"] for p in pts]),
                "energy_nj": e / 1000.0, "energy_per_sop_pj": (e / sops) if sops else None, "synaptic_ops": sops,
                "flits_routed": mean([p["router_flits"] for p in pts]), "link_flits": mean([p["link_flits"] for p in pts]),
                "host_flits": mean([p["host_flits"] for p in pts]), "spikes": mean([p["spikes"] for p in pts]),
                "flit_bits": pts[0]["flit_bits"], "sram_bits": pts[0]["sram_bits"],
                "area_mm2": pts[0]["area_mm2"],
                "output_error_pct": 100.0 * mean([p["output_error"] for p in pts]),
                "top_agreement_pct": (100.0 * mean([p["top_agreement"] for p in pts])
                                      if any(p["top_agreement"] is not None for p in pts) else None),
                "energy_breakdown_nj": {k: v / 1000.0 for k, v in _mean_dict([p["energy_by_event_pj"] for p in pts]).items()},
            })

    headline = _headline(rows, payload_bits)
    settings = {"network": spec.name, "chip": base_chip.name, "chip_overrides": {"bits.state": 32,
                "bits.accumulator": 32}, "payload_bits": list(payload_bits), "samples": samples, "seed": seed,
                "layers": lay.L, "thresholds": {str(P): {str(d): t for d, t in th.items()} for P, th in thetas.items()},
                "outputs": lay.outputs}
    result = ExperimentResult("graded-vs-binary", rows, headline, COLUMNS, points=per_point, settings=settings)
    result.write(out)
    if plot:
        png = out / "graded-vs-binary.png"
        plot_graded_vs_binary(result, png)
        result.files.append(png)
    return result


def _mean_dict(ds: list[dict]) -> dict:
    keys = sorted({k for d in ds for k in d})
    return {k: float(np.mean([d.get(k, 0.0) for d in ds])) for k in keys}


def _headline(rows: list[dict], payload_bits) -> dict:
    by = {(r["payload_bits"], r["arm"]): r for r in rows}
    h = {}
    for P in payload_bits:
        g, bi, bt = by[(P, "graded")], by[(P, "binary-equal-information")], by[(P, "binary-equal-timesteps")]
        h[f"P = {P}"] = (f"graded: {g['latency_us']:.3g} µs, {g['energy_nj']:.4g} nJ, error {g['output_error_pct']:.3g} % | "
                         f"binary T = {bi['timesteps'] - g['timesteps']}: {bi['latency_us']:.3g} µs "
                         f"({bi['latency_us'] / g['latency_us']:.3g}x), {bi['energy_nj']:.4g} nJ "
                         f"({bi['energy_nj'] / g['energy_nj']:.3g}x), error {bi['output_error_pct']:.3g} % | "
                         f"binary T = 1: error {bt['output_error_pct']:.3g} %")
    return h


def plot_graded_vs_binary(result: ExperimentResult, path):
    """Latency, energy, output error vs payload bits for the three arms, and the energy
    breakdown per event kind at the middle payload width."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result.rows
    Ps = sorted({r["payload_bits"] for r in rows})
    fig, ax = plt.subplots(2, 2, figsize=(12, 8.5))
    style = {"graded": dict(color="tab:blue", marker="o"), "binary-equal-information": dict(color="tab:red", marker="s"),
             "binary-equal-timesteps": dict(color="tab:gray", marker="^", linestyle="--")}
    for arm in ARMS:
        rs = [next(r for r in rows if r["payload_bits"] == P and r["arm"] == arm) for P in Ps]
        ax[0, 0].plot(Ps, [r["latency_us"] for r in rs], label=ARM_LABEL[arm], **style[arm])
        ax[0, 1].plot(Ps, [r["energy_nj"] for r in rs], label=ARM_LABEL[arm], **style[arm])
        ax[1, 0].plot(Ps, [r["output_error_pct"] for r in rs], label=ARM_LABEL[arm], **style[arm])
    ax[0, 0].set(yscale="log", xlabel="payload bits P (values 0 … 2^P − 1)", ylabel="latency per inference (µs)",
                 title="Latency (all layers, barrier included)")
    ax[0, 1].set(yscale="log", xlabel="payload bits P", ylabel="energy per inference (nJ)",
                 title="Energy (dynamic + static, technology model)")
    ax[1, 0].set(xlabel="payload bits P", ylabel="output error (% of the output range)",
                 title="Output error vs the integer reference")
    for a in (ax[0, 0], ax[0, 1], ax[1, 0]):
        a.set_xticks(Ps)
        a.grid(True, alpha=0.3)
        a.legend(fontsize=8)
    # breakdown at the middle P
    Pm = Ps[len(Ps) // 2]
    rs = {arm: next(r for r in rows if r["payload_bits"] == Pm and r["arm"] == arm) for arm in ARMS}
    kinds = sorted({k for r in rs.values() for k, v in r["energy_breakdown_nj"].items() if v > 0},
                   key=lambda k: -max(r["energy_breakdown_nj"].get(k, 0) for r in rs.values()))
    top, rest = kinds[:6], kinds[6:]
    bottom = np.zeros(len(ARMS))
    cmap = plt.get_cmap("tab10")
    for i, k in enumerate(top + (["other events"] if rest else [])):
        vals = np.array([sum(rs[a]["energy_breakdown_nj"].get(kk, 0) for kk in (rest if k == "other events" else [k]))
                         for a in ARMS])
        ax[1, 1].bar(range(len(ARMS)), vals, bottom=bottom, label=k, color=cmap(i % 10))
        bottom += vals
    ax[1, 1].set_xticks(range(len(ARMS)), [ARM_LABEL[a] for a in ARMS], fontsize=8)
    ax[1, 1].set(ylabel="dynamic energy per inference (nJ)", title=f"Dynamic energy by event, P = {Pm}")
    ax[1, 1].legend(fontsize=7)
    st = result.settings
    fig.suptitle(f"graded vs binary spikes — {st['network']} on {st['chip']} (state/accumulator 32 b), "
                 f"{st['samples']} samples", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
