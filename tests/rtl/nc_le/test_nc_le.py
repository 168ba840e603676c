"""nc_le, the learning engine (docs/microarchitecture.md §11.2): a hand-derived timeline (WAIT
until the chip is quiescent, POST / RD / WR per spike and reverse entry, the trace walk over
max(n_used, ax_used)), a core that does not learn, and random timesteps against a model of the
contract (every cycle's state, weight write and trace writes) at two parameter sets."""
from pathlib import Path

import pytest

pytestmark = pytest.mark.rtl
TB = Path(__file__).with_name("tb_nc_le.py")
PARAMS = {"NEURON_BITS": 3, "AXON_BITS": 3, "WORD_ADDR_BITS": 4, "LANES": 3, "WEIGHT_BITS": 6, "TRACE_BITS": 7,
          "REV_ADDR_BITS": 4, "REV_LEN_BITS": 5}
WIDE = {"NEURON_BITS": 4, "AXON_BITS": 5, "WORD_ADDR_BITS": 5, "LANES": 1, "WEIGHT_BITS": 16, "TRACE_BITS": 16,
        "REV_ADDR_BITS": 6, "REV_LEN_BITS": 7}


def test_nc_le(run_tb):
    run_tb("nc_le", TB, PARAMS)


def test_nc_le_wide(run_tb):
    run_tb("nc_le", TB, WIDE, testcase="le_random")
