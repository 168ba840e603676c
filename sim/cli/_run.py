"""`neurocycle run`, `validate` and `presets`."""
from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path

import numpy as np

from neurocycle.hw import ConfigError, NeurocycleError, list_presets, preset_path

from ._common import add_run_options, chip_and_network, compile_options, kind_of
from ._common import console as _console
from ._common import progress_cb as _progress_cb
from ._nir import add_nir_options, convert_for_cli, default_steps, write_output_spikes

VALIDATE_SAMPLE_BYTES = 200 << 20   # `validate` samples networks up to this estimated size (bounded time and memory)


# ----------------------------------------------------------------------------- run
def _cmd_run(args) -> int:
    from neurocycle.hw import NumericFormat, SystemConfig

    from neurocycle.sim import load_target, simulate
    from neurocycle.sim._io import OutputDir, write_json

    console = _console()
    opts = compile_options(args)
    chip_arg, network = chip_and_network(args.chip, args.network, console)
    chip = load_target(chip_arg)            # a chip, or a system of chips
    bits_chip = chip.mesh_chip if isinstance(chip, SystemConfig) else chip
    conversion = None
    if network is not None and str(network).endswith(".nir"):
        conversion = convert_for_cli(args, network, NumericFormat.of(bits_chip), console)   # this chip's bit widths
        network = conversion
    elif args.inputs or args.framework or args.dt_ms is not None or args.allow_dropped_synapses:
        raise ConfigError("network", "--inputs, --from, --dt-ms and --allow-dropped-synapses apply to NIR graphs "
                          "(.nir) only", network, "give the spikes of a YAML network in its 'inputs' section")
    args.steps = default_steps(args, conversion, 200)
    window = None
    if args.trace or args.vcd:
        if args.backend != "cycle":
            raise ConfigError("--backend", "has no cycles to trace", args.backend, "use --backend cycle with --trace/--vcd")
        if args.trace_steps is not None:
            from neurocycle.sim._activity import parse_window
            window = parse_window(args.trace_steps, args.steps)
        if not args.trace_max_mb > 0:
            raise ConfigError("--trace-max-mb", "must be positive", args.trace_max_mb, "e.g. --trace-max-mb 256")
    elif args.trace_steps is not None:
        raise ConfigError("--trace-steps", "chooses the window of --trace/--vcd, and neither is given",
                          args.trace_steps, "add --trace trace.json (or --vcd model.vcd)")
    # the output folder is checked (and its replacement prepared) before anything is simulated
    out = contextlib.nullcontext() if args.no_files else OutputDir(args.out)
    with out:
        cb, ctx = _progress_cb(args.steps, not args.quiet)
        t0 = time.perf_counter()
        with ctx:
            run = simulate(chip, network, steps=args.steps, seed=args.seed, backend=args.backend,
                           options=opts, progress=cb, on_estimate=lambda est: _announce(console, est, args.quiet),
                           workers=args.workers, scheduler=args.scheduler)
        wall = time.perf_counter() - t0
        extra = {"command": " ".join(["neurocycle"] + sys.argv[1:]), "total_wall_s": wall}
        if conversion is not None:
            extra["nir_quantisation"] = conversion.report.to_dict()
            console.print(conversion.report.table())
        report = run.report(extra)
        conv = run.net.conversions()
        if conv:
            console.print(conversion_table(conv))
        _print_summary(console, run, report)
        if args.trace or args.vcd:
            est = run.estimate_window(window, max_trace_mb=args.trace_max_mb)   # refuses a trace too big
            window = (est.t0, est.t1)
            console.print(f"replaying {est.line()}")
            if args.trace:
                n = run.write_trace(args.trace, window)
                console.print(f"wrote {args.trace}: {n:,} trace events (open it in ui.perfetto.dev)")
            if args.vcd:
                n = run.write_vcd(args.vcd, window)
                console.print(f"wrote {args.vcd}: {n:,} signals under the RTL's names (GTKWave, Surfer)")
        if not args.no_files:
            files = run.write_files(out.path, extra=extra)
            if conversion is not None:
                files.append(write_json(out.path / "quantisation.json", conversion.report.to_dict()))
                files.append(write_output_spikes(out.path / "output_spikes.npz", conversion, run))
            target = out.commit()
            console.print("wrote " + ", ".join(str(target / f.name) for f in files))
    return 0


