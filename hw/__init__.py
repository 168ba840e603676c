"""neurocycle.hw — what the chip *is*: config schema, derived widths, fixed-point contract,
the layout declared once (counters, parameters, flit, bus map), energy and area models, presets.

The public names below are imported on first use (PEP 562): `neurocycle --help` or a refused
file does not pay for the pydantic schemas, the energy model or the technology tables.
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "._config": ("DECAY_BITS", "DECAY_ONE", "N_PORTS", "PORT_NAMES", "W_EXP_MAX", "BitsConfig", "ChipConfig",
                 "ChipDerived", "CoreConfig", "EnergyConfig", "HostConfig", "MeshConfig", "RouterConfig",
                 "SramFitConfig", "TechnologyConfig", "chip_from_yaml_text", "load_chip"),
    "._layout": ("CHIP_COUNTERS", "CORE_COUNTERS", "COUNTER_BY_NAME", "COUNTER_NAMES", "COUNTERS", "ENERGY_GROUPS",
                 "PROFILE_FIELDS", "ROUTER_COUNTERS", "Counter"),
    "._errors": ("CapacityError", "ConfigError", "ConfigErrors", "EngineError", "NeurocycleError",
                 "NeurocycleWarning", "QuantisationWarning"),
    "._fixed": ("decay", "graded_count", "lif_step", "neuron_update", "saturate", "stdp_decay_constant",
                "stdp_depress", "stdp_potentiate", "stdp_window", "trace_update"),
    "._frozen": ("ConfigModel", "FrozenDict"),
    "._numeric": ("NumericFormat",),
    "._presets": ("DEFAULT_CHIP", "DEFAULT_NETWORK", "list_presets", "preset_path", "resolve_file"),
    "._yaml": ("binary_kind", "parse_yaml", "read_yaml", "validate_data"),
    "._paths": ("format_path", "parse_path", "set_path"),
    "._area": ("TRANSISTORS_PER_GE", "AreaReport", "SynthResult", "area_report", "estimate_logic_ge"),
    "._system": ("GridConfig", "LinkOverride", "LinkTable", "MAX_SYSTEM_CORES", "SystemConfig", "SystemDerived",
                 "load_system", "system_from_yaml_text"),
    "._system_energy": ("SystemEnergyReport", "link_flits", "system_energy", "system_energy_params"),
    "._energy": ("EnergyParams", "EnergyReport", "compute_energy", "energy_params", "fit_overhead_factor",
                 "resolve_technology"),
}
_MODULES = {"layout": "._layout"}      # whole modules exported under a public name
_WHERE = {name: mod for mod, names in _EXPORTS.items() for name in names}
__all__ = sorted([*_WHERE, *_MODULES])


def __getattr__(name: str):
    if name in _MODULES:
        value = importlib.import_module(_MODULES[name], __name__)
    elif name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name], __name__), name)
    else:
        raise AttributeError(f"module 'neurocycle.hw' has no attribute {name!r}")
    globals()[name] = value          # later lookups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
