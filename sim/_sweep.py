"""PPA sweeps: `neurocycle sweep SWEEP.yaml`.

A sweep is a base chip + network and a set of points: a grid (Cartesian product) and/or
random samples over dotted-path overrides (``core.neurons``, ``router.fifo_depth``,
``clock_mhz``, ``technology.node_nm``, ``network.inputs[0].source.rate_hz``, ``seed``,
``steps``). Every point is resolved and validated before anything runs or is written.

Points run on Dask distributed (a LocalCluster by default, ``--scheduler ADDRESS`` for an
existing one). Points that differ only in ``energy``/``technology`` share one simulation:
energy is computed from the counters, so it never needs a re-simulation. Results go to
SQLite (WAL), one row per point keyed by a hash of the resolved chip + network + seed +
steps + backend, written by the client in its own transaction as each point finishes. So
re-running skips finished points, a killed sweep loses no finished point, and a failing
point is recorded with its error without stopping the others.
"""
from __future__ import annotations

import copy
import csv
import hashlib
import io
import itertools
import json
import math
import os
import socket
import sqlite3
import time
import traceback
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from neurocycle.hw import ChipConfig, ConfigError, ConfigErrors, NeurocycleError, load_chip
from neurocycle.hw import read_yaml, validate_data

from ._network import NetworkSpec, load_network

__all__ = ["SweepSpec", "Sweep", "SweepPoint", "load_sweep", "run_sweep", "export_csv", "read_results",
           "plot_pareto", "pareto_front", "METRICS"]

# metrics stored as columns (besides the full JSON), in this order in CSV exports
METRICS = ("spikes", "synaptic_ops", "total_cycles", "cycles_per_step_mean", "latency_us_per_step", "time_us",
           "energy_pj", "dynamic_pj", "static_pj", "avg_power_mw", "energy_per_step_pj", "energy_per_sop_pj",
           "edp_j_s", "area_mm2", "tile_mm2", "sim_wall_s")
_SPECIAL = ("seed", "steps")
_DIST_KINDS = ("uniform", "log_uniform", "integers", "choice")


# ============================================================================ spec
class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SamplesSpec(_Model):
    """Random points: ``count`` draws of every path in ``space`` (seeded, reproducible)."""
    count: int = Field(ge=1, le=100_000)
    seed: int = 0
    space: dict[str, dict[str, list[Any]]]

    @field_validator("space")
    @classmethod
    def _dists(cls, v):
        if not v:
            raise ValueError("is empty|give at least one path, e.g. clock_mhz: {uniform: [50, 200]}")
        for path, d in v.items():
            if len(d) != 1 or next(iter(d)) not in _DIST_KINDS:
                raise ValueError(f"@{path}|needs exactly one of {', '.join(_DIST_KINDS)} (got {sorted(d)})"
                                 f"|write e.g. {path}: {{uniform: [low, high]}}")
            kind, args = next(iter(d.items()))
            if kind == "choice":
                if not args:
                    raise ValueError(f"@{path}.choice|is empty|list at least one value")
                continue
            if len(args) != 2 or not all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in args):
                raise ValueError(f"@{path}.{kind}|needs [low, high] numbers (got {args})|write [low, high]")
            lo, hi = args
            if lo > hi:
                raise ValueError(f"@{path}.{kind}|low {lo} is above high {hi}|swap them")
            if kind == "log_uniform" and lo <= 0:
                raise ValueError(f"@{path}.log_uniform|needs low > 0 (got {lo})|use uniform, or a positive low")
            if kind == "integers" and not all(isinstance(a, int) for a in args):
                raise ValueError(f"@{path}.integers|needs whole numbers (got {args})|use uniform for real values")
        return v


