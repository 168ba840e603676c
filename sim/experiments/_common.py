"""What both experiments share: running their points through the sweep machinery
(``neurocycle.sim.sweep``: a SweepSpec with explicit points, the SQLite store, Dask for a large
grid or this process for a small one), and writing the table, the JSON and the plot."""
from __future__ import annotations

import csv
import io
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neurocycle.hw import ConfigError

__all__ = ["ExperimentResult", "run_points", "IN_PROCESS_MAX"]

# a grid of at most this many simulations runs in this process (no Dask cluster to start)
IN_PROCESS_MAX = 8


@dataclass
class ExperimentResult:
    """What an experiment measured: one row per aggregated point (``rows``), the headline
    answers (``headline``), the files written (``files``) and the per-simulation sweep rows
    (``points``: label, metrics)."""
    name: str
    rows: list[dict]
    headline: dict
    columns: list[str]
    files: list[Path] = field(default_factory=list)
    points: list[dict] = field(default_factory=list)
    settings: dict = field(default_factory=dict)

    def table_markdown(self, columns: list[str] | None = None) -> str:
        cols = columns or self.columns
        out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        for r in self.rows:
            out.append("| " + " | ".join(_fmt(r.get(c)) for c in cols) + " |")
        return "\n".join(out)

    def table_csv(self) -> str:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=self.columns, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for r in self.rows:
            w.writerow({c: r.get(c) for c in self.columns})
        return buf.getvalue()

    def to_dict(self) -> dict:
        return {"experiment": self.name, "settings": self.settings, "headline": self.headline,
                "columns": self.columns, "rows": self.rows, "points": self.points}

    def write(self, out: Path) -> list[Path]:
        out.mkdir(parents=True, exist_ok=True)
        files = [out / f"{self.name}.csv", out / f"{self.name}.md", out / f"{self.name}.json"]
        files[0].write_text(self.table_csv(), encoding="utf-8")
        files[1].write_text(f"# {self.name}\n\n" + _headline_md(self.headline) + "\n\n" + self.table_markdown()
                            + "\n", encoding="utf-8")
        files[2].write_text(json.dumps(self.to_dict(), indent=1, default=_json_default) + "\n", encoding="utf-8")
        self.files.extend(files)
        return files


def _fmt(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        if v == 0:
            return "0"
        if abs(v) >= 1e5 or abs(v) < 1e-3:
            return f"{v:.3g}"
        return f"{v:.4g}"
    return str(v)


def _headline_md(h: dict) -> str:
    return "\n".join(f"- **{k}**: {v}" for k, v in h.items())


def _json_default(o):
    try:
        import numpy as np
        if isinstance(o, np.integer):
            return int(o)
        if isinstance(o, np.floating):
            return float(o)
        if isinstance(o, np.ndarray):
            return o.tolist()
    except ImportError:   # pragma: no cover
        pass
    if isinstance(o, Path):
        return str(o)
    raise TypeError(type(o))


def run_points(name: str, chip: dict, network: dict, points: list[dict], out: Path, *, outputs=(),
               steps: int = 10, workers: int | None = None, scheduler: str | None = None,
               progress: bool = True, console=None, in_process: bool | None = None) -> list[dict]:
    """Run ``points`` (override mappings, as a sweep file's ``points:``) of ``chip`` + ``network``
    through ``neurocycle.sim.sweep.run_sweep`` with the database ``out/NAME.sqlite`` (resumable:
    a second run reuses finished points). Small grids run in this process, large ones on Dask
    (a local cluster, or ``scheduler``). Returns one dict per point, in order: the point's
    ``overrides``, ``status``, ``error`` and ``metrics``."""
    from neurocycle.sim.sweep import Sweep, SweepSpec, run_sweep
    from neurocycle.hw import validate_data

    spec = validate_data(SweepSpec, {"name": name, "chip": chip, "network": network, "steps": steps,
                                     "points": points, "outputs": list(outputs)}, what="experiment sweep")
    sweep = Sweep(spec)
    pts = sweep.points()
    n_sims = len({p.sim_key for p in pts})
    if in_process is None:
        in_process = scheduler is None and n_sims <= IN_PROCESS_MAX
    out.mkdir(parents=True, exist_ok=True)
    outcome = run_sweep(sweep, out / f"{name}.sqlite", scheduler=scheduler, n_workers=workers, progress=progress,
                        console=console, in_process=in_process, retry_failed=True)
    by_key = {r["key"]: r for r in outcome.rows}
    res = []
    for p in pts:
        r = by_key.get(p.key) or {}
        m = json.loads(r["metrics"]) if r.get("metrics") else None
        res.append({"overrides": p.overrides, "status": r.get("status"), "error": r.get("error"), "metrics": m})
    bad = [r for r in res if r["status"] != "ok"]
    if bad:
        raise ConfigError("experiment", f"{len(bad)} of {len(res)} simulations failed; the first: "
                          f"{(bad[0]['error'] or '').splitlines()[0] if bad[0]['error'] else bad[0]['status']}",
                          name, f"see {out / (name + '.sqlite')} (neurocycle sweep can export it); fix the cause "
                                "and run the experiment again (finished points are kept)")
    return res


def geomean(xs) -> float | None:
    xs = [x for x in xs if x is not None and x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def mean(xs) -> float | None:
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else None


def env_workers() -> int | None:
    v = os.environ.get("NEUROCYCLE_WORKERS")
    return int(v) if v and v.isdigit() else None


Json = Any
