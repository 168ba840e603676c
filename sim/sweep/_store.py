"""The results database (SQLite) and the lock that gives one sweep at a time a database.

One row per point in table ``points``, keyed by the point's key, written by the client in its
own transaction as soon as the point finishes (WAL, ``synchronous=FULL``): a kill leaves every
finished row whole. The upsert never lets a worse state replace a better one — an ``ok`` row is
final, an ``error`` row is replaced only by a new result (``ok`` or ``error``), never by ``lost``
— and that rule is in the SQL, so no code path can break it.

Every row records what made it: the resolved chip and network, seed, steps, backend, the
compile options (placement, neurons per core), the neurocycle version and the git commit of
the worker that ran it (``neurocycle.sim._provenance``). Databases written before these
columns existed are upgraded in place on open (the columns are added, old rows keep NULL).

SQLite errors become a ``SweepStoreError`` that says which of locked/busy, disk full, I/O
error, read-only, cannot open, or not-a-database/corrupt it is, with a fix for that case.
"""
from __future__ import annotations

import json
import os
import socket
import sqlite3
import sys
from datetime import datetime, timezone
from pathlib import Path

from neurocycle.hw import ConfigError

from ._spec import SweepPoint, SweepSpec, canon
from ._worker import METRICS

__all__ = ["SweepStoreError", "SweepLockedError", "SweepLock", "Store", "read_results", "COLUMNS",
           "SCHEMA_VERSION", "classify_sqlite_error"]

SCHEMA_VERSION = 2          # 1: before compile options and provenance were recorded

# (name, SQL type) of every column, in table order; the first version's columns come first
_COLUMNS = [
    ("key", "TEXT PRIMARY KEY"), ("sim_key", "TEXT NOT NULL"), ("sweep", "TEXT NOT NULL"),
    ("point_index", "INTEGER NOT NULL"), ("overrides", "TEXT NOT NULL"),
    ("status", "TEXT NOT NULL CHECK (status IN ('ok', 'error', 'lost'))"), ("error", "TEXT"),
    ("seed", "INTEGER"), ("steps", "INTEGER"), ("backend", "TEXT"),
    ("chip", "TEXT NOT NULL"), ("network", "TEXT NOT NULL"), ("metrics", "TEXT"),
    *[(m, "") for m in METRICS],
    ("host", "TEXT"), ("wall_s", "REAL"), ("finished_at", "TEXT NOT NULL"),
    # schema 2: what made the row
    ("placement", "TEXT"), ("neurons_per_core", "INTEGER"), ("compile_options", "TEXT"),
    ("neurocycle_version", "TEXT"), ("git_commit", "TEXT"), ("versions", "TEXT"),
]
COLUMNS = tuple(name for name, _ in _COLUMNS)
_ADDED = {"placement", "neurons_per_core", "compile_options", "neurocycle_version", "git_commit", "versions"}

_SCHEMA = ("CREATE TABLE IF NOT EXISTS points (\n    "
           + ",\n    ".join(f"{n} {t}".strip() for n, t in _COLUMNS if n not in _ADDED) + "\n);\n"
           "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);\n")

# An ok row is final; error is replaced by a new result (ok, or the error of a retry), never by
# lost; lost (the worker died) is replaced by anything. Enforced here, in the one upsert.
_UPSERT = (f"INSERT INTO points ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})\n"
           f"ON CONFLICT(key) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in COLUMNS if c != 'key')}\n"
           "WHERE points.status <> 'ok' AND (excluded.status <> 'lost' OR points.status = 'lost')")


# ============================================================================ errors
class SweepStoreError(ConfigError):
    """The results database could not be used; the message says why and what to do."""


class SweepLockedError(SweepStoreError):
    """Another sweep holds the database."""


_RESUME = "run the same command again to resume (finished points are kept)"


