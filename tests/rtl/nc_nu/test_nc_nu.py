"""nc_nu, the neuron-update engine: hand-derived timelines (UPDATE walk, fan-out pushes
stalling on a full L FIFO, spikes without fan-out, the last neuron, no neuron placed), the
spike trace, write-backs vs neurocycle.hw.lif_step, and random timesteps against a model of
docs §5 at two width sets; an event-driven NU with graded profiles (§5.1, §7) against its own
contract model at two scan-word widths (random pending bitmaps, payloads, pending-bit sets)."""
from pathlib import Path

import pytest

pytestmark = pytest.mark.rtl
TB = Path(__file__).with_name("tb_nc_nu.py")
PARAMS = {"STATE_BITS": 12, "ACC_BITS": 14, "REF_BITS": 3, "FLIT_BITS": 6, "NEURON_BITS": 2, "PROFILE_BITS": 1,
          "FANOUT_ADDR_BITS": 3, "FANOUT_LEN_BITS": 4, "CNT_BITS": 48}
# random timesteps only: the narrowest widths (2 neurons, at most 1 fan-out entry each)
NARROW = {"STATE_BITS": 4, "ACC_BITS": 4, "REF_BITS": 1, "FLIT_BITS": 3, "NEURON_BITS": 1, "PROFILE_BITS": 1,
          "FANOUT_ADDR_BITS": 1, "FANOUT_LEN_BITS": 1, "CNT_BITS": 16}


def test_nc_nu(run_tb):
    run_tb("nc_nu", TB, PARAMS)


def test_nc_nu_narrow(run_tb):
    run_tb("nc_nu", TB, NARROW, testcase="nu_random")


# event-driven walk with graded payloads: 4-bit scan words (two words for 4 neurons... and one
# bit per word); FLIT_BITS = 6 route bits + 3 payload bits
EVENT_GRADED = {**PARAMS, "FLIT_BITS": 9, "PAYLOAD_BITS": 3, "EVENT": 1, "SCAN_BITS": 2}


@pytest.mark.parametrize("scan", [1, 2])
def test_nc_nu_event_graded(run_tb, scan):
    run_tb("nc_nu", TB, {**EVENT_GRADED, "SCAN_BITS": scan}, testcase="nu_event_random")
