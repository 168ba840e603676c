"""nc_router: XY routing, round-robin arbitration (pointer reset to W), start-of-cycle
backpressure, one-cycle hops and the counters, against a Python model of docs §4."""
from pathlib import Path

import pytest

from neurocycle.hw import layout, load_chip

pytestmark = pytest.mark.rtl
TB = Path(__file__).with_name("tb_nc_router.py")
# a router of a 4x4 mesh with 8 axons per core: the flit widths of that chip config
_DV = load_chip({"mesh": {"width": 4, "height": 4}, "core": {"axons": 8}}).derived
PARAMS = {"X_BITS": _DV.x_bits, "Y_BITS": _DV.y_bits, "AXON_BITS": _DV.axon_bits, "FLIT_BITS": _DV.flit_bits,
          "FIFO_DEPTH": 2, "CNT_BITS": layout.CNT_BITS, "OCC_BITS": layout.OCC_BITS}


def test_nc_router(run_tb):
    run_tb("nc_router", TB, PARAMS)


def test_nc_router_depth1(run_tb):
    run_tb("nc_router", TB, {**PARAMS, "FIFO_DEPTH": 1}, testcase="router_random")
