"""Sweep faults survived without losing a result (issue #15), each on a real `neurocycle sweep`
process: a second sweep on the same database, Ctrl-C (once and twice) with a resume, a peer
that accepts and stays silent, a lost scheduler, a full disk, and a sweep whose every point
fails. Time limits here only detect hangs; they are generous on purpose."""
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from neurocycle.sim.sweep import load_sweep

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "configs" / "sweeps" / "tiny-ppa.yaml"
EXE = Path(sys.executable).parent / "neurocycle"
ENV = {**os.environ, "COLUMNS": "160"}


def _rows(db):
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT point_index, key, status, error, energy_pj, total_cycles, finished_at "
                            "FROM points ORDER BY point_index").fetchall()
    except sqlite3.OperationalError:
        return []                                   # not created yet
    finally:
        conn.close()


def _slow_sweep(tmp_path, n=6, name="slow") -> Path:
    """Points that take about a second each: enough to act while the sweep runs."""
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"name": name, "chip": "default-4x4", "network": "default-net", "steps": 300,
                                    "grid": {"seed": list(range(1, n + 1))}}))
    return path


def _start(cmd, cwd):
    # its own process group (client + local cluster), as a shell gives a foreground job
    return subprocess.Popen([str(c) for c in cmd], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True, env=ENV)


def _wait_rows(db, proc, at_least, limit=300.0):
    deadline = time.monotonic() + limit
    while True:
        if db.exists() and sum(r[2] == "ok" for r in _rows(db)) >= at_least:
            return
        assert proc.poll() is None, f"sweep ended too early: {proc.communicate()}"
        assert time.monotonic() < deadline, "no point finished"
        time.sleep(0.05)


def _finish(proc, limit=300.0):
    try:
        out, err = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        raise AssertionError(f"hung: {out}\n{err}")
    return proc.returncode, out, err


def _assert_one_clean_line(err, *words):
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert "Traceback" not in err and len(lines) <= 2, err
    for w in words:
        assert w in err, err


def _complete(cmd, cwd, points, before):
    rerun = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, env=ENV, timeout=600)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    after = _rows(cwd / "out" / f"{load_sweep(cmd[2]).spec.name}.sqlite")
    assert [r[0] for r in after] == list(range(len(points)))              # every point exactly once
    assert sorted(r[1] for r in after) == sorted(p.key for p in points)
    assert set(before) <= set(after)                                      # finished rows untouched
    assert all(r[2] == "ok" for r in after)
    return rerun


# ----------------------------------------------------------------------------- two sweeps, one database
def test_second_sweep_on_the_same_database_is_refused(tmp_path):
    path = _slow_sweep(tmp_path)
    points = load_sweep(path).points()
    db = tmp_path / "out" / "slow.sqlite"
    cmd = [EXE, "sweep", path, "--out", tmp_path / "out", "--quiet", "--no-plot"]
    first = _start(cmd, tmp_path)
    try:
        _wait_rows(db, first, 1)
        os.killpg(first.pid, signal.SIGSTOP)        # hold it mid-sweep, lock taken, rows written
        before = _rows(db)
        assert len(before) < len(points)
        second = subprocess.run([str(c) for c in cmd], cwd=tmp_path, capture_output=True, text=True, env=ENV,
                                timeout=120)
        assert second.returncode == 2, second.stdout + second.stderr
        _assert_one_clean_line(second.stderr, "neurocycle: error: --db: is in use by another sweep",
                               f"PID {first.pid}", str(db), "run this command again to resume", "another --db")
        assert _rows(db) == before                  # the refused sweep wrote nothing
        os.killpg(first.pid, signal.SIGCONT)
        rc, out, err = _finish(first)
        assert rc == 0, out + err
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGCONT)
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
    after = _rows(db)
    assert [r[0] for r in after] == list(range(len(points))) and set(before) <= set(after)