def classify_sqlite_error(exc: BaseException, db: str | os.PathLike, doing: str,
                          busy_timeout_s: float | None = None) -> SweepStoreError:
    """One ``SweepStoreError`` per kind of SQLite failure, each with its own fix. Only a file
    SQLite reports as not a database / malformed is called corrupt, and even then the advice is
    to move it aside, never to delete it."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    msg = str(exc).lower()
    path = str(db)

    def err(rule, fix):
        return SweepStoreError("--db", rule, path, fix)

    if primary in (5, 6) or "locked" in msg or "busy" in msg:                       # BUSY, LOCKED
        waited = f" for {busy_timeout_s:g} s" if busy_timeout_s is not None else ""
        return err(f"is locked by another program (waited{waited} while {doing})",
                   "close the program holding a transaction on it (an open database browser or a script "
                   "writing to it), then " + _RESUME)
    if primary == 13 or "disk is full" in msg or "disk full" in msg:                # FULL
        return err(f"could not be written while {doing}: the disk is full",
                   f"free space on the disk holding {Path(path).resolve().parent} (or pass --db on another "
                   "disk), then " + _RESUME)
    if primary == 10 or "i/o error" in msg:                                         # IOERR
        return err(f"hit a disk I/O error while {doing} ({exc})",
                   "check the disk or mount holding it (dmesg; a network mount that went away), then " + _RESUME
                   + "; the failed write was rolled back")
    if primary in (11, 26) or "not a database" in msg or "malformed" in msg:        # CORRUPT, NOTADB
        return err(f"is not a SQLite database or is corrupt ({exc})",
                   f"move it aside — mv {path} {path}.broken (with its -wal/-shm files, if any) — and run "
                   "again to start a new database, or give another --db; the moved file can still be read "
                   "with `sqlite3 FILE .recover`")
    if primary == 8 or "readonly" in msg or "read-only" in msg:                     # READONLY
        return err(f"is read-only ({exc})", "make the file and its folder writable, or give another --db")
    if primary == 14 or "unable to open" in msg:                                    # CANTOPEN
        return err(f"cannot be opened ({exc})",
                   "check that its folder exists and is writable (and that the path is not a folder), "
                   "or give another --db")
    return err(f"failed while {doing} ({type(exc).__name__}: {exc})",
               "check the file and its disk, then " + _RESUME)


# ============================================================================ lock
class SweepLock:
    """An exclusive OS lock on ``DB.lock`` (next to the database) for the life of a sweep.

    The lock file holds the holder's PID, host, start time and command, so a refused sweep can
    say who has the database. The kernel drops the lock when the holder exits, even on SIGKILL,
    so there are no stale locks; the file itself stays (removing it would let two processes lock
    two different files of the same name).
    """

    def __init__(self, db: str | os.PathLike):
        self.db = Path(db)
        self.path = self.db.with_name(self.db.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> "SweepLock":
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise SweepStoreError("--db", f"cannot create its lock file {self.path} ({exc.strerror})", str(self.db),
                                  "give a --db in a folder you can write to") from None
        if not _try_lock(fd):
            holder = _read_holder(fd)
            os.close(fd)
            who = ""
            if holder.get("pid"):
                who = f" (PID {holder['pid']} on {holder.get('host', '?')}, since {holder.get('started', '?')})"
            kill = f"`kill -INT {holder['pid']}` on {holder.get('host', '?')}" if holder.get("pid") else "Ctrl-C"
            raise SweepLockedError(
                "--db", f"is in use by another sweep{who}; one database takes one sweep at a time", str(self.db),
                f"wait for that sweep to finish, or stop it ({kill}) and run this command again to resume; "
                "to run both at once, give this one another --db") from None
        info = {"pid": os.getpid(), "host": socket.gethostname(),
                "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "command": " ".join(["neurocycle", *sys.argv[1:]]) if sys.argv else ""}
        try:
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, (json.dumps(info) + "\n").encode())
        except OSError:
            pass                                    # who holds it is a courtesy; the lock is what counts
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            try:
                os.ftruncate(self._fd, 0)
            except OSError:
                pass
            os.close(self._fd)                      # closing the descriptor drops the lock
            self._fd = None

    def __enter__(self) -> "SweepLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _try_lock(fd: int) -> bool:
    try:
        import fcntl
    except ImportError:                             # Windows
        import msvcrt
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _read_holder(fd: int) -> dict:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        return json.loads(os.read(fd, 4096).decode() or "{}")
    except (OSError, ValueError):
        return {}


# ============================================================================ database
class Store:
    """The results database of a sweep (open with ``Store.open``; close when done)."""

    def __init__(self, conn: sqlite3.Connection, path: Path, busy_timeout_s: float):
        self.conn, self.path, self.busy_timeout_s = conn, path, busy_timeout_s

    @classmethod
    def open(cls, path: str | os.PathLike, busy_timeout_s: float = 30.0) -> "Store":
        """Open (creating or upgrading) the database; raises ``SweepStoreError``."""
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SweepStoreError("--db", f"its folder cannot be created ({exc.strerror})", str(path),
                                  "give a --db in a folder you can write to") from None
        conn = None
        try:
            conn = sqlite3.connect(path, timeout=busy_timeout_s, isolation_level=None)
            store = cls(conn, path, busy_timeout_s)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            store._migrate()
        except sqlite3.Error as exc:
            if conn is not None:
                conn.close()
            raise classify_sqlite_error(exc, path, "opening it", busy_timeout_s) from None
        except SweepStoreError:
            conn.close()
            raise
        return store

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- transactions
    def _write(self, doing: str, statements: list[tuple[str, tuple]]) -> int:
        """Run ``statements`` in one IMMEDIATE transaction; returns rows changed. A failed COMMIT
        (disk full, I/O error) may already have rolled back: ROLLBACK is issued only while a
        transaction is open, so the real error is the one reported."""
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                changed = 0
                for sql, params in statements:
                    changed += max(conn.execute(sql, params).rowcount, 0)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    try:
                        conn.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass                        # the error that brought us here is the one to report
                raise
        except sqlite3.Error as exc:
            raise classify_sqlite_error(exc, self.path, doing, self.busy_timeout_s) from None
        return changed

    def _migrate(self) -> None:
        """Create the tables, or add the columns a database of an earlier version lacks."""
        conn = self.conn
        have = {r[1] for r in conn.execute("PRAGMA table_info(points)")}
        version = None
        if have:
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() \
                if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone() else None
            version = int(row[0]) if row else 1
            if version > SCHEMA_VERSION:
                raise SweepStoreError("--db", f"was written by a newer neurocycle (schema {version}, this one "
                                              f"reads up to {SCHEMA_VERSION})", str(self.path),
                                      "upgrade neurocycle, or give another --db")
            missing_core = [c for c in COLUMNS if c not in _ADDED and c not in have]
            if missing_core:
                raise SweepStoreError("--db", f"has a 'points' table that is not a sweep's (no column "
                                              f"{missing_core[0]})", str(self.path),
                                      "give another --db; this file belongs to something else")
        if have and version == SCHEMA_VERSION and not (set(COLUMNS) - have):
            return                                  # current: nothing to write (opening is read-only)
        stmts = [(s.strip(), ()) for s in _SCHEMA.split(";") if s.strip()]
        stmts += [(f"ALTER TABLE points ADD COLUMN {n} {t}", ()) for n, t in _COLUMNS if n in _ADDED and n not in have]
        stmts.append(("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)))
        self._write("creating its tables" if not have else "adding the columns of this version", stmts)

    # -- reads and writes
    def record_sweep(self, spec: SweepSpec) -> None:
        self._write("recording the sweep", [("INSERT OR REPLACE INTO meta VALUES ('sweep:' || ?, ?)",
                                             (spec.name, canon(spec.model_dump(mode="json"))))])

    def statuses(self) -> dict[str, str]:
        """key -> status of every row."""
        try:
            return dict(self.conn.execute("SELECT key, status FROM points"))
        except sqlite3.Error as exc:
            raise classify_sqlite_error(exc, self.path, "reading it", self.busy_timeout_s) from None

    def write(self, sweep: str, p: SweepPoint, res: dict) -> bool:
        """Write one point's row in its own transaction; False if a better row was already there."""
        return self._write(f"writing point {p.index}", [(_UPSERT, row_values(sweep, p, res))]) > 0


