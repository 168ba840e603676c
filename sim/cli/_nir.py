"""NIR on the command line: the import options `run` and `validate` share, and the commands
`estimate` (one call from a trained model to cycles, latency, energy, area and fit) and
`compare` (a run's output spike trains against a framework's own)."""
from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np

from neurocycle.hw import ConfigError

from ._common import console as _console
from ._common import file_kind


# ----------------------------------------------------------------------------- shared options
def add_nir_options(p, *, inputs: bool) -> None:
    from neurocycle.sim.nir._frameworks import FRAMEWORKS

    g = p.add_argument_group("NIR graphs (.nir)")
    g.add_argument("--from", dest="framework", default=None, metavar="FRAMEWORK",
                   help=f"the framework that exported the graph ({', '.join(FRAMEWORKS)}, or 'nir' for NIR's own "
                        "equations): applies its conventions for time constants, input gains and thresholds "
                        "(docs/nir.md). Default: detected from the graph, or refused with the candidates")
    g.add_argument("--dt-ms", type=float, default=None, metavar="MS",
                   help="one timestep in ms (the writer's step; with --from nir the discretisation step)")
    g.add_argument("--allow-dropped-synapses", action="store_true",
                   help="accept projections that lose synapses to weight rounding (an error by default)")
    if inputs:
        g.add_argument("--inputs", default=None, metavar="FILE.npz",
                       help="input spike trains: one array [steps, *shape] per NIR Input node, named by the node "
                            "(or 'input.<node>'); default: Poisson, 10 %% per timestep")


