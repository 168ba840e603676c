"""Peer comparison: the W1 workloads on other simulators and on neurocycle, in one invocation.

    .venv/bin/python bench/peers.py                          # W1-quarter and W1, all peers found
    .venv/bin/python bench/peers.py --workload W1-quarter --steps 100 --peers sanafe

Every measurement runs in a fresh child process (as in bench/run.py): neurocycle's cycle backend
and functional reference through ``run.run_child``, each peer through this script's ``--child``
mode. The peer networks come from the same generator (``workloads.build``): the same neurons,
synapses (source, target, weight), per-neuron biases and thresholds, the same number of
timesteps. Reported per row: wall times (build = constructing the network in the simulator's
API, compile = mapping/code generation, sim = simulating), synaptic events/s over the sim time,
spikes, the child's peak RSS, the 1-minute load average when the child started (the machine is
shared), and "cycle x" = peer sim s / neurocycle-cycle sim s (> 1: neurocycle's cycle-exact
engine is that many times faster than the peer); "cycle x (cpu)" is the same ratio over the
children's CPU time while simulating, which other jobs on the machine disturb less. After the table,
each peer's spike count is compared with neurocycle's (the reference and the cycle backend agree
exactly by construction).

Peers (each skipped with one line when absent; none is needed by the test suite):
- ``sanafe``: SANA-FE (``.venv/bin/pip install sanafe==2.2.9``), Python API, an architecture with
  W1's mesh (one core per tile, the same neurons per core), timing model ``simple`` (its coarsest)
  unless ``--sanafe-timing`` says otherwise; single-threaded unless ``--sanafe-threads``.
- ``brian2``: Brian2 in a separate venv because Brian2 2.9 (the newest for Python 3.11) fails to
  import with the project's numpy 2.4 (``python3.11 -m venv .venv-peers &&
  .venv-peers/bin/pip install brian2==2.9.0 "numpy<2.3" cython``); the network is handed over as
  an .npz file. Codegen target ``cython`` unless ``--brian2-target``; the first run compiles its
  extensions (~40 s, not in the table: cached in ~/.cython/brian_extensions and reused).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

INSTALL = {
    "sanafe": ".venv/bin/pip install sanafe==2.2.9",
    "brian2": 'python3.11 -m venv .venv-peers && .venv-peers/bin/pip install brian2==2.9.0 "numpy<2.3" cython',
}
ENV_1THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _peak_rss_mib() -> float:
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# ----------------------------------------------------------------------------- SANA-FE (child)
def _sanafe_arch_yaml(width: int, height: int, neurons_per_core: int, link_buffer: int, clock_mhz: float) -> str:
    """W1's chip in SANA-FE's architecture format: a width x height mesh, one core per tile.
    Latencies are one neurocycle clock per hop / per event; they only shape SANA-FE's estimate of
    simulated time, not its spikes or its wall time."""
    cyc = 1e-6 / clock_mhz
    hops = "".join(f"        energy_{d}_hop: 1.0e-12\n        latency_{d}_hop: {cyc:.3e}\n"
                   for d in ("north", "east", "south", "west"))
    return f"""architecture:
  name: w1_chip
  attributes:
    topology: mesh
    width: {width}
    height: {height}
    link_buffer_size: {link_buffer}
  tile:
    - name: tile[0..{width * height - 1}]
      attributes:
{hops}      core:
        - name: core[0..0]
          attributes:
            buffer_position: soma
            max_neurons_supported: {neurons_per_core}
          axon_in:
            - name: axon_in
              attributes: {{energy_message_in: 0.0, latency_message_in: {cyc:.3e}}}
          synapse:
            - name: synapse
              attributes: {{model: current_based, energy_process_spike: 1.0e-12, latency_process_spike: {cyc:.3e}}}
          dendrite:
            - name: dendrite
              attributes: {{model: accumulator, energy_update: 0.0, latency_update: 0.0}}
          soma:
            - name: soma
              attributes: {{model: leaky_integrate_fire, energy_access_neuron: 1.0e-12, latency_access_neuron: {cyc:.3e},
                           energy_update_neuron: 1.0e-12, latency_update_neuron: {cyc:.3e},
                           energy_spike_out: 1.0e-12, latency_spike_out: {cyc:.3e}}}
          axon_out:
            - name: axon_out
              attributes: {{energy_message_out: 1.0e-12, latency_message_out: {cyc:.3e}}}
