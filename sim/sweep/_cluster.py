"""Dask: connect to a scheduler or start a local cluster, run point groups, shut down quietly.

- ``connect_remote`` bounds connect *and* handshake by ``--connect-timeout``: distributed's own
  ``Client(timeout=)`` covers the TCP connect but waits forever for the handshake of a peer
  that accepts and stays silent, so a probe (``identity``) under our own deadline runs first.
- ``start_local`` starts the worker processes with SIGINT ignored (inherited from the client
  while they spawn; ``_worker.dask_setup`` repeats it for restarted workers): a Ctrl-C reaches
  the client alone, which stops the cluster — no worker prints a KeyboardInterrupt traceback.
- ``run_groups`` submits one task per simulation and writes each row as its task finishes; a
  lost scheduler stops the sweep with ``SchedulerLost`` instead of recording every point lost.
- ``quiet_dask`` silences Dask's logging of its own shutdown (the user sees one line from us).
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass, field

from neurocycle.hw import ConfigError

from ._spec import Sweep, SweepPoint
from ._store import Store
from ._worker import error_text, run_group

__all__ = ["connect_remote", "start_local", "run_groups", "run_groups_here", "quiet_dask", "SchedulerLost", "Tally"]

_DASK_LOGGERS = ("distributed", "tornado", "asyncio", "bokeh")
_RESUME = "run the same command again to resume (finished points are kept)"


class SchedulerLost(ConfigError):
    """The connection to the Dask scheduler was lost in the middle of a sweep."""


@dataclass
class Tally:
    """What this run wrote so far (read by the interrupt message)."""
    ok: int = 0
    failed: int = 0
    lost: int = 0
    kept: int = 0              # results not written because a better row was already stored
    written: list[str] = field(default_factory=list)


def quiet_dask(level: int = logging.ERROR) -> None:
    """Set Dask's (and its event loop's) loggers to ``level`` in this process: each of them,
    since distributed gives some children levels of their own (``distributed.client``), and a
    record propagates to the handlers of ``distributed`` whatever that logger's level is."""
    names = [n for n in list(logging.root.manager.loggerDict) if n.split(".")[0] in _DASK_LOGGERS]
    for name in {*_DASK_LOGGERS, *names}:
        logging.getLogger(name).setLevel(level)


# ----------------------------------------------------------------------------- connect
def _probe(address: str, timeout_s: float) -> dict:
    """Connect, handshake and ask the peer who it is, all within ``timeout_s`` (+0.5 s so a
    refused connection reports as such rather than as a time-out); in a thread of its own so
    nothing of it is left on the caller's event loop."""
    from distributed.comm import connect
    from distributed.security import Security

    args = Security().get_connection_args("client")   # TLS settings from the Dask config, as Client uses

    async def ask():
        comm = await connect(address, timeout=timeout_s, **args)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    out: dict = {}

    def target():
        try:
            out["identity"] = asyncio.run(asyncio.wait_for(ask(), timeout_s + 0.5))
        except BaseException as exc:  # noqa: BLE001 - reported by the caller
            out["error"] = exc

    t = threading.Thread(target=target, name="neurocycle scheduler probe", daemon=True)
    t.start()
    t.join(timeout_s + 2.0)
    fix = ("check the address and that `dask scheduler` runs there (workers: `dask worker ADDRESS`), "
           "e.g. tcp://HOST:8786; raise --connect-timeout for a slow network; or omit --scheduler for a "
           "local cluster")
    exc = out.get("error")
    if t.is_alive() or isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        raise ConfigError("--scheduler", f"did not complete the Dask handshake within {timeout_s:g} s (something "
                                         "accepted the connection but did not answer as a Dask scheduler)",
                          address, fix)
    if isinstance(exc, ValueError):
        raise ConfigError("--scheduler", f"is not a Dask address ({exc})", address,
                          "write it as tcp://HOST:PORT (the address `dask scheduler` prints)")
    if exc is not None:
        raise ConfigError("--scheduler", f"could not connect within {timeout_s:g} s ({type(exc).__name__}: {exc})",
                          address, fix)
    ident = out.get("identity")
    kind = ident.get("type") if isinstance(ident, dict) else None
    if kind != "Scheduler":
        raise ConfigError("--scheduler", f"answered, but is not a Dask scheduler (it is {kind or 'unknown'})",
                          address, "give the scheduler's address (workers and nannies have their own ports)")
    return ident


