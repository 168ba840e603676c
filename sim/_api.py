"""One call from config + network to a finished run: load, validate, compile, simulate."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

from neurocycle.hw import ChipConfig, ConfigError, load_chip

from ._compiler import CompileOptions, compile_network
from ._network import NetworkInstance, NetworkSpec, Stimulus, load_network
from ._program import ChipProgram
from ._result import SimResult

BACKENDS = ("reference", "cycle")  # the first is the CLI default


def _backend(name: str) -> Callable[..., SimResult]:
    if name == "reference":
        from ._reference import run_reference
        return run_reference
    if name == "cycle":
        from ._engine import run_cycle
        return run_cycle
    raise ConfigError("backend", f"must be one of {', '.join(BACKENDS)}", name, "pick a listed backend")


@dataclass
class Run:
    """Everything a run used and produced: resolved chip, network, program, stimulus, result."""
    chip: ChipConfig
    spec: NetworkSpec
    net: NetworkInstance
    program: ChipProgram
    stimulus: Stimulus
    result: SimResult
    seed: int
    backend: str


def prepare(chip=None, network=None, *, steps: int = 100, seed: int | None = None,
            options: CompileOptions | None = None):
    """Load and validate chip + network, sample the network, compile, build the stimulus."""
    if not isinstance(steps, int) or steps < 1:
        raise ConfigError("steps", "must be a whole number >= 1", steps, "give --steps 1 or more")
    chip_cfg = load_chip(chip)
    spec, base_dir = load_network(network, chip=chip_cfg)   # the chip sets NIR quantisation bits
    seed = spec.seed if seed is None else int(seed)
    net = spec.instantiate(seed, base_dir=base_dir)
    program = compile_network(net, chip_cfg, options)
    return chip_cfg, spec, net, program, net.stimulus(steps), seed


def simulate(chip: "str | os.PathLike | ChipConfig | dict | None" = None,
             network: "str | os.PathLike | NetworkSpec | dict | None" = None, *, steps: int = 100,
             seed: int | None = None, backend: str = "cycle", options: CompileOptions | None = None,
             progress: Callable[[int], None] | None = None) -> Run:
    """Simulate ``network`` on ``chip`` for ``steps`` timesteps with the named backend."""
    fn = _backend(backend)
    chip_cfg, spec, net, program, stim, seed = prepare(chip, network, steps=steps, seed=seed, options=options)
    result = fn(program, stim, progress=progress)
    return Run(chip=chip_cfg, spec=spec, net=net, program=program, stimulus=stim, result=result, seed=seed,
               backend=backend)