"""


def child_sanafe(workload: str, steps: int | None, timing: str, threads: int) -> dict:
    import numpy as np
    import sanafe

    import workloads

    wl = workloads.build(workload, steps)
    net_nc, chip = wl.net, wl.chip
    if net_nc.n_inputs:
        raise SystemExit(f"{workload}: input channels are not mapped to SANA-FE by this script")
    par = net_nc.params
    for f in ("du", "dv", "v_reset", "w_exp"):
        # the mapping below assumes W1's neuron: current fully decayed each step, no leak
        expect = {"du": 4095, "dv": 0, "v_reset": 0, "w_exp": 0}[f]
        if not (par[f] == expect).all():
            raise SystemExit(f"{workload}: SANA-FE mapping assumes {f} == {expect}")
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        arch_path = Path(tmp) / "arch.yaml"
        arch_path.write_text(_sanafe_arch_yaml(chip.mesh.width, chip.mesh.height, chip.core.neurons,
                                               chip.router.fifo_depth, chip.clock_mhz))
        arch = sanafe.load_arch(str(arch_path))
    cores = arch.cores()
    npc = chip.core.neurons
    n = net_nc.n_neurons
    net = sanafe.Network()
    # SANA-FE's LIF fires on v > threshold (neurocycle: v >= vth; integer values, so vth - 1);
    # input_decay 0 = neurocycle's du 4095 (the synaptic current lasts one timestep);
    # its refractory_delay counts the spiking timestep too, so neurocycle's refractory + 1
    vth = float(par["vth"][0])
    if not (par["vth"] == par["vth"][0]).all():
        raise SystemExit(f"{workload}: one threshold per network assumed")
    group = net.create_neuron_group("w", n, {"threshold": vth - 1.0, "reset": 0.0, "reset_mode": "hard",
                                             "leak_decay": 1.0, "input_decay": 0.0})
    bias = par["bias"].astype(float).tolist()
    refractory = (par["refractory"] + 1).tolist()
    for gid, neuron in enumerate(group.neurons):
        neuron.set_attributes(model_attributes={"bias": bias[gid], "refractory_delay": int(refractory[gid])})
        neuron.map_to_core(cores[gid // npc])   # gid order, npc per core: neurocycle's placement
    src = (net_nc.syn_source - net_nc.n_inputs).tolist()
    group.connect_neurons_sparse(group, {"weight": net_nc.syn_weight.astype(float).tolist()},
                                 list(zip(src, net_nc.syn_target.tolist())))
    t1 = time.perf_counter()
    hw = sanafe.SpikingChip(arch)
    hw.load(net)
    t2 = time.perf_counter()
    c2 = time.process_time()
    res = hw.sim(wl.steps, timing_model=timing, processing_threads=threads)
    t3 = time.perf_counter()
    c3 = time.process_time()
    fired = int(np.sum(res["neurons_fired"]))
    return {"workload": workload, "simulator": "SANA-FE " + sanafe_version(), "timing": timing,
            "steps": int(res["timesteps_executed"]), "build_s": t1 - t0, "compile_s": t2 - t1, "sim_s": t3 - t2,
            "sim_cpu_s": c3 - c2, "spikes": fired,
            # SANA-FE's "spikes" result counts spike deliveries to synapses (fired x out-degree)
            "syn_events": int(res["spikes"]), "sim_time_s": float(res["sim_time"]),
            "peak_rss_mib": _peak_rss_mib()}


def sanafe_version() -> str:
    from importlib.metadata import version
    return version("sanafe")


# ----------------------------------------------------------------------------- Brian2 (child)
def export_network(workload: str, steps: int | None, path: Path) -> None:
    """The workload's network as plain arrays, for a peer running in another venv."""
    import workloads
    import numpy as np
    wl = workloads.build(workload, steps)
    net = wl.net
    np.savez(path, n=net.n_neurons, steps=wl.steps, i=net.syn_source - net.n_inputs, j=net.syn_target,
             w=net.syn_weight, n_inputs=net.n_inputs, **{f"p_{k}": v for k, v in net.params.items()})


