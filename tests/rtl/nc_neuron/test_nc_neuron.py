"""nc_neuron: the fixed-point CUBA LIF of docs §7, bit-exact against neurocycle.hw.neuron_update,
including the saturation rails, the extreme decays, w_exp = 7 and refractory neurons; graded
profiles (payload, residual) at several payload widths; the quiet output of §5.1."""
from pathlib import Path

import pytest

pytestmark = pytest.mark.rtl
TB = Path(__file__).with_name("tb_nc_neuron.py")


@pytest.mark.parametrize("state,acc,ref", [(12, 14, 3), (32, 32, 8), (4, 4, 1)])
def test_nc_neuron(run_tb, state, acc, ref):
    run_tb("nc_neuron", TB, {"STATE_BITS": state, "ACC_BITS": acc, "REF_BITS": ref})


@pytest.mark.parametrize("state,acc,payload", [(12, 14, 1), (16, 20, 4), (32, 32, 16)])
def test_nc_neuron_graded(run_tb, state, acc, payload):
    run_tb("nc_neuron", TB, {"STATE_BITS": state, "ACC_BITS": acc, "REF_BITS": 3, "PAYLOAD_BITS": payload})
