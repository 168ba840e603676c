"""`neurocycle sweep SWEEP`: a PPA sweep on Dask, results in SQLite, resumable."""
from __future__ import annotations

import json
import sys
from pathlib import Path


_RESUME = "run the same command again to resume"


def _cmd_sweep(args) -> int:
    from neurocycle.sim.sweep import SweepInterrupted

    try:
        return _sweep(args)
    except SweepInterrupted as exc:
        print(f"neurocycle: {exc}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:               # before or after the sweep ran: nothing half-written
        print(f"neurocycle: interrupted; {_RESUME}", file=sys.stderr)
        return 130


def _sweep(args) -> int:
    from neurocycle.sim.sweep import (export_csv, failure_summary, load_sweep, pareto_front, plot_pareto, plottable,
                                      run_sweep)

    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False, stderr=False)
    sweep = load_sweep(args.sweep)
    points = sweep.points()
    out = Path(args.out)
    name = sweep.spec.name                  # validated as a plain file name: stays inside --out
    db = Path(args.db) if args.db else out / f"{name}.sqlite"
    if args.dry_run:
        console.print(f"sweep {name}: {len(points)} points, {len({p.sim_key for p in points})} simulations")
        for p in points:
            opts = f"placement={p.placement}" + (f", neurons_per_core={p.neurons_per_core}"
                                                 if p.neurons_per_core is not None else "")
            console.print(f"  {p.index:4d} {p.key[:12]} " + ", ".join(f"{k}={v!r}" for k, v in p.overrides.items())
                          + f" ({opts})", markup=False)
        return 0
    res = run_sweep(sweep, db, scheduler=args.scheduler, n_workers=args.workers, retry_failed=args.retry_failed,
                    progress=not args.quiet, console=console, connect_timeout_s=args.connect_timeout)
    rows = res.rows
    console.print(f"sweep {name}: {res.total} points — {res.skipped} already in {db}, "
                  f"{res.ok} ran ok, {res.failed} failed", markup=False)
    bad = [r for r in rows if r["status"] != "ok"]
    if bad:
        lost = sum(r["status"] == "lost" for r in bad)
        console.print(f"[red]{len(bad)} of {res.total} points are not ok[/] ({len(bad) - lost} error, {lost} lost"
                      f"{': lost points run again on the next run' if lost else ''}"
                      f"{'; --retry-failed runs error points again' if len(bad) > lost else ''}); "
                      f"distinct errors:", markup=True)
        summary = failure_summary(rows)
        for err, count in summary[:10]:
            console.print(f"  {count:4d} × {err}", markup=False)
        if len(summary) > 10:
            console.print(f"  ... and {len(summary) - 10} more distinct errors (see the 'error' column of {db})",
                          markup=False)
    good = plottable(rows)
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
        if good:
            png = out / f"{name}-pareto.png"
            plot_pareto(rows, png, title=f"sweep {name}")
            files.append(png)
        else:
            console.print("no Pareto plot: no point finished ok with energy and latency")
    if args.export:
        files.append(export_csv(rows, args.export))
    if files:
        console.print("wrote " + ", ".join(str(f) for f in files), markup=False)
    return 1 if bad else 0


def register(sub) -> None:
    p = sub.add_parser("sweep", help="run a PPA sweep on Dask; results in SQLite, resumable",
                       description="Run every point of SWEEP (a grid and/or random samples of dotted-path "
                                   "overrides of a base chip + network) on Dask. Each finished point is written "
                                   "to the SQLite database at once, with what made it (compile options, seed, "
                                   "neurocycle version, git commit); re-running skips finished points. One sweep "
                                   "at a time per database (a lock file DB.lock). Prints the Pareto-optimal points "
                                   "and writes a Pareto plot (energy vs latency, area as colour). Exit code 1 if "
                                   "any point failed, 130 on Ctrl-C (run the same command again to resume).")
    p.add_argument("sweep", help="sweep YAML file or preset name")
    p.add_argument("--db", default=None, help="results database (default: OUT/NAME.sqlite)")
    p.add_argument("--out", default="out", help="folder for the database and the plot (default: ./out)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="address of a running Dask scheduler (default: start a local cluster)")
    p.add_argument("--connect-timeout", type=float, default=5.0, metavar="SECONDS",
                   help="give up connecting to --scheduler (connect and handshake) after this long (default: 5)")
    p.add_argument("--workers", type=int, default=None, help="local cluster worker processes (default: min(2, CPUs))")
    p.add_argument("--export", default=None, metavar="CSV", help="also write all points of the sweep to this CSV")
    p.add_argument("--retry-failed", action="store_true", help="run points recorded as failed again")
    p.add_argument("--dry-run", action="store_true", help="list the resolved points and exit")
    p.add_argument("--no-plot", action="store_true", help="do not write the Pareto plot")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_sweep)