def child_brian2(workload: str, npz: Path, target: str) -> dict:
    import numpy as np
    t0 = time.perf_counter()
    import brian2 as b2
    t_import = time.perf_counter() - t0

    d = np.load(npz)
    if int(d["n_inputs"]):
        raise SystemExit(f"{workload}: input channels are not mapped to Brian2 by this script")
    for f, expect in (("du", 4095), ("dv", 0), ("v_reset", 0), ("w_exp", 0)):
        if not (d[f"p_{f}"] == expect).all():
            raise SystemExit(f"{workload}: Brian2 mapping assumes {f} == {expect}")
    n, steps = int(d["n"]), int(d["steps"])
    b2.prefs.codegen.target = target
    b2.prefs.logging.console_log_level = "WARNING"
    b2.defaultclock.dt = 1 * b2.ms     # one timestep = one dt; the model is written per step
    t0 = time.perf_counter()
    # neurocycle's lif_fixed with du=4095 (current lasts one step), dv=0 (no leak): per step,
    # if not refractory v += I + bias; fire on v >= vth; reset to 0; 'ref' steps held after a spike.
    # I collects this step's spikes (synapses slot, after the update) and feeds the next step.
    g = b2.NeuronGroup(n, """v : 1
                             I : 1
                             bias : 1 (constant)
                             vth : 1 (constant)
                             refractory_steps : 1 (constant)
                             ref : 1
                             active : 1""",
                       threshold="active > 0 and v >= vth", reset="v = 0\nref = refractory_steps",
                       method="exact", name="lif")
    g.run_regularly("active = int(ref <= 0)\nv = v + (I + bias) * active\nref = ref - (1 - active)\nI = 0",
                    when="start", name="lif_step")
    g.bias = d["p_bias"].astype(float)
    g.vth = d["p_vth"].astype(float)
    g.refractory_steps = d["p_refractory"].astype(float)
    s = b2.Synapses(g, g, "w : 1", on_pre="I_post += w", name="syn")
    s.connect(i=d["i"], j=d["j"])
    s.w = d["w"].astype(float)
    mon = b2.SpikeMonitor(g, record=False)
    net = b2.Network(g, s, mon)
    t1 = time.perf_counter()
    net.run(0 * b2.ms)                 # code generation / compilation, no timestep
    t2 = time.perf_counter()
    c2 = time.process_time()
    net.run(steps * b2.defaultclock.dt)
    t3 = time.perf_counter()
    c3 = time.process_time()
    count = np.asarray(mon.count[:], dtype=np.int64)
    out_degree = np.bincount(d["i"], minlength=n)
    return {"workload": workload, "simulator": f"Brian2 {b2.__version__}", "timing": f"functional ({target})",
            "steps": steps, "build_s": t1 - t0 + t_import, "compile_s": t2 - t1, "sim_s": t3 - t2,
            "sim_cpu_s": c3 - c2, "spikes": int(count.sum()), "syn_events": int((count * out_degree).sum()),
            "peak_rss_mib": _peak_rss_mib()}


# ----------------------------------------------------------------------------- parent
def _run(cmd: list[str], what: str) -> dict:
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **ENV_1THREAD}, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"{what} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _has_module(python: str, module: str) -> bool:
    if not Path(python).exists():
        return False
    return subprocess.run([python, "-c", f"import {module}"], capture_output=True).returncode == 0


def brian2_python(explicit: str | None) -> str | None:
    candidates = [explicit] if explicit else [str(ROOT / ".venv-peers" / "bin" / "python"), sys.executable]
    for py in candidates:
        if py and _has_module(py, "brian2"):
            return py
    return None


def neurocycle_row(workload: str, backend: str, steps: int | None) -> dict:
    import run
    r = run.run_child(workload, backend, steps)
    return {"workload": workload, "simulator": "neurocycle", "steps": r["steps"],
            "timing": "cycle-exact" if backend == "cycle" else "functional (reference)",
            "backend": backend, "build_s": r["build_s"], "compile_s": r["compile_s"], "sim_s": r["sim_s"],
            "sim_cpu_s": r["sim_cpu_s"], "spikes": r["spikes"], "syn_events": r["syn_events"],
            "peak_rss_mib": r["peak_rss_mib"]}


def fmt_rate(x: float) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= scale:
            return f"{x / scale:.2f} {unit}"
    return f"{x:.1f}"


