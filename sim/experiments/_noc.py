"""``neurocycle experiment noc``: unicast vs multicast routing and 1 / 2 / 4 cores per router,
measured on W1 and the gallery networks (docs/experiments.md).

For every network the base chip is its own (W1's chip, or the preset a gallery network names);
every variant keeps the same cores (per-core capacities, neurons per core, placement) and
changes only the NoC:

- ``cores_per_router`` C: the mesh shrinks so that routers x C stays the number of cores
  (16x8 -> 8x8 -> 8x4): the same cores behind fewer, bigger routers;
- ``routing: multicast``: the routing table of every router is sized to what the program needs
  (its fullest router: ``router.table_entries`` fitted), and ``core.axons`` is raised if the
  aligned axon indices of multicast need more than the base chip has (both priced in area).

Every variant runs the same network and stimulus for the same timesteps with the cycle model;
spikes are identical across variants (checked). Energy is the chip's energy model (technology
mode unless the preset says otherwise); "network energy" is the events of the network group
(fan-out reads, router traversals, links, table lookups, host flits).
"""
from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from neurocycle.hw import ENERGY_GROUPS, CapacityError, ChipConfig, ConfigError, area_report, compute_energy, load_chip, preset_path

from .._compiler import CompileOptions, compile_network
from .._network import load_network

__all__ = ["GALLERY", "NocRow", "NocExperiment", "noc_experiment", "noc_variant", "NETWORKS"]

GALLERY = ("brunel-ei", "ff-classifier", "conv-snn", "synfire-chain", "winner-take-all")
NETWORKS = ("W1",) + GALLERY
MAX_TABLE = 1 << 20


@dataclass
class NocRow:
    """One (network, routing, cores per router) run. Energies in pJ, areas in mm², times in s."""
    network: str
    routing: str
    cores_per_router: int
    mesh: str
    cores: int
    routers: int
    steps: int
    spikes: int
    input_spikes: int
    flits_injected: int          # fan-out flits + host flits
    flits_per_spike: float       # flits injected per spike (neurons and input channels)
    router_grants: int           # router_flits: copies sent by routers (ejections included)
    grants_per_spike: float
    link_flits: int              # link traversals (flit-hops)
    table_lookups: int
    cycles: int
    cycles_per_step: float
    network_energy_pj: float
    total_energy_pj: float
    energy_per_step_pj: float
    edp_j_s: float
    router_area_mm2: float       # router logic of the chip
    table_area_mm2: float        # multicast table SRAM of the chip
    chip_area_mm2: float
    table_entries: int           # router.table_entries (fitted to the fullest router)
    table_kib: float             # multicast table SRAM on the chip
    axons: int                   # core.axons of the variant
    hop_traffic: int             # flit-hops if every source fires once (placement's hop-weighted traffic)
    wall_s: float                # simulation wall time (cycle model)
    spikes_match: bool = True    # spikes identical to the network's first variant

    def key(self) -> str:
        return f"{self.routing} C={self.cores_per_router}"


def _shrink(chip: ChipConfig, c: int) -> ChipConfig | None:
    """The chip with ``c`` cores per router and the same number of cores, or None if the mesh
    does not divide (halve the width, then the height, as long as they are even)."""
    w, h, k = chip.mesh.width, chip.mesh.height, chip.mesh.cores_per_router
    while k < c:
        if w % 2 == 0 and w >= h:
            w //= 2
        elif h % 2 == 0:
            h //= 2
        elif w % 2 == 0:
            w //= 2
        else:
            return None
        k *= 2
    if k != c:
        return None
    return chip.with_overrides({"mesh.width": w, "mesh.height": h, "mesh.cores_per_router": c,
                                "host.row": min(chip.host.row, h - 1), "name": f"{chip.name}-c{c}"})


