"""event-vs-dense: when does an event-driven neuron update pay?

One population fills the chip (every core full). Each timestep, input blocks of 32 neurons (one
host flit each, 32 synapses) receive a strong input with probability ``rate`` (those neurons fire:
the firing rate) and, independently, a sub-threshold input with probability ``sub``. The
neurons are memoryless at rest (du = dv = 4095, no bias): a driven neuron is back at rest two
updates later, so an event-driven core visits the neurons that got input and, one timestep
later, the ones whose state changed (docs/microarchitecture.md §5.1). Input sparsity = the
share of neurons with no input in a timestep = (1 - rate)(1 - sub). Spikes have no fan-out, so
the two modes differ only in the neuron update: the pending-bitmap scans and bit sets against
the updates a dense core makes of every neuron. Both run the same grid; energy and cycles per
timestep (averaged over the run, step 0 — when every neuron is visited — included) are
compared, and the firing rate where event-driven stops paying (the crossover) is interpolated
on a log scale.
"""
from __future__ import annotations

import math
from pathlib import Path


from neurocycle.hw import ConfigError, load_chip

from ._common import ExperimentResult, run_points

__all__ = ["event_vs_dense", "DEFAULT_RATES", "DEFAULT_SUB"]

DEFAULT_RATES = (0.001, 0.003, 0.01, 0.03, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9)
DEFAULT_SUB = (0.0, 0.1, 0.3)
BLOCK = 32
STEPS = 100
COLUMNS = ["firing_rate", "sub_threshold_input", "input_sparsity", "mode", "energy_per_step_nj",
           "cycles_per_step", "updates_per_step", "scans_per_step", "pending_sets_per_step", "spikes_per_step",
           "event_over_dense_energy", "event_over_dense_cycles"]