class SweepSpec(_Model):
    """A sweep file (configs/sweeps/*.yaml)."""
    name: str = "sweep"
    description: str = ""
    chip: str | dict = "default-4x4"          # preset name, YAML path (relative to the sweep file) or mapping
    network: str | dict = "default-net"
    steps: int = Field(default=100, ge=1, le=10_000_000)
    seed: int | None = None                   # default: the network's seed
    backend: str = "cycle"
    placement: str = "balanced"
    grid: dict[str, list[Any]] = Field(default_factory=dict)
    samples: SamplesSpec | None = None

    @field_validator("grid")
    @classmethod
    def _grid(cls, v):
        for path, values in v.items():
            if not values:
                raise ValueError(f"@{path}|has no values|list at least one value")
        return v

    @field_validator("backend")
    @classmethod
    def _backend(cls, v):
        from ._api import BACKENDS
        if v not in BACKENDS:
            raise ValueError(f"must be one of {', '.join(BACKENDS)}|use backend: cycle (energy needs it)")
        return v


@dataclass
class SweepPoint:
    index: int
    origin: str                 # "base", "grid" or "samples"
    overrides: dict[str, Any]   # as given (dotted path -> value)
    chip: ChipConfig
    network: NetworkSpec
    base_dir: str
    seed: int
    steps: int
    backend: str
    placement: str
    key: str                    # identity of the result row
    sim_key: str                # identity of the simulation (chip without energy/technology)