LARGE_RUN_BYTES = 1 << 30      # `run` announces its memory estimate before sampling a network this large


def _announce(console, est, quiet: bool) -> None:
    """Before a large network is sampled: what it will cost, so a user is not left waiting blind."""
    if quiet or est.total < LARGE_RUN_BYTES:
        return
    from neurocycle.sim._netsize import _gb, available_memory_bytes
    have = available_memory_bytes()
    console.print(f"[bold]large network[/]: {est.synapses:,} synapses, estimated peak memory {_gb(est.total)}"
                  + (f" of {_gb(have)} available" if have else "") + f" ({est.describe()})")


def _print_summary(console, run, report) -> None:
    from rich.table import Table

    res = report["results"]
    p = run.program
    t = Table(title=f"neurocycle run — {run.spec.name} on {run.chip.name} [{run.backend}]", show_header=False)
    t.add_column("quantity", style="bold")
    t.add_column("value", justify="right")
    t.add_row("timesteps", f"{res['steps']:,}")
    t.add_row("neurons / inputs", f"{p.n_neurons:,} / {p.n_inputs:,}")
    t.add_row("synapses", f"{run.net.n_synapses:,}")
    t.add_row("cores used", f"{int((np.diff(p.core_neuron_offset) > 0).sum())} of {p.n_cores}"
              + (f" ({run.chip.mesh.cores_per_router} per router)" if run.chip.mesh.cores_per_router > 1 else ""))
    noc = report.get("noc")
    if noc:
        t.add_row("NoC traffic (all fire once)",
                  f"{noc['flits']:,} flits, {noc['link_flits']:,} flit-hops ({noc['hops_per_delivery']:.2f} per "
                  f"delivery), {noc['routing']} [{run.options.placement}]")
        if noc["routing"] == "multicast":
            tb = noc["table_sram_bits"]
            t.add_row("multicast tables", f"{max(noc['table_entries_per_router']):,} of {run.chip.router.table_entries:,} "
                                          f"entries used (fullest router), {tb['chip'] / 8192:,.1f} KiB SRAM on chip")
    t.add_row("spikes (neurons)", f"{res['spikes']:,}")
    t.add_row("input spikes", f"{res['input_spikes']:,}")
    t.add_row("firing rate", f"{100 * res['firing_rate_per_step']:.3f} % per timestep")
    cyc = res.get("cycles")
    if cyc:
        t.add_row("cycles / timestep", f"mean {cyc['cycles_per_step_mean']:.1f}, p99 {cyc['cycles_per_step_p99']:.0f}, "
                                       f"max {cyc['cycles_per_step_max']}")
        t.add_row("total cycles", f"{cyc['total_cycles']:,}")
        t.add_row("simulated time", f"{cyc['simulated_time_us']:,.2f} µs at {cyc['clock_mhz']:g} MHz")
        if "flit_hops" in cyc:
            t.add_row("flit-hops", f"{cyc['flit_hops']:,}")
            bc = cyc["busiest_core"]
            t.add_row("busiest core", f"({bc['x']},{bc['y']}): NU {bc['nu_busy_plus_stall_cycles']:,} cycles, "
                                      f"SI {bc['si_busy_cycles']:,} cycles")
        if "busiest_link" in cyc:
            bl = cyc["busiest_link"]
            t.add_row("busiest link", f"({bl['x']},{bl['y']}) {bl['port']}: {bl['flits']:,} flits")
    if "counter_totals" in res:
        ct = res["counter_totals"]
        t.add_row("synaptic ops", f"{ct['synaptic_ops']:,}")
    for row in report.get("summary_rows", []):
        t.add_row(*row)
    part = getattr(run.result, "partition", None)
    if part and part.get("partitions", 1) > 1:
        t.add_row("partitions", f"{part['partitions']} Dask workers, {part['window_cycles']}-cycle windows")
        t.add_row("windows / exchanged", f"{part['windows']:,} / {part['exchanged']:,} flits and credits")
    t.add_row("wall time", f"{report['total_wall_s']:.2f} s")
    if run.phases is not None:
        for name, text in run.phases.rows():
            t.add_row(f"  {name}", text)
        if run.phases.estimate is not None:
            from neurocycle.sim._netsize import _gb
            t.add_row("  estimated peak", _gb(run.phases.estimate.total))
    console.print(t)
    if run.system is not None and "system" in report:
        _print_system(console, run, report["system"])
    # per-core load
    usage = p.core_usage()
    spc = np.asarray(res["spikes_per_core"])
    lt = Table(title="per-core load", show_lines=False)
    for col in ("core (x,y)", "neurons", "axons", "syn words", "fan-out", "spikes"):
        lt.add_column(col, justify="right")
    W, C = run.chip.mesh.width, run.chip.mesh.cores_per_router
    order = np.argsort(-spc, kind="stable")
    shown = order[: min(8, p.n_cores)]
    for k in shown:
        lt.add_row(f"{k} ({(k // C) % W},{(k // C) // W}" + (f".{k % C})" if C > 1 else ")"), str(usage["neurons"][k]), str(usage["axons"][k]),
                   str(usage["synapse_words"][k]), str(usage["fanout_entries"][k]), f"{spc[k]:,}")
    if p.n_cores > len(shown):
        lt.caption = f"top {len(shown)} of {p.n_cores} cores by spikes"
    console.print(lt)


