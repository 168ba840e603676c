"""What a sweep hands back: the CSV export, the Pareto front and plot, the failure summary."""
from __future__ import annotations

import csv
import io
import json
import math
import os
from collections import Counter
from pathlib import Path

import numpy as np

from ._worker import METRICS

__all__ = ["export_csv", "pareto_front", "plot_pareto", "plottable", "failure_summary", "PROVENANCE_COLUMNS"]

# what made each row, after the metrics in CSV exports
PROVENANCE_COLUMNS = ("seed", "steps", "backend", "placement", "neurons_per_core", "neurocycle_version",
                      "git_commit")


def export_csv(rows: list[dict], path: str | os.PathLike) -> Path:
    """One CSV line per point: index, key, status, the override values, metrics, what made the
    row (seed, steps, backend, compile options, neurocycle version, git commit), error."""
    from .._io import write_text

    paths: list[str] = []
    for r in rows:
        for k in json.loads(r["overrides"]):
            if k not in paths:
                paths.append(k)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["point", "key", "status", *paths, *METRICS, *PROVENANCE_COLUMNS, "error"])
    for r in sorted(rows, key=lambda r: r["point_index"]):
        ov = json.loads(r["overrides"])
        w.writerow([r["point_index"], r["key"], r["status"], *[ov.get(p, "") for p in paths],
                    *["" if r.get(m) is None else r[m] for m in (*METRICS, *PROVENANCE_COLUMNS)],
                    r["error"].splitlines()[0] if r["error"] else ""])
    return write_text(path, buf.getvalue())


def failure_summary(rows: list[dict]) -> list[tuple[str, int]]:
    """The distinct errors of the rows that are not ok (first line of each), most frequent
    first: ``[(error, count), ...]``."""
    counts = Counter(f"{r['status']}: " + ((r.get("error") or "").splitlines() or ["(no message)"])[0]
                     for r in rows if r["status"] != "ok")
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def plottable(rows: list[dict]) -> list[dict]:
    """The rows a Pareto plot can show: ok, with energy and latency per timestep."""
    return [r for r in rows if r["status"] == "ok" and r["energy_per_step_pj"] is not None
            and r["latency_us_per_step"] is not None]


def pareto_front(xs, ys) -> np.ndarray:
    """Indices of the points not dominated in (x, y), both minimised, sorted by x."""
    xs, ys = np.asarray(xs, float), np.asarray(ys, float)
    order = np.lexsort((ys, xs))
    front, best = [], math.inf
    for i in order:
        if ys[i] < best:
            front.append(i)
            best = ys[i]
    return np.asarray(front, dtype=np.int64)


def plot_pareto(rows: list[dict], path: str | os.PathLike | None = None, title: str = ""):
    """Energy per timestep vs latency per timestep, coloured by chip area; Pareto front marked."""
    from .._plots import _save, plt

    ok = plottable(rows)
    fig, ax = plt.subplots(figsize=(7.5, 5))
    if ok:
        x = np.array([r["latency_us_per_step"] for r in ok])
        y = np.array([r["energy_per_step_pj"] for r in ok]) * 1e-3
        c = np.array([r["area_mm2"] for r in ok])
        sc = ax.scatter(x, y, c=c, cmap="viridis", s=36, edgecolors="k", linewidths=0.4, zorder=3)
        fig.colorbar(sc, ax=ax, label="chip area (mm²)")
        f = pareto_front(x, y)
        ax.step(x[f], y[f], where="post", color="tab:red", lw=1, zorder=2, label="Pareto front")
        for i in f:
            ax.annotate(str(ok[i]["point_index"]), (x[i], y[i]), fontsize=7, xytext=(3, 3),
                        textcoords="offset points")
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "no finished point with energy and latency", ha="center", transform=ax.transAxes)
    ax.set_xlabel("latency per timestep (µs)")
    ax.set_ylabel("energy per timestep (nJ)")
    ax.set_title(title or "energy vs latency")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)
