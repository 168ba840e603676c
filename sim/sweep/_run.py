"""A sweep's life: validate, take the database, connect, run what is unfinished, shut down.

Order matters: every point is validated and the scheduler (if any) answers before the
database or its folder is touched; the database lock is taken before the database is opened
and held until the cluster is shut down; a local cluster starts only if a point is left to run.

Ctrl-C: the first stops the sweep — pending points are cancelled, the cluster is shut down
with Dask's logging silenced, and ``SweepInterrupted`` says how many points are stored and
how to resume. A second Ctrl-C while that shutdown runs ends the process at once (every
stored row is already committed; the kernel drops the lock; the workers exit with their parent).
"""
from __future__ import annotations

import logging
import os
import signal
import threading
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from neurocycle.hw import ConfigError

from ._cluster import Tally, connect_remote, quiet_dask, run_groups, run_groups_here, start_local
from ._spec import Sweep, SweepPoint
from ._store import SweepLock, Store, read_results

__all__ = ["run_sweep", "SweepOutcome", "SweepInterrupted"]


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a sweep; ``str()`` is the one line to show (stored points, how to resume)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass
class SweepOutcome:
    total: int                 # points of the sweep
    skipped: int               # already finished in the database before this run
    ok: int                    # ran ok in this run
    failed: int                # ran and failed (error or lost) in this run
    db: Path
    rows: list[dict]           # the database rows of every point of the sweep
    kept: int = 0              # results not written because a better row was already stored


def run_sweep(sweep: Sweep, db: str | os.PathLike, *, scheduler: str | None = None, n_workers: int | None = None,
              retry_failed: bool = False, progress: bool = True, connect_timeout_s: float = 5.0,
              console=None, busy_timeout_s: float = 30.0, in_process: bool = False) -> SweepOutcome:
    """Run every unfinished point of ``sweep``; rows are written to ``db`` as points finish.
    ``in_process``: run the points here, one after the other, without a Dask cluster (a small
    sweep; not with ``scheduler``).

    Raises ``ConfigError`` (bad options, unreachable scheduler), ``SweepLockedError`` (another
    sweep has ``db``), ``SweepStoreError`` (the database failed), ``SchedulerLost``, or
    ``SweepInterrupted`` on Ctrl-C; each message says how to resume. Sets Dask's loggers of this
    process to ERROR while it runs and silences them while it shuts the cluster down."""
    from neurocycle.sim._provenance import provenance

    points = sweep.points()                               # validates everything before any side effect
    if n_workers is not None and n_workers < 1:
        raise ConfigError("--workers", "must be at least 1", n_workers, "give --workers 1 or more")
    if not connect_timeout_s > 0:
        raise ConfigError("--connect-timeout", "must be above 0 seconds", connect_timeout_s,
                          "give e.g. --connect-timeout 5")
    n_workers = n_workers or max(1, min(2, os.cpu_count() or 1))
    db = Path(db)
    tally, skipped = Tally(), 0
    stack = ExitStack()
    try:
        client = None
        if scheduler:                                     # fail on a bad address before touching the DB
            client = connect_remote(scheduler, connect_timeout_s)
            stack.callback(_close, client, 3)
        stack.enter_context(SweepLock(db))
        store = stack.enter_context(Store.open(db, busy_timeout_s))
        store.record_sweep(sweep.spec)
        statuses = store.statuses()
        done_status = ("ok",) if retry_failed else ("ok", "error")
        todo = [p for p in points if statuses.get(p.key) not in done_status]
        skipped = len(points) - len(todo)
        by_key: dict[str, SweepPoint] = {}
        for p in todo:                                    # duplicate points run (and are stored) once
            by_key.setdefault(p.key, p)
        groups: dict[str, list[SweepPoint]] = {}
        for p in by_key.values():
            groups.setdefault(p.sim_key, []).append(p)
        if groups and in_process and client is None:
            run_groups_here(store, sweep, groups, len(by_key), tally, progress=progress, console=console)
        elif groups:
            if client is None:
                client, cluster = start_local(n_workers)
                stack.callback(_close, cluster, 10)       # closed after the client (last in, first out)
                stack.callback(_close, client, 3)
            run_groups(client, store, sweep, groups, len(by_key), tally, progress=progress, console=console,
                       scheduler=scheduler, fallback_provenance=provenance())
    except KeyboardInterrupt:
        _shutdown(stack, db)
        k, stored = len(tally.written), skipped + len(tally.written)
        raise SweepInterrupted(f"interrupted: {k} point{'' if k == 1 else 's'} finished in this run, {stored} of "
                               f"{len(points)} are in {db}; run the same command again to resume") from None
    except BaseException:
        _shutdown(stack, db)
        raise
    _shutdown(stack, db)
    rows = read_results(db, [p.key for p in points])
    return SweepOutcome(total=len(points), skipped=skipped, ok=tally.ok, failed=tally.failed + tally.lost, db=db,
                        rows=rows, kept=tally.kept)


def _close(obj, timeout: float) -> None:
    try:
        if getattr(obj, "status", None) is not None and str(obj.status).endswith("closed"):
            return
        obj.close(timeout=timeout)
    except Exception:  # noqa: BLE001 - shutting down: nothing left to save
        pass


def _shutdown(stack: ExitStack, db: Path) -> None:
    """Close the cluster, the database and the lock with Dask's logging silenced; a Ctrl-C
    meanwhile ends the process at once (nothing is left unsaved by then)."""
    quiet_dask(logging.CRITICAL + 1)
    main = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGINT) if main else None

    def hard_exit(signum, frame):
        os.write(2, f"neurocycle: interrupted again: stopped without waiting for the cluster; finished points "
                    f"are in {db}; run the same command again to resume\n".encode())
        os._exit(130)

    if main:
        signal.signal(signal.SIGINT, hard_exit)
    try:
        stack.close()
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)