def noc_variant(chip: ChipConfig, net, routing: str, cores_per_router: int,
                options: CompileOptions | None = None):
    """(chip, program) of ``net`` on the ``routing`` / ``cores_per_router`` variant of ``chip``,
    with the multicast table (and, if needed, the axon table) fitted; None if the mesh does not
    divide by ``cores_per_router``."""
    v = _shrink(chip, cores_per_router)
    if v is None:
        return None
    options = options or CompileOptions()
    if routing == "unicast":
        return v, compile_network(net, v, options)
    probe = v.with_overrides({"router.routing": "multicast", "router.table_entries": MAX_TABLE,
                              "core.axons": max(v.core.axons, 65536)})
    p = compile_network(net, probe, options)
    axons = max(v.core.axons, int(p.core_usage()["axons"].max(initial=1)))
    table = max(1, int(p.router_usage()["table_entries"].max(initial=1)))
    v = v.with_overrides({"router.routing": "multicast", "router.table_entries": table, "core.axons": axons,
                          "name": f"{v.name}-mc"})
    if v.derived.flit_bits == probe.derived.flit_bits:
        # same flit layout: the probe's tables are the program's (the fitted table holds them)
        return v, dataclasses.replace(p, chip=v)
    return v, compile_network(net, v, options)


def _network(name: str):
    """(base chip, network instance) of a network name: W1, or a gallery preset on its chip."""
    if name == "W1":
        from ._workloads import w1
        return w1()
    spec, base = load_network(name)
    path = preset_path("networks", name)
    head = path.read_text(encoding="utf-8").splitlines()[0] if path is not None else ""
    chip = "default-4x4"
    if head.startswith("# Intended chip preset:"):
        chip = head.split(":", 1)[1].strip()
    return load_chip(chip), spec.instantiate(spec.seed, base_dir=base)


@dataclass
class NocExperiment:
    rows: list[NocRow] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    settings: dict = field(default_factory=dict)     # the arguments of the run, saved with the rows

    def to_dicts(self) -> list[dict]:
        return [asdict(r) for r in self.rows]

    def csv(self) -> str:
        buf = io.StringIO()
        if self.rows:
            w = csv.DictWriter(buf, fieldnames=list(asdict(self.rows[0])))
            w.writeheader()
            for d in self.to_dicts():
                w.writerow(d)
        return buf.getvalue()

    def table(self):
        """A rich Table of the headline figures."""
        from rich.table import Table

        t = Table(title="NoC experiment: unicast vs multicast, cores per router (same cores, same spikes)")
        cols = ("network", "routing", "C", "mesh", "flits/spike", "grants/spike", "cycles/step",
                "network nJ/step", "router+table mm²", "EDP J·s", "table entries", "wall s")
        for c in cols:
            t.add_column(c, justify="left" if c in ("network", "routing", "mesh") else "right")
        for r in self.rows:
            t.add_row(r.network, r.routing, str(r.cores_per_router), r.mesh, f"{r.flits_per_spike:.2f}",
                      f"{r.grants_per_spike:.1f}", f"{r.cycles_per_step:,.0f}",
                      f"{r.network_energy_pj / max(r.steps, 1) / 1e3:,.2f}",
                      f"{r.router_area_mm2 + r.table_area_mm2:.3f}", f"{r.edp_j_s:.3g}",
                      f"{r.table_entries:,}" if r.routing == "multicast" else "–", f"{r.wall_s:.2f}")
        if self.skipped:
            t.caption = "not run: " + "; ".join(self.skipped)
        return t

    def plot(self, path: str | os.PathLike | None = None):
        from ._plot import plot_noc
        return plot_noc(self, path)

    def save(self, out: str | os.PathLike, plot: bool = True) -> list[Path]:
        """noc.csv, noc.json (rows, the run's settings, versions and git commit) and noc.png into
        folder ``out``."""
        from .._io import atomic_write
        from .._provenance import provenance

        d = Path(out)
        d.mkdir(parents=True, exist_ok=True)
        files = [d / "noc.csv", d / "noc.json"] + ([d / "noc.png"] if plot else [])
        atomic_write(files[0], lambda tmp: Path(tmp).write_text(self.csv(), encoding="utf-8"))
        doc = {"settings": self.settings, "provenance": provenance(), "rows": self.to_dicts(), "skipped": self.skipped}
        atomic_write(files[1], lambda tmp: Path(tmp).write_text(json.dumps(doc, indent=1), encoding="utf-8"))
        if plot:
            self.plot(files[2])
        return files


