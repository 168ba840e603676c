"""Power, performance and area of a run: the energy section of a report and its breakdown plot
(the `neurocycle ppa` command is in neurocycle.sim.cli._ppa).

Energy is computed from a finished run's event counters (neurocycle.hw.compute_energy), so
``energy_section(run)`` can be re-evaluated with other energy parameters without simulating
again. Area comes from neurocycle.hw.area_report, optionally with logic measured by
synthesising the project's RTL (``--synth``).
"""
from __future__ import annotations

import os

import numpy as np

from neurocycle.hw import (COUNTER_NAMES, ChipConfig, ConfigError, EnergyParams,
                           EnergyReport, compute_energy, energy_params)

__all__ = ["energy_section", "energy_summary_rows", "plot_energy_breakdown", "technology_only", "fmt_pj"]


def technology_only(chip: ChipConfig) -> ChipConfig:
    """The chip with its energy table dropped: every energy derived from its technology section."""
    return chip.with_overrides({"energy.mode": "technology", "energy.events_pj": {}, "energy.static_power_mw": None,
                                "energy.static_power_mw_per_core": None})


def energy_section(run, params: EnergyParams | None = None) -> dict | None:
    """The ``energy`` section of a run report (None if the backend gave no counters)."""
    if not run.result.counters:
        return None
    try:
        if getattr(run, "system", None) is not None:
            from neurocycle.hw import system_energy, system_energy_params
            params = params or system_energy_params(run.system)
            rep = system_energy(run.system, run.result, params)
        else:
            params = params or energy_params(run.chip)
            rep = compute_energy(params, run.result)
    except ConfigError as exc:      # a run still reports its spikes and cycles
        return {"error": str(exc)}
    out = rep.to_dict()
    out["static_source"] = params.static_source
    if params.components_pj:
        out["components_pj"] = {k: v for k, v in params.components_pj.items() if v}
        out["overhead_factor"] = params.overhead_factor
    return out


def fmt_pj(pj: float) -> str:
    for unit, f in (("J", 1e12), ("mJ", 1e9), ("µJ", 1e6), ("nJ", 1e3)):
        if abs(pj) >= f:
            return f"{pj / f:,.3f} {unit}"
    return f"{pj:,.3f} pJ"


def energy_summary_rows(section: dict | None) -> list[tuple[str, str]]:
    """Rows (quantity, value) for the run summary table."""
    if not section:
        return []
    if "error" in section:
        return [("energy", f"not available: {section['error']}")]
    s = section
    rows = [("energy", f"{fmt_pj(s['total_pj'])} ({s['mode']}; dynamic {fmt_pj(s['dynamic_pj'])}, "
                       f"static {fmt_pj(s['static_pj'])})"),
            ("average power", f"{s['avg_power_mw']:,.4g} mW over {s['time_us']:,.2f} µs"),
            ("energy / timestep", fmt_pj(s["energy_per_step_pj"]))]
    if s["energy_per_sop_pj"] is not None:
        rows.append(("energy / synaptic op", f"{s['energy_per_sop_pj']:,.3f} pJ "
                                             f"(dynamic {s['dynamic_energy_per_sop_pj']:,.3f} pJ, "
                                             f"incremental {s['incremental_energy_per_sop_pj']:,.3f} pJ)"))
    rows.append(("energy-delay product", f"{s['edp_j_s']:.4g} J·s"))
    return rows


# ----------------------------------------------------------------------------- plots
def plot_energy_breakdown(rep: EnergyReport, path: str | os.PathLike | None = None, width: int | None = None,
                          max_cores: int = 64):
    """Stacked bars: dynamic energy of every core by event kind (left, static share on top) and
    the whole chip by event kind incl. chip-scope events and static energy (right)."""
    from ._plots import _save, plt

    names = [n for i, n in enumerate(rep.core_events) if rep.by_core_event_pj[:, i].any()]
    chip_names = [n for n in COUNTER_NAMES if rep.by_event_pj.get(n, 0) > 0]
    cmap = plt.get_cmap("tab20")
    colour = {n: cmap(i % 20) for i, n in enumerate(COUNTER_NAMES)}
    colour["static"] = "0.25"
    nc = rep.n_cores
    order = np.argsort(-rep.by_core_pj, kind="stable")[:max_cores] if nc > max_cores else np.arange(nc)
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(min(4 + 0.3 * len(order), 14) + 4.5, 4.8),
                                  gridspec_kw={"width_ratios": [max(len(order), 4), 2]})
    x = np.arange(len(order))
    bottom = np.zeros(len(order))
    scale, unit = _scale(max(float(rep.by_core_pj.max(initial=0)) + rep.static_pj / max(nc, 1), 1e-12))
    for n in names:
        i = rep.core_events.index(n)
        v = rep.by_core_event_pj[order, i] / scale
        ax.bar(x, v, bottom=bottom, color=colour[n], label=n, width=0.85)
        bottom += v
    if rep.static_pj > 0:
        ax.bar(x, np.full(len(order), rep.static_pj / nc / scale), bottom=bottom, color=colour["static"],
               label="static (even share)", width=0.85)
    labels = [f"{k}" if width is None else f"{k}\n({k % width},{k // width})" for k in order]
    ax.set_xticks(x, labels, fontsize=7 if len(order) > 16 else 8)
    ax.set_xlabel("core" + (" (x,y)" if width is not None else ""))
    ax.set_ylabel(f"energy ({unit})")
    ax.set_title("energy by core" + (f" (top {len(order)} of {nc})" if nc > len(order) else ""))
    tot_scale, tot_unit = _scale(max(rep.total_pj, 1e-12))
    b = 0.0
    for n in chip_names + (["static"] if rep.static_pj > 0 else []):
        v = (rep.static_pj if n == "static" else rep.by_event_pj[n]) / tot_scale
        ax2.bar([0], [v], bottom=[b], color=colour[n], label=f"{n} {100 * v * tot_scale / rep.total_pj:.1f}%",
                width=0.6)
        b += v
    ax2.set_xticks([0], ["chip"])
    ax2.set_xlim(-0.6, 0.6)
    ax2.set_ylabel(f"energy ({tot_unit})")
    ax2.set_title(f"total {fmt_pj(rep.total_pj)}")
    handles, labels = ax2.get_legend_handles_labels()
    ax2.legend(handles[::-1], labels[::-1], fontsize=7, loc="upper left", bbox_to_anchor=(1.05, 1.0),
               title="chip total", title_fontsize=8)
    fig.tight_layout()
    return _save(fig, path)


def _scale(v: float) -> tuple[float, str]:
    for unit, f in (("J", 1e12), ("mJ", 1e9), ("µJ", 1e6), ("nJ", 1e3)):
        if v >= f:
            return f, unit
    return 1.0, "pJ"
