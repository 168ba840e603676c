"""neurocycle.sim — what the chip *does*: networks, the compiler, the functional reference,
the engine driver, reports and the CLI.
"""
from neurocycle.hw import PROFILE_FIELDS

from ._api import BACKENDS, Run, Spikes, prepare, simulate
from ._estimate import Estimate, estimate
from ._builder import NetworkBuilder
from ._compiler import CompileOptions, compile_network
from ._engine import run_cycle
from ._network import (LIF, InputGroup, LIFFixed, NetworkInstance, NetworkSpec, Population, Projection,
                       Stimulus, load_network, network_from_yaml_text)
from ._program import ChipProgram
from ._reference import StateRecord, effective_connectivity, run_reference
from ._result import SimResult
from .experiments import NocExperiment, noc_experiment
from .nir import LayerQuantisation, NIRConversion, OutputMap, QuantisationReport, convert_nir, import_nir

__all__ = [
    "NetworkSpec", "NetworkInstance", "NetworkBuilder", "Population", "InputGroup", "Projection", "LIF", "LIFFixed", "Stimulus",
    "load_network", "network_from_yaml_text",
    "CompileOptions", "compile_network", "ChipProgram", "PROFILE_FIELDS",
    "run_reference", "StateRecord", "run_cycle", "effective_connectivity", "SimResult",
    "simulate", "prepare", "Run", "Spikes", "BACKENDS", "estimate", "Estimate",
    "noc_experiment", "NocExperiment",
    "import_nir", "convert_nir", "NIRConversion", "QuantisationReport", "LayerQuantisation", "OutputMap",
]
