"""neurocycle.hw — what the chip *is*: config schema, derived widths, fixed-point contract,
event counters, presets.
"""
from ._config import (DECAY_BITS, DECAY_ONE, N_PORTS, PORT_NAMES, W_EXP_MAX, BitsConfig, ChipConfig,
                      ChipDerived, CoreConfig, EnergyConfig, HostConfig, MeshConfig, RouterConfig,
                      chip_from_yaml_text, load_chip)
from . import _layout as layout
from ._layout import (CHIP_COUNTERS, CORE_COUNTERS, COUNTER_BY_NAME, COUNTER_NAMES, COUNTERS, PROFILE_FIELDS,
                      ROUTER_COUNTERS, Counter)
from ._errors import CapacityError, ConfigError, ConfigErrors, EngineError, NeurocycleError
from ._fixed import decay, graded_count, lif_step, neuron_update, saturate
from ._numeric import NumericFormat
from ._presets import DEFAULT_CHIP, DEFAULT_NETWORK, list_presets, preset_path, resolve_file
from ._yaml import parse_yaml, read_yaml, validate_data
from ._paths import format_path, parse_path, set_path
from ._config import SramFitConfig, TechnologyConfig  # noqa: E402  (energy/area model)
from ._area import TRANSISTORS_PER_GE, AreaReport, SynthResult, area_report, estimate_logic_ge  # noqa: E402
from ._energy import (EnergyParams, EnergyReport, compute_energy, energy_params, fit_overhead_factor,  # noqa: E402
                      resolve_technology)

__all__ = [
    "ChipConfig", "ChipDerived", "MeshConfig", "CoreConfig", "RouterConfig", "BitsConfig", "HostConfig",
    "EnergyConfig", "load_chip", "chip_from_yaml_text",
    "DECAY_BITS", "DECAY_ONE", "W_EXP_MAX", "N_PORTS", "PORT_NAMES",
    "Counter", "COUNTERS", "COUNTER_NAMES", "COUNTER_BY_NAME", "CORE_COUNTERS", "ROUTER_COUNTERS",
    "CHIP_COUNTERS", "PROFILE_FIELDS", "layout",
    "NeurocycleError", "ConfigError", "ConfigErrors", "CapacityError", "EngineError",
    "decay", "saturate", "lif_step", "neuron_update", "graded_count", "NumericFormat",
    "DEFAULT_CHIP", "DEFAULT_NETWORK", "list_presets", "preset_path", "resolve_file",
    "read_yaml", "parse_yaml", "validate_data", "parse_path", "format_path", "set_path",
    "TechnologyConfig", "SramFitConfig", "AreaReport", "SynthResult", "area_report", "estimate_logic_ge",
    "TRANSISTORS_PER_GE",
    "EnergyParams", "EnergyReport", "compute_energy", "energy_params", "resolve_technology", "fit_overhead_factor",
]
