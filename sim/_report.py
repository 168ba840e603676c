"""Reports: every output carries its inputs (resolved config, network summary, seed,
versions, backend) so any number in it can be reproduced."""
from __future__ import annotations

import dataclasses

import numpy as np

from neurocycle.hw import COUNTERS, PORT_NAMES

from ._api import Run
from ._provenance import git_commit, versions


def spikes_per_core(run: Run) -> np.ndarray:
    p = run.program
    per_neuron = np.bincount(run.result.spike_neurons, minlength=p.n_neurons)      # per neuron, not per spike
    return np.bincount(p.core_of_row[p.gid_row], weights=per_neuron, minlength=p.n_cores).astype(np.int64)


def cycle_stats(run: Run) -> dict | None:
    r = run.result
    if r.step_cycles is None:
        return None
    sc = r.step_cycles.astype(np.int64)
    total = int(sc.sum())
    chip = run.chip
    stats = {
        "total_cycles": total,
        "cycles_per_step_mean": float(sc.mean()),
        "cycles_per_step_p99": float(np.percentile(sc, 99)),
        "cycles_per_step_max": int(sc.max()),
        "simulated_time_us": total / chip.clock_mhz,
        "clock_mhz": chip.clock_mhz,
    }
    c = r.counters or {}
    if c:
        stats["flit_hops"] = int(np.sum(c["link_flits"]))
        busy = np.asarray(c["nu_busy_cycles"]) + np.asarray(c["nu_stall_cycles"])
        k = int(np.argmax(busy))
        cpr = chip.mesh.cores_per_router
        r0 = k // cpr
        stats["busiest_core"] = {"core": k, "x": r0 % chip.mesh.width, "y": r0 // chip.mesh.width,
                                 "nu_busy_plus_stall_cycles": int(busy[k]),
                                 "si_busy_cycles": int(np.asarray(c["si_busy_cycles"])[k])}
        if cpr > 1:
            stats["busiest_core"]["local_core"] = k % cpr
        ports = r.detail.get("link_flits_port")
        if ports is not None:
            links = np.asarray(ports)[:, 1:5]          # N E S W
            k, pi = np.unravel_index(int(np.argmax(links)), links.shape)
            stats["busiest_link"] = {"core" if cpr == 1 else "router": int(k), "x": int(k) % chip.mesh.width,
                                     "y": int(k) // chip.mesh.width, "port": PORT_NAMES[pi + 1],
                                     "flits": int(links[k, pi])}
    return stats


def learning_summary(run: Run) -> dict:
    """Per plastic projection: synapses, mean initial and final weight, synapses that grew, shrank
    or stayed, and the weights at the rule's bounds (the full weights are in weights.npz)."""
    out = {}
    for i, pr in enumerate(run.spec.projections):
        if pr.plasticity is None or not run.spec.learning:
            continue
        pw = run.weights(i)
        d = pw.change
        rule = pr.plasticity
        out[pw.name] = {"synapses": int(pw.weight.size), "initial_mean": float(pw.initial.mean()) if d.size else 0.0,
                        "final_mean": float(pw.weight.mean()) if d.size else 0.0, "grew": int((d > 0).sum()),
                        "shrank": int((d < 0).sum()), "unchanged": int((d == 0).sum()),
                        "at_w_min": int((pw.weight == rule.w_min).sum()), "at_w_max": int((pw.weight == rule.w_max).sum())}
    return out


def noc_summary(p) -> dict:
    """The placement's network traffic if every source fires once (hop-weighted traffic), the
    routing mode and the multicast tables' use (docs/experiments.md)."""
    chip = p.chip
    out = {"routing": chip.router.routing, "cores_per_router": chip.mesh.cores_per_router, **p.noc_traffic()}
    if chip.router.routing == "multicast":
        out["table_entries_per_router"] = p.router_usage()["table_entries"].tolist()
        out["table_sram_bits"] = p.table_sram_bits()
    return out


def _digest(obj) -> str:
    import hashlib
    import json
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()


def network_for_report(spec) -> dict:
    """The network spec as a dict, with long explicit lists (synapse pairs, input spikes —
    e.g. from an imported NIR graph) replaced by their length and SHA-256, so the report
    stays small but still identifies exactly which network ran."""
    d = spec.model_dump()
    for proj in d.get("projections", []):
        c = proj.get("connect", {})
        if c.get("kind") == "explicit" and c.get("pairs") is not None and len(c["pairs"]) > 64:
            c["pairs"] = {"count": len(c["pairs"]), "sha256": _digest(c["pairs"])}
    for grp in d.get("inputs", []):
        src = grp.get("source", {})
        if src.get("kind") == "array" and src.get("steps") is not None and len(src["steps"]) > 64:
            src["steps"] = {"count": len(src["steps"]), "sha256": _digest([src["steps"], src["channels"]])}
            src["channels"] = "see steps.sha256"
    return d


