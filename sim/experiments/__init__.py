"""Built-in experiments: comparisons a user can run in minutes (``neurocycle experiment ...``),
whose headline numbers are in docs/experiments.md.

- ``noc``: unicast vs multicast routing and 1 / 2 / 4 cores per router on W1 and the gallery
  networks (:func:`noc_experiment`).
"""
from ._noc import GALLERY, NETWORKS, NocExperiment, NocRow, noc_experiment, noc_variant
from ._workloads import fixed_out_degree_pairs, lif_network, w1

__all__ = ["noc_experiment", "noc_variant", "NocExperiment", "NocRow", "NETWORKS", "GALLERY",
           "lif_network", "fixed_out_degree_pairs", "w1"]