def _canon(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def _digest(obj) -> str:
    return hashlib.sha256(_canon(obj).encode()).hexdigest()[:32]


def _file_digests(data, base_dir: Path) -> dict[str, str]:
    """sha256 of every file a network references (``file:`` fields), so edits change the key."""
    out: dict[str, str] = {}

    def walk(x):
        if isinstance(x, dict):
            for k, v in x.items():
                if k == "file" and isinstance(v, str):
                    p = base_dir / v
                    if p.is_file():
                        out[v] = hashlib.sha256(p.read_bytes()).hexdigest()
                else:
                    walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
    walk(data)
    return out


def _set_path(data: dict, path: str, value, what: str) -> None:
    """Set ``a.b[2].c`` in nested dicts/lists; the path must exist."""
    import re

    parts: list = []
    for part in path.split("."):
        m = re.fullmatch(r"([^\[\]]+)((?:\[\d+\])*)", part)
        if not m:
            raise ConfigError(path, f"is not a valid {what} path", value, "use dotted names, e.g. inputs[0].size")
        parts.append(m.group(1))
        parts.extend(int(i) for i in re.findall(r"\[(\d+)\]", m.group(2)))
    node = data
    for i, p in enumerate(parts):
        last = i == len(parts) - 1
        ok = (isinstance(node, dict) and isinstance(p, str) and p in node) or \
             (isinstance(node, list) and isinstance(p, int) and p < len(node))
        if not ok or (not last and not isinstance(node[p], (dict, list))):
            raise ConfigError(path, f"is not a {what} field", value,
                              f"check the spelling against the {what} schema (`neurocycle validate` the base file)")
        if last:
            node[p] = value
        else:
            node = node[p]


class Sweep:
    """A loaded sweep: the spec, where it came from and its base chip / network."""

    def __init__(self, spec: SweepSpec, source: str | None = None):
        self.spec = spec
        self.source = source
        self.dir = Path(source).resolve().parent if source else Path(".").resolve()
        self.base_chip = self._load_chip(spec.chip)
        self.base_network, self.network_dir = self._load_network(spec.network)
        self._points: list[SweepPoint] | None = None

    # -- base files resolve relative to the sweep file first, then as presets
    def _local(self, ref: str) -> str:
        p = self.dir / ref
        return str(p) if p.exists() else ref

    def _load_chip(self, ref) -> ChipConfig:
        return load_chip(ref if isinstance(ref, dict) else self._local(ref))

    def _load_network(self, ref) -> tuple[NetworkSpec, Path]:
        spec, base = load_network(ref if isinstance(ref, dict) else self._local(ref))
        return spec, (self.dir if isinstance(ref, dict) else Path(base).resolve())

    # -- points
    def override_sets(self) -> list[tuple[str, dict]]:
        s = self.spec
        sets: list[tuple[str, dict]] = []
        if s.grid:
            paths = list(s.grid)
            for combo in itertools.product(*(s.grid[p] for p in paths)):
                sets.append(("grid", dict(zip(paths, combo))))
        if s.samples is not None:
            rng = np.random.default_rng(s.samples.seed)
            for _ in range(s.samples.count):
                ov = {}
                for path, d in s.samples.space.items():
                    kind, args = next(iter(d.items()))
                    if kind == "uniform":
                        ov[path] = float(rng.uniform(args[0], args[1]))
                    elif kind == "log_uniform":
                        ov[path] = float(math.exp(rng.uniform(math.log(args[0]), math.log(args[1]))))
                    elif kind == "integers":
                        ov[path] = int(rng.integers(args[0], args[1] + 1))
                    else:
                        ov[path] = args[int(rng.integers(len(args)))]
                sets.append(("samples", ov))
        if not sets:
            sets.append(("base", {}))
        return sets

    def points(self) -> list[SweepPoint]:
        """Resolve and validate every point; all problems are raised together (ConfigErrors)."""
        if self._points is not None:
            return self._points
        from neurocycle.hw import area_report, energy_params

        s = self.spec
        base_net = self.base_network.model_dump(mode="json")
        files = _file_digests(base_net, self.network_dir)
        errors: dict[str, ConfigError] = {}
        points = []
        for i, (origin, ov) in enumerate(self.override_sets()):
            where = "grid" if origin == "grid" else "samples.space"
            chip_ov = {k: v for k, v in ov.items() if k not in _SPECIAL and not k.startswith("network.")}
            net_ov = {k[len("network."):]: v for k, v in ov.items() if k.startswith("network.")}
            try:
                seed, steps = ov.get("seed", s.seed), ov.get("steps", s.steps)
                for name, v, lo in (("seed", seed, 0), ("steps", steps, 1)):
                    if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < lo):
                        raise ConfigError(name, f"must be a whole number >= {lo}", v, f"use {name} values >= {lo}")
                chip = self.base_chip.with_overrides(chip_ov) if chip_ov else self.base_chip
                area_report(chip)      # node defaults exist (or the error names the field to set)
                if s.backend == "cycle":
                    energy_params(chip)
                net = self.base_network
                if net_ov:
                    data = copy.deepcopy(base_net)
                    for path, v in net_ov.items():
                        _set_path(data, path, v, "network")
                    net = validate_data(NetworkSpec, data, what="network")
            except ConfigError as exc:
                for e in getattr(exc, "errors", [exc]):
                    shown = ", ".join(f"{k}={v!r}" for k, v in ov.items())
                    err = ConfigError(f"{where}.{e.field}" if ov else e.field, e.rule, e.value,
                                      e.fix + (f" (first seen at point {i}: {shown})" if ov else ""),
                                      source=self.source)
                    errors.setdefault(f"{e.field}|{e.rule}|{e.value!r}", err)
                continue
            seed = net.seed if seed is None else seed
            net_dump = net.model_dump(mode="json")
            chip_dump = chip.model_dump(mode="json")
            ident = {"network": net_dump, "files": files, "seed": seed, "steps": steps, "backend": s.backend,
                     "placement": s.placement}
            sim_chip = {k: v for k, v in chip_dump.items() if k not in ("energy", "technology", "name",
                                                                         "description")}
            points.append(SweepPoint(index=i, origin=origin, overrides=ov, chip=chip, network=net,
                                     base_dir=str(self.network_dir), seed=seed, steps=steps, backend=s.backend,
                                     placement=s.placement, key=_digest({"chip": chip_dump, **ident}),
                                     sim_key=_digest({"chip": sim_chip, **ident})))
        if errors:
            raise ConfigErrors(list(errors.values()))
        self._points = points
        return points


def load_sweep(source: "str | os.PathLike | dict") -> Sweep:
    """Load and validate a sweep file (or mapping); its points resolve lazily via ``points()``."""
    from neurocycle.hw import resolve_file

    if isinstance(source, dict):
        return Sweep(validate_data(SweepSpec, source, what="sweep"))
    path = resolve_file("sweeps", source)
    data, node = read_yaml(path)
    return Sweep(validate_data(SweepSpec, data, node=node, source=path, what="sweep"), source=path)