def connect_remote(address: str, timeout_s: float):
    """A ``distributed.Client`` of the scheduler at ``address``, or a ConfigError within
    ``timeout_s`` (+ a fraction of a second) whatever the peer does."""
    from distributed import Client

    if not timeout_s > 0:
        raise ConfigError("--connect-timeout", "must be above 0 seconds", timeout_s, "give e.g. --connect-timeout 5")
    quiet_dask()
    _probe(address, timeout_s)
    try:
        return Client(address, timeout=f"{timeout_s}s", set_as_default=False)
    except Exception as exc:  # noqa: BLE001 - it answered the probe, then failed: still a connection problem
        raise ConfigError("--scheduler", f"could not connect within {timeout_s:g} s ({type(exc).__name__}: {exc})",
                          address, "check that the scheduler is still running, then run the command again") from None


def _quiet_resource_tracker() -> None:
    """Start multiprocessing's resource tracker with UserWarnings ignored. After a second
    Ctrl-C ends the client at once, the tracker still unlinks the semaphores of the worker
    queues, but would print a "leaked semaphore objects" warning about it on the terminal."""
    if os.name != "posix":
        return
    from multiprocessing import resource_tracker

    saved = list(sys.warnoptions)
    sys.warnoptions.append("ignore::UserWarning")     # passed to the tracker as -W
    try:
        resource_tracker.ensure_running()
    finally:
        sys.warnoptions[:] = saved


def start_local(n_workers: int):
    """A local cluster of ``n_workers`` single-threaded worker processes that ignore SIGINT,
    and its client. Returns ``(client, cluster)``."""
    from distributed import Client, LocalCluster

    _quiet_resource_tracker()
    main = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGINT) if main else None
    if main:
        # Worker processes inherit an ignored SIGINT from the process that spawns them (and
        # Python then leaves it ignored). A Ctrl-C in the second or so this takes is dropped.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        # no dashboard; the scheduler's HTTP server (health routes) on a free loopback port, not
        # 8787, which another cluster may hold
        cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None, scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                               silence_logs=logging.ERROR, preload=["neurocycle.sim.sweep._worker"])
        client = Client(cluster, set_as_default=False)
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)
    quiet_dask()
    return client, cluster


# ----------------------------------------------------------------------------- run
def _task(pts: list[SweepPoint], outputs=()) -> dict:
    p0 = pts[0]
    task = {"sim": {"network": p0.network.model_dump(mode="json"), "base_dir": p0.base_dir, "seed": p0.seed,
                    "steps": p0.steps, "backend": p0.backend, "placement": p0.placement,
                    "neurons_per_core": p0.neurons_per_core},
            "variants": [{"key": p.key, "chip": p.chip.model_dump(mode="json")} for p in pts]}
    if outputs:
        task["outputs"] = list(outputs)
    return task


def run_groups_here(store: Store, sweep: Sweep, groups: dict[str, list[SweepPoint]], n: int, tally: Tally, *,
                    progress: bool = True, console=None) -> None:
    """Run every group in this process, one after the other (a small sweep: no cluster to start),
    writing each point's row as its group finishes, exactly as ``run_groups`` does."""
    bar = task_id = None
    if progress:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
        bar = Progress(TextColumn(f"sweep {sweep.spec.name}"), BarColumn(), MofNCompleteColumn(),
                       TextColumn("points · {task.fields[status]}"), TimeElapsedColumn(), console=console,
                       transient=False)
        task_id = bar.add_task("points", total=n, status="")
    with bar if bar is not None else nullcontext():
        for pts in groups.values():
            results = {r["key"]: r for r in run_group(_task(pts, sweep.spec.outputs))}
            for p in pts:
                r = results[p.key]
                if store.write(sweep.spec.name, p, r):
                    tally.written.append(p.key)
                    tally.ok += r["status"] == "ok"
                    tally.failed += r["status"] == "error"
                else:
                    tally.kept += 1
            if bar is not None:
                bar.update(task_id, advance=len(pts), status=f"{tally.ok} ok, {tally.failed} failed")