def row_values(sweep: str, p: SweepPoint, res: dict) -> tuple:
    """The column values of a point's row, in ``COLUMNS`` order."""
    m = res.get("metrics") or {}
    prov = res.get("provenance") or {}
    vers = prov.get("versions") or {}
    vals = {
        "key": p.key, "sim_key": p.sim_key, "sweep": sweep, "point_index": p.index, "overrides": canon(p.overrides),
        "status": res["status"], "error": res.get("error"), "seed": p.seed, "steps": p.steps, "backend": p.backend,
        "chip": canon(p.chip.model_dump(mode="json")), "network": canon(p.network.model_dump(mode="json")),
        "metrics": canon(m) if m else None, **{k: m.get(k) for k in METRICS},
        "host": res.get("host"), "wall_s": res.get("wall_s"),
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "placement": p.placement, "neurons_per_core": p.neurons_per_core,
        "compile_options": canon({"placement": p.placement, "neurons_per_core": p.neurons_per_core}),
        "neurocycle_version": vers.get("neurocycle"), "git_commit": prov.get("git_commit"),
        "versions": canon(vers) if vers else None,
    }
    return tuple(vals[c] for c in COLUMNS)


def read_results(db: str | os.PathLike, keys: list[str] | None = None) -> list[dict]:
    """Rows of the results database (all, or those with the given keys), as dicts; columns a
    database of an earlier version lacks read as None."""
    if not Path(db).is_file():
        raise SweepStoreError("--db", "does not exist", str(db), "run the sweep first, or check the path")
    try:
        conn = sqlite3.connect(db, timeout=30)
    except sqlite3.Error as exc:
        raise classify_sqlite_error(exc, db, "reading it") from None
    conn.row_factory = sqlite3.Row
    try:
        rows = [dict(r) for r in conn.execute("SELECT * FROM points ORDER BY sweep, point_index")]
    except sqlite3.Error as exc:
        raise classify_sqlite_error(exc, db, "reading it") from None
    finally:
        conn.close()
    for r in rows:
        for c in COLUMNS:
            r.setdefault(c, None)
    if keys is not None:
        want = set(keys)
        rows = [r for r in rows if r["key"] in want]
    return rows
