"""nc_router: XY routing over core columns, round-robin arbitration (pointer reset to P-1),
start-of-cycle backpressure, one-cycle hops, key-table multicast with default routes and
partial forwards, and the counters, against a Python model of docs §4."""
from pathlib import Path

import pytest

from neurocycle.hw import layout, load_chip

pytestmark = pytest.mark.rtl
TB = Path(__file__).with_name("tb_nc_router.py")


def params(cores=1, routing="unicast", entries=6, depth=2, payload=0):
    """A router of a 4x4 mesh with 8 axons per core: the flit widths of that chip config."""
    dv = load_chip({"mesh": {"width": 4, "height": 4, "cores_per_router": cores}, "core": {"axons": 8},
                    "router": {"routing": routing, "table_entries": entries}, "bits": {"payload": payload}}).derived
    return {"X_BITS": dv.x_bits, "Y_BITS": dv.y_bits, "AXON_BITS": dv.axon_bits, "MC_BITS": dv.mc_bits,
            "FLIT_BITS": dv.flit_bits, "CORES": cores, "MC_ENTRIES": entries if dv.mc_bits else 0,
            "FIFO_DEPTH": depth, "CNT_BITS": layout.CNT_BITS, "OCC_BITS": layout.OCC_BITS,
            "PAYLOAD_BITS": dv.payload_bits}


def test_nc_router(run_tb):
    run_tb("nc_router", TB, params())


def test_nc_router_depth1(run_tb):
    run_tb("nc_router", TB, params(depth=1), testcase="router_random")


def test_nc_router_multicast_concentrated(run_tb):
    """Two cores per router (6 ports: L N E S W L1) and a 6-entry multicast table."""
    run_tb("nc_router", TB, params(cores=2, routing="multicast"))


def test_nc_router_multicast_graded(run_tb):
    """Multicast flits with a 4-bit payload on top of the mc bit: the key ignores the payload."""
    run_tb("nc_router", TB, params(cores=2, routing="multicast", payload=4), testcase="router_random")


def test_nc_router_multicast_four_cores_depth1(run_tb):
    run_tb("nc_router", TB, params(cores=4, routing="multicast", entries=9, depth=1), testcase="router_random")
