"""The NoC experiment's figure: six panels of grouped bars (networks x variants), log scales."""
from __future__ import annotations

import os

import numpy as np

PANELS = (
    ("flits_per_spike", "flits injected per spike", "flits / spike"),
    ("grants_per_spike", "router grants per spike", "grants / spike"),
    ("cycles_per_step", "cycles per timestep", "cycles"),
    ("network_energy_per_step_nj", "network energy per timestep", "nJ / timestep"),
    ("noc_area_mm2", "router logic + multicast tables", "mm² (chip)"),
    ("edp_j_s", "energy-delay product", "J·s"),
)


def _value(r, key):
    if key == "network_energy_per_step_nj":
        return r.network_energy_pj / max(r.steps, 1) / 1e3
    if key == "noc_area_mm2":
        return r.router_area_mm2 + r.table_area_mm2
    return getattr(r, key)


def plot_noc(exp, path: str | os.PathLike | None = None):
    from matplotlib import ticker

    from .._plots import _save, plt

    nets = list(dict.fromkeys(r.network for r in exp.rows))
    variants = list(dict.fromkeys((r.routing, r.cores_per_router) for r in exp.rows))
    colours = {"unicast": plt.cm.Blues, "multicast": plt.cm.Oranges}
    fig, axes = plt.subplots(2, 3, figsize=(15, 8.5))
    width = 0.8 / max(len(variants), 1)
    x = np.arange(len(nets))
    for ax, (key, title, unit) in zip(axes.ravel(), PANELS):
        for i, (routing, c) in enumerate(variants):
            vals = []
            for n in nets:
                row = next((r for r in exp.rows if r.network == n and r.routing == routing
                            and r.cores_per_router == c), None)
                vals.append(_value(row, key) if row is not None else np.nan)
            shade = colours[routing](0.45 + 0.18 * [1, 2, 3, 4].index(c))
            ax.bar(x + (i - (len(variants) - 1) / 2) * width, vals, width, color=shade,
                   label=f"{routing}, {c} core{'s' if c > 1 else ''}/router")
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_locator(ticker.LogLocator(subs=(2.0, 5.0)))
        lo, hi = ax.get_ylim()
        # label the 2 and 5 ticks only where few decades leave room for them
        ax.yaxis.set_minor_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}") if hi < lo * 1e3
                                     else ticker.NullFormatter())
        ax.tick_params(axis="y", which="minor", labelsize=7)
        ax.set_title(title)
        ax.set_ylabel(f"{unit} (log scale)")
        ax.set_xticks(x)
        ax.set_xticklabels(nets, rotation=20, ha="right")
        ax.grid(axis="y", which="major", alpha=0.3)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 6), frameon=False)
    steps = sorted({r.steps for r in exp.rows})
    fig.suptitle(f"NoC trade-off: unicast vs multicast, cores per router (same cores and spikes; "
                 f"{', '.join(map(str, steps))} timesteps)")
    fig.tight_layout(rect=(0, 0.05, 1, 0.96))
    return _save(fig, path)
