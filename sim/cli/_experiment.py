"""`neurocycle experiment NAME`: the built-in comparisons (neurocycle.sim.experiments)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from neurocycle.hw import ConfigError


def _csv(text: str, conv=str) -> list:
    return [conv(t.strip()) for t in text.split(",") if t.strip()]


def _cmd_noc(args, console, out: Path) -> int:
    from neurocycle.sim.experiments import NETWORKS, noc_experiment

    stray = [f for f, v in (("--payload-bits", args.payload_bits), ("--samples", args.samples),
                            ("--rates", args.rates), ("--sub", args.sub), ("--chip", args.chip)) if v]
    if stray:
        raise ConfigError("/".join(stray), "do not apply to the noc experiment (every network runs on its own chip)",
                          "noc", "drop them; the noc experiment takes --network, --steps, --routing, --cores, "
                                 "--placement")
    nets = _csv(args.network) if args.network else list(NETWORKS)
    try:
        cores = _csv(args.cores, int)
    except ValueError:
        raise ConfigError("--cores", "must be a comma-separated list of whole numbers", args.cores,
                          "give e.g. --cores 1,2,4") from None
    exp = noc_experiment(nets, steps=args.steps if args.steps is not None else 200, routings=_csv(args.routing),
                         concentrations=cores, placement=args.placement,
                         progress=None if args.quiet else (lambda label: console.print(f"[dim]running {label}[/]")))
    console.print(exp.table())
    bad = [f"{r.network} {r.key()}" for r in exp.rows if not r.spikes_match]
    if bad:
        console.print(f"[red]spikes differ from the first variant: {', '.join(bad)}[/]")
        return 1
    files = exp.save(out, plot=not args.no_plot)
    console.print("wrote " + ", ".join(str(f) for f in files), markup=False)
    return 0


def _cmd_experiment(args) -> int:
    from rich.console import Console
    from rich.table import Table

    from neurocycle.sim.experiments import event_vs_dense, graded_vs_binary, stdp_pattern, stdp_window
    from neurocycle.sim.sweep import SweepInterrupted

    # piped into a file the tables keep their columns (rich would squeeze them into 80)
    console = Console(highlight=False, width=None if sys.stdout.isatty() or "COLUMNS" in os.environ else 200)
    out = Path(args.out or f"experiment-{args.name}")
    common = dict(workers=args.workers, scheduler=args.scheduler, progress=not args.quiet, console=console,
                  plot=not args.no_plot)
    if args.in_process:
        common["in_process"] = True
    if args.name == "noc":
        return _cmd_noc(args, console, out)
    if args.routing != "unicast,multicast" or args.cores != "1,2,4" or args.placement != "balanced":
        raise ConfigError("--routing/--cores/--placement", "belong to the noc experiment", args.name,
                          "drop them, or run `neurocycle experiment noc`")
    try:
        if args.name in ("stdp-window", "stdp-pattern"):
            if args.network and args.name == "stdp-window":
                raise ConfigError("--network", "belongs to graded-vs-binary and stdp-pattern", args.name,
                                  "drop it: the window protocol builds its own network")
            if args.payload_bits or args.samples is not None or args.rates or args.sub:
                raise ConfigError("--payload-bits/--samples/--rates/--sub", f"do not apply to {args.name}", args.name,
                                  "drop them")
            kw = {"chip": args.chip or "learning-2x2", "backend": args.backend, "plot": not args.no_plot}
            if args.name == "stdp-window":
                res = stdp_window(out, **kw)
                cols = ["dt", "dw_chip", "dw_rule", "dw_exponential", "exact"]
            else:
                res = stdp_pattern(out, network=args.network or "stdp-pattern", steps=args.steps, **kw)
                cols = ["phase", "from_step", "to_step", "occurrences", "hit_rate", "false_alarms_hz", "spikes"]
        elif args.name == "graded-vs-binary":
            kw = {}
            if args.payload_bits:
                kw["payload_bits"] = args.payload_bits
            if args.samples is not None:
                kw["samples"] = args.samples
            if args.network:
                kw["network"] = args.network
            res = graded_vs_binary(out, chip=args.chip or "default-4x4", seed=args.seed, **kw, **common)
            cols = ["payload_bits", "arm", "timesteps", "latency_us", "energy_nj", "flits_routed", "flit_bits",
                    "area_mm2", "output_error_pct"]
        else:
            if args.network or args.payload_bits or args.samples is not None:
                raise ConfigError("--network/--payload-bits/--samples", "belong to graded-vs-binary",
                                  args.name, "drop them, or run `neurocycle experiment graded-vs-binary`")
            kw = {}
            if args.rates:
                kw["rates"] = args.rates
            if args.sub:
                kw["sub"] = args.sub
            if args.steps is not None:
                kw["steps"] = args.steps
            res = event_vs_dense(out, chip=args.chip or "default-4x4", **kw, **common)
            cols = ["firing_rate", "sub_threshold_input", "input_sparsity", "mode", "energy_per_step_nj",
                    "cycles_per_step", "updates_per_step", "event_over_dense_energy"]
    except SweepInterrupted as exc:
        print(f"neurocycle: {exc}", file=sys.stderr)
        return 130
    t = Table(title=f"experiment {args.name}")
    for c in cols:
        t.add_column(c, justify="right")
    from neurocycle.sim.experiments._common import _fmt
    rows = res.rows
    if args.name == "stdp-window" and len(rows) > 25:     # the table file has every dt; show every 5th
        rows = [r for r in rows if r["dt"] % 5 == 0]
    for r in rows:
        t.add_row(*[_fmt(r.get(c)) for c in cols])
    console.print(t)
    for k, v in res.headline.items():
        console.print(f"[bold]{k}[/]: {v}", markup=True, soft_wrap=True)
    console.print("wrote " + ", ".join(str(f) for f in res.files), markup=False)
    return 0


def register(sub) -> None:
    p = sub.add_parser("experiment", help="run a built-in experiment: graded-vs-binary, event-vs-dense, noc, "
                                          "stdp-window or stdp-pattern",
                       description="Run a built-in comparison as a sweep of its own (Dask for the default grids, "
                                   "this process for small ones; results in OUT/NAME.sqlite, resumable) and write "
                                   "a table (NAME.csv, NAME.md), NAME.json and a plot NAME.png into --out. "
                                   "graded-vs-binary: P-bit graded spikes in one timestep vs a binary rate code "
                                   "over 2^P - 1 timesteps and over one, on the same feed-forward network. "
                                   "event-vs-dense: event-driven vs dense neuron update over firing rate and "
                                   "input sparsity, with the crossover rate. "
                                   "noc: W1 and the gallery networks on unicast vs multicast routing and 1/2/4 cores "
                                   "per router (same cores, same spikes): flits and router grants per spike, cycles "
                                   "per timestep, network energy, router/table area, energy-delay product (runs in "
                                   "this process; writes noc.csv, noc.json, noc.png). See docs/experiments.md. "
                                   "stdp-window: the two-neuron STDP protocol over dt = -50..50, the chip's weight "
                                   "changes against the rule's exact window; stdp-pattern: a neuron with STDP "
                                   "synapses becomes selective to a spike pattern hidden in noise (single "
                                   "simulations). See docs/learning.md.")
    p.add_argument("name", choices=["graded-vs-binary", "event-vs-dense", "noc", "stdp-window", "stdp-pattern"],
                   help="the experiment")
    p.add_argument("--out", default=None, help="output folder (default: ./experiment-NAME)")
    p.add_argument("--chip", default=None, help="chip preset or YAML (default: default-4x4)")
    p.add_argument("--workers", type=int, default=None, help="local Dask worker processes (default: min(2, CPUs))")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS", help="a running Dask scheduler")
    p.add_argument("--in-process", action="store_true", help="run every simulation in this process (no Dask)")
    p.add_argument("--no-plot", action="store_true", help="do not write the plot")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    g = p.add_argument_group("graded-vs-binary")
    g.add_argument("--network", default=None,
                   help="graded-vs-binary: feed-forward network, preset, YAML or .nir (default: ff-classifier); "
                        "noc: comma-separated networks, W1 and/or gallery presets (default: W1 and the gallery); "
                        "stdp-pattern: its network (default: the gallery's stdp-pattern)")
    g.add_argument("--payload-bits", type=int, nargs="+", default=None, metavar="P",
                   help="payload widths to compare (default: 1 2 3 4 6 8)")
    g.add_argument("--samples", type=int, default=None, help="input samples per payload width (default: 4)")
    g.add_argument("--seed", type=int, default=0, help="seed of the input samples (default: 0)")
    e = p.add_argument_group("event-vs-dense")
    e.add_argument("--rates", type=float, nargs="+", default=None, metavar="R",
                   help="firing rates, shares of neurons per timestep (default: 0.001 ... 0.9)")
    e.add_argument("--sub", type=float, nargs="+", default=None, metavar="S",
                   help="shares of neuron blocks given sub-threshold input per timestep (default: 0 0.1 0.3)")
    e.add_argument("--steps", type=int, default=None,
                   help="timesteps per run (default: 100 for event-vs-dense, 200 for noc, the input file's 16000 "
                        "for stdp-pattern)")
    n = p.add_argument_group("noc")
    n.add_argument("--routing", default="unicast,multicast", help="routing modes (default: unicast,multicast)")
    n.add_argument("--cores", default="1,2,4", help="cores per router (default: 1,2,4)")
    n.add_argument("--placement", choices=("balanced", "sequential", "snake", "traffic"), default="balanced",
                   help="neuron placement of every variant (default: balanced)")
    s = p.add_argument_group("stdp-window, stdp-pattern")
    s.add_argument("--backend", default="cycle", choices=["cycle", "reference"],
                   help="simulation backend (default: cycle)")
    p.set_defaults(func=_cmd_experiment)
