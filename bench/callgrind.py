"""Instructions per router grant of the cycle kernel, counted by callgrind (repeatable, unlike
wall time on a shared machine): the check that a change does not slow the default path.

    .venv/bin/python bench/callgrind.py                      # W1, first 30 timesteps
    .venv/bin/python bench/callgrind.py --workload W1-quarter --steps 100
    .venv/bin/python bench/callgrind.py --python /path/to/other/.venv/bin/python   # another build

The workload is built and compiled outside the measurement; callgrind counts only the
instructions executed inside the kernel's ``run_fast`` (``--toggle-collect`` on its Python
wrapper alone: the inner implementation function matches ``*run_fast*`` too, and nested toggles
cancel), and the grants are the run's ``router_flits`` counter. Needs valgrind on PATH (Debian: ``apt install valgrind``).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def child(workload: str, steps: int, out: str) -> None:
    """Run inside valgrind: build, compile (not measured), simulate (measured), write counts."""
    sys.path.insert(0, str(HERE))
    import numpy as np

    import workloads
    from neurocycle.sim import compile_network, run_cycle

    wl = workloads.build(workload, steps)
    program = compile_network(wl.net, wl.chip)
    res = run_cycle(program, wl.net.stimulus(wl.steps))
    Path(out).write_text(json.dumps({"grants": int(np.sum(res.counters["router_flits"])),
                                     "spikes": res.n_spikes, "cycles": res.total_cycles,
                                     "synaptic_ops": int(np.sum(res.counters["synaptic_ops"]))}))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workload", default="W1", help="workload name (bench/workloads.py; default W1)")
    ap.add_argument("--steps", type=int, default=30, help="timesteps (default 30: W1's big first waves)")
    ap.add_argument("--python", default=sys.executable, help="interpreter whose neurocycle build to measure")
    ap.add_argument("--child", nargs=3, metavar=("WORKLOAD", "STEPS", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.child[2])
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not on PATH (Debian: apt install valgrind)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="nc-callgrind-") as tmp:
        counts, cg = Path(tmp) / "counts.json", Path(tmp) / "callgrind.out"
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={cg}", "--collect-atstart=no",
               "--toggle-collect=*_engine_1run_fast", args.python, str(Path(__file__).resolve()),
               "--child", args.workload, str(args.steps), str(counts)]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        m = re.search(r"Collected\s*:\s*(\d+)", proc.stderr)
        if proc.returncode != 0 or m is None or not counts.is_file():
            print(proc.stderr[-3000:], file=sys.stderr)
            return 1
        ir = int(m.group(1))
        c = json.loads(counts.read_text())
    print(f"{args.workload}, {args.steps} timesteps: {ir / 1e9:.3f} G kernel instructions, {c['grants'] / 1e6:.2f} M "
          f"router grants -> {ir / max(c['grants'], 1):.1f} instructions per grant "
          f"({c['spikes']:,} spikes, {c['synaptic_ops']:,} synaptic ops, {c['cycles']:,} cycles)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