# ============================================================================ worker side
def _metrics(chip: ChipConfig, r) -> dict:
    from neurocycle.hw import area_report, compute_energy, energy_params

    area = area_report(chip)
    m: dict[str, Any] = {k: None for k in METRICS}
    m.update(spikes=r.n_spikes, area_mm2=area.chip_mm2, tile_mm2=area.tile_mm2, sim_wall_s=r.wall_s)
    if r.step_cycles is not None:
        sc = np.asarray(r.step_cycles, dtype=np.int64)
        m.update(total_cycles=int(sc.sum()), cycles_per_step_mean=float(sc.mean()),
                 latency_us_per_step=float(sc.mean()) / chip.clock_mhz, time_us=float(sc.sum()) / chip.clock_mhz)
    if r.counters:
        e = compute_energy(energy_params(chip), r)
        m.update(synaptic_ops=e.synaptic_ops, time_us=e.time_us, latency_us_per_step=e.latency_us_per_step,
                 energy_pj=e.total_pj, dynamic_pj=e.dynamic_pj, static_pj=e.static_pj, avg_power_mw=e.avg_power_mw,
                 energy_per_step_pj=e.energy_per_step_pj, energy_per_sop_pj=e.energy_per_sop_pj, edp_j_s=e.edp_j_s)
        m["energy_by_event_pj"] = e.by_event_pj
    return m


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, NeurocycleError):
        return f"{type(exc).__name__}: {exc}"
    tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
    return f"{type(exc).__name__}: {exc}\n" + "".join(tb[-3:])


def run_group(task: dict) -> list[dict]:
    """Run one simulation and evaluate every energy/technology variant of it (worker side).

    Never raises for a failing point: each variant comes back with status "ok" or "error".
    """
    from ._api import _backend
    from ._compiler import CompileOptions, compile_network

    t0 = time.perf_counter()
    host = socket.gethostname()
    out = []
    try:
        sim = task["sim"]
        spec = validate_data(NetworkSpec, sim["network"], what="network")
        first = validate_data(ChipConfig, task["variants"][0]["chip"], what="chip")
        net = spec.instantiate(sim["seed"], base_dir=sim["base_dir"])   # relative files: the network's folder
        program = compile_network(net, first, CompileOptions(placement=sim["placement"]))
        result = _backend(sim["backend"])(program, net.stimulus(sim["steps"]))
    except Exception as exc:  # noqa: BLE001 - recorded with the point, never stops the sweep
        err = _error_text(exc)
        return [{"key": v["key"], "status": "error", "error": err, "metrics": None, "host": host,
                 "wall_s": time.perf_counter() - t0} for v in task["variants"]]
    for v in task["variants"]:
        try:
            chip = validate_data(ChipConfig, v["chip"], what="chip")
            out.append({"key": v["key"], "status": "ok", "error": None, "metrics": _metrics(chip, result),
                        "host": host, "wall_s": time.perf_counter() - t0})
        except Exception as exc:  # noqa: BLE001
            out.append({"key": v["key"], "status": "error", "error": _error_text(exc), "metrics": None,
                        "host": host, "wall_s": time.perf_counter() - t0})
    return out


# ============================================================================ database
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS points (
    key TEXT PRIMARY KEY,
    sim_key TEXT NOT NULL,
    sweep TEXT NOT NULL,
    point_index INTEGER NOT NULL,
    overrides TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'error', 'lost')),
    error TEXT,
    seed INTEGER, steps INTEGER, backend TEXT,
    chip TEXT NOT NULL, network TEXT NOT NULL,
    metrics TEXT,
    {", ".join(METRICS)},
    host TEXT, wall_s REAL, finished_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""


def open_db(path: str | os.PathLike) -> sqlite3.Connection:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.executescript(_SCHEMA)
    except sqlite3.DatabaseError as exc:
        raise ConfigError("--db", f"is not a usable SQLite database ({exc})", str(path),
                          "give a new file name or delete the broken file") from None
    return conn


