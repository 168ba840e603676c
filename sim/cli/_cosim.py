"""`neurocycle cosim CHIP NETWORK`: the RTL under Verilator against the cycle model, exactly."""
from __future__ import annotations

from pathlib import Path

import numpy as np



from ._common import add_run_options, chip_and_network, compile_options


def _cmd_cosim(args) -> int:
    from rich.console import Console
    from rich.table import Table

    from neurocycle.sim._cosim import cosim
    from neurocycle.sim._io import check_output_dir

    console = Console(highlight=False)
    chip, network = chip_and_network(args.chip, args.network, console)
    out = check_output_dir(args.out, replace=False) if args.out else None   # before the long build
    wd = None
    if args.waves:
        wd = (out or Path(".")) / "cosim-waves"
    opts = compile_options(args)
    with console.status("building the RTL (cached per chip config) and co-simulating ..."):
        rep = cosim(chip, network, steps=args.steps, seed=args.seed, waves=args.waves, work_dir=wd,
                    options=opts)
    m, r = rep.model, rep.rtl
    t = Table(title=f"neurocycle cosim — {rep.network_name} on {rep.chip_name}", show_header=True)
    t.add_column("")
    t.add_column(f"model ({rep.model_backend})", justify="right")
    t.add_column("RTL (Verilator)", justify="right")
    t.add_row("timesteps", str(m.steps), str(r.steps))
    t.add_row("spikes", f"{m.n_spikes:,}", f"{r.n_spikes:,}")
    if m.step_cycles is not None:
        t.add_row("cycles", f"{m.total_cycles:,}", f"{r.total_cycles:,}")
    if m.counters is not None and r.counters is not None:
        for name in ("synaptic_ops", "router_flits", "router_blocked_cycles"):
            t.add_row(name, f"{int(np.sum(m.counters[name])):,}", f"{int(np.sum(r.counters[name])):,}")
    t.add_row("wall time", f"{m.wall_s:.3f} s", f"{r.wall_s:.2f} s")
    if r.total_cycles:
        t.add_row("RTL speed", "", f"{r.total_cycles / max(r.rtl_run_s, 1e-9):,.0f} cycles/s")
    console.print(t)
    console.print(f"RTL build: {'cached' if rep.build_cached else f'{rep.build_s:.1f} s'}")
    if wd is not None:
        console.print(f"waveform: {wd / 'dump.vcd'}")
    if out is not None:
        from neurocycle.sim._io import write_json
        write_json(out / "cosim.json", {
            "chip": rep.chip_name, "network": rep.network_name, "steps": rep.steps, "agree": rep.agree,
            "model_backend": rep.model_backend, "fields_compared": rep.fields_compared,
            "mismatch": None if rep.mismatch is None else {
                "timestep": rep.mismatch.timestep, "tile": rep.mismatch.tile, "cycle": rep.mismatch.cycle,
                "field": rep.mismatch.field, "expected": str(rep.mismatch.expected),
                "actual": str(rep.mismatch.actual)},
            "model_wall_s": m.wall_s, "rtl_wall_s": r.wall_s, "cycles": r.total_cycles})
    if rep.agree:
        what = ("spikes, spike cycles, cycles per timestep, all event counters and per-port detail"
                if rep.model_backend == "cycle" else "spikes (functional reference; cycle model not built)")
        console.print(f"[green]AGREE[/]: RTL and {rep.model_backend} model identical on {what}")
        return 0
    console.print(f"[red]MISMATCH[/] (first): {rep.mismatch}")
    return 1


def register(sub) -> None:
    p = sub.add_parser("cosim", help="co-simulate the RTL (Verilator) against the cycle model",
                       description="Build the SystemVerilog chip for CHIP (cached per parameter set), load the "
                                   "compiled NETWORK through the host bus, run it under Verilator via cocotb and "
                                   "compare spikes, cycles per timestep and every event counter with the cycle "
                                   "model. Prints agreement or the first mismatch (timestep, tile, cycle, field, "
                                   "expected, actual); exit status 1 on a mismatch.")
    p.add_argument("chip", nargs="?", default=None,
                   help="chip preset name or YAML file (default: default-4x4; its first build takes minutes, small "
                        "meshes such as tiny-2x2 build and simulate fastest)")
    p.add_argument("network", nargs="?", default=None, help="network preset name or YAML file (default: default-net)")
    add_run_options(p, steps=20)
    p.add_argument("--waves", action="store_true", help="dump a VCD waveform (OUT/cosim-waves/dump.vcd)")
    p.add_argument("--out", default=None, help="folder for cosim.json (and the waveform)")
    p.set_defaults(func=_cmd_cosim)