def read_inputs(path) -> dict[str, np.ndarray]:
    """Spike trains per NIR Input node from an ``.npz`` (keys ``<node>`` or ``input.<node>``)."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError("--inputs", "file does not exist", str(p), "give an .npz written with numpy.savez")
    try:
        data = np.load(p)
    except Exception as exc:  # noqa: BLE001 - any unreadable file gets one clear error
        raise ConfigError("--inputs", f"cannot be read as .npz ({type(exc).__name__})", str(p),
                          "save it with numpy.savez(path, input=spikes)") from None
    out = {}
    for k in data.files:
        if k.startswith(("output.", "chip.", "latency.")):
            continue
        out[k[len("input."):] if k.startswith("input.") else k] = data[k]
    if not out:
        raise ConfigError("--inputs", "holds no input arrays", str(p),
                          "save one array [steps, *shape] per Input node, named by the node")
    return out


def convert_for_cli(args, path, numeric, console, quiet: bool = False):
    """convert_nir with the CLI's options; NIR's type-check fallback becomes one warning line."""
    from neurocycle.sim import convert_nir
    from neurocycle.sim.nir import NIRTypeCheckWarning

    inputs = read_inputs(args.inputs) if getattr(args, "inputs", None) else None
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", NIRTypeCheckWarning)
            conv = convert_nir(path, numeric=numeric, framework=args.framework, dt_ms=args.dt_ms, inputs=inputs,
                               allow_dropped=args.allow_dropped_synapses)
    finally:            # the warning is printed before an error too
        for w in caught:
            if issubclass(w.category, NIRTypeCheckWarning):
                print(f"neurocycle: warning: {w.message}", file=sys.stderr)
            else:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if not quiet:
        print(conv.report.table())
    return conv


def default_steps(args, conversion, fallback: int) -> int:
    """--steps if given; with NIR --inputs, the inputs' length plus the graph's latency."""
    if args.steps is not None:
        return args.steps
    if conversion is not None and getattr(args, "inputs", None):
        n = max(int(np.asarray(a).shape[0]) for a in read_inputs(args.inputs).values())
        return n + max(conversion.latency.values(), default=0)
    return fallback


def write_output_spikes(path: Path, conv, run) -> Path:
    """``output.<name>``: spike trains aligned with the writer's own steps (docs/nir.md, "Timing"),
    ``chip.<name>``: as the chip produced them, ``latency.<name>``: the shift between the two."""
    raw = conv.output_spike_trains(run)
    aligned = conv.output_spike_trains(run, align=True)
    data = {}
    for k, a in raw.items():
        lag = int(conv.latency.get(k, 0))
        data[f"chip.{k}"] = a
        data[f"output.{k}"] = aligned[k][:max(0, a.shape[0] - lag)]
        data[f"latency.{k}"] = np.array(lag)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **data)
    return path


def _trains(path, what: str) -> dict[str, np.ndarray]:
    p = Path(path)
    if not p.is_file():
        raise ConfigError(what, "file does not exist", str(p), "give an .npz with one array per output node")
    try:
        data = np.load(p)
    except Exception as exc:  # noqa: BLE001
        raise ConfigError(what, f"cannot be read as .npz ({type(exc).__name__})", str(p),
                          "save it with numpy.savez(path, output=spikes)") from None
    keys = [k for k in data.files if k.startswith("output.")]
    if keys:
        return {k[len("output."):]: data[k] for k in keys}
    return {k: data[k] for k in data.files if not k.startswith(("input.", "chip.", "latency."))}


# ----------------------------------------------------------------------------- compare
def _cmd_compare(args) -> int:
    from neurocycle.sim._io import write_json
    from neurocycle.sim.nir import agreement, agreement_table

    console = _console()
    chip = _trains(args.chip_spikes, "chip_spikes")
    ref = _trains(args.reference, "reference")
    res = agreement(chip, ref)
    print(agreement_table(res))
    ok = all(a.exact if args.require == "exact" else (a.within_tolerance if args.require == "tolerance" else True)
             for a in res.values())
    if args.out:
        f = write_json(Path(args.out), {k: a.to_dict() for k, a in res.items()})
        console.print(f"wrote {f}")
    if args.require != "none":
        console.print(("[green]agrees[/]" if ok else "[red]does not agree[/]") +
                      (" (exact trains)" if args.require == "exact" else " (within |dn| <= 2 + 0.1 n per neuron)"))
    return 0 if ok else 1


# ----------------------------------------------------------------------------- estimate
def _cmd_estimate(args) -> int:
    from neurocycle.sim import estimate
    from neurocycle.sim._io import write_json

    console = _console()
    model = args.model
    inputs = None
    if file_kind(model) == "chip":
        raise ConfigError("model", "is a chip file, not a model (a network or a .nir graph)", str(model),
                          f"give the model first and the chip second: neurocycle estimate MODEL {model}")
    if str(model).endswith(".nir"):
        from neurocycle.hw import NumericFormat, load_chip
        conv = convert_for_cli(args, model, NumericFormat.of(load_chip(args.chip)), console, quiet=True)
        model = conv
        inputs = read_inputs(args.inputs) if args.inputs else None
    elif args.inputs or args.framework or args.dt_ms is not None or args.allow_dropped_synapses:
        raise ConfigError("model", "--inputs, --from, --dt-ms and --allow-dropped-synapses apply to NIR graphs "
                          "(.nir) only", model, "give a .nir file, or a network without these options")
    steps = args.steps
    if steps is None and inputs:
        steps = max(int(np.asarray(a).shape[0]) for a in inputs.values()) + max(model.latency.values(), default=0)
    est = estimate(model, args.chip, steps=steps or 100, seed=args.seed)
    if hasattr(model, "report"):
        est = type(est)(**{**est.__dict__, "model": str(args.model)})
    print(est.table())
    if args.out:
        f = write_json(Path(args.out), est.to_dict())
        console.print(f"wrote {f}")
    return 0


def register(sub) -> None:
    e = sub.add_parser("estimate", help="cycles, latency, energy, area and fit of a trained model on a chip",
                       description="One call from a trained model (a NIR graph, or any network `run` takes) to "
                                   "cycles, latency, energy with its breakdown (synapse, neuron, network, clock, "
                                   "static), area, and whether it fits the chip (else the smallest mesh of the "
                                   "chip's tile it fits), beside the synaptic operations as NeuroBench counts them.")
    e.add_argument("chip", help="chip preset name or YAML file")
    e.add_argument("model", help=".nir graph (or network preset / YAML)")
    e.add_argument("--steps", type=int, default=None,
                   help="timesteps (default: the --inputs' length plus the graph's latency, else 100)")
    e.add_argument("--seed", type=int, default=None, help="seed for Poisson inputs")
    e.add_argument("--out", default=None, metavar="FILE.json", help="also write the estimate as JSON")
    add_nir_options(e, inputs=True)
    e.set_defaults(func=_cmd_estimate)

    c = sub.add_parser("compare", help="agreement of a run's output spikes with a framework's own",
                       description="Compare output spike trains (output_spikes.npz written by `run` for a NIR "
                                   "graph) with the ones a framework recorded for the same inputs (an .npz with one "
                                   "array [steps, *shape] per output node, 'output.<node>' or '<node>'): identical "
                                   "trains, count correlation, per-neuron count error against the tolerance "
                                   "2 + 0.1 n (docs/nir.md), and whether the most active neuron agrees.")
    c.add_argument("chip_spikes", help="output_spikes.npz from `neurocycle run ... --out DIR`")
    c.add_argument("reference", help="the framework's recorded output spikes (.npz)")
    c.add_argument("--require", choices=("tolerance", "exact", "none"), default="tolerance",
                   help="exit 1 unless every output is within the tolerance (default), exactly equal, or never")
    c.add_argument("--out", default=None, metavar="FILE.json", help="also write the figures as JSON")
    c.set_defaults(func=_cmd_compare)
