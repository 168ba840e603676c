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