def _print_system(console, run, sysrep: dict) -> None:
    """Per-chip and per-link breakdown of a system run (report.json "system")."""
    from rich.table import Table

    ct = Table(title=f"per chip — {run.system.name}: {run.system.grid.width} x {run.system.grid.height} chips of "
                     f"{run.system.chip.name}")
    cols = ("chip (cx,cy)", "neurons", "spikes", "synaptic ops", "router flits", "link flits out",
            "energy (tiles + static)")
    for col in cols:
        ct.add_column(col, justify="right")
    from neurocycle.sim._ppa import fmt_pj
    for c in sysrep["chips"]:
        ct.add_row(f"{c['chip']} ({c['cx']},{c['cy']})", f"{c['neurons']:,}", f"{c['spikes']:,}",
                   f"{c.get('synaptic_ops', 0):,}", f"{c.get('router_flits', 0):,}", f"{c.get('link_flits_sent', 0):,}",
                   fmt_pj(c["energy_pj"]) if c.get("energy_pj") is not None else "")
    console.print(ct)
    links = sysrep.get("links")
    if links:
        lt = Table(title=f"chip-to-chip links: {sysrep['link_count']} directed, {sysrep['link_flits']:,} flits")
        for col in ("link", "router (x,y) port", "chips", "flits", "utilisation", "energy"):
            lt.add_column(col, justify="right")
        top = sorted(links, key=lambda x: -x["flits"])[:8]
        for x in top:
            lt.add_row(str(x["link"]), f"({x['x']},{x['y']}) {x['port']}", f"{x['from_chip']} -> {x['to_chip']}",
                       f"{x['flits']:,}", f"{100 * x['utilisation']:.2f} %", fmt_pj(x["dynamic_pj"] + x["static_pj"]))
        lt.caption = f"busiest {len(top)} of {len(links)} links"
        console.print(lt)


def conversion_table(conv: dict):
    """Physical neuron parameters: requested vs represented by the chip's fixed point."""
    from rich.table import Table

    t = Table(title="physical neurons -> fixed point (requested vs represented)")
    for col in ("population", "quantity", "requested", "represented", "error"):
        t.add_column(col, justify="left" if col in ("population", "quantity") else "right")
    for pop, c in conv.items():
        fx = c["fixed"]
        t.add_row(pop, "fixed point", "", " ".join(f"{k} {fx[k]}" for k in
                                                    ("du", "dv", "bias", "vth", "v_reset", "refractory")), "")
        for q in c["quantities"]:
            e = q["relative_error"]
            t.add_row("", q["quantity"], f"{q['requested']:.4g}", f"{q['represented']:.4g}",
                      "" if e is None else f"{100 * e:+.2f} %")
    t.caption = "docs/networks.md: the conversion and its discretisation error"
    return t


