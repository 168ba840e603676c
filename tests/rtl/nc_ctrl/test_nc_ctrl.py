"""nc_ctrl: timestep start, quiescence -> barrier of BARRIER_CYCLES, bank swap, T_{t+1} = Q + B; with a
learning core the learning phase: le_go in Q, T_{t+1} = L + B when every LE is done in L."""
from pathlib import Path

import pytest

pytestmark = pytest.mark.rtl
TB = Path(__file__).with_name("tb_nc_ctrl.py")


@pytest.mark.parametrize("barrier", [1, 3])
def test_nc_ctrl(run_tb, barrier):
    run_tb("nc_ctrl", TB, {"BARRIER_CYCLES": barrier, "CNT_BITS": 48})
