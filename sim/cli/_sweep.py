"""`neurocycle sweep SWEEP`: a PPA sweep on Dask, results in SQLite, resumable."""
from __future__ import annotations

import json
from pathlib import Path

from neurocycle.sim._sweep import export_csv, load_sweep, pareto_front, plot_pareto, run_sweep


def _cmd_sweep(args) -> int:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False, stderr=False)
    sweep = load_sweep(args.sweep)
    points = sweep.points()
    out = Path(args.out)
    db = Path(args.db) if args.db else out / f"{sweep.spec.name}.sqlite"
    if args.dry_run:
        console.print(f"sweep {sweep.spec.name}: {len(points)} points, "
                      f"{len({p.sim_key for p in points})} simulations")
        for p in points:
            console.print(f"  {p.index:4d} {p.key[:12]} " + ", ".join(f"{k}={v!r}" for k, v in p.overrides.items()))
        return 0
    res = run_sweep(sweep, db, scheduler=args.scheduler, n_workers=args.workers, retry_failed=args.retry_failed,
                    progress=not args.quiet, console=console, connect_timeout_s=args.connect_timeout)
    console.print(f"sweep {sweep.spec.name}: {res.total} points — {res.skipped} already in {db}, "
                  f"{res.ok} ran ok, {res.failed} failed")
    rows = res.rows
    bad = [r for r in rows if r["status"] != "ok"]
    for r in bad[:10]:
        console.print(f"[red]point {r['point_index']} {r['status']}[/]: {(r['error'] or '').splitlines()[0]}")
    good = [r for r in rows if r["status"] == "ok" and r["energy_per_step_pj"] is not None
            and r["latency_us_per_step"] is not None]
    if good:
        f = pareto_front([r["latency_us_per_step"] for r in good], [r["energy_per_step_pj"] for r in good])
        t = Table(title="Pareto-optimal points (energy vs latency per timestep)")
        for col in ("point", "overrides", "latency µs/step", "energy nJ/step", "pJ/SOP", "area mm²"):
            t.add_column(col, justify="left" if col == "overrides" else "right")
        for i in f:
            r = good[i]
            ov = json.loads(r["overrides"])
            t.add_row(str(r["point_index"]), "\n".join(f"{k}={v}" for k, v in ov.items()) or "(base)",
                      f"{r['latency_us_per_step']:.3f}", f"{r['energy_per_step_pj'] * 1e-3:.3f}",
                      "-" if r["energy_per_sop_pj"] is None else f"{r['energy_per_sop_pj']:.2f}",
                      f"{r['area_mm2']:.3f}")
        console.print(t)
    files = []
    if not args.no_plot:
        files.append(plot_pareto(rows, out / f"{sweep.spec.name}-pareto.png", title=f"sweep {sweep.spec.name}")
                     and out / f"{sweep.spec.name}-pareto.png")
    if args.export:
        files.append(export_csv(rows, args.export))
    if files:
        console.print("wrote " + ", ".join(str(f) for f in files))
    return 1 if bad else 0


def register(sub) -> None:
    p = sub.add_parser("sweep", help="run a PPA sweep on Dask; results in SQLite, resumable",
                       description="Run every point of SWEEP (a grid and/or random samples of dotted-path "
                                   "overrides of a base chip + network) on Dask. Each finished point is written "
                                   "to the SQLite database at once; re-running skips finished points. Prints the "
                                   "Pareto-optimal points and writes a Pareto plot (energy vs latency, area as "
                                   "colour). Exit code 1 if any point failed.")
    p.add_argument("sweep", help="sweep YAML file or preset name")
    p.add_argument("--db", default=None, help="results database (default: OUT/NAME.sqlite)")
    p.add_argument("--out", default="out", help="folder for the database and the plot (default: ./out)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="address of a running Dask scheduler (default: start a local cluster)")
    p.add_argument("--connect-timeout", type=float, default=5.0, metavar="SECONDS",
                   help="give up connecting to --scheduler after this long (default: 5)")
    p.add_argument("--workers", type=int, default=None, help="local cluster worker processes (default: min(2, CPUs))")
    p.add_argument("--export", default=None, metavar="CSV", help="also write all points of the sweep to this CSV")
    p.add_argument("--retry-failed", action="store_true", help="run points recorded as failed again")
    p.add_argument("--dry-run", action="store_true", help="list the resolved points and exit")
    p.add_argument("--no-plot", action="store_true", help="do not write the Pareto plot")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_sweep)
