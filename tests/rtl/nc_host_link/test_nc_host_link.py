"""nc_host_link: one flit per cycle from T_t, in order, only when the link FIFO is not full."""
from pathlib import Path

import pytest

pytestmark = pytest.mark.rtl
TB = Path(__file__).with_name("tb_nc_host_link.py")


def test_nc_host_link(run_tb):
    run_tb("nc_host_link", TB, {"QUEUE_DEPTH": 5, "FLIT_BITS": 7, "CNT_BITS": 48})
