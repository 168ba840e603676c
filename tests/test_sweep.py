"""Sweeps: validation before any side effect, the shipped example on Dask, and a real killed
sweep that resumes with every point exactly once (failing points recorded)."""
import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from neurocycle.hw import ConfigError
from neurocycle.sim.sweep import load_sweep, pareto_front

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "configs" / "sweeps" / "tiny-ppa.yaml"
EXE = Path(sys.executable).parent / "neurocycle"


def _sweep(tmp_path, **fields) -> Path:
    base = yaml.safe_load(EXAMPLE.read_text())
    base.update(fields)
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(base, sort_keys=False))
    return path


# ----------------------------------------------------------------------------- no Dask
def test_example_points_and_keys():
    sw = load_sweep(EXAMPLE)
    pts = sw.points()
    assert len(pts) == 12 and len({p.key for p in pts}) == 12
    # the three technology nodes of one FIFO setting share one simulation
    assert len({p.sim_key for p in pts}) == 4
    assert pts[0].overrides == {"router.fifo_depth": 1, "core.fifo_depth": 1, "technology.node_nm": 22}
    assert pts[0].chip.router.fifo_depth == 1 and pts[0].chip.technology.node_nm == 22
    # keys depend on the resolved inputs only: the same point reached another way has the same key
    again = load_sweep({**yaml.safe_load(EXAMPLE.read_text()), "name": "other", "chip": "tiny-2x2",
                        "grid": {"technology.node_nm": [22], "core.fifo_depth": [1], "router.fifo_depth": [1]}})
    assert again.points()[0].key == pts[0].key


def test_samples_are_seeded_and_special_axes(tmp_path):
    spec = {**yaml.safe_load(EXAMPLE.read_text()), "grid": {"seed": [1, 2], "network.inputs[0].source.rate_hz": [50.0]},
            "samples": {"count": 5, "seed": 3, "space": {"clock_mhz": {"uniform": [50, 200]},
                                                         "core.fifo_depth": {"integers": [1, 8]},
                                                         "technology.node_nm": {"choice": [22, 45]},
                                                         "router.fifo_depth": {"log_uniform": [1, 1]}}}}
    spec["samples"]["space"]["router.fifo_depth"] = {"choice": [1, 2, 4]}
    a, b = load_sweep(spec).points(), load_sweep(spec).points()
    assert [p.key for p in a] == [p.key for p in b] and len(a) == 7
    assert a[0].seed == 1 and a[1].seed == 2 and a[0].key != a[1].key
    assert a[0].network.inputs[0].source.rate_hz == 50.0
    for p in a[2:]:
        assert 50 <= p.chip.clock_mhz <= 200 and 1 <= p.chip.core.fifo_depth <= 8
        assert p.chip.technology.node_nm in (22, 45)


@pytest.mark.parametrize("fields,field,words", [
    ({"grid": {"core.neurns": [8]}}, "core.neurns", "not a chip config field"),
    ({"grid": {"core.neurons": [8, 0]}}, "core.neurons", "greater than or equal to 1"),
    ({"grid": {"router.fifo_depth": [1000]}}, "router.fifo_depth", "less than or equal"),
    ({"grid": {"technology.node_nm": [14]}}, "technology.", "14 nm"),
    ({"grid": {"network.inputs[3].size": [2]}}, "inputs[3].size", "not a network field"),
    ({"grid": {"steps": [0]}}, "steps", ">= 1"),
    ({"grid": {"core.neurons": []}}, "grid.core.neurons", "no values"),
    ({"samples": {"count": 2, "space": {"clock_mhz": {"normal": [1, 2]}}}}, "clock_mhz", "uniform"),
    ({"samples": {"count": 2, "space": {"clock_mhz": {"uniform": [300, 200]}}}}, "clock_mhz", "above high"),
    ({"backend": "rtl"}, "backend", "cycle"),
    ({"gird": {}}, "gird", "not a known field"),
    ({"placement": "random"}, "placement", "must be one of balanced, sequential, snake"),
    ({"grid": {"placement": ["zigzag"]}}, "grid.placement", "must be one of balanced"),
    ({"neurons_per_core": 0}, "neurons_per_core", "greater than or equal to 1"),
    ({"grid": {"neurons_per_core": [0]}}, "grid.neurons_per_core", ">= 1"),
    ({"grid": {"neurons_per_core": [17]}}, "grid.neurons_per_core", "at most core.neurons (16)"),
    # the name becomes OUT/NAME.sqlite and OUT/NAME-pareto.png: nothing may escape --out
    ({"name": "../../etc/evil"}, "name", "must be a plain file name"),
    ({"name": "a/b"}, "name", "write name: a-b"),
    ({"name": "..."}, "name", "no '..'"),
    ({"name": "/abs"}, "name", "stay inside --out"),
    ({"name": "x y"}, "name", "write name: x-y"),
])
def test_bad_sweeps_fail_before_anything_is_written(tmp_path, cli, fields, field, words):
    path = _sweep(tmp_path, **fields)
    with pytest.raises(ConfigError) as e:
        load_sweep(path).points()
    assert field in str(e.value) and words in str(e.value)
    proc = cli("sweep", path, "--out", tmp_path / "out", check=False)
    assert proc.returncode == 2 and field in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_unreachable_scheduler_is_a_clear_error(tmp_path, cli):
    proc = cli("sweep", EXAMPLE, "--out", tmp_path / "out", "--scheduler", "tcp://127.0.0.1:9",
               "--connect-timeout", "1", check=False)
    assert proc.returncode == 2
    assert "--scheduler" in proc.stderr and "could not connect" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_pareto_front():
    xs = [1.0, 2.0, 3.0, 1.5, 2.5, 1.0]
    ys = [5.0, 3.0, 1.0, 6.0, 3.5, 4.0]
    assert pareto_front(xs, ys).tolist() == [5, 1, 2]