def system_section(run: Run, energy: dict | None) -> dict:
    """A system run broken down per chip and per chip-to-chip link (docs/microarchitecture.md §12)."""
    s, p, r = run.system, run.program, run.result
    d = s.derived
    q_core = s.chip_of_core(np.arange(p.n_cores))
    q_router = s.chip_of_router(np.arange(p.n_routers))
    spc = spikes_per_core(run)
    use = p.chip_usage()
    chips = []
    for q in range(d.n_chips):
        row = {"chip": q, "cx": q % s.grid.width, "cy": q // s.grid.width, "spikes": int(spc[q_core == q].sum()),
               **{k: int(v[q]) for k, v in use.items()}}
        if r.counters:
            for name in ("synaptic_ops", "fanout_flits", "neuron_updates_active", "neuron_updates_inactive"):
                row[name] = int(np.asarray(r.counters[name])[q_core == q].sum())
            for name in ("router_flits", "link_flits", "router_blocked_cycles"):
                row[name] = int(np.asarray(r.counters[name])[q_router == q].sum())
        chips.append(row)
    out = {"name": s.name, "grid": [s.grid.width, s.grid.height], "chip": s.chip.name,
           "mesh": [d.mesh_width, d.mesh_height], "link_count": d.links.n, "barrier_cycles": d.barrier_cycles,
           "config": s.model_dump(mode="json"), "chips": chips}
    if energy and "per_chip" in energy:
        for row, e in zip(chips, energy["per_chip"]):
            row["energy_pj"] = e["total_pj"]
            row["link_flits_sent"] = e["link_flits_sent"]
        out["links"] = energy["per_link"]
        out["link_flits"] = int(sum(x["flits"] for x in energy["per_link"]))
        out["links_dynamic_pj"] = energy["links_dynamic_pj"]
        out["serdes_static_pj"] = energy["serdes_static_pj"]
    part = getattr(r, "partition", None)
    if part:
        out["partition"] = {k: v for k, v in part.items()}
    return out


def build_report(run: Run, *, extra: dict | None = None) -> dict:
    r, p = run.result, run.program
    steps, N = r.steps, p.n_neurons
    results = {
        "steps": steps,
        "spikes": r.n_spikes,
        "input_spikes": run.stimulus.n_spikes,
        "firing_rate_per_step": r.n_spikes / max(1, N * steps),
        "spikes_per_step": r.spikes_per_step(),
        "spikes_per_core": spikes_per_core(run),
        "wall_s": r.wall_s,
    }
    if r.weights is not None:       # STDP: how the plastic projections' weights moved
        results["learning"] = learning_summary(run)
    cyc = cycle_stats(run)
    if cyc is not None:
        results["cycles"] = cyc
        results["step_cycles"] = r.step_cycles
    if r.counters:
        results["counters"] = {name: np.asarray(v).tolist() for name, v in r.counters.items()}
        results["counter_totals"] = {name: int(np.sum(v)) for name, v in r.counters.items()}
        results["counter_definitions"] = {c.name: {"unit": c.unit, "scope": c.scope,
                                                   "description": c.description} for c in COUNTERS}
        results["detail"] = {k: np.asarray(v).tolist() for k, v in r.detail.items()}
        from ._ppa import energy_section  # energy from the counters (docs/energy.md)
        results["energy"] = energy_section(run)
    report = {
        "neurocycle_report": 1,
        "backend": run.backend,
        "seed": run.seed,
        "compile_options": dataclasses.asdict(run.options),
        "steps": steps,
        "versions": versions(),
        "git_commit": git_commit(),
        "chip": run.chip.model_dump(),
        "chip_derived": dataclasses.asdict(run.chip.derived),
        "network": network_for_report(run.spec),
        "network_summary": run.net.summary(),
        "mapping": {k: v.tolist() for k, v in p.core_usage().items()},
        "noc": noc_summary(p),
        "results": results,
    }
    if run.system is not None:
        report["system"] = system_section(run, results.get("energy"))
    if results.get("energy"):
        from ._ppa import energy_summary_rows
        report["summary_rows"] = energy_summary_rows(results["energy"])
    if run.phases is not None:
        report["phases"] = run.phases.to_dict()     # wall time and peak memory of each phase
    if extra:
        report.update(extra)
    return report
