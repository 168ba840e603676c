"""neurocycle.hw — what the chip *is*: config schema, derived widths, fixed-point contract,
event counters, presets.
"""
from ._config import (DECAY_BITS, DECAY_ONE, N_PORTS, PORT_NAMES, W_EXP_MAX, BitsConfig, ChipConfig,
                      ChipDerived, CoreConfig, EnergyConfig, HostConfig, MeshConfig, RouterConfig,
                      chip_from_yaml_text, load_chip)
from ._counters import (CHIP_COUNTERS, CORE_COUNTERS, COUNTER_BY_NAME, COUNTER_NAMES, COUNTERS,
                        ROUTER_COUNTERS, Counter)
from ._errors import CapacityError, ConfigError, ConfigErrors, EngineError, NeurocycleError
from ._fixed import decay, lif_step, saturate
from ._numeric import NumericFormat
from ._presets import DEFAULT_CHIP, DEFAULT_NETWORK, list_presets, preset_path
from ._config import SramFitConfig, TechnologyConfig  # noqa: E402  (energy/area model)
from ._area import AreaReport, SynthResult, area_report, estimate_logic_ge  # noqa: E402
from ._energy import EnergyParams, EnergyReport, compute_energy, energy_params, resolve_technology  # noqa: E402

__all__ = [
    "ChipConfig", "ChipDerived", "MeshConfig", "CoreConfig", "RouterConfig", "BitsConfig", "HostConfig",
    "EnergyConfig", "load_chip", "chip_from_yaml_text",
    "DECAY_BITS", "DECAY_ONE", "W_EXP_MAX", "N_PORTS", "PORT_NAMES",
    "Counter", "COUNTERS", "COUNTER_NAMES", "COUNTER_BY_NAME", "CORE_COUNTERS", "ROUTER_COUNTERS",
    "CHIP_COUNTERS",
    "NeurocycleError", "ConfigError", "ConfigErrors", "CapacityError", "EngineError",
    "decay", "saturate", "lif_step", "NumericFormat",
    "DEFAULT_CHIP", "DEFAULT_NETWORK", "list_presets", "preset_path",
    "TechnologyConfig", "SramFitConfig", "AreaReport", "SynthResult", "area_report", "estimate_logic_ge",
    "EnergyParams", "EnergyReport", "compute_energy", "energy_params", "resolve_technology",
]
