"""neurocycle.rtl — the synthesizable SystemVerilog of the reference chip (``nc_*.sv``, shipped
as package data) and the helper that builds it under Verilator from a chip config.

cocotb is imported only when a build or a co-simulation runs, never by importing this package.
"""
from ._build import (CNT_BITS, DEFAULT_HOST_QUEUE_DEPTH, RTL_DIR, Build, RtlToolError, build, cache_root, chip_parameters, system_parameters,
                     defs, lint, rtl_includes, rtl_sources, run_cocotb, setup_env, tile_parameters, verilator_root)
from ._synth import SynthStats, synthesize, synthesize_logic_ge, synthesize_module

__all__ = ["RTL_DIR", "Build", "RtlToolError", "build", "cache_root", "chip_parameters", "system_parameters", "tile_parameters", "defs", "rtl_sources",
           "run_cocotb", "setup_env", "lint", "verilator_root", "synthesize", "SynthStats", "DEFAULT_HOST_QUEUE_DEPTH",
           "synthesize_logic_ge", "synthesize_module", "rtl_includes",
           "CNT_BITS"]
