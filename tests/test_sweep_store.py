"""The sweep results database without Dask: the upsert that never lets a worse state replace a
better one, the upgrade of databases of the previous version, the one-sweep lock, and every
kind of SQLite failure told apart (locked, disk full, I/O error, corrupt, read-only)."""
import json
import os
import sqlite3
from pathlib import Path

import pytest
import yaml

from neurocycle.sim.sweep import COLUMNS, SweepLock, SweepLockedError, SweepStoreError, load_sweep, read_results
from neurocycle.sim.sweep import _store
from neurocycle.sim.sweep._store import Store, classify_sqlite_error

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "configs" / "sweeps" / "tiny-ppa.yaml"


@pytest.fixture(scope="module")
def points():
    return load_sweep(EXAMPLE).points()


def _res(status, energy=None, error=None):
    m = None if energy is None else {"energy_pj": energy}
    return {"key": "", "status": status, "error": error, "metrics": m, "host": "h", "wall_s": 1.0,
            "provenance": {"versions": {"neurocycle": "9.9"}, "git_commit": "abc"}}


def _row(db, key):
    return next(r for r in read_results(db) if r["key"] == key)


# ----------------------------------------------------------------------------- upsert
@pytest.mark.parametrize("first,then,kept", [
    ("ok", "error", "ok"), ("ok", "lost", "ok"), ("ok", "ok", "ok"),
    ("error", "lost", "error"), ("error", "ok", "ok"), ("error", "error", "error"),
    ("lost", "error", "error"), ("lost", "ok", "ok"), ("lost", "lost", "lost"),
])
def test_upsert_never_replaces_a_better_row(tmp_path, points, first, then, kept):
    db = tmp_path / "r.sqlite"
    p = points[0]
    with Store.open(db) as st:
        assert st.write("s", p, _res(first, 1.0 if first == "ok" else None, None if first == "ok" else "E1"))
        before = _row(db, p.key)
        wrote = st.write("s", p, _res(then, 2.0 if then == "ok" else None, None if then == "ok" else "E2"))
    after = _row(db, p.key)
    assert after["status"] == kept
    if first == "ok":                      # an ok row is final, even against another ok
        assert not wrote and after == before


def test_upsert_rule_is_in_the_sql(tmp_path, points):
    """Any writer that uses the store's statement keeps ok rows, not only the Python path."""
    db = tmp_path / "r.sqlite"
    p = points[0]
    with Store.open(db) as st:
        st.write("s", p, _res("ok", 1.0))
        lost = _store.row_values("s", p, _res("lost", error="worker died"))
        conn = sqlite3.connect(db)
        conn.execute(_store._UPSERT, lost)
        conn.commit()
        conn.close()
    assert _row(db, p.key)["status"] == "ok" and _row(db, p.key)["energy_pj"] == 1.0


def test_rows_record_what_made_them(tmp_path):
    spec = {**yaml.safe_load(EXAMPLE.read_text()), "grid": {"placement": ["snake"], "neurons_per_core": [4, None]}}
    pts = load_sweep(spec).points()
    assert [(p.placement, p.neurons_per_core) for p in pts] == [("snake", 4), ("snake", None)]
    db = tmp_path / "r.sqlite"
    with Store.open(db) as st:
        st.write("s", pts[0], _res("ok", 1.0))
    r = _row(db, pts[0].key)
    assert r["placement"] == "snake" and r["neurons_per_core"] == 4 and r["seed"] == 7
    assert json.loads(r["compile_options"]) == {"placement": "snake", "neurons_per_core": 4}
    assert r["neurocycle_version"] == "9.9" and r["git_commit"] == "abc"


# ----------------------------------------------------------------------------- upgrade
# the schema neurocycle wrote before compile options and provenance were recorded
_V1 = """
CREATE TABLE points (key TEXT PRIMARY KEY, sim_key TEXT NOT NULL, sweep TEXT NOT NULL,
    point_index INTEGER NOT NULL, overrides TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'error', 'lost')), error TEXT,
    seed INTEGER, steps INTEGER, backend TEXT, chip TEXT NOT NULL, network TEXT NOT NULL, metrics TEXT,
    spikes, synaptic_ops, total_cycles, cycles_per_step_mean, latency_us_per_step, time_us, energy_pj,
    dynamic_pj, static_pj, avg_power_mw, energy_per_step_pj, energy_per_sop_pj, edp_j_s, area_mm2, tile_mm2,
    sim_wall_s, host TEXT, wall_s REAL, finished_at TEXT NOT NULL);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
"""


def test_previous_version_database_is_upgraded_in_place(tmp_path, points):
    db = tmp_path / "old.sqlite"
    conn = sqlite3.connect(db)
    conn.executescript(_V1)
    conn.execute("INSERT INTO points (key, sim_key, sweep, point_index, overrides, status, seed, chip, network, "
                 "energy_pj, finished_at) VALUES (?, 's', 'tiny-ppa', 0, '{}', 'ok', 7, '{}', '{}', 5.0, 't')",
                 (points[0].key,))
    conn.commit()
    conn.close()
    with Store.open(db) as st:
        assert st.statuses() == {points[0].key: "ok"}          # the old row counts as finished
        st.write("tiny-ppa", points[1], _res("ok", 2.0))
    rows = {r["key"]: r for r in read_results(db)}
    assert rows[points[0].key]["energy_pj"] == 5.0 and rows[points[0].key]["git_commit"] is None
    assert rows[points[1].key]["placement"] == "balanced"
    conn = sqlite3.connect(db)
    assert set(COLUMNS) <= {r[1] for r in conn.execute("PRAGMA table_info(points)")}
    assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == "2"
    conn.close()


