"""What runs in a Dask worker process: one simulation and its energy/technology variants.

A task is one simulation (``sim_key``): the worker runs it through ``neurocycle.sim.simulate``
— the same load → compile → backend path as ``neurocycle run`` — and prices its event
counters for every chip variant of the group (energy and area never need a re-simulation).
Each result carries the worker's software provenance (versions, git commit).

``dask_setup`` is the local cluster's worker preload: worker processes ignore SIGINT, so a
Ctrl-C at the terminal reaches only the client, which shuts the cluster down cleanly.
"""
from __future__ import annotations

import signal
import socket
import threading
import time
import traceback
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from neurocycle.hw import ChipConfig, NeurocycleError
from neurocycle.hw import validate_data

from .._network import NetworkSpec

__all__ = ["METRICS", "run_group", "metrics", "LocatedNetwork", "population_output"]

# metrics stored as columns (besides the full JSON), in this order in CSV exports
METRICS = ("spikes", "synaptic_ops", "total_cycles", "cycles_per_step_mean", "latency_us_per_step", "time_us",
           "energy_pj", "dynamic_pj", "static_pj", "avg_power_mw", "energy_per_step_pj", "energy_per_sop_pj",
           "edp_j_s", "area_mm2", "tile_mm2", "sim_wall_s")


class LocatedNetwork(NamedTuple):
    """A network spec with the folder its relative ``file:`` fields resolve in (what
    ``load_network`` returns for a YAML file), accepted by ``simulate``/``load_network``."""
    spec: NetworkSpec
    base_dir: str


def metrics(chip: ChipConfig, r) -> dict:
    """The stored metrics of one chip variant, from a simulation result's counters."""
    from neurocycle.hw import area_report, compute_energy, energy_params

    area = area_report(chip)
    m: dict[str, Any] = {k: None for k in METRICS}
    m.update(spikes=r.n_spikes, area_mm2=area.chip_mm2, tile_mm2=area.tile_mm2, sim_wall_s=r.wall_s)
    if r.step_cycles is not None:
        sc = np.asarray(r.step_cycles, dtype=np.int64)
        m.update(total_cycles=int(sc.sum()), cycles_per_step_mean=float(sc.mean()),
                 latency_us_per_step=float(sc.mean()) / chip.clock_mhz, time_us=float(sc.sum()) / chip.clock_mhz)
    if r.counters:
        m["counts"] = {k: int(np.sum(v)) for k, v in r.counters.items()}
        e = compute_energy(energy_params(chip), r)
        m.update(synaptic_ops=e.synaptic_ops, time_us=e.time_us, latency_us_per_step=e.latency_us_per_step,
                 energy_pj=e.total_pj, dynamic_pj=e.dynamic_pj, static_pj=e.static_pj, avg_power_mw=e.avg_power_mw,
                 energy_per_step_pj=e.energy_per_step_pj, energy_per_sop_pj=e.energy_per_sop_pj, edp_j_s=e.edp_j_s)
        m["energy_by_event_pj"] = e.by_event_pj
    return m


def population_output(run, population: str) -> np.ndarray:
    """Per neuron of ``population``: its spike count over the run, or on a graded chip the sum of
    its spikes' payloads (what a readout of that population receives)."""
    off, size = run._population(population)
    r = run.result
    sel = (r.spike_neurons >= off) & (r.spike_neurons < off + size)
    w = r.spike_payloads[sel] if r.spike_payloads is not None else None
    return np.bincount(r.spike_neurons[sel] - off, weights=w, minlength=size).astype(np.int64)


def error_text(exc: BaseException) -> str:
    """A point's error as stored: the message for our own errors, plus a short traceback otherwise."""
    if isinstance(exc, NeurocycleError):
        return f"{type(exc).__name__}: {exc}"
    tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
    return f"{type(exc).__name__}: {exc}\n" + "".join(tb[-3:])


def run_group(task: dict) -> list[dict]:
    """Run one simulation and evaluate every energy/technology variant of it (worker side).

    ``task``: ``{"sim": {network, base_dir, seed, steps, backend, placement, neurons_per_core},
    "variants": [{key, chip}, ...]}`` (plain JSON data). Never raises for a failing point: each
    variant comes back with status "ok" or "error", the host and the worker's provenance.
    """
    from neurocycle.sim import CompileOptions, simulate
    from neurocycle.sim._provenance import provenance

    t0 = time.perf_counter()
    base = {"host": socket.gethostname(), "provenance": provenance()}

    def row(key, status, error=None, m=None):
        return {"key": key, "status": status, "error": error, "metrics": m, **base,
                "wall_s": time.perf_counter() - t0}

    sim = task["sim"]
    try:
        spec = validate_data(NetworkSpec, sim["network"], what="network")
        first = validate_data(ChipConfig, task["variants"][0]["chip"], what="chip")
        options = CompileOptions(placement=sim["placement"], neurons_per_core=sim["neurons_per_core"])
        run = simulate(first, LocatedNetwork(spec, str(Path(sim["base_dir"]))), steps=sim["steps"],
                       seed=sim["seed"], backend=sim["backend"], options=options)
    except Exception as exc:  # noqa: BLE001 - recorded with the point, never stops the sweep
        err = error_text(exc)
        return [row(v["key"], "error", err) for v in task["variants"]]
    outs = {}
    for pop in task.get("outputs") or ():
        try:
            outs[pop] = population_output(run, pop).tolist()
        except Exception as exc:  # noqa: BLE001
            err = error_text(exc)
            return [row(v["key"], "error", err) for v in task["variants"]]
    out = []
    for v in task["variants"]:
        try:
            chip = validate_data(ChipConfig, v["chip"], what="chip")
            m = metrics(chip, run.result)
            if outs:
                m["outputs"] = outs
            out.append(row(v["key"], "ok", m=m))
        except Exception as exc:  # noqa: BLE001
            out.append(row(v["key"], "error", error_text(exc)))
    return out


def dask_setup(worker=None) -> None:
    """Worker preload of the local cluster: ignore SIGINT in the worker process (the client
    handles Ctrl-C and stops the cluster; a worker's KeyboardInterrupt would only print a
    traceback). Workers the client starts inherit SIG_IGN already; this covers restarts."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
