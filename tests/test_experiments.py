"""`neurocycle experiment` (neurocycle.sim.experiments): both experiments on small grids, in
process, through the sweep machinery; their files, their answers' sanity and their errors. The
default grids run on Dask from the CLI in ~1-2 minutes (docs/experiments.md)."""
import json

import numpy as np
import pytest

from neurocycle.hw import ConfigError
from neurocycle.sim import NetworkBuilder
from neurocycle.sim.cli import main
from neurocycle.sim.experiments import event_vs_dense, graded_vs_binary
from neurocycle.sim.experiments._event import crossover
from neurocycle.sim.experiments._graded import Layered, _rate_code


def small_ff(seed=1):
    """16 inputs -> 12 -> 6 -> 4, fully connected, random integer weights."""
    b = NetworkBuilder("small-ff", seed=seed)
    b.population("h1", 12, {"vth": 10})
    b.population("h2", 6, {"vth": 10})
    b.population("out", 4, {"vth": 10})
    b.poisson_input("img", 16, rate_hz=10)
    w = {"kind": "normal", "mean": 1.0, "std": 6.0, "low": -31, "high": 31}
    b.connect("img", "h1", "all_to_all", weight=w)
    b.connect("h1", "h2", "all_to_all", weight=w)
    b.connect("h2", "out", "all_to_all", weight=w)
    return b.build()


def test_graded_vs_binary_small(tmp_path):
    res = graded_vs_binary(tmp_path, network=small_ff(), chip="tiny-2x2", payload_bits=(1, 3), samples=2,
                           progress=False, in_process=True)
    names = {f.name for f in res.files}
    assert {"graded-vs-binary.csv", "graded-vs-binary.md", "graded-vs-binary.json", "graded-vs-binary.png"} <= names
    assert (tmp_path / "graded-vs-binary.sqlite").is_file()
    rows = {(r["payload_bits"], r["arm"]): r for r in res.rows}
    assert len(rows) == 6
    for P in (1, 3):
        g = rows[(P, "graded")]
        assert g["output_error_pct"] == 0.0            # the graded chip computes the integer network exactly
        assert g["timesteps"] == 4                     # inputs + 3 layers
        assert g["flit_bits"] == rows[(P, "binary-equal-information")]["flit_bits"] + P
    b3 = rows[(3, "binary-equal-information")]
    assert b3["timesteps"] == 7 + 3 + 1 and b3["latency_cycles"] > rows[(3, "graded")]["latency_cycles"]
    data = json.loads((tmp_path / "graded-vs-binary.json").read_text())
    assert data["settings"]["layers"] == 3 and data["settings"]["outputs"] == ["out"]
    assert len(data["points"]) == 2 * 3 * 2
    # a second run reuses every finished simulation (resumable like a sweep)
    again = graded_vs_binary(tmp_path, network=small_ff(), chip="tiny-2x2", payload_bits=(1, 3), samples=2,
                             progress=False, in_process=True, plot=False)
    assert [r["energy_nj"] for r in again.rows] == [r["energy_nj"] for r in res.rows]


def test_graded_reference_matches_the_rule():
    lay = Layered(small_ff())
    assert lay.L == 3 and lay.outputs == ["out"]
    rng = np.random.default_rng(0)
    xs = rng.integers(0, 8, (3, 16))
    theta = lay.calibrate(xs, 7)
    a = lay.reference(xs[0], theta, 7)
    assert a.min() >= 0 and a.max() <= 7 and set(theta) == {1, 2, 3}


def test_rate_code_spreads_the_spikes():
    s, c = _rate_code(np.array([0, 7, 3, 1]), 7, 7)
    assert np.bincount(c, minlength=4).tolist() == [0, 7, 3, 1]
    assert s[c == 2].tolist() == [0, 2, 4] and s.max() < 7


def test_graded_vs_binary_refuses_networks_it_cannot_layer():
    b = NetworkBuilder("rec")
    b.population("a", 4, {"vth": 3})
    b.poisson_input("x", 2, rate_hz=10)
    b.connect("x", "a", "all_to_all", weight=1)
    b.connect("a", "a", "all_to_all", weight=1)
    with pytest.raises(ConfigError, match="strictly layered"):
        Layered(b.build())
    b2 = NetworkBuilder("two")
    b2.population("a", 4, {"vth": 3})
    b2.poisson_input("x", 2, rate_hz=10)
    b2.poisson_input("y", 2, rate_hz=10)
    with pytest.raises(ConfigError, match="exactly one input group"):
        Layered(b2.build())


def test_event_vs_dense_small(tmp_path):
    res = event_vs_dense(tmp_path, chip="default-4x4", rates=(0.001, 0.05, 0.9), sub=(0.0,), steps=8,
                         progress=False, in_process=True)
    names = {f.name for f in res.files}
    assert {"event-vs-dense.csv", "event-vs-dense.json", "event-vs-dense.png"} <= names
    by = {(r["mode"], r["firing_rate"]): r for r in res.rows}
    assert by[("dense", 0.001)]["updates_per_step"] == 4096
    assert by[("event", 0.001)]["updates_per_step"] < 0.2 * 4096      # most neurons at rest are skipped
    assert by[("event", 0.001)]["event_over_dense_energy"] < 0.5
    assert by[("event", 0.9)]["event_over_dense_energy"] > 1.0         # everything visited + the bookkeeping
    assert by[("event", 0.001)]["scans_per_step"] == 16 * 8          # 256 neurons / 32-bit words x 16 cores
    x = res.settings["crossover"]["0.0"]["energy"]
    assert x is not None and 0.05 < x < 0.9
    # spikes are the same in both modes (the contract of §9); only the update cost differs
    assert all(by[("event", r)]["spikes_per_step"] == by[("dense", r)]["spikes_per_step"] for r in (0.001, 0.05, 0.9))


