"""nc_c2c_link: the chip-to-chip link of docs/microarchitecture.md §12.2 (latency pipeline,
credits and their return, serialiser, chip cycles only) against a Python model, cycle by cycle."""
from pathlib import Path

import pytest

pytestmark = pytest.mark.rtl
TB = Path(__file__).with_name("tb_nc_c2c_link.py")


@pytest.mark.parametrize("latency, credit_latency, cycles_per_flit, credits", [
    (0, 0, 1, 2),       # a wire: the on-chip rule
    (3, 2, 1, 4),
    (2, 5, 3, 1),       # one credit, a slow serialiser
    (1, 0, 2, 3),
])
def test_nc_c2c_link(run_tb, latency, credit_latency, cycles_per_flit, credits):
    run_tb("nc_c2c_link", TB, {"FLIT_BITS": 9, "LATENCY": latency, "CREDIT_LATENCY": credit_latency,
                               "CYCLES_PER_FLIT": cycles_per_flit, "CREDITS": credits})
