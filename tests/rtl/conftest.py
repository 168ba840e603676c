"""Helpers for the RTL tests: build a module (cached per parameter set) and run a cocotb
testbench module that lives next to the pytest file."""
from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import pytest

from neurocycle.rtl import RTL_DIR, build, run_cocotb

# The modules each unit top needs (a smaller source set keeps unit builds cached while
# unrelated modules change).
MODULE_SOURCES = {
    "nc_fifo": ["nc_fifo"],
    "nc_neuron": ["nc_neuron"],
    "nc_router": ["nc_router", "nc_fifo"],
    "nc_si": ["nc_si"],
    "nc_nu": ["nc_nu", "nc_neuron"],
    "nc_core_bus": ["nc_core_bus"],
    "nc_le": ["nc_le"],
    "nc_core": ["nc_core", "nc_core_bus", "nc_fifo", "nc_si", "nc_nu", "nc_neuron", "nc_le"],
    "nc_ctrl": ["nc_ctrl"],
    "nc_host_link": ["nc_host_link"],
    "nc_c2c_link": ["nc_c2c_link"],
    "nc_tile": ["nc_tile", "nc_router", "nc_core", "nc_core_bus", "nc_fifo", "nc_si", "nc_nu", "nc_neuron", "nc_le"],
}


@contextlib.contextmanager
def _on_path(folder: Path):
    # cocotb_tools passes the parent's sys.path to the simulator as PYTHONPATH
    sys.path.insert(0, str(folder))
    try:
        yield
    finally:
        sys.path.remove(str(folder))


def _run_tb(top: str, tb_file: str | Path, parameters: dict | None = None, *, tmp_path: Path,
            testcase: str | None = None) -> None:
    """Build ``top`` with ``parameters`` and run the cocotb module ``tb_file`` against it."""
    tb = Path(tb_file)
    names = MODULE_SOURCES.get(top)
    sources = [RTL_DIR / f"{n}.sv" for n in names] if names else None
    b = build(top, parameters or {}, sources=sources)
    log = tmp_path / "sim.log"
    try:
        with _on_path(tb.parent):
            # the testbench reads the parameters from NC_TB_PARAMS (they are not visible via VPI)
            run_cocotb(b, tb.stem, test_dir=tmp_path, testcase=testcase, log_file=log,
                       extra_env={"NC_TB_PARAMS": json.dumps(parameters or {})})
    except Exception as exc:  # show the simulator's own account of the failure
        tail = log.read_text(errors="replace")[-6000:] if log.is_file() else "(no log)"
        pytest.fail(f"{exc}\n--- simulator log (tail) ---\n{tail}", pytrace=False)


@pytest.fixture
def run_tb(tmp_path):
    """``run_tb(top, tb_file, parameters, testcase=None)``: build and run; fails with the log tail."""
    def _run(top, tb_file, parameters=None, testcase=None):
        _run_tb(top, tb_file, parameters, tmp_path=tmp_path, testcase=testcase)
    return _run