def _scheduler_gone(client, exc: BaseException) -> bool:
    return "scheduler-connection-lost" in str(exc) or getattr(client, "status", "running") not in ("running",)


def run_groups(client, store: Store, sweep: Sweep, groups: dict[str, list[SweepPoint]], n: int, tally: Tally, *,
               progress: bool = True, console=None, scheduler: str | None = None, fallback_provenance=None) -> None:
    """Run every group on ``client``, writing each point's row as its group finishes.

    Ctrl-C (in the main thread) only sets a flag that the loop checks between rows: a
    KeyboardInterrupt raised inside one of Dask's blocking calls leaves its event loop with a
    half-cancelled call that logs a traceback, so it is raised here, in our own code, instead."""
    from distributed import as_completed

    interrupted = threading.Event()
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, lambda signum, frame: interrupted.set()) if main else None
    futures = {}
    bar = task_id = None
    if progress:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
        bar = Progress(TextColumn(f"sweep {sweep.spec.name}"), BarColumn(), MofNCompleteColumn(),
                       TextColumn("points · {task.fields[status]}"), TimeElapsedColumn(), console=console,
                       transient=False)
        task_id = bar.add_task("points", total=n, status="")
    try:
        for sim_key, pts in groups.items():
            futures[client.submit(run_group, _task(pts, sweep.spec.outputs), key=f"neurocycle-point-{sim_key}",
                                  pure=False)] = pts
        ac = as_completed(list(futures), loop=client.loop)
        with bar if bar is not None else nullcontext():
            while True:
                if interrupted.is_set():
                    raise KeyboardInterrupt
                batch = ac.next_batch(block=False)
                if not batch:
                    if ac.is_empty():
                        break
                    time.sleep(0.05)
                    continue
                for fut in batch:
                    _record(client, store, sweep, futures[fut], fut, n, tally, scheduler, fallback_provenance)
                    if bar is not None:
                        bar.update(task_id, advance=len(futures[fut]),
                                   status=f"{tally.ok} ok, {tally.failed + tally.lost} failed")
                    fut.release()
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)
        pending = [f for f in futures if not f.done()]
        if pending and client.status == "running":
            try:
                client.cancel(pending)
            except Exception:  # noqa: BLE001 - shutting down anyway
                pass


def _record(client, store: Store, sweep: Sweep, pts: list[SweepPoint], fut, n: int, tally: Tally,
            scheduler: str | None, fallback_provenance) -> None:
    """Write the rows of one finished group (or ``lost`` rows if its worker died)."""
    try:
        results = {r["key"]: r for r in fut.result()}
    except Exception as exc:  # noqa: BLE001 - worker died / cancelled: retried on the next run
        if _scheduler_gone(client, exc):
            done = tally.ok + tally.failed + tally.lost
            raise SchedulerLost(
                "--scheduler", f"lost the connection to the Dask scheduler after {done} of {n} points of this run",
                scheduler or "local cluster",
                f"restart the scheduler (and its workers) or omit --scheduler, then {_RESUME}") from None
        err = error_text(exc)
        results = {p.key: {"key": p.key, "status": "lost", "error": err, "metrics": None,
                           "provenance": fallback_provenance} for p in pts}
    for p in pts:
        r = results[p.key]
        if store.write(sweep.spec.name, p, r):
            tally.written.append(p.key)
            tally.ok += r["status"] == "ok"
            tally.failed += r["status"] == "error"
            tally.lost += r["status"] == "lost"
        else:
            tally.kept += 1
