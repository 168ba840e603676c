"""nc_fifo: occupancy, ordering and the start-of-cycle space rule, against a Python queue."""
from pathlib import Path

import pytest

pytestmark = pytest.mark.rtl
TB = Path(__file__).with_name("tb_nc_fifo.py")


@pytest.mark.parametrize("depth", [1, 3])
def test_nc_fifo(run_tb, depth):
    run_tb("nc_fifo", TB, {"DEPTH": depth, "WIDTH": 8, "CW": 7})
