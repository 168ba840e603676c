"""`neurocycle vectors CHIP NETWORK --out DIR`: golden vectors for another team's RTL (docs/vectors.md)."""
from __future__ import annotations

from ._common import add_run_options, chip_and_network, compile_options
from ._common import console as _console


def _cmd_vectors(args) -> int:
    from neurocycle.hw import ConfigError
    from neurocycle.sim import simulate
    from neurocycle.sim._activity import parse_window
    from neurocycle.sim._io import OutputDir
    from neurocycle.sim._vectors import write_vectors

    console = _console()
    chip, network = chip_and_network(args.chip, args.network, console)
    window = parse_window(args.window, args.steps, "--window") if args.window else (0, args.steps)
    if not args.max_mb > 0:
        raise ConfigError("--max-mb", "must be positive", args.max_mb, "e.g. --max-mb 256")
    with OutputDir(args.out) as od:                    # checked before anything is simulated
        run = simulate(chip, network, steps=args.steps, seed=args.seed, backend="cycle", options=compile_options(args))
        try:
            est = run.estimate_window(window, max_trace_mb=args.max_mb)   # the vectors are smaller than a trace
        except ConfigError as exc:
            def mine(text):
                return text.replace("--trace-steps", "--window").replace("--trace-max-mb", "--max-mb")
            raise ConfigError("--window", mine(exc.rule).replace("the trace of", "the vectors of"), exc.value,
                              mine(exc.fix)) from None
        console.print(f"replaying {est.line().split(', ~')[0]}")
        act = run.activity(window)
        files = write_vectors(act, od.path, program=run.program,
                              extra={"network": run.spec.name, "seed": run.seed, "steps": args.steps})
        target = od.commit()
    r = act.result
    console.print(f"wrote {', '.join(str(target / f.name) for f in files)}: {len(act.grants):,} router-port flits, "
                  f"{len(act.nu_pushes):,} core pushes, {len(act.spikes):,} spikes over cycles "
                  f"{act.first_cycle}..{act.end_cycle - 1} ({r.steps} timesteps). Check an RTL with "
                  "neurocycle.rtl._scoreboard (docs/vectors.md)")
    return 0


def register(sub) -> None:
    p = sub.add_parser("vectors", help="golden vectors (every router port and core, every cycle) for another RTL",
                       description="Simulate NETWORK on CHIP cycle by cycle and write, for every cycle, the flit "
                                   "at every router output port, every core's pushes and spikes, the host link's "
                                   "flits and the timestep boundaries into --out (format: docs/vectors.md), for "
                                   "the cocotb scoreboard neurocycle.rtl._scoreboard.")
    p.add_argument("chip", nargs="?", default=None, help="chip preset name or YAML file")
    p.add_argument("network", nargs="?", default=None, help="network preset name or YAML file")
    add_run_options(p, steps=10)
    p.add_argument("--window", default=None, metavar="A:B", help="only timesteps A..B-1 (default: all)")
    p.add_argument("--max-mb", type=float, default=256.0,
                   help="refuse vectors estimated larger than this, before replaying (default: 256)")
    p.add_argument("--out", required=True, help="output folder (replaced as a whole)")
    p.set_defaults(func=_cmd_vectors)
