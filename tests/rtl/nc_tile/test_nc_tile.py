"""nc_tile: core <-> router wiring: a spike's local flit loops back into the core's own SI,
its remote flit leaves on the E link, with the hop latencies of docs §4-5."""
from pathlib import Path

import pytest

from neurocycle.hw import load_chip
from neurocycle.rtl import tile_parameters

pytestmark = pytest.mark.rtl
TB = Path(__file__).with_name("tb_nc_tile.py")
# the tile parameter set of a small chip (widths derived by ChipConfig, never written here)
PARAMS = tile_parameters(load_chip({
    "mesh": {"width": 2, "height": 2}, "router": {"fifo_depth": 2},
    "core": {"neurons": 2, "axons": 4, "synapse_words": 4, "synapse_lanes": 1, "fanout_entries": 4,
             "profiles": 1, "fifo_depth": 1},
    "bits": {"weight": 6, "state": 12, "accumulator": 14, "refractory": 3}}))


def test_nc_tile(run_tb):
    run_tb("nc_tile", TB, PARAMS)
