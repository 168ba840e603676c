"""PPA sweeps: ``neurocycle sweep SWEEP.yaml`` (the command line is ``neurocycle.sim.cli._sweep``).

A sweep is a base chip + network and a set of points: a grid and/or seeded random samples
over dotted-path overrides (``core.neurons``, ``router.fifo_depth``, ``technology.node_nm``,
``network.inputs[0].source.rate_hz``) and run settings (``seed``, ``steps``, ``placement``,
``neurons_per_core``). Each module does one thing:

- ``_spec``    the sweep file, its points resolved and validated, their keys
- ``_worker``  what a Dask worker runs: ``simulate`` (the path of ``neurocycle run``) + metrics
- ``_store``   the SQLite results database, its upgrade, its errors, the one-sweep-per-database lock
- ``_cluster`` Dask: remote connect (bounded), local cluster (SIGINT-proof workers), execution
- ``_run``     a sweep's life: validate, lock, connect, run what is unfinished, shut down
- ``_outputs`` CSV export, Pareto front and plot, failure summary

Points that differ only in ``energy``/``technology`` share one simulation. Each finished point
is written at once in its own transaction, keyed by its resolved inputs, so re-running
resumes exactly and a killed sweep loses no finished point.
"""
from ._cluster import SchedulerLost
from ._outputs import export_csv, failure_summary, pareto_front, plot_pareto, plottable
from ._run import SweepInterrupted, SweepOutcome, run_sweep
from ._spec import PLACEMENTS, SPECIAL_AXES, SamplesSpec, Sweep, SweepPoint, SweepSpec, load_sweep
from ._store import COLUMNS, SweepLock, SweepLockedError, SweepStoreError, read_results
from ._worker import METRICS, run_group

__all__ = [
    "SweepSpec", "SamplesSpec", "Sweep", "SweepPoint", "load_sweep", "PLACEMENTS", "SPECIAL_AXES",
    "run_sweep", "SweepOutcome", "SweepInterrupted", "SchedulerLost",
    "read_results", "COLUMNS", "SweepLock", "SweepStoreError", "SweepLockedError",
    "run_group", "METRICS",
    "export_csv", "pareto_front", "plot_pareto", "plottable", "failure_summary",
]
