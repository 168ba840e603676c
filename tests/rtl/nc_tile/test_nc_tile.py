"""nc_tile: core <-> router wiring: a spike's local flit loops back into the core's own SI,
its remote flit leaves on the E link, with the hop latencies of docs §4-5."""
from pathlib import Path

import pytest

pytestmark = pytest.mark.rtl
TB = Path(__file__).with_name("tb_nc_tile.py")
PARAMS = {"X_BITS": 1, "Y_BITS": 1, "ROUTER_FIFO_DEPTH": 2, "NEURONS": 2, "AXONS": 4, "SYN_WORDS": 4,
          "LANES": 1, "FANOUT_ENTRIES": 4, "PROFILES": 1, "CORE_FIFO_DEPTH": 1, "WEIGHT_BITS": 6,
          "STATE_BITS": 12, "ACC_BITS": 14, "REF_BITS": 3, "AXON_BITS": 2, "FLIT_BITS": 4, "NEURON_BITS": 1,
          "PROFILE_BITS": 1, "WORD_ADDR_BITS": 2, "LEN_BITS": 3, "FANOUT_ADDR_BITS": 2, "FANOUT_LEN_BITS": 3,
          "CNT_BITS": 48, "OCC_BITS": 7}


def test_nc_tile(run_tb):
    run_tb("nc_tile", TB, PARAMS)
