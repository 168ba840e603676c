"""`neurocycle experiment`: the built-in comparisons (docs/experiments.md)."""
from __future__ import annotations

from ._common import console


def _csv(text: str, conv=str) -> list:
    return [conv(t.strip()) for t in text.split(",") if t.strip()]


def _cmd_noc(args) -> int:
    from neurocycle.hw import ConfigError
    from neurocycle.sim.experiments import NETWORKS, noc_experiment

    con = console()
    nets = _csv(args.network) if args.network else list(NETWORKS)
    try:
        cores = _csv(args.cores, int)
    except ValueError:
        raise ConfigError("--cores", "must be a comma-separated list of whole numbers", args.cores,
                          "give e.g. --cores 1,2,4") from None
    exp = noc_experiment(nets, steps=args.steps, routings=_csv(args.routing), concentrations=cores,
                         placement=args.placement,
                         progress=None if args.quiet else (lambda label: con.print(f"[dim]running {label}[/]")))
    con.print(exp.table())
    bad = [f"{r.network} {r.key()}" for r in exp.rows if not r.spikes_match]
    if bad:
        con.print(f"[red]spikes differ from the first variant: {', '.join(bad)}[/]")
        return 1
    if not args.no_files:
        files = exp.save(args.out)
        con.print("wrote " + ", ".join(str(f) for f in files))
    return 0


def register(sub) -> None:
    p = sub.add_parser("experiment", help="built-in comparisons (docs/experiments.md)",
                       description="Built-in comparisons a user can run in minutes; their headline numbers are in "
                                   "docs/experiments.md.")
    esub = p.add_subparsers(dest="experiment", metavar="EXPERIMENT")
    n = esub.add_parser("noc", help="unicast vs multicast routing, 1/2/4 cores per router",
                        description="W1 and the gallery networks on unicast vs multicast routing and 1/2/4 cores per "
                                    "router (same cores, same spikes): flits and router grants per spike, cycles per "
                                    "timestep, network energy, router/table area, energy-delay product.")
    n.add_argument("--network", default=None,
                   help="comma-separated networks: W1 and/or gallery presets (default: W1 and the whole gallery)")
    n.add_argument("--steps", type=int, default=200, help="timesteps per run (default: 200)")
    n.add_argument("--routing", default="unicast,multicast", help="routing modes (default: unicast,multicast)")
    n.add_argument("--cores", default="1,2,4", help="cores per router (default: 1,2,4)")
    n.add_argument("--placement", choices=("balanced", "sequential", "snake", "traffic"), default="balanced",
                   help="neuron placement of every variant (default: balanced)")
    n.add_argument("--out", default="out/noc", help="output folder for noc.csv, noc.json, noc.png (default: out/noc)")
    n.add_argument("--no-files", action="store_true", help="print the table only")
    n.add_argument("--quiet", action="store_true", help="no progress lines")
    n.set_defaults(func=_cmd_noc)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])
