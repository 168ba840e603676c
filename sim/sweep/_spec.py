"""Sweep files and their points.

A sweep file (``SweepSpec``) names a base chip + network and a set of points: a grid
(Cartesian product) and/or seeded random samples over dotted-path overrides. ``Sweep.points()``
resolves and validates every point (chip, network, seed, steps, compile options) before
anything runs or is written, and gives each its identity: ``key`` (the result row) and
``sim_key`` (the simulation; points that differ only in ``energy``/``technology`` share one).
"""
from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args, get_type_hints

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from neurocycle.hw import (ChipConfig, ConfigError, ConfigErrors, NumericFormat, load_chip, read_yaml, set_path,
                           validate_data)

from .._compiler import CompileOptions
from .._network import NetworkSpec, load_network

__all__ = ["SweepSpec", "SamplesSpec", "Sweep", "SweepPoint", "load_sweep", "PLACEMENTS", "SPECIAL_AXES"]

# the placements the compiler knows (one definition: CompileOptions)
PLACEMENTS: tuple[str, ...] = get_args(get_type_hints(CompileOptions)["placement"])
# axes that are not chip or network fields: run settings and compile options
SPECIAL_AXES = ("seed", "steps", "placement", "neurons_per_core")
_DIST_KINDS = ("uniform", "log_uniform", "integers", "choice")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def _safe_name(v: str) -> str:
    s = re.sub(r"\.{2,}", ".", re.sub(r"[^A-Za-z0-9._-]+", "-", v)).strip(".-_")[:100]
    return s or "sweep"


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
    name: str = "sweep"                       # names OUT/NAME.sqlite and OUT/NAME-pareto.png
    description: str = ""
    chip: str | dict = "default-4x4"          # preset name, YAML path (relative to the sweep file) or mapping
    network: str | dict = "default-net"
    steps: int = Field(default=100, ge=1, le=10_000_000)
    seed: int | None = Field(default=None, ge=0)   # default: the network's seed
    backend: str = "cycle"
    # compile options, as `neurocycle run --placement/--neurons-per-core` (also sweepable axes)
    placement: str = "balanced"
    neurons_per_core: int | None = Field(default=None, ge=1)
    grid: dict[str, list[Any]] = Field(default_factory=dict)
    samples: SamplesSpec | None = None
    # explicit points: each a mapping of overrides (for axes that are not a product: e.g. the
    # arms of an experiment, neurocycle.sim.experiments)
    points: list[dict[str, Any]] = Field(default_factory=list)
    # populations whose per-neuron output (spike count; payload sum on a graded chip) every row
    # stores in its metrics (``outputs``)
    outputs: list[str] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _name(cls, v):
        if not _NAME.fullmatch(v) or ".." in v:
            raise ValueError("must be a plain file name — letters, digits, '.', '_' or '-', starting with a letter "
                             "or digit, no '..' or '/' (it names OUT/NAME.sqlite and OUT/NAME-pareto.png, which "
                             f"must stay inside --out)|write name: {_safe_name(v)}")
        return v

    @field_validator("placement")
    @classmethod
    def _placement(cls, v):
        if v not in PLACEMENTS:
            raise ValueError(f"must be one of {', '.join(PLACEMENTS)}|use placement: balanced (the default)")
        return v

    @field_validator("grid")
    @classmethod
    def _grid(cls, v):
        for path, values in v.items():
            if not values:
                raise ValueError(f"@{path}|has no values|list at least one value")
        return v

    @model_validator(mode="after")
    def _outputs_are_populations(self):
        if self.outputs and isinstance(self.network, dict):
            pops = [p.get("name") for p in self.network.get("populations", []) if isinstance(p, dict)]
            bad = [o for o in self.outputs if o not in pops]
            if bad:
                raise ValueError(f"@outputs|{bad[0]!r} is not a population of the network|use one of: "
                                 f"{', '.join(map(str, pops))}")
        return self

    @field_validator("backend")
    @classmethod
    def _backend(cls, v):
        from .._api import BACKENDS
        if v not in BACKENDS:
            raise ValueError(f"must be one of {', '.join(BACKENDS)}|use backend: cycle (energy needs it)")
        return v