# ----------------------------------------------------------------------------- Ctrl-C
def test_ctrl_c_once_and_twice_then_resume(tmp_path):
    """SIGINT to the sweep's process group, as a terminal's Ctrl-C: exit 130 with one line and a
    resume hint, no worker traceback. Twice: ends at once, just as clean. Then the same command
    finishes the rest, every point exactly once."""
    path = _slow_sweep(tmp_path, n=8)
    points = load_sweep(path).points()
    db = tmp_path / "out" / "slow.sqlite"
    cmd = [EXE, "sweep", path, "--out", tmp_path / "out", "--quiet", "--no-plot"]
    before = []
    for presses in (1, 2):
        proc = _start(cmd, tmp_path)
        try:
            _wait_rows(db, proc, len(before) + 1)     # a point finished in this run: the cluster is up
            for _ in range(presses):
                os.killpg(proc.pid, signal.SIGINT)
                time.sleep(0.2)
            rc, out, err = _finish(proc, limit=120)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        assert rc == 130, (rc, out, err)
        _assert_one_clean_line(err, "neurocycle: interrupted", str(db), "run the same command again to resume")
        before = _rows(db)
        assert len(before) < len(points), "the interrupt came after the last point"
        conn = sqlite3.connect(db)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()
    rerun = _complete(cmd, tmp_path, points, before)
    assert f"{len(before)} already in" in rerun.stdout


# ----------------------------------------------------------------------------- remote peers
def test_silent_peer_fails_within_the_connect_timeout(tmp_path):
    """A peer that accepts the connection and never answers (connect succeeds, the Dask
    handshake never comes) must not hang the sweep."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    held = []
    stop = threading.Event()

    def accept():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(srv.accept()[0])
            except OSError:
                pass

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        address = f"tcp://127.0.0.1:{srv.getsockname()[1]}"
        start = time.monotonic()
        proc = subprocess.run([str(EXE), "sweep", str(EXAMPLE), "--out", str(tmp_path / "out"), "--scheduler",
                               address, "--connect-timeout", "2"], capture_output=True, text=True, env=ENV,
                              timeout=120)
        took = time.monotonic() - start
    finally:
        stop.set()
        t.join()
        for c in held:
            c.close()
        srv.close()
    assert held, "the sweep never connected"
    assert proc.returncode == 2, proc.stdout + proc.stderr
    _assert_one_clean_line(proc.stderr, "--scheduler: did not complete the Dask handshake within 2 s", address)
    assert took < 2 + 30, took                      # hang detection (startup included), not a timing test
    assert not (tmp_path / "out").exists()


def _dask(*args, log):
    return subprocess.Popen([str(Path(sys.executable).parent / "dask"), *args], stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def test_lost_scheduler_is_one_line_and_resumable(tmp_path):
    log_path = tmp_path / "scheduler.log"
    with open(log_path, "w") as log:
        sched = _dask("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", log=log)
    procs = [sched]
    try:
        deadline = time.monotonic() + 120
        while not (m := re.search(r"Scheduler at:\s+(tcp://127\.0\.0\.1:\d+)", log_path.read_text())):
            assert sched.poll() is None and time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.1)
        address = m.group(1)
        with open(tmp_path / "worker.log", "w") as log:
            procs.append(_dask("worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard", log=log))
        path = _slow_sweep(tmp_path)
        points = load_sweep(path).points()
        db = tmp_path / "out" / "slow.sqlite"
        proc = _start([EXE, "sweep", path, "--out", tmp_path / "out", "--quiet", "--no-plot",
                       "--scheduler", address, "--connect-timeout", "60"], tmp_path)
        procs.append(proc)
        _wait_rows(db, proc, 1)
        os.killpg(sched.pid, signal.SIGKILL)
        rc, out, err = _finish(proc, limit=120)
        assert rc == 2, (rc, out, err)
        _assert_one_clean_line(err, "neurocycle: error: --scheduler: lost the connection to the Dask scheduler",
                               "run the same command again to resume")
        before = _rows(db)
        assert 1 <= len(before) < len(points) and all(r[2] == "ok" for r in before)   # nothing recorded as lost
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    # nothing was recorded as lost: a re-run (tested above for Ctrl-C) runs exactly the rest


# ----------------------------------------------------------------------------- disk full
_FULL_DISK = """
import sqlite3, sys
real = sqlite3.connect
def connect(*a, **k):
    conn = real(*a, **k)
    conn.execute("PRAGMA max_page_count = %d")      # SQLite's own SQLITE_FULL, as on a full disk
    return conn
