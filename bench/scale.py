"""Scale benchmark (issue #18): a full-size chip on one machine.

Two cases, each at 1/4, 1/2 and full size, every (case, size, backend, steps) in a fresh child
process that reports, per phase, the wall time and the peak resident memory *of that phase*
(the high-water mark is reset at the start of each phase, neurocycle.sim's PhaseLog), and the
CPU time of the phase (on a shared machine the gap to the wall time is time spent waiting):

- **truenorth**: the ``truenorth-like`` preset at TrueNorth's published operating point:
  64x64 cores x 256 neurons (1,048,576 neurons), 128 synapses per neuron (134,217,728
  synapses), every population (one per core) targeting the next core (core k -> k+1, the last
  row wrapping to core 0), every neuron firing at 20 Hz (a regular neuron of period 50
  timesteps: bias 1, threshold phi+1, reset phi+1-50, so population k first fires at step
  phi = k mod 50 and the chip's load is the same every timestep), weights uniform in [-1, 1]
  (they jitter the firing, so the rate stays ~20 Hz but the phases spread). 1/4 and 1/2 size
  are the same network on a 32x32 and a 64x32 mesh.
- **loihi**: the ``loihi-like`` preset as a full chip: 16x8 cores x 1,024 neurons (131,072
  neurons) and Loihi's published synapse capacity, 128 KB of synaptic state per core counted
  at 1 bit per synapse (Davies et al., Proc. IEEE 2021) = 1,048,576 synapses per core,
  134,217,728 on the chip: every neuron reaches all 1,024 neurons of the next core
  (all-to-all), 20 Hz as above. The preset's synapse memory holds 52,428 slots of 20 bits, so
  the run sets ``core.synapse_words`` to 262,144 (4 lanes: 1,048,576 slots per core).
  1/4 and 1/2 size are 8x4 and 16x4 meshes.

    .venv/bin/python bench/scale.py                                   # truenorth, 1/4 1/2 full, cycle, 100 steps
    .venv/bin/python bench/scale.py --case truenorth --sizes 1 --steps 1000
    .venv/bin/python bench/scale.py --case loihi --backends cycle,reference
    .venv/bin/python bench/scale.py --json out.json                  # also write every measurement

Columns: ``spec`` builds the NetworkSpec with NetworkBuilder; ``load`` loads the chip and checks
the network's size (the memory estimate); ``build`` samples the network (NetworkSpec.instantiate);
``compile`` builds the chip program; ``stimulus`` the input spikes; ``simulate`` runs the backend
(for ``cycle`` this includes building the kernel's tables). ``peak`` is the process's largest
resident set over all phases, and ``B/syn`` that peak per synapse.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

SIZES = {"truenorth": {0.125: (32, 16), 0.25: (32, 32), 0.5: (64, 32), 1.0: (64, 64)},
         "loihi": {0.125: (4, 4), 0.25: (8, 4), 0.5: (16, 4), 1.0: (16, 8)}}
PERIOD = 50                          # timesteps between spikes of a neuron: 20 Hz at 1 ms


def chip_for(case: str, size: float):
    from neurocycle.hw import load_chip

    w, h = SIZES[case][size]
    over = {"mesh.width": w, "mesh.height": h}
    if case == "loihi":
        over["core.synapse_words"] = 262144      # 1,048,576 slots of 4 lanes per core (see the docstring)
    return load_chip("truenorth-like" if case == "truenorth" else "loihi-like").with_overrides(over)


def network_for(case: str, size: float):
    """The NetworkSpec of a case: one population per core, each targeting the next core."""
    from neurocycle.sim import LIFFixed, NetworkBuilder

    w, h = SIZES[case][size]
    n_pop = w * h
    per_core, conn = (256, {"kind": "fixed_out_degree", "k": 128}) if case == "truenorth" else \
        (1024, {"kind": "all_to_all"})
    b = NetworkBuilder(f"{case}-scale-{w}x{h}", seed=1)
    for k in range(n_pop):
        phi = k % PERIOD
        b.population(f"p{k:04d}", per_core, LIFFixed(du=4095, dv=0, bias=1, vth=phi + 1, v_reset=phi + 1 - PERIOD))
    weight = {"kind": "uniform", "low": -1, "high": 1}
    for k in range(n_pop):
        params = {key: v for key, v in conn.items() if key != "kind"}
        b.connect(f"p{k:04d}", f"p{(k + 1) % n_pop:04d}", conn["kind"], weight=weight, **params)
    return b.build()


def synapses_per_row(p):
    """Synapses reached by one spike of every placed row (its fan-out entries' axon lengths)."""
    import numpy as np

    from neurocycle.sim._csr import ranges

    start = p.core_fanout_offset[p.core_of_row].astype(np.int64) + p.row_fanout_base
    length = p.row_fanout_len.astype(np.int64)
    idx = ranges(start, length)
    core = p.fanout_dst_y[idx].astype(np.int64) * p.chip.mesh.width + p.fanout_dst_x[idx]
    n = p.axon_len[p.core_axon_offset[core].astype(np.int64) + p.fanout_axon[idx]].astype(np.int64)
    return np.bincount(np.repeat(np.arange(p.n_rows), length), weights=n, minlength=p.n_rows).astype(np.int64)


def child(case: str, size: float, backend: str, steps: int) -> dict:
    import resource

    import numpy as np

    from neurocycle.sim import simulate
    from neurocycle.sim._phases import PhaseLog

    log = PhaseLog()
    with log.phase("spec"):
        spec = network_for(case, size)
        chip = chip_for(case, size)
    run = simulate(chip, spec, steps=steps, backend=backend)
    log.add(run.phases)
    r = run.result
    p = run.program
    if r.counters:
        sops = int(np.sum(r.counters["synaptic_ops"]))
    else:   # the reference: synapses per source row x its spikes
        sops = int(synapses_per_row(p)[p.gid_row[r.spike_neurons]].sum())
    sim_s = next(ph.wall_s for ph in log.phases if ph.name == "simulate")
    sim_cpu = next(ph.cpu_s for ph in log.phases if ph.name == "simulate")
    out = {"case": case, "size": size, "mesh": list(SIZES[case][size]), "backend": backend, "steps": steps,
           "neurons": run.net.n_neurons, "synapses": run.net.n_synapses, "spikes": r.n_spikes,
           "rate_hz": r.n_spikes / run.net.n_neurons / (steps * run.dt_ms / 1000.0),
           "synaptic_events": sops, "synaptic_events_per_s": sops / sim_s if sim_s else 0.0,
           "synaptic_events_per_cpu_s": sops / sim_cpu if sim_cpu else 0.0,
           "cycles": r.total_cycles, "phases": log.to_dict(),
           "maxrss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}
    if r.counters:
        out["router_grants"] = int(np.sum(r.counters["router_flits"]))
        out["flit_hops"] = int(np.sum(r.counters["link_flits"]))
    return out


def _mib(b: int) -> str:
    return f"{b / (1 << 20):,.0f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--case", action="append", choices=sorted(SIZES), help="truenorth (default) and/or loihi")
    ap.add_argument("--sizes", default="0.25,0.5,1", help="fractions of the full chip (default 0.25,0.5,1)")
    ap.add_argument("--backends", default="cycle", help="comma-separated: cycle, reference (default cycle)")
    ap.add_argument("--steps", default="100", help="comma-separated timesteps (default 100)")
    ap.add_argument("--json", help="also write every measurement to this file")
    ap.add_argument("--write-yaml", metavar="DIR", help="write the chip and network of each case and size as YAML "
                    "files into DIR (for `neurocycle run`; a YAML file holds at most 25,000 values, so up to 1/8 "
                    "of the TrueNorth-like chip) and exit")
    ap.add_argument("--child", nargs=4, metavar=("CASE", "SIZE", "BACKEND", "STEPS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        c, s, b, n = args.child
        print("RESULT " + json.dumps(child(c, float(s), b, int(n))))
        return 0
    if args.write_yaml:
        import yaml
        out = Path(args.write_yaml)
        out.mkdir(parents=True, exist_ok=True)
        for case in args.case or ["truenorth"]:
            for size in (float(x) for x in args.sizes.split(",")):
                w, h = SIZES[case][size]
                stem = f"{case}-{w}x{h}"
                (out / f"{stem}-chip.yaml").write_text(yaml.safe_dump(chip_for(case, size).model_dump(mode="json"),
                                                                       sort_keys=False))
                (out / f"{stem}-net.yaml").write_text(yaml.safe_dump(
                    network_for(case, size).model_dump(mode="json", exclude_defaults=True), sort_keys=False))
                print(out / f"{stem}-chip.yaml", out / f"{stem}-net.yaml")
        return 0
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    rows = []
    names = ("spec", "load", "build", "compile", "stimulus", "simulate")
    print("| case | size | backend | steps | neurons | synapses | " + " | ".join(f"{n} s (cpu) / MiB" for n in names)
          + " | peak MiB | B/syn | rate Hz | synaptic events/s (per CPU s) |")
    print("|---" * (11 + len(names)) + "|")
    for case in args.case or ["truenorth"]:
        for size in (float(x) for x in args.sizes.split(",")):
            for backend in args.backends.split(","):
                for steps in (int(x) for x in args.steps.split(",")):
                    t0 = time.perf_counter()
                    p = subprocess.run([sys.executable, __file__, "--child", case, str(size), backend, str(steps)],
                                       capture_output=True, text=True, env=env)
                    line = [ln for ln in p.stdout.splitlines() if ln.startswith("RESULT ")]
                    if p.returncode or not line:
                        err = (p.stderr.strip().splitlines() or ["?"])[-1]
                        print(f"| {case} | {size:g} | {backend} | {steps} | failed after {time.perf_counter() - t0:.0f} s: "
                              f"{err[:200]} |", flush=True)
                        rows.append({"case": case, "size": size, "backend": backend, "steps": steps, "error": err})
                        continue
                    m = json.loads(line[0][7:])
                    rows.append(m)
                    ph = {x["name"]: x for x in m["phases"]["phases"]}
                    cells = [f"{ph[n]['wall_s']:.1f} ({ph[n]['cpu_s']:.1f}) / {_mib(ph[n]['peak_bytes'])}"
                             for n in names]
                    peak = m["phases"]["peak_bytes"]
                    print(f"| {case} | {size:g} | {backend} | {steps} | {m['neurons']:,} | {m['synapses']:,} | "
                          + " | ".join(cells) + f" | {_mib(peak)} | {peak / max(1, m['synapses']):.1f} | "
                          f"{m['rate_hz']:.2f} | {m['synaptic_events_per_s'] / 1e6:.1f} M "
                          f"({m['synaptic_events_per_cpu_s'] / 1e6:.1f} M) |", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
