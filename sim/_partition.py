"""A system simulated by partitions in Dask workers (docs/engine.md "Partitioned simulation").

Each partition (a group of chips) lives in a Dask actor on its own worker process and is driven
by the coordinator of :mod:`neurocycle.sim._system_engine`, exactly as in-process partitions
are: windows no longer than the latency of the links between partitions, the flits and credits
that cross them exchanged after every window, quiescence and the barrier decided centrally. The
result is bit-identical to the single-process run (tests/test_partition.py).

A local cluster of ``workers`` processes is started (one partition each), or the partitions go
to the workers of a running scheduler (``scheduler``, as ``neurocycle sweep`` takes it).
"""
from __future__ import annotations

import time
from typing import Callable

from neurocycle.hw import ConfigError

from ._network import Stimulus
from ._program import ChipProgram
from ._result import SimResult

__all__ = ["run_partitioned"]


class PartitionActor:
    """The partition of a worker: a SysKernel owning some chips (a Dask actor)."""

    def __init__(self, program: ChipProgram, stim: Stimulus, chips):
        from ._system_engine import LocalPartition

        self.part = LocalPartition(program, stim, chips)

    def call(self, name: str, *args):
        return self.part.call(name, *args)


class _ActorHandle:
    def __init__(self, actor):
        self.actor = actor

    def call(self, name: str, *args):
        return self.actor.call(name, *args)          # an ActorFuture: the coordinator resolves it


def run_partitioned(program: ChipProgram, stim: Stimulus, *, workers: int | None = None,
                    scheduler: str | None = None, connect_timeout: float = 5.0,
                    progress: Callable[[int], None] | None = None) -> SimResult:
    """Simulate a system program with one partition per Dask worker: ``workers`` local worker
    processes, or the workers of the scheduler at ``scheduler`` (``workers`` of them, default
    all, at most one per chip). Refused before any process starts if the links between
    partitions have a latency of 0 (no window) or if there are more partitions than chips."""
    from ._system_engine import partition_chips, run_system, window_cycles

    if program.system is None:
        raise ConfigError("--workers", "partitions a system of chips; this program is one chip", None,
                          "give a system (configs/systems) or leave --workers out")
    n_chips = program.system.derived.n_chips
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ConfigError("--workers", "must be a whole number >= 1", workers, f"use e.g. --workers {min(2, n_chips)}")
    if scheduler is None and workers is None:
        raise ConfigError("--workers", "is needed to start a local cluster (or give --scheduler)", None,
                          f"use e.g. --workers {min(2, n_chips)}")
    if workers is not None:
        chips = partition_chips(program, workers)
        window_cycles(program, chips)              # latency 0 between partitions: refused up front
    from .sweep._cluster import connect_remote, quiet_dask, start_local

    t0 = time.perf_counter()
    cluster = None
    if scheduler is not None:
        client = connect_remote(scheduler, connect_timeout)
    else:
        client, cluster = start_local(workers)
    try:
        addrs = sorted(client.scheduler_info()["workers"])
        n = min(len(addrs), n_chips) if workers is None else workers
        if n < 1:
            raise ConfigError("--scheduler", "has no workers", scheduler, "start workers: dask worker ADDRESS")
        if workers is not None and len(addrs) < workers:
            raise ConfigError("--workers", f"asks for {workers} partitions but the scheduler has {len(addrs)} "
                              "worker(s)", workers, f"use --workers {len(addrs)} or start more workers")
        chips = partition_chips(program, n)
        window_cycles(program, chips)
        with client.as_current():           # actor handles talk through the current client
            prog_f = client.scatter(program, broadcast=True)
            stim_f = client.scatter(stim, broadcast=True)
            futs = [client.submit(PartitionActor, prog_f, stim_f, ch, actor=True, workers=[addrs[i]],
                                  allow_other_workers=False, pure=False) for i, ch in enumerate(chips)]
            parts = [_ActorHandle(f.result()) for f in futs]
            res = run_system(program, stim, progress, parts=parts, chips=chips)
        res.partition["simulate_s"] = res.wall_s                          # type: ignore[attr-defined]
        res.partition["setup_s"] = time.perf_counter() - t0 - res.wall_s   # type: ignore[attr-defined]
        res.wall_s = time.perf_counter() - t0
        res.partition["workers"] = [addrs[i] for i in range(n)]          # type: ignore[attr-defined]
        return res
    finally:
        quiet_dask()
        client.close()
        if cluster is not None:
            cluster.close()
