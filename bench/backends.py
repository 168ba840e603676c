"""Backends the harness can time: name -> function(program, stimulus) -> SimResult.

Add a column by registering another function here (RTL co-simulation, peer simulators, ...):
it receives the compiled ChipProgram and the Stimulus and returns a SimResult (counters may be
None for functional-only backends).
"""
from __future__ import annotations

from typing import Callable

from neurocycle.sim import ChipProgram, SimResult, Stimulus

BACKENDS: dict[str, tuple[str, Callable[[ChipProgram, Stimulus], SimResult]]] = {}


def backend(name: str, description: str):
    def deco(fn):
        BACKENDS[name] = (description, fn)
        return fn
    return deco


@backend("cycle", "cycle-exact event-skipping Cython engine (neurocycle.sim.run_cycle)")
def _cycle(program, stim):
    from neurocycle.sim import run_cycle
    return run_cycle(program, stim)


@backend("reference", "functional numpy reference (neurocycle.sim.run_reference), timestep level")
def _reference(program, stim):
    from neurocycle.sim import run_reference
    return run_reference(program, stim)


@backend("cycle-stepped", "literal cycle-by-cycle Python model (slow; small workloads only)")
def _stepped(program, stim):
    from neurocycle.sim import run_cycle
    return run_cycle(program, stim, mode="stepped")
