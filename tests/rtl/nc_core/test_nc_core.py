"""nc_core: SI timing (pop + lookup, one word per cycle, lanes merged), NU timing (update,
fan-out pushes, stall on a full L FIFO), bank use, spike trace, counters, host read-back."""
from pathlib import Path

import pytest

pytestmark = pytest.mark.rtl
TB = Path(__file__).with_name("tb_nc_core.py")
PARAMS = {"NEURONS": 4, "AXONS": 4, "SYN_WORDS": 16, "LANES": 3, "FANOUT_ENTRIES": 8, "PROFILES": 2,
          "FIFO_DEPTH": 2, "WEIGHT_BITS": 6, "STATE_BITS": 12, "ACC_BITS": 14, "REF_BITS": 3, "AXON_BITS": 2,
          "FLIT_BITS": 6, "NEURON_BITS": 2, "PROFILE_BITS": 1, "WORD_ADDR_BITS": 4, "LEN_BITS": 6,
          "FANOUT_ADDR_BITS": 3, "FANOUT_LEN_BITS": 4, "CNT_BITS": 48, "OCC_BITS": 7}


def test_nc_core(run_tb):
    run_tb("nc_core", TB, PARAMS)
