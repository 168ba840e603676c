"""What a run produces: spikes, cycles, counters — one object for every backend."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class SimResult:
    """Result of simulating a chip program for ``steps`` timesteps.

    ``spike_steps``/``spike_neurons`` list every neuron spike (timestep, network neuron id),
    sorted by timestep then neuron id. Cycle-level backends also fill ``spike_cycles`` (the
    cycle of the NU update that fired, same order), ``step_cycles`` (cycles of each
    timestep) and ``counters`` (name -> array: per core/router of shape [n_cores], or a
    scalar for chip counters), plus per-port detail arrays in ``detail``. On a graded chip
    (``bits.payload > 0``) ``spike_payloads`` holds the payload of every spike (same order; 1 for
    a binary neuron); it is ``None`` on a binary chip. When the program learns (STDP),
    ``weights`` holds the final weight of every synapse slot (``[n_words, lanes]``, the layout of
    ``ChipProgram.syn_weight``); ``None`` otherwise (the weights did not change).
    """
    backend: str
    steps: int
    spike_steps: np.ndarray
    spike_neurons: np.ndarray
    spike_cycles: np.ndarray | None = None
    step_cycles: np.ndarray | None = None
    counters: dict[str, np.ndarray] | None = None
    detail: dict[str, np.ndarray] = field(default_factory=dict)
    wall_s: float = 0.0
    spike_payloads: np.ndarray | None = None
    weights: np.ndarray | None = None     # STDP: the synapse SRAM's weights after the run [n_words, lanes]

    @property
    def n_spikes(self) -> int:
        return int(self.spike_steps.size)

    @property
    def total_cycles(self) -> int | None:
        return None if self.step_cycles is None else int(self.step_cycles.sum())

    def spikes_per_step(self) -> np.ndarray:
        return np.bincount(self.spike_steps, minlength=self.steps)[: self.steps]