# ============================================================================ points
@dataclass
class SweepPoint:
    index: int
    origin: str                 # "base", "grid" or "samples"
    overrides: dict[str, Any]   # as given (dotted path -> value)
    chip: ChipConfig
    network: NetworkSpec
    base_dir: str               # the network's folder: its relative `file:` fields resolve there
    seed: int
    steps: int
    backend: str
    placement: str
    neurons_per_core: int | None
    key: str                    # identity of the result row
    sim_key: str                # identity of the simulation (chip without energy/technology)

    @property
    def options(self) -> CompileOptions:
        """The compile options of this point (what `neurocycle run --placement ...` would use)."""
        return CompileOptions(placement=self.placement, neurons_per_core=self.neurons_per_core)


def canon(obj) -> str:
    """Canonical JSON (sorted keys, no spaces): what keys are hashed from and rows store."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def _digest(obj) -> str:
    return hashlib.sha256(canon(obj).encode()).hexdigest()[:32]


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


def _check_special(name: str, v, chip: ChipConfig) -> None:
    """seed / steps / placement / neurons_per_core of one point, checked like the CLI's options."""
    if name == "placement":
        if v not in PLACEMENTS:
            raise ConfigError(name, f"must be one of {', '.join(PLACEMENTS)}", v, "use a listed placement")
        return
    lo = {"seed": 0, "steps": 1, "neurons_per_core": 1}[name]
    if v is None and name != "steps":
        return
    if not isinstance(v, int) or isinstance(v, bool) or v < lo:
        raise ConfigError(name, f"must be a whole number >= {lo}", v, f"use {name} values >= {lo}")
    if name == "neurons_per_core" and v > chip.core.neurons:
        raise ConfigError(name, f"must be at most core.neurons ({chip.core.neurons}) of the chip", v,
                          f"use neurons_per_core <= {chip.core.neurons}, or raise core.neurons")


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
        # a NIR graph is quantised for the base chip's bit widths, as `neurocycle run CHIP x.nir` does
        spec, base = load_network(ref if isinstance(ref, dict) else self._local(ref),
                                  numeric=NumericFormat.of(self.base_chip))
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
        for ov in s.points:
            sets.append(("points", dict(ov)))
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
            where = {"grid": "grid", "points": f"points[{i}]"}.get(origin, "samples.space")
            chip_ov = {k: v for k, v in ov.items() if k not in SPECIAL_AXES and not k.startswith("network.")}
            net_ov = {k[len("network."):]: v for k, v in ov.items() if k.startswith("network.")}
            run = {name: ov.get(name, getattr(s, name)) for name in SPECIAL_AXES}
            try:
                chip = self.base_chip.with_overrides(chip_ov) if chip_ov else self.base_chip
                for name in SPECIAL_AXES:
                    _check_special(name, run[name], chip)
                area_report(chip)      # node defaults exist (or the error names the field to set)
                if s.backend == "cycle":
                    energy_params(chip)
                net = self.base_network
                if net_ov:
                    data = copy.deepcopy(base_net)
                    for path, v in net_ov.items():
                        set_path(data, path, v, "network", "inputs[0].source.rate_hz")
                    net = validate_data(NetworkSpec, data, what="network")
            except ConfigError as exc:
                for e in getattr(exc, "errors", [exc]):
                    shown = ", ".join(f"{k}={v!r}" for k, v in ov.items())
                    err = ConfigError(f"{where}.{e.field}" if ov else e.field, e.rule, e.value,
                                      e.fix + (f" (first seen at point {i}: {shown})" if ov else ""),
                                      source=self.source)
                    errors.setdefault(f"{e.field}|{e.rule}|{e.value!r}", err)
                continue
            seed = net.seed if run["seed"] is None else run["seed"]
            net_dump = net.model_dump(mode="json")
            chip_dump = chip.model_dump(mode="json")
            ident = {"network": net_dump, "files": files, "seed": seed, "steps": run["steps"], "backend": s.backend,
                     "placement": run["placement"]}
            if run["neurons_per_core"] is not None:      # absent when unset: keys of earlier sweeps still match
                ident["neurons_per_core"] = run["neurons_per_core"]
            if s.outputs:                                # likewise
                ident["outputs"] = list(s.outputs)
            sim_chip = {k: v for k, v in chip_dump.items() if k not in ("energy", "technology", "name",
                                                                         "description")}
            points.append(SweepPoint(index=i, origin=origin, overrides=ov, chip=chip, network=net,
                                     base_dir=str(self.network_dir), seed=seed, steps=run["steps"],
                                     backend=s.backend, placement=run["placement"],
                                     neurons_per_core=run["neurons_per_core"],
                                     key=_digest({"chip": chip_dump, **ident}),
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