def report(rows: list[dict]) -> str:
    cyc = {r["workload"]: r for r in rows if r.get("backend") == "cycle"}
    head = ("| workload | simulator | timing model | steps | build s | compile s | sim s | sim cpu s | "
            "synaptic events/s | spikes | cycle x | cycle x (cpu) | peak RSS MiB | load avg |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        c = cyc.get(r["workload"])
        ratio = f"{r['sim_s'] / c['sim_s']:.2f}x" if c else "-"
        ratio_cpu = f"{r['sim_cpu_s'] / c['sim_cpu_s']:.2f}x" if c else "-"
        lines.append(f"| {r['workload']} | {r['simulator']} | {r['timing']} | {r['steps']} | {r['build_s']:.2f} | "
                     f"{r['compile_s']:.2f} | {r['sim_s']:.2f} | {r['sim_cpu_s']:.2f} | "
                     f"{fmt_rate(r['syn_events'] / r['sim_s'])} | {r['spikes']:,} | {ratio} | {ratio_cpu} | "
                     f"{r['peak_rss_mib']:.0f} | {r['load_avg']:.2f} |")
    lines.append("")
    for r in rows:
        c = cyc.get(r["workload"])
        if c and r.get("backend") != "cycle":
            diff = r["spikes"] - c["spikes"]
            same = "identical" if diff == 0 else f"{diff:+,} ({100.0 * diff / max(c['spikes'], 1):+.2f} %)"
            lines.append(f"# {r['workload']}: {r['simulator']} ({r['timing']}) spikes vs neurocycle cycle: {same}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workload", action="append", help="workload (repeatable); default W1-quarter and W1")
    ap.add_argument("--peers", default="sanafe,brian2", help="comma-separated peers: sanafe, brian2")
    ap.add_argument("--steps", type=int, help="override the workload's number of timesteps")
    ap.add_argument("--sanafe-timing", default="simple",
                    help="comma-separated SANA-FE timing models (simple, detailed, cycle); default simple")
    ap.add_argument("--sanafe-threads", type=int, default=1, help="SANA-FE processing threads (default 1)")
    ap.add_argument("--brian2-target", default="cython", help="Brian2 codegen target: cython or numpy")
    ap.add_argument("--brian2-python", help="interpreter with brian2 (default .venv-peers/bin/python, then this one)")
    ap.add_argument("--json", type=Path, help="also write the measurements to this JSON file")
    ap.add_argument("--child", choices=["sanafe", "brian2"], help=argparse.SUPPRESS)
    ap.add_argument("--npz", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    names = a.workload or ["W1-quarter", "W1"]

    if a.child == "sanafe":
        print(json.dumps(child_sanafe(names[0], a.steps, a.sanafe_timing, a.sanafe_threads)))
        return 0
    if a.child == "brian2":
        print(json.dumps(child_brian2(names[0], a.npz, a.brian2_target)))
        return 0

    import run
    info = run.machine()
    print(f"# {info['cpu']}, {info['cores']} cores, Python {info['python']}")
    print(f"# command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    peers = [p for p in a.peers.split(",") if p]
    for p in peers:
        if p not in INSTALL:
            raise SystemExit(f"unknown peer {p!r}; known: {', '.join(INSTALL)}")
    have_sanafe = "sanafe" in peers and _has_module(sys.executable, "sanafe")
    if "sanafe" in peers and not have_sanafe:
        print(f"# SANA-FE: not installed, skipped (install: {INSTALL['sanafe']})")
    b2_py = brian2_python(a.brian2_python) if "brian2" in peers else None
    if "brian2" in peers and b2_py is None:
        print(f"# Brian2: not installed, skipped (install: {INSTALL['brian2']})")
    me = str(Path(__file__).resolve())
    steps_arg = ["--steps", str(a.steps)] if a.steps is not None else []
    rows = []

    def measure(what: str, fn) -> None:
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        r = fn()
        r["load_avg"] = load
        rows.append(r)
        print(f"  {what}: sim {r['sim_s']:.2f} s, {r['spikes']:,} spikes (child wall {time.perf_counter() - t0:.1f} s,"
              f" load avg {load:.2f})", file=sys.stderr)

    for name in names:
        for backend in ("cycle", "reference"):
            measure(f"{name}/neurocycle-{backend}", lambda: neurocycle_row(name, backend, a.steps))
        if have_sanafe:
            for timing in [t for t in a.sanafe_timing.split(",") if t]:
                measure(f"{name}/sanafe-{timing}", lambda: _run(
                    [sys.executable, me, "--child", "sanafe", "--workload", name, "--sanafe-timing", timing,
                     "--sanafe-threads", str(a.sanafe_threads), *steps_arg], f"{name}/SANA-FE"))
        if b2_py is not None:
            with tempfile.TemporaryDirectory() as tmp:
                npz = Path(tmp) / "net.npz"
                export_network(name, a.steps, npz)
                measure(f"{name}/brian2", lambda: _run(
                    [b2_py, me, "--child", "brian2", "--workload", name, "--npz", str(npz),
                     "--brian2-target", a.brian2_target], f"{name}/Brian2"))
    print(report(rows))
    if a.json:
        a.json.write_text(json.dumps({"machine": info, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