# ----------------------------------------------------------------------------- validate
def _cmd_validate(args) -> int:
    from neurocycle.hw import read_yaml

    console = _console()
    failed = 0
    for f in args.files:
        path = f
        if not Path(f).exists():
            for kind in ("chips", "systems", "networks", "sweeps"):
                pp = preset_path(kind, f)
                if pp is not None:
                    path = str(pp)
                    break
        try:
            if str(path).endswith(".nir"):
                from neurocycle.hw import NumericFormat, load_chip
                numeric = NumericFormat.of(load_chip(args.chip)) if args.chip else None
                conv = convert_for_cli(args, path, numeric, console, quiet=True)
                net = conv.spec.instantiate()
                rep = conv.report
                console.print(f"[green]ok[/] {f}: NIR graph ({rep.framework} conventions: {rep.reading}; dt = "
                              f"{rep.dt_ms:g} ms), {net.n_neurons:,} neurons, {net.n_inputs:,} inputs, "
                              f"{net.n_synapses:,} synapses after import")
                for line in rep.dropped_lines():
                    console.print(f"  [yellow]dropped[/] {line}")
                continue
            data, node = read_yaml(path)          # parsed once; validated from the parsed data
            kind = args.kind or kind_of(data)
            if kind == "chip":
                from neurocycle.hw import ChipConfig, validate_data
                chip = validate_data(ChipConfig, data, node=node, source=str(path), what="chip")
                d = chip.derived
                console.print(f"[green]ok[/] {f}: chip '{chip.name}', {chip.mesh.width}x{chip.mesh.height} mesh, "
                              f"{d.n_cores * chip.core.neurons:,} neurons, {d.core_sram_bits * d.n_cores / 8 / 1024:,.0f} KiB SRAM")
            elif kind == "system":
                from neurocycle.hw import load_system
                s = load_system(path)
                d = s.derived
                console.print(f"[green]ok[/] {f}: system '{s.name}', {s.grid.width}x{s.grid.height} chips of "
                              f"'{s.chip.name}' ({d.mesh_width}x{d.mesh_height} tiles, {d.n_cores:,} cores, "
                              f"{d.n_cores * s.chip.core.neurons:,} neurons), {d.links.n} directed links, barrier "
                              f"{d.barrier_cycles} cycles")
            elif kind == "network":
                from neurocycle.hw import validate_data
                from neurocycle.sim import NetworkSpec
                from neurocycle.sim._netsize import network_size
                spec = validate_data(NetworkSpec, data, node=node, source=str(path), what="network")
                base = Path(path).parent
                size = network_size(spec, base)
                if size.peak_bytes(1) <= VALIDATE_SAMPLE_BYTES:   # small: sample it (checks files and indices too)
                    net = spec.instantiate(base_dir=base)
                    console.print(f"[green]ok[/] {f}: network '{spec.name}', {net.n_neurons:,} neurons, "
                                  f"{net.n_inputs:,} inputs, {net.n_synapses:,} synapses")
                else:
                    console.print(f"[green]ok[/] {f}: network '{spec.name}', {size.neurons:,} neurons, "
                                  f"{size.inputs:,} inputs, ~{size.synapses_expected:,} synapses (schema checked; "
                                  "too large to sample in `validate`, `run` samples it)")
                conv = spec.neuron_conversions()
                if conv:
                    console.print(conversion_table(conv))
            elif kind == "sweep":
                from neurocycle.sim.sweep import load_sweep
                sw = load_sweep(path)
                console.print(f"[green]ok[/] {f}: sweep with {len(sw.points())} points")
            else:
                raise ConfigError("file", "is neither a chip, a system, a network nor a sweep", path,
                                  "a chip has 'mesh'/'core'; a system 'chip' and 'grid'; a network 'populations'; "
                                  "or pass --kind")
        except NeurocycleError as exc:
            failed += 1
            console.print(f"[red]invalid[/] {exc}")
    return 1 if failed else 0


