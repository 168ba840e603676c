"""STDP on the chip: does it learn what it should? (docs/learning.md)

- ``stdp_window``: the two-neuron protocol. For every ``dt`` in -50..50 one independent pair: a
  pre-synaptic input spike at ``T0`` into a plastic synapse (weight 0) onto a post-synaptic neuron
  that a teacher input makes fire exactly at ``T0 + dt``. The weight each pair ends with is the
  chip's window ``dw(dt)``; it must equal the rule's exact fixed-point window
  (``neurocycle.hw.stdp_window``, docs/microarchitecture.md §11.3) at every ``dt``. One run on the
  cycle-level model (every pair in the same network), plotted against the rule and its
  exponential approximation.
- ``stdp_pattern``: the classic result (Masquelier, Guyonneau & Thorpe 2008): a neuron exposed to
  a spike pattern repeated at random times, hidden in Poisson noise of the same rate on the same
  afferents, becomes selective to it. The gallery network ``stdp-pattern`` (its input file from
  ``configs/networks/make_gallery_data.py``) runs on the ``learning-2x2`` preset; the experiment
  reports hit rate (pattern occurrences that make the neuron fire) and false alarms (spikes per
  second outside them) early and late in the run, and the weights of pattern and noise afferents.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from neurocycle.hw import ConfigError, load_chip

from ._common import ExperimentResult

__all__ = ["stdp_window", "stdp_window_network", "stdp_pattern", "WINDOW_RULE", "pattern_evaluation"]

# the window experiment's rule: slightly depression-dominated, tau 20 timesteps, 8-bit traces
WINDOW_RULE = {"rule": "stdp", "a_plus": 100, "a_minus": 105, "tau_plus_steps": 20.0, "tau_minus_steps": 20.0,
               "w_min": -100, "w_max": 100, "lr_shift": 2}
WINDOW_COLUMNS = ["dt", "dw_chip", "dw_rule", "dw_exponential", "exact"]
PATTERN_COLUMNS = ["phase", "from_step", "to_step", "occurrences", "hit_rate", "false_alarms_hz", "spikes"]


# ----------------------------------------------------------------------------- the window
def stdp_window_network(dts, rule: dict | None = None, t0: int | None = None):
    """The protocol as a network: one post neuron per ``dt``, a pre input (plastic synapse,
    weight 0) firing at ``t0`` and a teacher input (weight 100 > threshold 50) firing at
    ``t0 + dt - 1``, so that the post neuron fires exactly at ``t0 + dt``. Returns
    ``(spec, rule registers (a_plus, a_minus, d_plus, d_minus, shift, trace_bits), steps)``
    with the arguments of ``neurocycle.hw.stdp_window``."""
    from neurocycle.sim import NetworkBuilder

    dts = np.asarray(dts, np.int64)
    rule = dict(rule or WINDOW_RULE)
    t0 = int(t0 if t0 is not None else max(2, 1 - int(dts.min(initial=0)) + 1))
    if t0 + int(dts.min(initial=0)) - 1 < 0:
        raise ConfigError("t0", f"the earliest teacher spike would be at {t0 + int(dts.min()) - 1} < 0", t0,
                          f"use t0 >= {1 - int(dts.min()) + 1}")
    n = dts.size
    b = NetworkBuilder("stdp-window", seed=0)
    # no leak carry-over (du = dv = 4095): the post neuron fires only when the teacher drives it
    b.population("post", n, {"vth": 50, "du": 4095, "dv": 4095})
    b.array_input("pre", n, steps=[t0] * n, channels=list(range(n)))
    b.array_input("teacher", n, steps=(t0 + dts - 1).tolist(), channels=list(range(n)))
    b.connect("pre", "post", "one_to_one", weight=0, plasticity=rule, name="plastic")
    b.connect("teacher", "post", "one_to_one", weight=100, name="teacher")
    spec = b.build()
    fixed = spec.projections[0].plasticity.fixed()
    steps = t0 + int(dts.max(initial=0)) + 3
    return spec, fixed, steps


def stdp_window(out, *, chip="learning-2x2", dts=range(-50, 51), rule: dict | None = None, backend: str = "cycle",
                plot: bool = True, **_ignored) -> ExperimentResult:
    """Run the two-neuron protocol over ``dts`` on ``chip`` (learning is switched on: STDP) and
    compare every pair's weight change with the rule's exact window. Writes stdp-window.csv/.md/
    .json and stdp-window.png into ``out``."""
    from neurocycle.hw import stdp_window as window
    from neurocycle.sim import simulate

    dts = np.asarray(list(dts), np.int64)
    if dts.size == 0 or np.unique(dts).size != dts.size:
        raise ConfigError("dts", "must be distinct timestep differences", list(dts)[:5], "give e.g. range(-50, 51)")
    spec, fixed, steps = stdp_window_network(dts, rule)
    base = load_chip(chip)
    n_cores = base.derived.n_cores
    need = -(-dts.size // n_cores)
    chip_cfg = base.with_overrides({"core.learning": "stdp", "bits.weight": max(base.bits.weight, 8),
                                    "bits.accumulator": max(base.bits.accumulator, 16),
                                    "core.neurons": max(base.core.neurons, need),
                                    "core.axons": max(base.core.axons, 2 * need + 2)})
    run = simulate(chip_cfg, spec, steps=steps, backend=backend)
    got = run.weights("plastic").weight
    a_plus, a_minus, d_plus, d_minus, _, _, shift = fixed
    want = window(dts, a_plus, a_minus, d_plus, d_minus, shift, chip_cfg.bits.trace)
    r = spec.projections[0].plasticity
    k = np.abs(dts) - 1
    expo = np.where(dts > 0, r.a_plus * np.exp(-k / r.tau_plus_steps),
                    np.where(dts < 0, -r.a_minus * np.exp(-k / r.tau_minus_steps), 0.0)) / (1 << shift)
    rows = [{"dt": int(d), "dw_chip": int(g), "dw_rule": int(w), "dw_exponential": float(e), "exact": bool(g == w)}
            for d, g, w, e in zip(dts, got, want, expo)]
    exact = int(sum(r_["exact"] for r_ in rows))
    headline = {"exact": f"{exact} of {len(rows)} pairs: the chip's weight change equals the rule's fixed-point "
                         "window at every dt" if exact == len(rows) else f"only {exact} of {len(rows)} pairs equal the rule",
                "rule": f"a_plus {r.a_plus}, a_minus {r.a_minus}, tau {r.tau_plus_steps:g}/{r.tau_minus_steps:g} "
                        f"timesteps (decays {d_plus}/{d_minus} of 4096), lr_shift {shift}",
                "largest potentiation": f"{int(want.max())} at dt = {int(dts[np.argmax(want)])}",
                "largest depression": f"{int(want.min())} at dt = {int(dts[np.argmin(want)])}",
                "same timestep": "dt = 0 changes nothing (microarchitecture.md §11.3)",
                "run": f"{backend} backend on {chip_cfg.name} (STDP on), {steps} timesteps, "
                       f"{run.total_cycles:,} cycles" if run.total_cycles else f"{backend} backend, {steps} timesteps"}
    res = ExperimentResult(name="stdp-window", rows=rows, headline=headline, columns=WINDOW_COLUMNS,
                           settings={"chip": chip_cfg.name, "backend": backend, "rule": spec.projections[0].plasticity
                                     .model_dump(), "dts": dts.tolist(), "steps": steps})
    out = Path(out)
    res.write(out)
    if plot:
        res.files.append(_plot_window(dts, got, want, expo, out / "stdp-window.png", headline["rule"]))
    return res


def _plot_window(dts, got, want, expo, path: Path, rule_text: str) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.2), dpi=120)
    ax.axhline(0, color="0.8", lw=0.8)
    ax.axvline(0, color="0.8", lw=0.8)
    xs = np.linspace(dts.min(), dts.max(), 400)
    for side, label in ((dts < 0, None), (dts > 0, "exponential window (real-valued)")):
        ax.plot(dts[side], expo[side], color="0.6", lw=1, ls="--", label=label)
    ax.step(dts, want, where="mid", color="tab:blue", lw=1.2, label="rule, fixed point (hw.stdp_window)")
    ax.plot(dts, got, "o", ms=3.2, mfc="none", color="tab:red", label="chip: weight change of each pair")
    ax.set_xlabel("Δt = t_post − t_pre (timesteps)")
    ax.set_ylabel("Δw (weight LSB)")
    ax.set_title(f"STDP window on the chip: {int((got == want).sum())}/{dts.size} pairs exact", fontsize=10)
    ax.text(0.01, 0.02, rule_text, transform=ax.transAxes, fontsize=7, color="0.35")
    ax.set_xlim(xs.min() - 1, xs.max() + 1)
    ax.legend(fontsize=8, loc="upper left", frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


# ----------------------------------------------------------------------------- pattern in noise
def pattern_evaluation(spike_steps, starts, pattern_len: int, steps: int, lo: int, hi: int, slack: int = 3) -> dict:
    """Hit rate (pattern occurrences starting in [lo, hi) during which the neuron fires, up to
    ``slack`` timesteps after the pattern ends) and false alarms (spikes per second outside them,
    1 timestep = 1 ms) of one neuron."""
    sp = np.asarray(spike_steps, np.int64)
    inside = np.zeros(steps, bool)
    for s in starts:
        inside[s:s + pattern_len + slack] = True
    occ = [s for s in starts if lo <= s < hi]
    hits = [bool(((sp >= s) & (sp < s + pattern_len + slack)).any()) for s in occ]
    outside_steps = int((~inside[lo:hi]).sum())
    fa = int(((sp >= lo) & (sp < hi) & ~inside[np.clip(sp, 0, steps - 1)]).sum())
    return {"occurrences": len(occ), "hit_rate": float(np.mean(hits)) if hits else None,
            "false_alarms_hz": fa / (outside_steps / 1000.0) if outside_steps else None,
            "spikes": int(((sp >= lo) & (sp < hi)).sum())}


def stdp_pattern(out, *, chip="learning-2x2", network="stdp-pattern", steps: int | None = None,
                 backend: str = "cycle", plot: bool = True, **_ignored) -> ExperimentResult:
    """Run the pattern-in-noise network (the gallery's ``stdp-pattern``) and measure how the
    neuron's response and its afferents' weights change. Writes stdp-pattern.csv/.md/.json,
    stdp-pattern.png and the learned weights stdp-pattern-weights.npz into ``out``."""
    from neurocycle.sim import load_network, simulate

    spec, base_dir = load_network(network)
    src = spec.inputs[0].source if spec.inputs else None
    if src is None or getattr(src, "file", None) is None:
        raise ConfigError("network", "stdp-pattern needs a network whose input is an .npz file with the arrays "
                          "pattern_starts and pattern_channels (configs/networks/stdp-pattern.yaml)", network,
                          "use the gallery's stdp-pattern network")
    with np.load(Path(base_dir) / src.file) as z:
        if "pattern_starts" not in z or "pattern_channels" not in z or "pattern_len" not in z:
            raise ConfigError("network", f"the input file {src.file} lacks pattern_starts / pattern_channels / "
                              "pattern_len", network, "regenerate it with configs/networks/make_gallery_data.py")
        starts, pch, plen = z["pattern_starts"].astype(np.int64), z["pattern_channels"].astype(np.int64), int(z["pattern_len"])
        total = int(z["steps"].max()) + 1
    steps = int(steps or total)
    run = simulate(chip, network, steps=steps, backend=backend)      # by reference: its file resolves
    pr = [i for i, p in enumerate(spec.projections) if p.plasticity is not None]
    if not pr:
        raise ConfigError("network", "has no plastic projection", network, "use the gallery's stdp-pattern network")
    pw = run.weights(pr[0])
    n_in = pw.shape[0]
    is_pat = np.isin(np.arange(n_in), pch)
    w_init = pw.matrix("initial")[:, 0]
    w_final = pw.matrix("weight")[:, 0]
    sp = run.spikes_of(spec.projections[pr[0]].target).steps
    q = steps // 5
    rows = []
    for phase, lo, hi in (("first fifth", 0, q), ("last fifth", steps - q, steps), ("whole run", 0, steps)):
        ev = pattern_evaluation(sp, starts[starts < steps], plen, steps, lo, hi)
        rows.append({"phase": phase, "from_step": lo, "to_step": hi, **ev})
    early, late = rows[0], rows[1]
    fmt = lambda v, f: "—" if v is None else format(v, f)   # noqa: E731
    headline = {
        "selectivity": f"hit rate {fmt(early['hit_rate'], '.0%')} -> {fmt(late['hit_rate'], '.0%')}, false alarms "
                       f"{fmt(early['false_alarms_hz'], '.1f')} -> {fmt(late['false_alarms_hz'], '.1f')} spikes/s "
                       "(first vs last fifth of the run)",
        "weights": f"pattern afferents {w_init[is_pat].mean():.1f} -> {w_final[is_pat].mean():.1f}, noise afferents "
                   f"{w_init[~is_pat].mean():.1f} -> {w_final[~is_pat].mean():.1f} (mean weight)",
        "input": f"{n_in} afferents, {int(is_pat.sum())} in a {plen}-timestep pattern repeated {int((starts < steps).sum())} "
                 f"times at random in {steps} timesteps, Poisson noise of the same rate everywhere else",
        "run": f"{backend} backend on {run.chip.name}: {run.result.n_spikes} output spikes"
               + (f", {run.total_cycles:,} cycles" if run.total_cycles else ""),
    }
    if run.result.counters:
        c = run.counter_totals()
        headline["learning cost"] = (f"{c['weight_updates']:,} weight updates, {c['synapse_word_writes']:,} synapse "
                                     f"word writes, {c['learning_cycles']:,} learning-engine cycles of "
                                     f"{c['cycles']:,}")
    res = ExperimentResult(name="stdp-pattern", rows=rows, headline=headline, columns=PATTERN_COLUMNS,
                           settings={"chip": run.chip.name, "network": spec.name, "steps": steps, "backend": backend,
                                     "pattern_len": plen, "pattern_channels": pch.tolist()})
    out = Path(out)
    res.write(out)
    res.files.append(run.save_weights(out / "stdp-pattern-weights.npz"))
    if plot:
        res.files.append(_plot_pattern(sp, starts[starts < steps], plen, steps, w_init, w_final, is_pat,
                                       out / "stdp-pattern.png", headline))
    return res


def _plot_pattern(sp, starts, plen, steps, w_init, w_final, is_pat, path: Path, headline: dict) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(9, 6.4), dpi=120)
    gs = fig.add_gridspec(3, 2, height_ratios=[1, 1, 1.2])
    win = 1500
    for col, (lo, title) in enumerate(((0, "first"), (steps - win, "last"))):
        ax = fig.add_subplot(gs[0, col])
        for s in starts:
            if lo - plen <= s < lo + win:
                ax.axvspan(s, s + plen, color="tab:orange", alpha=0.25, lw=0)
        sel = (sp >= lo) & (sp < lo + win)
        ax.eventplot(sp[sel], lineoffsets=0.5, linelengths=0.8, colors="k")
        ax.set_xlim(lo, lo + win)
        ax.set_yticks([])
        ax.set_title(f"output spikes, {title} {win} timesteps (orange: pattern)", fontsize=9)
        ax.set_xlabel("timestep", fontsize=8)
    # hit rate and false alarms over the run, in tenths
    ax = fig.add_subplot(gs[1, :])
    edges = np.linspace(0, steps, 11).astype(int)
    hits, fas = [], []
    for lo, hi in zip(edges[:-1], edges[1:]):
        ev = pattern_evaluation(sp, starts, plen, steps, lo, hi)
        hits.append(ev["hit_rate"] if ev["hit_rate"] is not None else np.nan)
        fas.append(ev["false_alarms_hz"] if ev["false_alarms_hz"] is not None else np.nan)
    mid = (edges[:-1] + edges[1:]) / 2
    ax.plot(mid, hits, "o-", color="tab:green", label="hit rate (pattern occurrences answered)")
    ax.set_ylim(-0.05, 1.05)
    ax.set_ylabel("hit rate", fontsize=8)
    ax2 = ax.twinx()
    ax2.plot(mid, fas, "s--", color="tab:red", label="false alarms (spikes/s outside the pattern)")
    ax2.set_ylabel("false alarms (Hz)", fontsize=8)
    ax.set_xlabel("timestep", fontsize=8)
    lines = ax.get_lines() + ax2.get_lines()
    ax.legend(lines, [ln.get_label() for ln in lines], fontsize=7, loc="center right", frameon=False)
    ax.set_title("response over the run", fontsize=9)
    # weights
    ax = fig.add_subplot(gs[2, :])
    idx = np.arange(w_init.size)
    ax.bar(idx[~is_pat], w_final[~is_pat], color="0.6", width=0.9, label="noise afferents (final)")
    ax.bar(idx[is_pat], w_final[is_pat], color="tab:blue", width=0.9, label="pattern afferents (final)")
    ax.plot(idx, w_init, "k.", ms=2.5, label="initial weight")
    ax.set_xlabel("afferent", fontsize=8)
    ax.set_ylabel("weight", fontsize=8)
    ax.legend(fontsize=7, ncol=3, loc="upper right", frameon=False)
    ax.set_title(headline["weights"], fontsize=9)
    fig.suptitle("STDP: a neuron becomes selective to a repeated pattern hidden in noise\n" + headline["selectivity"],
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
