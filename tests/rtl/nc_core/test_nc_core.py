"""nc_core: SI timing (pop + lookup, one word per cycle, lanes merged), NU timing (update,
fan-out pushes, stall on a full L FIFO), bank use, spike trace, counters, host read-back."""
from pathlib import Path

import pytest

from neurocycle.hw import load_chip
from neurocycle.rtl import tile_parameters

pytestmark = pytest.mark.rtl
TB = Path(__file__).with_name("tb_nc_core.py")
# the tile parameter set of a small chip (widths derived by ChipConfig, never written here)
PARAMS = tile_parameters(load_chip({
    "mesh": {"width": 4, "height": 4},
    "core": {"neurons": 4, "axons": 4, "synapse_words": 16, "synapse_lanes": 3, "fanout_entries": 8,
             "profiles": 2, "fifo_depth": 2},
    "bits": {"weight": 6, "state": 12, "accumulator": 14, "refractory": 3}}))


def test_nc_core(run_tb):
    run_tb("nc_core", TB, PARAMS)
