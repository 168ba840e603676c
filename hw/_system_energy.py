"""Energy of a system of chips (docs/energy.md "Systems"): every chip's events and static power as
the chip's energy model prices them, plus the chip-to-chip links — ``link_energy_pj_per_bit`` per
flit bit carried and ``serdes_static_power_mw`` per directed link for the run's duration — broken
down per chip and per link. Computed from the run's counters, like every energy figure."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ._energy import EnergyParams, EnergyReport, compute_energy, energy_params
from ._layout import CHIP_COUNTERS, PORTS

__all__ = ["SystemEnergyReport", "system_energy_params", "system_energy", "link_flits"]


@dataclass
class SystemEnergyReport(EnergyReport):
    """An EnergyReport of the whole system (totals include the links) with its breakdown."""
    n_chips: int = 1
    links_dynamic_pj: float = 0.0        # flits carried x flit bits x energy per bit, all links
    serdes_static_pj: float = 0.0        # SerDes static power x time, all links
    per_chip: list = dataclasses.field(default_factory=list)     # dicts, one per chip
    per_link: list = dataclasses.field(default_factory=list)     # dicts, one per directed link

    def to_dict(self) -> dict:
        out = super().to_dict()
        out.update({"n_chips": self.n_chips, "links_dynamic_pj": self.links_dynamic_pj,
                    "serdes_static_pj": self.serdes_static_pj, "per_chip": self.per_chip,
                    "per_link": self.per_link})
        return out


def system_energy_params(system) -> EnergyParams:
    """The chip's energy parameters over the system mesh: per-core events and per-core static
    power apply to every core as they are; what a chip pays once — its chip-level static power,
    and in table mode its per-cycle clock and per-barrier prices — is paid once per chip; the
    SerDes of every directed link adds its static power."""
    p = energy_params(system.mesh_chip)
    e = system.chip.energy
    n = system.derived.n_chips
    static = p.static_power_mw
    if p.static_source in ("table", "override", "unlisted"):
        static += (n - 1) * float(e.static_power_mw or 0.0)
    static += system.derived.links.n * system.serdes_static_power_mw
    events = dict(p.events_pj)
    if p.mode == "table":
        for name in ("cycles", "barriers"):
            events[name] = events[name] * n
    return dataclasses.replace(p, chip=system.name, events_pj=events, static_power_mw=static)


def link_flits(system, detail: dict) -> np.ndarray:
    """Flits carried by every directed link: the grants of the output that drives it."""
    lk = system.derived.links
    pf = np.asarray(detail["link_flits_port"], np.int64)
    return pf[lk.src, lk.out_port] if lk.n else np.zeros(0, np.int64)


def system_energy(system, result, params: EnergyParams | None = None) -> SystemEnergyReport:
    """The energy of a run of ``system`` (a SimResult with counters), with the links."""
    params = params or system_energy_params(system)
    rep = compute_energy(params, result)
    d = system.derived
    lk = d.links
    flit_bits = system.mesh_chip.derived.flit_bits
    flits = link_flits(system, result.detail)
    link_dyn = flits * flit_bits * lk.energy_pj_per_bit
    serdes_pj = system.serdes_static_power_mw * 1e-3 * rep.time_us * 1e-6 * 1e12     # per link
    # per chip: the dynamic energy of its tiles, its share of the chip-scope events, its static power
    q_of_core = system.chip_of_core(np.arange(d.n_cores))
    tiles = np.bincount(q_of_core, weights=rep.by_core_pj, minlength=d.n_chips)
    chip_events = {n: rep.by_event_pj[n] / d.n_chips for n in CHIP_COUNTERS if n != "host_flits"}
    chip_static_mw = (params.static_power_mw - lk.n * system.serdes_static_power_mw) / d.n_chips
    per_chip = []
    for q in range(d.n_chips):
        dyn = float(tiles[q] + sum(chip_events.values()) + (rep.by_event_pj["host_flits"] if q == 0 else 0.0))
        static = chip_static_mw * 1e-3 * rep.time_us * 1e-6 * 1e12
        sent = int(flits[lk.src_chip == q].sum()) if lk.n else 0
        per_chip.append({"chip": q, "cx": q % system.grid.width, "cy": q // system.grid.width,
                         "dynamic_pj": dyn, "static_pj": static, "total_pj": dyn + static,
                         "link_flits_sent": sent, "link_energy_sent_pj": float(link_dyn[lk.src_chip == q].sum())
                         if lk.n else 0.0})
    MW = d.mesh_width
    per_link = [{"link": i, "from_chip": int(lk.src_chip[i]), "to_chip": int(lk.dst_chip[i]),
                 "router": int(lk.src[i]), "x": int(lk.src[i]) % MW, "y": int(lk.src[i]) // MW,
                 "port": PORTS[int(lk.out_port[i])], "flits": int(flits[i]),
                 "utilisation": float(flits[i] * lk.cycles_per_flit[i] / rep.cycles) if rep.cycles else 0.0,
                 "dynamic_pj": float(link_dyn[i]), "static_pj": float(serdes_pj)} for i in range(lk.n)]
    links_dyn = float(link_dyn.sum())
    dynamic = rep.dynamic_pj + links_dyn
    total = rep.total_pj + links_dyn          # SerDes static power is already in params.static_power_mw
    sops = rep.synaptic_ops
    base = {f.name: getattr(rep, f.name) for f in dataclasses.fields(EnergyReport)}
    base.update(dynamic_pj=dynamic, total_pj=total,
                avg_power_mw=(total / rep.time_us * 1e-3) if rep.time_us > 0 else 0.0,
                energy_per_step_pj=total / rep.steps if rep.steps else total,
                energy_per_sop_pj=total / sops if sops else None,
                dynamic_energy_per_sop_pj=dynamic / sops if sops else None,
                incremental_energy_per_sop_pj=(dynamic - rep.by_event_pj["cycles"]) / sops if sops else None,
                edp_j_s=total * 1e-12 * rep.time_us * 1e-6)
    return SystemEnergyReport(**base, n_chips=d.n_chips, links_dynamic_pj=links_dyn,
                              serdes_static_pj=serdes_pj * lk.n, per_chip=per_chip, per_link=per_link)