# ----------------------------------------------------------------------------- presets
def _cmd_presets(args) -> int:
    from rich.table import Table

    from neurocycle.hw import read_yaml

    console = _console()
    for kind in ("chips", "systems", "networks", "sweeps"):
        names = list_presets(kind)
        if not names:
            continue
        t = Table(title=f"{kind} presets")
        t.add_column("name", style="bold")
        t.add_column("description")
        for n in names:
            data, _ = read_yaml(preset_path(kind, n))
            t.add_row(n, str((data or {}).get("description", "")))
        console.print(t)
    return 0


def register(sub) -> None:
    from neurocycle.sim._backends import BACKENDS

    p = sub.add_parser("run", help="simulate a network on a chip and write a report",
                       description="Compile NETWORK onto CHIP, simulate it, print a summary table and write "
                                   "report.json, spikes.csv and plots into --out. With no arguments it runs "
                                   "the embedded default chip and network.")
    p.add_argument("chip", nargs="?", default=None,
                   help="chip or system preset name, or a chip / system YAML file (default: default-4x4)")
    p.add_argument("network", nargs="?", default=None,
                   help="network preset name, YAML file or .nir graph (default: default-net)")
    add_run_options(p, steps=200)
    p.set_defaults(steps=None)          # NIR with --inputs: the inputs' length plus the graph's latency
    add_nir_options(p, inputs=True)
    p.add_argument("--backend", choices=BACKENDS, default=BACKENDS[0],
                   help="cycle: cycle-exact model with cycles and event counts (default); "
                        "reference: functional timestep-level reference (spikes only)")
    p.add_argument("--workers", type=int, default=None,
                   help="a system only: simulate it in this many partitions, each in its own Dask worker process "
                        "(a local cluster); bit-identical to the single-process run. Every window of link-latency cycles "
                        "is a round trip, so it pays only on large systems with long links: on one machine it is "
                        "usually slower than one process (docs/engine.md, scaling model)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="a system only: partition it over the workers of this running Dask scheduler")
    p.add_argument("--out", default="out", help="output folder (default: ./out)")
    p.add_argument("--no-files", action="store_true", help="print the summary only")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--trace", default=None, metavar="FILE",
                   help="write a timeline of a window of timesteps (Chrome trace-event JSON: open it in "
                        "ui.perfetto.dev): NU/SI per core, every router output and input, host link, barriers")
    p.add_argument("--vcd", default=None, metavar="FILE",
                   help="write the model's waveforms of the window as a VCD under the RTL's signal names")
    p.add_argument("--trace-steps", default=None, metavar="A:B",
                   help="the window: timesteps A..B-1, or one timestep A (default: the timestep with the most cycles)")
    p.add_argument("--trace-max-mb", type=float, default=256.0,
                   help="refuse a trace estimated larger than this, before replaying (default: 256)")
    p.set_defaults(func=_cmd_run)

    v = sub.add_parser("validate", help="check chip / network / sweep YAML files",
                       description="Validate files (or preset names); prints one line per file and exits 1 if any "
                                   "is invalid, with the field, the rule, the value and the fix.")
    v.add_argument("files", nargs="+", help="YAML files, .nir graphs or preset names")
    v.add_argument("--kind", choices=("chip", "system", "network", "sweep"), default=None, help="force the file kind")
    v.add_argument("--chip", default=None, help="for .nir graphs: the chip whose bit widths quantise them "
                                                "(default: the default chip)")
    add_nir_options(v, inputs=False)
    v.set_defaults(func=_cmd_validate)

    s = sub.add_parser("presets", help="list the chip, network and sweep presets shipped with neurocycle")
    s.set_defaults(func=_cmd_presets)


