"""nc_tile: core <-> router wiring: a spike's local flit loops back into the core's own SI,
its remote flit leaves on the E link, with the hop latencies of docs §4-5; with two cores per
router and multicast, one flit reaches the second core (port L1) and the E link at once."""
from pathlib import Path

import pytest

from neurocycle.hw import load_chip
from neurocycle.rtl import tile_parameters

pytestmark = pytest.mark.rtl
TB = Path(__file__).with_name("tb_nc_tile.py")
# the tile parameter set of a small chip (widths derived by ChipConfig, never written here)
SMALL = {
    "mesh": {"width": 2, "height": 2}, "router": {"fifo_depth": 2},
    "core": {"neurons": 2, "axons": 4, "synapse_words": 4, "synapse_lanes": 1, "fanout_entries": 4,
             "profiles": 1, "fifo_depth": 1},
    "bits": {"weight": 6, "state": 12, "accumulator": 14, "refractory": 3}}
PARAMS = tile_parameters(load_chip(SMALL))


def test_nc_tile(run_tb):
    run_tb("nc_tile", TB, PARAMS)


def test_nc_tile_two_cores_multicast(run_tb):
    chip = load_chip({**SMALL, "mesh": {"width": 2, "height": 2, "cores_per_router": 2},
                      "router": {"fifo_depth": 2, "routing": "multicast", "table_entries": 3}})
    run_tb("nc_tile", TB, tile_parameters(chip))
