"""The simulation backends by name: the one registry (`simulate`, the CLI, sweeps and the
co-simulation look them up here). Each is ``fn(program, stimulus, progress=None) -> SimResult``,
imported on first use."""
from __future__ import annotations

import importlib
from typing import Callable

__all__ = ["BACKENDS", "backend"]

_IMPL = {
    "cycle": ("neurocycle.sim._engine", "run_cycle"),          # cycle-exact model (the default)
    "reference": ("neurocycle.sim._reference", "run_reference"),   # functional reference, spikes only
}
BACKENDS = tuple(_IMPL)          # the first is the default


def backend(name: str) -> Callable:
    """The run function of backend ``name`` (a ConfigError naming the choices otherwise)."""
    if name not in _IMPL:
        from neurocycle.hw import ConfigError
        raise ConfigError("backend", f"must be one of {', '.join(BACKENDS)}", name, "pick a listed backend")
    mod, fn = _IMPL[name]
    return getattr(importlib.import_module(mod), fn)