sqlite3.connect = connect
from neurocycle.sim.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_full_disk_mid_sweep_is_one_line_and_keeps_the_rows(tmp_path):
    out = tmp_path / "out"
    base = [sys.executable, "-c"]
    args = ["sweep", str(EXAMPLE), "--out", str(out), "--quiet", "--no-plot", "--workers", "1"]
    proc = subprocess.run(base + [_FULL_DISK % 14] + args, cwd=tmp_path, capture_output=True, text=True, env=ENV,
                          timeout=600)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    _assert_one_clean_line(proc.stderr, "neurocycle: error: --db: could not be written while writing point",
                           "the disk is full", "free space", "run the same command again to resume")
    assert "cannot rollback" not in proc.stderr
    db = out / "tiny-ppa.sqlite"
    before = _rows(db)
    assert 1 <= len(before) < 12 and all(r[2] == "ok" for r in before), before
    # room again: the same command finishes the rest
    _complete([EXE, "sweep", EXAMPLE, "--out", out, "--quiet", "--no-plot"], tmp_path,
              load_sweep(EXAMPLE).points(), before)


# ----------------------------------------------------------------------------- every point fails
def test_every_point_failing_gives_a_summary_and_no_plot(tmp_path, cli):
    spec = yaml.safe_load(EXAMPLE.read_text())
    spec["grid"] = {"core.neurons": [4, 5], "technology.node_nm": [22, 45]}    # 24 neurons never fit
    path = tmp_path / "fail.yaml"
    path.write_text(yaml.safe_dump(spec))
    proc = cli("sweep", path, "--out", tmp_path / "out", "--quiet", "--export", tmp_path / "p.csv", check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "0 ran ok, 4 failed" in proc.stdout and "4 of 4 points are not ok (4 error, 0 lost" in proc.stdout
    counts = re.findall(r"^\s+(\d+) × error: CapacityError", proc.stdout, re.M)
    assert counts == ["2", "2"], proc.stdout                         # two distinct errors, two points each
    assert "no Pareto plot" in proc.stdout and not (tmp_path / "out" / "tiny-ppa-pareto.png").exists()
    assert "Traceback" not in proc.stdout + proc.stderr
    assert len((tmp_path / "p.csv").read_text().splitlines()) == 5


# ----------------------------------------------------------------------------- a point is a run
def test_a_point_computes_what_neurocycle_run_computes(tmp_path, cli):
    """The worker goes through `simulate` (load, compile with the point's options, backend), so
    a point and `neurocycle run` of the same inputs agree on every number."""
    from neurocycle.sim.sweep._cluster import _task
    from neurocycle.sim.sweep._worker import run_group

    spec = yaml.safe_load(EXAMPLE.read_text())
    net = tmp_path / "net.yaml"
    net.write_text(yaml.safe_dump(spec["network"]))
    sweep = load_sweep({**spec, "network": str(net), "grid": {}, "placement": "snake", "neurons_per_core": 7})
    (p,) = sweep.points()
    (row,) = run_group(json.loads(json.dumps(_task([p]))))               # what a worker gets: plain JSON
    assert row["status"] == "ok", row["error"]
    cli("run", "tiny-2x2", net, "--steps", "30", "--seed", "7", "--placement", "snake",
        "--neurons-per-core", "7", "--out", tmp_path / "run")
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["compile_options"] == {"placement": "snake", "neurons_per_core": 7}
    m = row["metrics"]
    assert m["spikes"] == report["results"]["spikes"]
    assert m["total_cycles"] == report["results"]["cycles"]["total_cycles"]
    assert m["energy_pj"] == pytest.approx(report["results"]["energy"]["total_pj"], rel=1e-12)
    assert row["provenance"]["versions"]["neurocycle"] and "git_commit" in row["provenance"]
