"""RTL vs cycle model on the same chip and workload, measured in one run.

    .venv/bin/python bench/rtl_bench.py                      # the 'tiny' workload (tiny-2x2)
    .venv/bin/python bench/rtl_bench.py --workload default --steps 20
    .venv/bin/python bench/rtl_bench.py --list

For each workload: the cycle model (neurocycle.sim.run_cycle) and the RTL (nc_chip under
Verilator, driven by the cocotb host through the host bus) simulate the same compiled program;
the results must agree exactly (checked). Reported: simulated cycles, wall times, and cycles
per wall second —
  model    run_cycle's simulate time;
  RTL run  timesteps including the host's per-step bus traffic (input queue, START, spike
           trace and cycle read-back) — what `neurocycle cosim` pays per timestep;
  RTL chip only the time the chip ran on its own between START and the end of the barrier
           (Verilator + cocotb's clock), i.e. the raw simulator speed;
plus the one-off costs (the Verilator build — for a cached build, the time it took when it was
made — and program loading over the bus).
The ratio model/RTL is cycles/s over cycles/s.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time

WORKLOADS = {
    "tiny": ("tiny-2x2 preset, 40 LIF neurons (recurrent, Poisson-driven; tiny-recurrent preset), 1000 timesteps",
             "tiny-2x2", "tiny-recurrent", 1000),
    "default": ("the embedded default chip (default-4x4) and network (default-net, 1024 LIF + 64 Poisson), "
                "200 timesteps",
                "default-4x4", None, 200),
}


def machine() -> dict:
    model = platform.processor() or "?"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        model = next((ln.split(":", 1)[1].strip() for ln in out.splitlines() if ln.startswith("Model name:")), model)
    except (OSError, subprocess.CalledProcessError):
        pass
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version()}


def bench(name: str, steps: int | None) -> dict:
    from neurocycle.rtl import build
    from neurocycle.sim import prepare, run_cycle
    from neurocycle.sim._cosim import compare, rtl_case, run_rtl

    desc, chip, net, default_steps = WORKLOADS[name]
    steps = steps or default_steps
    _, spec, _, program, stim, _ = prepare(chip, net, steps=steps)
    t0 = time.perf_counter()
    model = run_cycle(program, stim)
    model_s = time.perf_counter() - t0
    params = rtl_case(program, stim)["parameters"]
    b = build("nc_chip", params)
    # a cached build reports the time it took when it was made (recorded in the cache)
    build_s = b.seconds if not b.cached else json.loads((b.build_dir / "neurocycle-build.json").read_text())["seconds"]
    t0 = time.perf_counter()
    rtl = run_rtl(program, stim)
    rtl_total_s = time.perf_counter() - t0
    mm = compare(model, rtl, program)
    cycles = int(model.total_cycles)
    return {
        "workload": name, "description": desc, "chip": program.chip.name, "network": spec.name, "steps": steps,
        "neurons": program.n_neurons, "cycles": cycles, "spikes": model.n_spikes,
        "synaptic_ops": int(model.counters["synaptic_ops"].sum()), "agree": mm is None,
        "mismatch": None if mm is None else str(mm),
        "model_s": model_s, "model_cycles_per_s": cycles / model_s,
        "rtl_build_s": build_s, "rtl_load_s": rtl.rtl_load_s, "rtl_run_s": rtl.rtl_run_s,
        "rtl_chip_s": rtl.rtl_chip_s, "rtl_total_s": rtl_total_s,
        "rtl_cycles_per_s": cycles / rtl.rtl_run_s, "rtl_chip_cycles_per_s": cycles / rtl.rtl_chip_s,
        "ratio_model_vs_rtl_run": (cycles / model_s) / (cycles / rtl.rtl_run_s),
        "ratio_model_vs_rtl_chip": (cycles / model_s) / (cycles / rtl.rtl_chip_s),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workload", action="append", choices=sorted(WORKLOADS),
                    help="workload(s) to run (default: tiny)")
    ap.add_argument("--steps", type=int, default=None, help="override the workload's timesteps")
    ap.add_argument("--json", default=None, help="also write the results to this JSON file")
    ap.add_argument("--list", action="store_true", help="list the workloads")
    a = ap.parse_args()
    if a.list:
        for k, (d, *_rest) in WORKLOADS.items():
            print(f"{k:8s} {d}")
        return 0
    rows = [bench(w, a.steps) for w in (a.workload or ["tiny"])]
    print(f"machine: {machine()}")
    for r in rows:
        print(f"\n{r['workload']}: {r['description']} — {r['steps']} timesteps, {r['cycles']:,} cycles, "
              f"{r['spikes']:,} spikes, agree={r['agree']}" + (f" ({r['mismatch']})" if r["mismatch"] else ""))
        print(f"  model (run_cycle)  {r['model_s']:9.4f} s   {r['model_cycles_per_s']:14,.0f} cycles/s")
        print(f"  RTL run            {r['rtl_run_s']:9.3f} s   {r['rtl_cycles_per_s']:14,.0f} cycles/s"
              f"   model is {r['ratio_model_vs_rtl_run']:,.0f}x faster")
        print(f"  RTL chip only      {r['rtl_chip_s']:9.3f} s   {r['rtl_chip_cycles_per_s']:14,.0f} cycles/s"
              f"   model is {r['ratio_model_vs_rtl_chip']:,.0f}x faster")
        print(f"  RTL one-off: Verilator build {r['rtl_build_s']:.1f} s, program load {r['rtl_load_s']:.2f} s, "
              f"total RTL wall {r['rtl_total_s']:.1f} s")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump({"machine": machine(), "command": " ".join(sys.argv), "results": rows}, fh, indent=1)
    return 0 if all(r["agree"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
