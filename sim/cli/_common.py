"""What every `neurocycle` command shares: the console, the progress bar and the run options."""
from __future__ import annotations


def console(stderr: bool = False):
    from rich.console import Console
    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def progress_cb(steps: int, enabled: bool):
    """A rich progress bar over timesteps; returns (callback, context manager)."""
    from contextlib import nullcontext

    if not enabled:
        return None, nullcontext()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    prog = Progress(TextColumn("simulating"), BarColumn(), MofNCompleteColumn(), TextColumn("timesteps"),
                    TimeRemainingColumn(), console=console(stderr=True), transient=True)
    task = prog.add_task("sim", total=steps)
    every = max(1, steps // 200)

    def cb(t: int):
        if (t + 1) % every == 0 or t + 1 == steps:
            prog.update(task, completed=t + 1)
    return cb, prog


# ----------------------------------------------------------------------------- shared options
def add_run_options(p, *, steps: int) -> None:
    """--steps, --seed, --placement, --neurons-per-core: the same for run, ppa and cosim."""
    p.add_argument("--steps", type=int, default=steps, help=f"timesteps to simulate (default: {steps})")
    p.add_argument("--seed", type=int, default=None, help="seed for connectivity and inputs (default: the network's)")
    p.add_argument("--placement", choices=("balanced", "sequential", "snake", "traffic"), default="balanced",
                   help="neuron placement: balanced over all cores (default), sequential fill, snake order, or "
                        "traffic (balanced groups placed to cut the hop-weighted traffic)")
    p.add_argument("--neurons-per-core", type=int, default=None, help="cap neurons per core")


def compile_options(args):
    from neurocycle.sim import CompileOptions
    return CompileOptions(placement=args.placement, neurons_per_core=args.neurons_per_core)




# ----------------------------------------------------------------------------- what a file is
_SYSTEM_KEYS = ("serdes_static_power_mw", "barrier_cycles_per_chip_hop")


def kind_of(data) -> str | None:
    """'network', 'chip', 'system' or 'sweep' from a parsed YAML mapping's keys (None if unclear)."""
    if not isinstance(data, dict):
        return None
    if "populations" in data or "projections" in data:
        return "network"
    if "mesh" in data or "core" in data or "router" in data or "clock_mhz" in data:
        return "chip"
    if (any(str(k).startswith("link_") for k in data) or any(k in data for k in _SYSTEM_KEYS)
            or ("chip" in data and "network" not in data and not any(k in data for k in ("samples", "points", "steps")))):
        return "system"
    if "grid" in data or "samples" in data or "base" in data:
        return "sweep"
    return None


def file_kind(arg) -> str | None:
    """What a positional argument names: 'chip', 'system', 'network', 'nir' or 'sweep' (a file
    recognised by its content, or a preset recognised by its folder); None if it cannot be told."""
    import os

    from neurocycle.hw import binary_kind, list_presets, read_yaml

    if arg is None:
        return None
    path = os.fspath(arg)
    if os.path.isfile(path):
        with open(path, "rb") as fh:
            head = fh.read(8)
        if head.startswith(b"\x89HDF"):
            return "nir"
        if binary_kind(head):
            return None
        try:
            data, _ = read_yaml(path)
        except Exception:  # noqa: BLE001 - unreadable: the loader will say why, in its place
            return None
        return kind_of(data)
    stem = path[:-5] if path.endswith(".yaml") else path
    kinds = [k for k, folder in (("chip", "chips"), ("system", "systems"), ("network", "networks"),
                                 ("sweep", "sweeps")) if stem in list_presets(folder)]
    return kinds[0] if len(kinds) == 1 else None


def chip_and_network(chip, network, console=None):
    """Sort `CHIP NETWORK` positionals by what they are: a network (YAML or .nir) given alone
    runs on the default chip (said on the console); a network in the chip's place with a second
    argument, or a chip in the network's place, is refused naming the argument."""
    from neurocycle.hw import DEFAULT_CHIP, ConfigError

    ck = file_kind(chip)
    if ck in ("network", "nir"):
        if network is None:
            if console is not None:
                console.print(f"[dim]{chip} is a {'NIR graph' if ck == 'nir' else 'network'}: running it on the "
                              f"default chip {DEFAULT_CHIP} (give a chip first to choose another)[/]")
            return None, chip
        raise ConfigError("chip", f"is a {'NIR graph' if ck == 'nir' else 'network'} file, not a chip", str(chip),
                          f"give the chip first: neurocycle ... CHIP {chip}")
    if ck == "sweep":
        raise ConfigError("chip", "is a sweep file, not a chip", str(chip), f"run it with: neurocycle sweep {chip}")
    nk = file_kind(network)
    if nk in ("chip", "system"):
        raise ConfigError("network", f"is a {nk} file, not a network", str(network),
                          f"give the {nk} first and the network second")
    if nk == "sweep":
        raise ConfigError("network", "is a sweep file, not a network", str(network),
                          f"run it with: neurocycle sweep {network}")
    return chip, network
