"""Built-in comparisons a user can run in minutes (``neurocycle experiment NAME``), each with a
table, a JSON file and a plot; headline numbers and the commands that produce them are in
docs/experiments.md.

- ``graded_vs_binary``: P-bit graded spikes in one timestep vs a binary rate code over
  T = 2^P - 1 timesteps (equal information) and over one timestep (equal timesteps), on the same
  feed-forward network: latency, energy and its breakdown, flits, SRAM bits, area, output error
  against the exact integer network (a sweep of its own, ``neurocycle.sim.sweep``);
- ``event_vs_dense``: the event-driven neuron update against the dense walk over firing rates
  0.1 %-50 % and input sparsity: energy and cycles per timestep, and the crossover rate (a sweep);
- ``noc_experiment``: unicast vs multicast routing and 1 / 2 / 4 cores per router on W1 and the
  gallery networks: flits and grants per spike, cycles, network energy, router/table area, EDP;
- ``stdp_window``: the two-neuron protocol over dt = -50..50: the chip's weight change against the
  rule's exact fixed-point STDP window (docs/learning.md);
- ``stdp_pattern``: the gallery's pattern-in-noise network: a neuron with STDP synapses becomes
  selective to a repeated spike pattern (hit rate, false alarms, weights).
"""
from ._common import ExperimentResult
from ._event import event_vs_dense
from ._graded import graded_vs_binary
from ._noc import GALLERY, NETWORKS, NocExperiment, NocRow, noc_experiment, noc_variant
from ._stdp import stdp_pattern, stdp_window, stdp_window_network
from ._workloads import fixed_out_degree_pairs, lif_network, w1

EXPERIMENTS = {"graded-vs-binary": graded_vs_binary, "event-vs-dense": event_vs_dense, "noc": noc_experiment,
               "stdp-window": stdp_window, "stdp-pattern": stdp_pattern}

__all__ = ["graded_vs_binary", "event_vs_dense", "EXPERIMENTS", "ExperimentResult",
           "noc_experiment", "noc_variant", "NocExperiment", "NocRow", "NETWORKS", "GALLERY",
           "lif_network", "fixed_out_degree_pairs", "w1", "stdp_window", "stdp_window_network", "stdp_pattern"]