# ----------------------------------------------------------------------------- Dask
def _rows(db):
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT point_index, key, status, error, energy_pj, total_cycles, finished_at "
                            "FROM points ORDER BY point_index").fetchall()
    finally:
        conn.close()


def test_example_sweep_runs_on_dask(tmp_path, cli):
    out = tmp_path / "out"
    proc = cli("sweep", EXAMPLE, "--out", out, "--export", out / "points.csv", "--quiet")
    assert "12 ran ok, 0 failed" in proc.stdout, proc.stdout
    rows = _rows(out / "tiny-ppa.sqlite")
    assert len(rows) == 12 and all(r[2] == "ok" for r in rows)
    pts = load_sweep(EXAMPLE).points()
    by_key = {r[1]: r for r in rows}
    assert set(by_key) == {p.key for p in pts}
    # same simulation -> identical cycles; a finer node -> less energy
    for sim_key in {p.sim_key for p in pts}:
        grp = sorted((p for p in pts if p.sim_key == sim_key), key=lambda p: p.chip.technology.node_nm)
        assert len({by_key[p.key][5] for p in grp}) == 1
        energies = [by_key[p.key][4] for p in grp]
        assert energies[0] < energies[1] < energies[2]
    with open(out / "points.csv") as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == 12 and {"technology.node_nm", "energy_pj", "area_mm2"} <= set(table[0])
    assert (out / "tiny-ppa-pareto.png").stat().st_size > 1000
    # a re-run finds everything finished and starts no cluster
    proc = cli("sweep", EXAMPLE, "--out", out, "--quiet", "--no-plot")
    assert "12 already in" in proc.stdout and "0 ran ok" in proc.stdout
    assert _rows(out / "tiny-ppa.sqlite") == rows


def test_killed_sweep_resumes_with_every_point_once(tmp_path):
    """A real sweep process (client + its local Dask cluster) is SIGKILLed after some points
    are in the database; the re-run finishes the rest. Points whose network does not fit
    (core.neurons 32: 1024 neurons on 16 x 32) fail and are recorded with their error."""
    path = tmp_path / "kill.yaml"
    path.write_text(yaml.safe_dump({
        "name": "kill", "chip": "default-4x4", "network": "default-net", "steps": 400,
        "grid": {"seed": [1, 2, 3, 4, 5, 6], "core.neurons": [256, 32]}}))
    points = load_sweep(path).points()
    n = len(points)
    db = tmp_path / "out" / "kill.sqlite"
    cmd = [str(EXE), "sweep", str(path), "--out", str(tmp_path / "out"), "--quiet", "--no-plot"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)   # its own process group: client, nannies, workers
    try:
        deadline = time.monotonic() + 300
        while True:
            ok = 0
            if db.exists():
                try:
                    ok = sum(r[2] == "ok" for r in _rows(db))
                except sqlite3.OperationalError:
                    ok = 0      # schema not created yet
            if ok >= 2:
                break
            assert proc.poll() is None, f"sweep ended before it could be killed: {proc.communicate()}"
            assert time.monotonic() < deadline, "no point finished"
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    before = _rows(db)
    assert 2 <= sum(r[2] == "ok" for r in before) and len(before) < n, "the kill came after the last point"
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()

    rerun = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True)
    assert rerun.returncode == 1, rerun.stdout + rerun.stderr          # 1: some points failed
    assert f"{len(before)} already in" in rerun.stdout, rerun.stdout
    after = _rows(db)
    assert len(after) == n and sorted(r[1] for r in after) == sorted(p.key for p in points)
    assert [r[0] for r in after] == list(range(n))                     # every point exactly once
    assert set(before) <= set(after)                                   # finished rows were not redone
    for r in after:
        small = points[r[0]].chip.core.neurons == 32
        assert r[2] == ("error" if small else "ok"), r
        if small:
            assert "CapacityError" in r[3] and "neurons" in r[3]
        else:
            assert r[4] > 0 and r[5] > 0