def _write_row(conn: sqlite3.Connection, sweep: str, p: SweepPoint, res: dict) -> None:
    m = res.get("metrics") or {}
    cols = ["key", "sim_key", "sweep", "point_index", "overrides", "status", "error", "seed", "steps", "backend",
            "chip", "network", "metrics", *METRICS, "host", "wall_s", "finished_at"]
    vals = [p.key, p.sim_key, sweep, p.index, _canon(p.overrides), res["status"], res.get("error"), p.seed, p.steps,
            p.backend, _canon(p.chip.model_dump(mode="json")), _canon(p.network.model_dump(mode="json")),
            _canon(m) if m else None, *[m.get(k) for k in METRICS], res.get("host"), res.get("wall_s"),
            datetime.now(timezone.utc).isoformat(timespec="seconds")]
    # one transaction per row: a crash leaves either the whole row or nothing
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(f"INSERT OR REPLACE INTO points ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", vals)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def read_results(db: str | os.PathLike, keys: list[str] | None = None) -> list[dict]:
    """Rows of the results database (all, or those with the given keys), as dicts."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        rows = [dict(r) for r in conn.execute("SELECT * FROM points ORDER BY sweep, point_index")]
    finally:
        conn.close()
    if keys is not None:
        want = set(keys)
        rows = [r for r in rows if r["key"] in want]
    return rows


# ============================================================================ client side
@dataclass
class SweepOutcome:
    total: int
    skipped: int
    ok: int
    failed: int
    db: Path
    rows: list[dict]


def _connect(scheduler: str | None, n_workers: int, timeout_s: float):
    import logging

    from distributed import Client, LocalCluster

    if scheduler:
        try:
            return Client(scheduler, timeout=f"{timeout_s}s"), None
        except Exception as exc:  # noqa: BLE001 - unreachable/invalid address, timeout
            raise ConfigError("--scheduler", f"could not connect within {timeout_s:g} s ({type(exc).__name__}: {exc})",
                              scheduler, "start one with `dask scheduler` (+ `dask worker ADDRESS`) and pass its "
                                         "address, e.g. tcp://HOST:8786, or omit --scheduler for a local cluster") \
                from None
    cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=logging.ERROR)
    return Client(cluster), cluster


def run_sweep(sweep: Sweep, db: str | os.PathLike, *, scheduler: str | None = None, n_workers: int | None = None,
              retry_failed: bool = False, progress: bool = True, connect_timeout_s: float = 5.0,
              console=None) -> SweepOutcome:
    """Run every unfinished point of ``sweep``; rows are written to ``db`` as points finish."""
    points = sweep.points()                               # validates everything before any side effect
    if n_workers is not None and n_workers < 1:
        raise ConfigError("--workers", "must be at least 1", n_workers, "give --workers 1 or more")
    n_workers = n_workers or max(1, min(2, os.cpu_count() or 1))
    db = Path(db)
    client = cluster = None
    if scheduler:                                         # fail on a bad address before touching the DB
        client, cluster = _connect(scheduler, n_workers, connect_timeout_s)
    try:
        conn = open_db(db)
        try:
            with conn:
                conn.execute("INSERT OR REPLACE INTO meta VALUES ('sweep:' || ?, ?)",
                             (sweep.spec.name, _canon(sweep.spec.model_dump(mode="json"))))
            done_status = ("ok", "error") if not retry_failed else ("ok",)
            done = {k for (k, st) in conn.execute("SELECT key, status FROM points") if st in done_status}
            todo = [p for p in points if p.key not in done]
            skipped = len(points) - len(todo)
            by_key = {}
            for p in todo:                                    # duplicate points run (and are stored) once
                by_key.setdefault(p.key, p)
            groups: dict[str, list[SweepPoint]] = {}
            for p in by_key.values():
                groups.setdefault(p.sim_key, []).append(p)
            ok = failed = 0
            if groups:
                if client is None:
                    client, cluster = _connect(None, n_workers, connect_timeout_s)
                ok, failed = _execute(client, conn, sweep, groups, len(by_key), progress, console)
        finally:
            conn.close()
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    rows = read_results(db, [p.key for p in points])
    return SweepOutcome(total=len(points), skipped=skipped, ok=ok, failed=failed, db=db, rows=rows)


def _execute(client, conn, sweep: Sweep, groups: dict[str, list[SweepPoint]], n: int, progress: bool,
             console) -> tuple[int, int]:
    from contextlib import nullcontext

    from distributed import as_completed

    futures = {}
    for sim_key, pts in groups.items():
        p0 = pts[0]
        task = {"sim": {"network": p0.network.model_dump(mode="json"), "base_dir": p0.base_dir, "seed": p0.seed,
                        "steps": p0.steps, "backend": p0.backend, "placement": p0.placement},
                "variants": [{"key": p.key, "chip": p.chip.model_dump(mode="json")} for p in pts]}
        fut = client.submit(run_group, task, key=f"neurocycle-point-{sim_key}", pure=False)
        futures[fut] = pts
    ok = failed = 0
    if progress:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
        bar = Progress(TextColumn(f"sweep {sweep.spec.name}"), BarColumn(), MofNCompleteColumn(),
                       TextColumn("points · {task.fields[status]}"), TimeElapsedColumn(), console=console,
                       transient=False)
        task_id = bar.add_task("points", total=n, status="")
    else:
        bar, task_id = None, None
    with bar if bar is not None else nullcontext():
        for fut in as_completed(list(futures)):
            pts = futures[fut]
            try:
                results = {r["key"]: r for r in fut.result()}
            except Exception as exc:  # noqa: BLE001 - worker died / cancelled: retried on the next run
                err = _error_text(exc)
                results = {p.key: {"key": p.key, "status": "lost", "error": err, "metrics": None} for p in pts}
            for p in pts:
                r = results[p.key]
                _write_row(conn, sweep.spec.name, p, r)
                ok += r["status"] == "ok"
                failed += r["status"] != "ok"
                if bar is not None:
                    bar.update(task_id, advance=1, status=f"{ok} ok, {failed} failed")
            fut.release()
    return ok, failed


# ============================================================================ outputs
def export_csv(rows: list[dict], path: str | os.PathLike) -> Path:
    """One CSV line per point: index, key, status, the override values, metrics, error."""
    from ._io import write_text

    paths: list[str] = []
    for r in rows:
        for k in json.loads(r["overrides"]):
            if k not in paths:
                paths.append(k)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["point", "key", "status", *paths, *METRICS, "error"])
    for r in sorted(rows, key=lambda r: r["point_index"]):
        ov = json.loads(r["overrides"])
        w.writerow([r["point_index"], r["key"], r["status"], *[ov.get(p, "") for p in paths],
                    *["" if r[m] is None else r[m] for m in METRICS],
                    r["error"].splitlines()[0] if r["error"] else ""])
    return write_text(path, buf.getvalue())


def pareto_front(xs, ys) -> np.ndarray:
    """Indices of the points not dominated in (x, y), both minimised, sorted by x."""
    xs, ys = np.asarray(xs, float), np.asarray(ys, float)
    order = np.lexsort((ys, xs))
    front, best = [], math.inf
    for i in order:
        if ys[i] < best:
            front.append(i)
            best = ys[i]
    return np.asarray(front, dtype=np.int64)


def plot_pareto(rows: list[dict], path: str | os.PathLike | None = None, title: str = ""):
    """Energy per timestep vs latency per timestep, coloured by chip area; Pareto front marked."""
    from ._plots import _save, plt

    ok = [r for r in rows if r["status"] == "ok" and r["energy_per_step_pj"] is not None
          and r["latency_us_per_step"] is not None]
    fig, ax = plt.subplots(figsize=(7.5, 5))
    if ok:
        x = np.array([r["latency_us_per_step"] for r in ok])
        y = np.array([r["energy_per_step_pj"] for r in ok]) * 1e-3
        c = np.array([r["area_mm2"] for r in ok])
        sc = ax.scatter(x, y, c=c, cmap="viridis", s=36, edgecolors="k", linewidths=0.4, zorder=3)
        fig.colorbar(sc, ax=ax, label="chip area (mm²)")
        f = pareto_front(x, y)
        ax.step(x[f], y[f], where="post", color="tab:red", lw=1, zorder=2, label="Pareto front")
        for i in f:
            ax.annotate(str(ok[i]["point_index"]), (x[i], y[i]), fontsize=7, xytext=(3, 3),
                        textcoords="offset points")
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "no finished point with energy and latency", ha="center", transform=ax.transAxes)
    ax.set_xlabel("latency per timestep (µs)")
    ax.set_ylabel("energy per timestep (nJ)")
    ax.set_title(title or "energy vs latency")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)