# ----------------------------------------------------------------------------- lock
def test_second_lock_is_refused_with_the_holder(tmp_path):
    db = tmp_path / "r.sqlite"
    with SweepLock(db):
        with pytest.raises(SweepLockedError) as e:
            SweepLock(db).acquire()
    msg = str(e.value)
    assert str(db) in msg and f"PID {os.getpid()}" in msg and "another --db" in msg and "resume" in msg
    with SweepLock(db):                     # released: free again
        pass


# ----------------------------------------------------------------------------- errors told apart
def test_garbage_file_is_called_corrupt_and_moved_not_deleted(tmp_path):
    db = tmp_path / "junk.sqlite"
    db.write_bytes(os.urandom(4096))
    with pytest.raises(SweepStoreError) as e:
        Store.open(db)
    msg = str(e.value)
    assert "not a SQLite database" in msg and f"mv {db} {db}.broken" in msg
    assert "delete" not in msg.lower() and "rm " not in msg


def test_locked_database_is_told_apart(tmp_path, points):
    db = tmp_path / "r.sqlite"
    Store.open(db).close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with Store.open(db, busy_timeout_s=0.2) as st, pytest.raises(SweepStoreError) as e:
            st.write("s", points[0], _res("ok", 1.0))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    msg = str(e.value)
    assert "is locked by another program" in msg and "run the same command again to resume" in msg
    assert "delete" not in msg.lower() and "move it aside" not in msg
    with Store.open(db) as st:              # healthy afterwards: nothing was half-written
        assert st.statuses() == {}


class _FullOnCommit(sqlite3.Connection):
    """COMMIT fails as SQLite does on a full disk: the transaction is already rolled back."""

    def execute(self, sql, *args):
        if sql == "COMMIT":
            super().execute("ROLLBACK")
            raise sqlite3.OperationalError("database or disk is full")
        return super().execute(sql, *args)


def test_disk_full_on_commit_reports_disk_full_not_a_rollback_error(tmp_path, points, monkeypatch):
    db = tmp_path / "r.sqlite"
    with Store.open(db) as st:
        st.write("s", points[0], _res("ok", 1.0))
    real = sqlite3.connect
    monkeypatch.setattr(_store.sqlite3, "connect", lambda *a, **k: real(*a, **k, factory=_FullOnCommit))
    with Store.open(db) as st, pytest.raises(SweepStoreError) as e:
        st.write("s", points[1], _res("ok", 2.0))
    msg = str(e.value)
    assert "the disk is full" in msg and "free space" in msg and "resume" in msg
    assert "cannot rollback" not in msg and "delete" not in msg.lower()
    monkeypatch.undo()
    assert [r["key"] for r in read_results(db)] == [points[0].key]      # the finished row is intact


def test_real_sqlite_full_error_mid_sweep(tmp_path, points, monkeypatch):
    """SQLite's own SQLITE_FULL (a page limit standing in for the disk): the failed row is rolled
    back, the earlier rows stay, and the message is the disk-full one."""
    db = tmp_path / "r.sqlite"
    real = sqlite3.connect

    def small(*a, **k):
        conn = real(*a, **k)
        conn.execute("PRAGMA max_page_count = 12")
        return conn

    monkeypatch.setattr(_store.sqlite3, "connect", small)
    written = []
    with Store.open(db) as st, pytest.raises(SweepStoreError) as e:
        for p in points * 50:
            st.write("s", p, _res("error", error="x" * 3000))
            written.append(p.key)
    monkeypatch.undo()
    assert "the disk is full" in str(e.value) and "cannot rollback" not in str(e.value)
    assert written and {r["key"] for r in read_results(db)} == set(written)
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


@pytest.mark.parametrize("exc,words,fix", [
    (sqlite3.OperationalError("database is locked"), "is locked by another program", "close the program"),
    (sqlite3.OperationalError("database or disk is full"), "the disk is full", "free space"),
    (sqlite3.OperationalError("disk I/O error"), "disk I/O error", "check the disk"),
    (sqlite3.DatabaseError("file is not a database"), "not a SQLite database", "move it aside"),
    (sqlite3.DatabaseError("database disk image is malformed"), "corrupt", "move it aside"),
    (sqlite3.OperationalError("attempt to write a readonly database"), "read-only", "writable"),
    (sqlite3.OperationalError("unable to open database file"), "cannot be opened", "folder exists"),
])
def test_each_sqlite_failure_has_its_own_message(exc, words, fix):
    err = classify_sqlite_error(exc, "/data/x.sqlite", "writing point 3", busy_timeout_s=30)
    msg = str(err)
    assert msg.startswith("--db: ") and words in msg and fix in msg and "/data/x.sqlite" in msg
    assert "delete" not in msg.lower()
    if "move it aside" not in fix:
        assert "move it aside" not in msg        # only a corrupt file is moved


def test_cli_on_a_corrupt_database_is_one_line_and_leaves_the_file_alone(tmp_path, cli):
    db = tmp_path / "junk.sqlite"
    junk = b"this is not a database" * 200
    db.write_bytes(junk)
    proc = cli("sweep", EXAMPLE, "--db", db, "--quiet", check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("neurocycle: error: --db: is not a SQLite database"), lines
    assert "move it aside" in lines[0] and "delete" not in lines[0].lower()
    assert db.read_bytes() == junk                # not touched