def test_crossover_interpolates_on_a_log_scale():
    assert crossover([0.01, 0.1, 1.0], [0.5, 0.9, 1.1]) == pytest.approx(10 ** (-1 + 0.5))
    assert crossover([0.01, 0.1], [0.5, 0.9]) is None
    assert crossover([0.01, 0.1], [1.0, 0.9]) == 0.01


def test_experiment_cli(tmp_path, capsys):
    out = tmp_path / "evd"
    rc = main(["experiment", "event-vs-dense", "--chip", "tiny-2x2", "--rates", "0.01", "0.5", "--sub", "0",
               "--steps", "4", "--in-process", "--quiet", "--out", str(out)])
    assert rc == 0
    assert (out / "event-vs-dense.png").is_file() and (out / "event-vs-dense.csv").is_file()
    assert "wrote" in capsys.readouterr().out
    rc = main(["experiment", "event-vs-dense", "--payload-bits", "4", "--out", str(out)])
    assert rc == 2 and "graded-vs-binary" in capsys.readouterr().err
    rc = main(["experiment", "graded-vs-binary", "--payload-bits", "0", "--out", str(out)])
    assert rc == 2 and "payload_bits" in capsys.readouterr().err


def test_sweep_points_and_outputs(tmp_path):
    """The sweep features the experiments use: explicit points and per-population outputs."""
    from neurocycle.sim.sweep import Sweep, SweepSpec, run_sweep
    from neurocycle.hw import validate_data

    net = small_ff().model_dump(mode="json")
    spec = validate_data(SweepSpec, {"name": "pts", "chip": "tiny-2x2", "network": net, "steps": 5,
                                     "points": [{"seed": 1}, {"seed": 2, "core.neuron_update": "event"}],
                                     "outputs": ["out"]}, what="sweep")
    res = run_sweep(Sweep(spec), tmp_path / "pts.sqlite", in_process=True, progress=False)
    assert res.ok == 2 and res.total == 2
    for r in res.rows:
        m = json.loads(r["metrics"])
        assert len(m["outputs"]["out"]) == 4 and "nu_scan_cycles" in m["counts"]
    with pytest.raises(ConfigError, match="outputs"):
        validate_data(SweepSpec, {"name": "pts", "network": net, "outputs": ["nope"]}, what="sweep")


# --------------------------------------------------------------------------- noc
def test_noc_experiment_same_spikes_fewer_flits_with_multicast(tmp_path):
    """synfire-chain (2x2 cores): unicast vs multicast, 1 and 2 cores per router. Same cores and
    spikes in every variant; multicast injects one flit per spike, unicast one per destination
    core; concentration halves the routers and so the grants of local deliveries."""
    from neurocycle.sim.experiments import noc_experiment

    exp = noc_experiment(["synfire-chain", "winner-take-all"], steps=6, concentrations=(1, 2))
    rows = {(r.network, r.routing, r.cores_per_router): r for r in exp.rows}
    assert set(rows) == {("synfire-chain", m, c) for m in ("unicast", "multicast") for c in (1, 2)} | {
        ("winner-take-all", m, 1) for m in ("unicast", "multicast")}
    assert all(r.spikes_match for r in exp.rows)
    assert all(r.spikes > 0 for r in exp.rows if r.network == "synfire-chain")
    assert len(exp.skipped) == 2 and all("does not divide" in s for s in exp.skipped)   # the 1x1 mesh
    uni, mc = rows["synfire-chain", "unicast", 1], rows["synfire-chain", "multicast", 1]
    assert mc.flits_per_spike == 1.0 < uni.flits_per_spike
    assert mc.router_grants < uni.router_grants and mc.table_entries > 0 and mc.table_area_mm2 > 0
    assert rows["synfire-chain", "unicast", 2].routers == uni.routers // 2
    assert rows["synfire-chain", "unicast", 2].router_grants < uni.router_grants
    files = exp.save(tmp_path / "noc")
    assert [f.name for f in files] == ["noc.csv", "noc.json", "noc.png"] and all(f.stat().st_size for f in files)
    doc = json.loads(files[1].read_text())
    assert doc["settings"]["steps"] == 6 and doc["provenance"]["versions"] and len(doc["rows"]) == 6
    assert files[0].read_text().count("\n") == 7


def test_noc_experiment_cli_and_errors(tmp_path, capsys):
    out = tmp_path / "noc"
    rc = main(["experiment", "noc", "--network", "synfire-chain", "--steps", "3", "--cores", "1", "--quiet",
               "--no-plot", "--out", str(out)])
    assert rc == 0 and (out / "noc.csv").is_file() and not (out / "noc.png").exists()
    assert "multicast" in capsys.readouterr().out
    rc = main(["experiment", "noc", "--cores", "1,x", "--out", str(out)])
    assert rc == 2 and "--cores" in capsys.readouterr().err
    rc = main(["experiment", "noc", "--cores", "8", "--out", str(out)])
    assert rc == 2 and "1..4" in capsys.readouterr().err
    rc = main(["experiment", "noc", "--rates", "0.1", "--out", str(out)])
    assert rc == 2 and "--rates" in capsys.readouterr().err
    rc = main(["experiment", "event-vs-dense", "--cores", "2", "--out", str(out)])
    assert rc == 2 and "noc" in capsys.readouterr().err
