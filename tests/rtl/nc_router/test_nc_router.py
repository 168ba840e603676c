"""nc_router: XY routing, round-robin arbitration (pointer reset to W), start-of-cycle
backpressure, one-cycle hops and the counters, against a Python model of docs §4."""
from pathlib import Path

import pytest

pytestmark = pytest.mark.rtl
TB = Path(__file__).with_name("tb_nc_router.py")
PARAMS = {"X_BITS": 2, "Y_BITS": 2, "AXON_BITS": 3, "FLIT_BITS": 7, "FIFO_DEPTH": 2, "CNT_BITS": 48,
          "OCC_BITS": 7}


def test_nc_router(run_tb):
    run_tb("nc_router", TB, PARAMS)


def test_nc_router_depth1(run_tb):
    run_tb("nc_router", TB, {**PARAMS, "FIFO_DEPTH": 1}, testcase="router_random")
