"""neurocycle.sim — what the chip *does*: networks, the compiler, the functional reference,
the engine driver, reports and the CLI.

The public names below are imported on first use (PEP 562), so `neurocycle --help` and a
refused input do not pay for the NIR importer, the sweeps or the backends.
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "._api": ("BACKENDS", "ProjectionWeights", "Run", "Spikes", "load_target", "prepare", "simulate"),
    "._activity": ("Activity", "WindowEstimate", "estimate_window", "record_activity"),
    "._trace": ("write_trace",),
    "._vcd": ("write_vcd",),
    "._vectors": ("write_vectors",),
    "._estimate": ("Estimate", "estimate"),
    "._builder": ("NetworkBuilder",),
    "._compiler": ("CompileOptions", "compile_network"),
    "._engine": ("run_cycle",),
    ".experiments": ("NocExperiment", "noc_experiment"),
    "._network": ("InputGroup", "NetworkInstance", "NetworkSpec", "Population", "Projection", "StdpRule", "Stimulus",
                  "load_network", "network_from_yaml_text"),
    "._neurons": ("LIF", "LIFFixed", "LIFConversion", "FixedPoint", "QUANTISATION_TOLERANCE"),
    "._program": ("ChipProgram",),
    "._reference": ("StateRecord", "effective_connectivity", "run_reference"),
    "._result": ("SimResult",),
    ".nir": ("LayerQuantisation", "NIRConversion", "OutputMap", "QuantisationReport", "convert_nir", "import_nir"),
    "neurocycle.hw": ("PROFILE_FIELDS",),
}
_WHERE = {name: mod for mod, names in _EXPORTS.items() for name in names}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    mod = _WHERE.get(name)
    if mod is None:
        raise AttributeError(f"module 'neurocycle.sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(mod, __name__), name)
    globals()[name] = value          # later lookups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
