"""Built-in comparisons a user can run in minutes (``neurocycle experiment NAME``), each a sweep
of its own (``neurocycle.sim.sweep``) with a table, a JSON file and a plot; headline numbers and
the commands that produce them are in docs/experiments.md.

- ``graded_vs_binary``: P-bit graded spikes in one timestep vs a binary rate code over
  T = 2^P - 1 timesteps (equal information) and over one timestep (equal timesteps), on the same
  feed-forward network: latency, energy and its breakdown, flits, SRAM bits, area, output error
  against the exact integer network;
- ``event_vs_dense``: the event-driven neuron update against the dense walk over firing rates
  0.1 %-50 % and input sparsity: energy and cycles per timestep, and the crossover rate;
- ``stdp_window``: the two-neuron protocol over dt = -50..50: the chip's weight change against the
  rule's exact fixed-point STDP window (docs/learning.md);
- ``stdp_pattern``: the gallery's pattern-in-noise network: a neuron with STDP synapses becomes
  selective to a repeated spike pattern (hit rate, false alarms, weights).
"""
from ._common import ExperimentResult
from ._event import event_vs_dense
from ._graded import graded_vs_binary
from ._stdp import stdp_pattern, stdp_window, stdp_window_network

EXPERIMENTS = {"graded-vs-binary": graded_vs_binary, "event-vs-dense": event_vs_dense,
               "stdp-window": stdp_window, "stdp-pattern": stdp_pattern}

__all__ = ["graded_vs_binary", "event_vs_dense", "stdp_window", "stdp_window_network", "stdp_pattern",
           "EXPERIMENTS", "ExperimentResult"]
