"""nc_neuron: the fixed-point CUBA LIF of docs §7, bit-exact against neurocycle.hw.lif_step,
including the saturation rails, the extreme decays, w_exp = 7 and refractory neurons."""
from pathlib import Path

import pytest

pytestmark = pytest.mark.rtl
TB = Path(__file__).with_name("tb_nc_neuron.py")


@pytest.mark.parametrize("state,acc,ref", [(12, 14, 3), (32, 32, 8), (4, 4, 1)])
def test_nc_neuron(run_tb, state, acc, ref):
    run_tb("nc_neuron", TB, {"STATE_BITS": state, "ACC_BITS": acc, "REF_BITS": ref})
