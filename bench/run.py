"""Benchmark harness: time named workloads on several backends, each in a fresh process.

    .venv/bin/python bench/run.py --workload W1                  # cycle + reference, 1000 steps
    .venv/bin/python bench/run.py --workload W1 --steps 100 --backends cycle
    .venv/bin/python bench/run.py --list

For every (workload, backend) a child process builds the network (not timed as part of the
run), compiles it and simulates it, and reports wall times, peak RSS (the child's whole
lifetime) and event counts. Rates: timesteps/s, synaptic events/s and flit-hops/s over the
simulate (wall) time; "sim cpu s" is the child's CPU time while simulating (on a shared machine
the gap to "sim s" is time the process waited for a core); "vs ref" is the simulate-time ratio
against the reference measured in the same invocation (>1 = slower than the functional reference).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def machine() -> dict:
    model, cores = platform.processor() or "?", os.cpu_count()
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return {"cpu": model, "cores": cores, "python": platform.python_version()}


def child(workload: str, backend_name: str, steps: int | None) -> dict:
    """Run one (workload, backend) in this process and return its measurements."""
    import resource

    import numpy as np

    import workloads
    from backends import BACKENDS
    from neurocycle.sim import compile_network, effective_connectivity

    t0 = time.perf_counter()
    wl = workloads.build(workload, steps)
    t1 = time.perf_counter()
    program = compile_network(wl.net, wl.chip)
    stim = wl.net.stimulus(wl.steps)
    t2 = time.perf_counter()
    c2 = time.process_time()
    result = BACKENDS[backend_name][1](program, stim)
    t3 = time.perf_counter()
    c3 = time.process_time()
    if result.counters is not None:
        syn_events = int(result.counters["synaptic_ops"].sum())
        flit_hops = int(result.counters["link_flits"].sum())
        router_flits = int(result.counters["router_flits"].sum())
        cycles = int(result.counters["cycles"])
    else:
        # functional backend: synaptic events = synapses of every spike (neurons and inputs)
        off, _, _ = effective_connectivity(program)
        rows = program.gid_row[result.spike_neurons].astype(np.int64) + program.n_inputs
        syn_events = int((off[rows + 1] - off[rows]).sum() + (off[stim.channels + 1] - off[stim.channels]).sum())
        flit_hops = router_flits = cycles = None
    return {"workload": workload, "backend": backend_name, "steps": wl.steps, "neurons": wl.net.n_neurons,
            "synapses": wl.net.n_synapses, "build_s": t1 - t0, "compile_s": t2 - t1, "sim_s": t3 - t2,
            "sim_cpu_s": c3 - c2,
            "spikes": result.n_spikes, "syn_events": syn_events, "flit_hops": flit_hops,
            "router_flits": router_flits, "cycles": cycles,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}


def run_child(workload: str, backend_name: str, steps: int | None) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--workload", workload,
           "--backends", backend_name]
    if steps is not None:
        cmd += ["--steps", str(steps)]
    # one core: keep numpy's BLAS pool from spinning a second thread next to the measurement
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"{workload}/{backend_name} failed:\n{proc.stdout}\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def fmt_rate(x: float | None) -> str:
    if x is None:
        return "-"
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= scale:
            return f"{x / scale:.2f}{unit}"
    return f"{x:.1f}"


def report(rows: list[dict]) -> str:
    ref = {r["workload"]: r["sim_s"] for r in rows if r["backend"] == "reference"}
    head = (f"{'workload':10} {'backend':14} {'steps':>6} {'build s':>8} {'compile s':>9} {'sim s':>8} "
            f"{'sim cpu s':>9} {'total s':>8} {'steps/s':>8} {'syn ev/s':>9} {'flit-hop/s':>10} {'vs ref':>7} "
            f"{'RSS MiB':>8}")
    lines = [head, "-" * len(head)]
    for r in rows:
        sim = r["sim_s"]
        vs = f"{sim / ref[r['workload']]:.2f}x" if r["workload"] in ref else "-"
        lines.append(
            f"{r['workload']:10} {r['backend']:14} {r['steps']:>6} {r['build_s']:>8.2f} {r['compile_s']:>9.2f} "
            f"{sim:>8.2f} {r['sim_cpu_s']:>9.2f} {r['compile_s'] + sim:>8.2f} {fmt_rate(r['steps'] / sim):>8} "
            f"{fmt_rate(r['syn_events'] / sim):>9} "
            f"{fmt_rate(r['flit_hops'] / sim if r['flit_hops'] is not None else None):>10} {vs:>7} "
            f"{r['peak_rss_mib']:>8.0f}")
    return "\n".join(lines)


def main(argv=None) -> int:
    import workloads
    from backends import BACKENDS

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workload", action="append", help="workload name (repeatable); default W1")
    ap.add_argument("--backends", default="cycle,reference", help="comma-separated backend names")
    ap.add_argument("--steps", type=int, help="override the workload's number of timesteps")
    ap.add_argument("--json", type=Path, help="also write the measurements to this JSON file")
    ap.add_argument("--list", action="store_true", help="list workloads and backends")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.list:
        for name, (desc, _) in workloads.WORKLOADS.items():
            print(f"workload {name:10} {desc}")
        for name, (desc, _) in BACKENDS.items():
            print(f"backend  {name:14} {desc}")
        return 0
    names = a.workload or ["W1"]
    backends = [b for b in a.backends.split(",") if b]
    for b in backends:
        if b not in BACKENDS:
            raise SystemExit(f"unknown backend {b!r}; known: {', '.join(BACKENDS)}")
    if a.child:
        print(json.dumps(child(names[0], backends[0], a.steps)))
        return 0
    info = machine()
    print(f"# {info['cpu']}, {info['cores']} cores, Python {info['python']}")
    print(f"# command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    rows = []
    for name in names:
        for b in backends:
            rows.append(run_child(name, b, a.steps))
            print(f"  {name}/{b}: sim {rows[-1]['sim_s']:.2f} s", file=sys.stderr)
    print(report(rows))
    if a.json:
        a.json.write_text(json.dumps({"machine": info, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
