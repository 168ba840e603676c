"""What tracing costs when it is on: the replay of one window (docs/engine.md, "Replay a window").

    .venv/bin/python bench/trace_cost.py                       # default-4x4 + default-net, busiest timestep
    .venv/bin/python bench/trace_cost.py --chip tiny-2x2 --network tiny-recurrent --steps 50

Prints the window's cycles, the estimate made before replaying, the measured replay time (the
kernel up to the window, then the stepped model), its seconds per router-or-core x cycle, and
the time to write the trace and the VCD with their sizes. Tracing off costs nothing: see
bench/callgrind.py (the kernel's instructions per grant) in BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chip", default="default-4x4")
    ap.add_argument("--network", default="default-net")
    ap.add_argument("--steps", type=int, default=60)
    a = ap.parse_args()
    from neurocycle.sim import simulate

    t = time.perf_counter()
    run = simulate(a.chip, a.network, steps=a.steps)
    sim_s = time.perf_counter() - t
    est = run.estimate_window()
    t = time.perf_counter()
    act = run.activity((est.t0, est.t1))         # cached: the writers below reuse it
    rep_s = time.perf_counter() - t
    comp = run.program.n_cores * 2
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        n = run.write_trace(os.path.join(d, "t.json"), (est.t0, est.t1))
        tr_s = time.perf_counter() - t
        t = time.perf_counter()
        run.write_vcd(os.path.join(d, "m.vcd"), (est.t0, est.t1))
        vcd_s = time.perf_counter() - t
        tb, vb = os.path.getsize(os.path.join(d, "t.json")), os.path.getsize(os.path.join(d, "m.vcd"))
    print(f"{a.chip} + {a.network}, {a.steps} timesteps: fast run {sim_s:.2f} s")
    print(f"estimate before replaying: {est.line()}")
    print(f"replay of timestep {est.t0}: {act.end_cycle - act.first_cycle:,} cycles in {rep_s:.2f} s = "
          f"{1e6 * rep_s / max(1, (act.end_cycle - act.first_cycle) * comp):.0f} us per (router or core) x cycle")
    print(f"trace: {n:,} events, {tb / 1e6:.2f} MB in {tr_s:.2f} s; VCD: {vb / 1e6:.2f} MB in {vcd_s:.2f} s")


if __name__ == "__main__":
    main()