def _measure(name: str, chip: ChipConfig, program, stim, steps: int, run_cycle):
    """(NocRow, SimResult) of one variant."""
    t0 = time.perf_counter()
    res = run_cycle(program, stim)
    wall = time.perf_counter() - t0
    c = res.counters
    tot = {k: int(np.sum(v)) for k, v in c.items()}
    e = compute_energy(chip, res)
    net_e = sum(e.by_event_pj.get(k, 0.0) for k in ENERGY_GROUPS["network"])
    a = area_report(chip)
    d = chip.derived
    spikes_all = res.n_spikes + stim.n_spikes
    injected = tot["fanout_flits"] + tot["host_flits"]
    return NocRow(
        network=name, routing=chip.router.routing, cores_per_router=chip.mesh.cores_per_router,
        mesh=f"{chip.mesh.width}x{chip.mesh.height}", cores=d.n_cores, routers=d.n_routers, steps=steps,
        spikes=res.n_spikes, input_spikes=int(stim.n_spikes), flits_injected=injected,
        flits_per_spike=injected / max(spikes_all, 1), router_grants=tot["router_flits"],
        grants_per_spike=tot["router_flits"] / max(spikes_all, 1), link_flits=tot["link_flits"],
        table_lookups=tot["mc_table_lookups"], cycles=int(res.total_cycles),
        cycles_per_step=float(res.total_cycles) / max(steps, 1), network_energy_pj=net_e,
        total_energy_pj=e.total_pj, energy_per_step_pj=e.energy_per_step_pj, edp_j_s=e.edp_j_s,
        router_area_mm2=a.router_mm2 * d.n_routers, table_area_mm2=a.router_table_mm2 * d.n_routers,
        chip_area_mm2=a.chip_mm2, table_entries=chip.router.table_entries if d.mc_bits else 0,
        table_kib=d.table_bits * d.n_routers / 8192.0, axons=chip.core.axons,
        hop_traffic=int(program.noc_traffic()["link_flits"]), wall_s=wall), res


def noc_experiment(networks: Sequence[str] = NETWORKS, *, steps: int = 200, routings: Sequence[str] = ("unicast",
                   "multicast"), concentrations: Sequence[int] = (1, 2, 4), placement: str = "balanced",
                   progress: Callable[[str], None] | None = None) -> NocExperiment:
    """Run every (network, routing, cores per router) variant for ``steps`` timesteps and
    collect the NoC figures (see the module docstring). ``progress(label)`` is called before each
    run. Variants that do not fit (a mesh that does not divide, or a capacity the variant
    cannot hold) are listed in ``skipped`` with the reason."""
    from .._engine import run_cycle

    bad = [r for r in routings if r not in ("unicast", "multicast")]
    if bad:
        raise ConfigError("routings", "must be unicast and/or multicast", bad, "use --routing unicast,multicast")
    bad = [c for c in concentrations if c not in (1, 2, 3, 4)]
    if bad:
        raise ConfigError("concentrations", "cores per router must be 1..4", bad, "use --cores 1,2,4")
    if steps < 1:
        raise ConfigError("steps", "must be >= 1", steps, "give e.g. --steps 200")
    out = NocExperiment(settings={"networks": list(networks), "steps": steps, "routings": list(routings),
                                  "concentrations": list(concentrations), "placement": placement,
                                  "backend": "cycle"})
    options = CompileOptions(placement=placement)
    for name in networks:
        chip, net = _network(name)
        stim = net.stimulus(steps)
        first = None
        for routing in routings:
            for cpr in concentrations:
                label = f"{name} {routing} C={cpr}"
                if progress is not None:
                    progress(label)
                try:
                    v = noc_variant(chip, net, routing, cpr, options)
                except CapacityError as exc:
                    out.skipped.append(f"{label}: {exc.field} does not fit")
                    continue
                if v is None:
                    out.skipped.append(f"{label}: the {chip.mesh.width}x{chip.mesh.height} mesh does not divide by {cpr}")
                    continue
                row, res = _measure(name, v[0], v[1], stim, steps, run_cycle)
                if first is None:
                    first = res
                else:
                    row.spikes_match = bool(np.array_equal(first.spike_steps, res.spike_steps)
                                            and np.array_equal(first.spike_neurons, res.spike_neurons))
                out.rows.append(row)
    return out
