"""Benchmarks of systems of chips (issue #13): the Potjans-Diesmann microcircuit on Loihi-like
systems, the partitioned simulation's speed-up, and the full-size TrueNorth-like chip.

Every case runs in a fresh child process, which reports per phase the wall time, the CPU time and
the process's peak resident memory so far (``ru_maxrss``: the peak of the whole run is the last
phase's):

    .venv/bin/python bench/system.py microcircuit --scale 0.05 --system loihi-2x2 --steps 200
    .venv/bin/python bench/system.py microcircuit --scale 0.1 --system loihi-4x4 --steps 100
    .venv/bin/python bench/system.py speedup --scale 0.05 --system loihi-2x2 --steps 50 --workers 2
    .venv/bin/python bench/system.py truenorth --size 0.25 --steps 100

- ``microcircuit``: the gallery's generator (configs/networks/make_potjans_diesmann.py) at
  ``--scale``, on the system preset ``--system``, cycle backend: spec, build (sample the network),
  compile, simulate; cycles per timestep, energy per timestep (chips and links), traffic per chip
  and over the chip-to-chip links, firing rate per population.
- ``speedup``: one compiled microcircuit program simulated three ways, the simulation phase
  timed alone: one process (one partition, one window per timestep), the same windows with
  ``--workers`` partitions stepped in turn in this process (the cost of the windows alone), and
  ``--workers`` partitions in Dask worker processes (a local cluster; its start-up is timed
  apart). All three must give the same result (checked).
- ``truenorth``: the ``truenorth-like`` chip at TrueNorth's operating point (64 x 64 cores x 256
  neurons, 128 synapses per neuron, every population targeting the next core, every neuron firing
  at 20 Hz: a regular neuron of period 50 timesteps, weights uniform in [-1, 1]), at ``--size``
  1/4 (32 x 32 cores), 1/2 (64 x 32) or 1 (64 x 64): build, compile, simulate.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PERIOD = 50


class Phases:
    """Wall time, CPU time and peak RSS (so far) at the end of each phase."""

    def __init__(self):
        self.rows = []
        self._t = time.perf_counter()
        self._c = time.process_time()

    def mark(self, name: str, **extra) -> None:
        t, c = time.perf_counter(), time.process_time()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0      # MiB (Linux: KiB)
        self.rows.append({"phase": name, "wall_s": t - self._t, "cpu_s": c - self._c, "peak_mib": peak, **extra})
        self._t, self._c = time.perf_counter(), time.process_time()


def _pd_module():
    import importlib.util
    spec = importlib.util.spec_from_file_location("make_potjans_diesmann",
                                                  ROOT / "configs" / "networks" / "make_potjans_diesmann.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def microcircuit_program(scale: float, system_name: str, steps: int, ph: Phases | None = None):
    import numpy as np  # noqa: F401

    from neurocycle.hw import load_system
    from neurocycle.sim import NetworkSpec, compile_network

    mod = _pd_module()
    net_dict = mod.network(scale)
    net_dict.pop("scale")
    spec = NetworkSpec.model_validate(net_dict)
    system = load_system(system_name)
    if ph:
        ph.mark("spec")
    net = spec.instantiate()
    if ph:
        ph.mark("build", neurons=net.n_neurons, synapses=net.n_synapses)
    prog = compile_network(net, system)
    if ph:
        ph.mark("compile", cores_used=int((prog.core_usage()["neurons"] > 0).sum()))
    return spec, net, prog, net.stimulus(steps)


def case_microcircuit(args) -> dict:
    import numpy as np

    from neurocycle.hw import system_energy
    from neurocycle.sim import run_cycle

    ph = Phases()
    spec, net, prog, stim = microcircuit_program(args.scale, args.system, args.steps, ph)
    res = run_cycle(prog, stim)
    ph.mark("simulate", steps=args.steps)
    s = prog.system
    e = system_energy(s, res)
    sc = res.step_cycles.astype(np.int64)
    rates = {}
    for pop in spec.populations:
        o = net.pop_offsets[pop.name]
        sel = (res.spike_neurons >= o) & (res.spike_neurons < o + pop.size) & (res.spike_steps >= args.steps // 4)
        window_s = (args.steps - args.steps // 4) * spec.fixed_point.dt_ms * 1e-3
        rates[pop.name] = round(float(sel.sum()) / pop.size / window_s, 2)
    q_router = s.chip_of_router(np.arange(prog.n_routers))
    rf = np.asarray(res.counters["router_flits"])
    out = {"case": "microcircuit", "scale": args.scale, "system": args.system, "steps": args.steps,
           "neurons": net.n_neurons, "synapses": net.n_synapses, "chips": s.derived.n_chips, "cores": prog.n_cores,
           "phases": ph.rows, "cycles_per_step_mean": float(sc.mean()), "cycles_per_step_max": int(sc.max()),
           "energy_per_step_pj": e.energy_per_step_pj, "links_energy_pj_per_step": e.links_dynamic_pj / args.steps,
           "spikes": res.n_spikes, "synaptic_ops": int(np.sum(res.counters["synaptic_ops"])),
           "router_flits_per_chip": np.bincount(q_router, weights=rf, minlength=s.derived.n_chips).astype(int).tolist(),
           "link_flits": int(sum(x["flits"] for x in e.per_link)),
           "busiest_link_utilisation": max((x["utilisation"] for x in e.per_link), default=0.0),
           "rates_hz": rates}
    return out


def case_speedup(args) -> dict:
    import numpy as np

    from neurocycle.sim._partition import run_partitioned
    from neurocycle.sim._system_engine import run_system

    ph = Phases()
    spec, net, prog, stim = microcircuit_program(args.scale, args.system, args.steps, ph)
    t0 = time.perf_counter()
    one = run_system(prog, stim)
    t_one = time.perf_counter() - t0
    ph.mark("one process")
    t0 = time.perf_counter()
    local = run_system(prog, stim, partitions=args.workers)
    t_local = time.perf_counter() - t0
    ph.mark(f"{args.workers} partitions, this process")
    dask = run_partitioned(prog, stim, workers=args.workers)
    ph.mark(f"{args.workers} Dask workers")
    for r in (local, dask):
        assert np.array_equal(r.spike_neurons, one.spike_neurons) and np.array_equal(r.step_cycles, one.step_cycles)
        for k in one.counters:
            assert np.array_equal(one.counters[k], r.counters[k]), k
    return {"case": "speedup", "scale": args.scale, "system": args.system, "steps": args.steps,
            "workers": args.workers, "neurons": net.n_neurons, "synapses": net.n_synapses, "phases": ph.rows,
            "cycles": int(one.step_cycles.sum()), "one_process_s": t_one, "partitions_in_process_s": t_local,
            "dask_simulate_s": dask.partition["simulate_s"], "dask_setup_s": dask.partition["setup_s"],
            "window_cycles": dask.partition["window_cycles"], "windows": dask.partition["windows"],
            "exchanged": dask.partition["exchanged"],
            "speedup_dask": t_one / dask.partition["simulate_s"], "identical": True}


def truenorth_spec(w: int, h: int):
    from neurocycle.sim import LIFFixed, NetworkBuilder

    n_pop = w * h
    b = NetworkBuilder(f"truenorth-scale-{w}x{h}", seed=1)
    for k in range(n_pop):
        phi = k % PERIOD
        b.population(f"p{k:04d}", 256, LIFFixed(du=4095, dv=0, bias=1, vth=phi + 1, v_reset=phi + 1 - PERIOD))
    for k in range(n_pop):
        b.connect(f"p{k:04d}", f"p{(k + 1) % n_pop:04d}", "fixed_out_degree", k=128,
                  weight={"kind": "uniform", "low": -1, "high": 1})
    return b.build()


def case_truenorth(args) -> dict:
    import numpy as np

    from neurocycle.hw import load_chip
    from neurocycle.sim import compile_network, run_cycle

    w, h = {0.25: (32, 32), 0.5: (64, 32), 1.0: (64, 64)}[args.size]
    ph = Phases()
    spec = truenorth_spec(w, h)
    chip = load_chip("truenorth-like").with_overrides({"mesh.width": w, "mesh.height": h})
    ph.mark("spec")
    net = spec.instantiate()
    ph.mark("build", neurons=net.n_neurons, synapses=net.n_synapses)
    out = {"case": "truenorth", "size": args.size, "mesh": [w, h], "steps": args.steps, "neurons": net.n_neurons,
           "synapses": net.n_synapses, "phases": ph.rows}
    try:
        prog = compile_network(net, chip)
        ph.mark("compile")
        res = run_cycle(prog, net.stimulus(args.steps))
        ph.mark("simulate", steps=args.steps)
        out.update(cycles_per_step_mean=float(res.step_cycles.mean()), spikes=res.n_spikes,
                   synaptic_ops=int(np.sum(res.counters["synaptic_ops"])))
    except Exception as exc:  # noqa: BLE001 - a refusal is a result here
        ph.mark("refused")
        out["refused"] = f"{type(exc).__name__}: {exc}"
    return out


CASES = {"microcircuit": case_microcircuit, "speedup": case_speedup, "truenorth": case_truenorth}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("case", choices=sorted(CASES))
    ap.add_argument("--scale", type=float, default=0.05, help="microcircuit scale (default 0.05)")
    ap.add_argument("--system", default="loihi-2x2", help="system preset (default loihi-2x2)")
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--workers", type=int, default=2, help="partitions for the speed-up (default 2)")
    ap.add_argument("--size", type=float, default=0.25, choices=(0.25, 0.5, 1.0), help="truenorth size")
    ap.add_argument("--json", default=None, help="append the result as a JSON line to this file")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if not args.child:      # every case in a fresh process: its peak memory is its own
        cmd = [sys.executable, __file__, *sys.argv[1:], "--child"]
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        return subprocess.call(cmd, env=env)
    out = CASES[args.case](args)
    out["command"] = "bench/system.py " + " ".join(a for a in sys.argv[1:] if a != "--child")
    text = json.dumps(out)
    if args.json:
        with open(args.json, "a") as fh:
            fh.write(text + "\n")
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