def _network(n: int, block: int, wmax: int) -> dict:
    """The layer and its two input groups; the strong weight is the chip's largest, the threshold
    half of it, the sub-threshold weight an eighth of the threshold."""
    nb = n // block
    pairs = [[c, c * block + j] for c in range(nb) for j in range(block)]
    vth = wmax // 2 + 1
    return {
        "name": "event-vs-dense-layer", "seed": 3,
        "populations": [{"name": "layer", "size": n, "neuron": {"model": "lif_fixed", "du": 4095, "dv": 4095,
                                                                "bias": 0, "vth": vth, "v_reset": 0,
                                                                "refractory": 0}}],
        "inputs": [{"name": "drive", "size": nb, "source": {"kind": "poisson", "rate_hz": 0.0}},
                   {"name": "sub", "size": nb, "source": {"kind": "poisson", "rate_hz": 0.0}}],
        "projections": [{"source": "drive", "target": "layer", "connect": {"kind": "explicit", "pairs": pairs},
                         "weight": wmax},
                        {"source": "sub", "target": "layer", "connect": {"kind": "explicit", "pairs": pairs},
                         "weight": max(1, vth // 8)}],
    }


def crossover(rates, ratio) -> float | None:
    """The firing rate where ``ratio`` (event / dense) crosses 1, interpolated linearly in
    (log rate, ratio) between the grid points around it; None if it does not cross."""
    for i in range(len(rates) - 1):
        a, b = ratio[i] - 1.0, ratio[i + 1] - 1.0
        if a == 0:
            return float(rates[i])
        if a < 0 <= b or a > 0 >= b:
            f = a / (a - b)
            return float(math.exp(math.log(rates[i]) + f * (math.log(rates[i + 1]) - math.log(rates[i]))))
    return None


def event_vs_dense(out: "str | Path" = "experiment-event-vs-dense", *, chip="default-4x4", rates=DEFAULT_RATES,
                   sub=DEFAULT_SUB, steps: int = STEPS, scan_word_bits: int | None = None,
                   workers: int | None = None, scheduler: str | None = None, progress: bool = True, console=None,
                   plot: bool = True, in_process: bool | None = None) -> ExperimentResult:
    """Run the event-vs-dense experiment (module docstring) and write its table
    (``event-vs-dense.csv``/``.md``), JSON and plot (``event-vs-dense.png``) into ``out``; the
    simulations go through the sweep machinery (``out/event-vs-dense.sqlite``, resumable)."""
    out = Path(out)
    base = load_chip(chip)
    if scan_word_bits is not None:
        base = base.with_overrides({"core.scan_word_bits": int(scan_word_bits)})
    rates = tuple(sorted(float(r) for r in rates))
    sub = tuple(float(s) for s in sub)
    if not rates or rates[0] <= 0 or rates[-1] > 1 or any(not 0 <= s <= 1 for s in sub):
        raise ConfigError("rates", "firing rates must be in (0, 1] and sub-threshold input shares in [0, 1]",
                          (rates, sub), "give e.g. --rates 0.001 0.01 0.1 0.5")
    if steps < 2:
        raise ConfigError("steps", "must be at least 2", steps, "give e.g. --steps 100")
    n = base.derived.n_cores * base.core.neurons
    n -= n % BLOCK
    if n < BLOCK:
        raise ConfigError("chip", f"holds {n} neurons, fewer than one input block of {BLOCK}", n,
                          "use a chip with more neurons (e.g. default-4x4)")
    if base.bits.weight < 4:
        raise ConfigError("bits.weight", "must be at least 4 for this experiment (a strong and a sub-threshold "
                          "weight)", base.bits.weight, "use a chip with bits.weight >= 4")
    dt_ms = 1.0
    points, labels = [], []
    for mode in ("dense", "event"):
        for r in rates:
            for s in sub:
                points.append({"core.neuron_update": mode, "network.inputs[0].source.rate_hz": r * 1000.0 / dt_ms,
                               "network.inputs[1].source.rate_hz": s * 1000.0 / dt_ms})
                labels.append((mode, r, s))
    res = run_points("event-vs-dense", base.model_dump(mode="json"), _network(n, BLOCK, base.derived.weight_max),
                     points, out, steps=steps,
                     workers=workers, scheduler=scheduler, progress=progress, console=console,
                     in_process=in_process)
    per = {}
    for (mode, r, s), pr in zip(labels, res):
        m = pr["metrics"]
        c = m["counts"]
        per[(mode, r, s)] = {
            "firing_rate": r, "sub_threshold_input": s, "input_sparsity": (1 - r) * (1 - s), "mode": mode,
            "energy_per_step_nj": m["energy_per_step_pj"] / 1000.0, "cycles_per_step": m["cycles_per_step_mean"],
            "updates_per_step": (c["neuron_updates_active"] + c["neuron_updates_inactive"]) / steps,
            "scans_per_step": c["nu_scan_cycles"] / steps, "pending_sets_per_step": c["pending_sets"] / steps,
            "spikes_per_step": m["spikes"] / steps, "measured_firing_rate": m["spikes"] / steps / n,
            "energy_by_event_pj": m.get("energy_by_event_pj", {})}
    rows = []
    for s in sub:
        for r in rates:
            d, e = per[("dense", r, s)], per[("event", r, s)]
            ratio_e = e["energy_per_step_nj"] / d["energy_per_step_nj"]
            ratio_c = e["cycles_per_step"] / d["cycles_per_step"]
            for x in (d, e):
                rows.append({**{k: v for k, v in x.items() if k != "energy_by_event_pj"},
                             "event_over_dense_energy": ratio_e, "event_over_dense_cycles": ratio_c})
    cross = {}
    for s in sub:
        re = [per[("event", r, s)]["energy_per_step_nj"] / per[("dense", r, s)]["energy_per_step_nj"] for r in rates]
        rc = [per[("event", r, s)]["cycles_per_step"] / per[("dense", r, s)]["cycles_per_step"] for r in rates]
        cross[s] = {"energy": crossover(rates, re), "cycles": crossover(rates, rc), "ratio_energy": re,
                    "ratio_cycles": rc}
    headline = {}
    for s in sub:
        ce, cc = cross[s]["energy"], cross[s]["cycles"]
        lo, hi = cross[s]["ratio_energy"][0], cross[s]["ratio_energy"][-1]
        headline[f"sub-threshold input {s:.0%}"] = (
            f"event-driven energy / dense = {lo:.3g} at {rates[0]:.1%} firing, {hi:.3g} at {rates[-1]:.0%}; "
            + (f"energy crossover at {ce:.1%} firing" if ce is not None else
               f"no energy crossover in {rates[0]:.1%}-{rates[-1]:.0%}")
            + "; " + (f"cycle crossover at {cc:.1%}" if cc is not None else
                      f"no cycle crossover (cycles ratio {cross[s]['ratio_cycles'][0]:.3g} .. "
                      f"{cross[s]['ratio_cycles'][-1]:.3g})"))
    settings = {"chip": base.name, "neurons": n, "block": BLOCK, "steps": steps, "rates": list(rates),
                "sub": list(sub), "scan_word_bits": base.core.scan_word_bits,
                "crossover": {str(s): {"energy": v["energy"], "cycles": v["cycles"]} for s, v in cross.items()}}
    result = ExperimentResult("event-vs-dense", rows, headline, COLUMNS, points=list(per.values()), settings=settings)
    result.write(out)
    if plot:
        png = out / "event-vs-dense.png"
        plot_event_vs_dense(result, png)
        result.files.append(png)
    return result


def plot_event_vs_dense(result: ExperimentResult, path):
    """Energy and cycles per timestep vs firing rate, dense (solid) and event-driven (dashed), one
    colour per sub-threshold input level; the crossover rates marked."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    st = result.settings
    rates, subs = st["rates"], st["sub"]
    fig, ax = plt.subplots(1, 2, figsize=(13, 5.2))
    cmap = plt.get_cmap("tab10")
    for j, s in enumerate(subs):
        col = cmap(j)
        for mode, ls in (("dense", "-"), ("event", "--")):
            rs = [next(r for r in result.rows if r["mode"] == mode and r["firing_rate"] == x
                       and r["sub_threshold_input"] == s) for x in rates]
            lab = f"{mode}, sub-threshold input {s:.0%}"
            ax[0].plot(rates, [r["energy_per_step_nj"] for r in rs], ls, color=col, marker="o" if mode == "dense" else "s",
                       ms=4, label=lab)
            ax[1].plot(rates, [r["cycles_per_step"] for r in rs], ls, color=col, marker="o" if mode == "dense" else "s",
                       ms=4, label=lab)
        cr = st["crossover"][str(s)]
        for a, key in ((ax[0], "energy"), (ax[1], "cycles")):
            x = cr[key]
            if x is not None:
                a.axvline(x, color=col, linestyle=":", alpha=0.9)
                a.annotate(f"crossover {x:.0%}", xy=(x, 0.97 - 0.06 * j), xycoords=("data", "axes fraction"),
                           xytext=(-3, 0), textcoords="offset points", color=col, fontsize=8, ha="right", va="top",
                           bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.8))
    ax[0].set(xscale="log", xlabel="firing rate (share of neurons spiking per timestep)",
              ylabel="energy per timestep (nJ)", title="Energy per timestep")
    ax[1].set(xscale="log", xlabel="firing rate (share of neurons spiking per timestep)",
              ylabel="cycles per timestep", title="Cycles per timestep")
    for a in ax:
        a.grid(True, which="both", alpha=0.3)
        a.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: f"{100 * x:g}%"))
    ax[0].legend(fontsize=7, loc="upper left", title="solid: dense, dashed: event-driven", title_fontsize=7)
    fig.suptitle(f"event-driven vs dense neuron update — {st['neurons']} neurons on {st['chip']}, "
                 f"{st['scan_word_bits']}-bit scan words, {st['steps']} timesteps "
                 "(dotted: crossover, where event-driven stops paying)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
