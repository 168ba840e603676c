"""nc_si, the synaptic-integration engine: hand-derived timelines (pop + lookup in c, words in
c+1..c+n, next pop in c+n+1, zero-length axons, lanes with equal targets merged into one
accumulator write), reset, 3 cycles per word, and random traffic against a model of
docs/microarchitecture.md §5 for 1, 3 and 16 lanes and 1 and 3 cycles per word; graded chips:
weight x payload per slot (a directed case, and random traffic at P = 3 and 16); delays and STDP:
lanes merged by target and delay, the WRITE cycle after a word with a plastic slot, the
depressed weights (a directed case, and random traffic with delays and plastic slots)."""
from pathlib import Path

import pytest

pytestmark = pytest.mark.rtl
TB = Path(__file__).with_name("tb_nc_si.py")
PARAMS = {"LANES": 3, "WEIGHT_BITS": 6, "ACC_BITS": 14, "AXON_BITS": 2, "FLIT_BITS": 6, "NEURON_BITS": 2,
          "WORD_ADDR_BITS": 4, "LEN_BITS": 6}
# random traffic only: one lane with the narrowest widths, and the widest word
NARROW = {"LANES": 1, "WEIGHT_BITS": 2, "ACC_BITS": 4, "AXON_BITS": 1, "FLIT_BITS": 3, "NEURON_BITS": 1,
          "WORD_ADDR_BITS": 3, "LEN_BITS": 3}
WIDE = {"LANES": 16, "WEIGHT_BITS": 16, "ACC_BITS": 32, "AXON_BITS": 3, "FLIT_BITS": 9, "NEURON_BITS": 3,
        "WORD_ADDR_BITS": 3, "LEN_BITS": 7}


# 3 cycles per synapse word (core.synapse_word_cycles): its own directed timeline and random traffic
SLOW_WORDS = {**PARAMS, "WORD_CYCLES": 3}


def test_nc_si(run_tb):
    run_tb("nc_si", TB, PARAMS, testcase="si_timeline,si_lane_merge,si_reset_and_busy,si_random")


def test_nc_si_word_cycles(run_tb):
    run_tb("nc_si", TB, SLOW_WORDS, testcase="si_word_cycles,si_random")


@pytest.mark.parametrize("params", [NARROW, WIDE], ids=["narrow", "wide"])
def test_nc_si_random(run_tb, params):
    run_tb("nc_si", TB, params, testcase="si_random")


GRADED = {**PARAMS, "FLIT_BITS": 9, "PAYLOAD_BITS": 3}
WIDE_GRADED = {**WIDE, "FLIT_BITS": 25, "PAYLOAD_BITS": 16}


def test_nc_si_graded(run_tb):
    run_tb("nc_si", TB, GRADED, testcase="si_payload_multiply,si_random")


def test_nc_si_graded_wide(run_tb):
    run_tb("nc_si", TB, WIDE_GRADED, testcase="si_random")


# delays (8 slots: 3-bit delay field) and STDP (9-bit traces)
STDP = {**PARAMS, "DELAY_BITS": 3, "LEARN": 1, "TRACE_BITS": 9}
STDP_SLOW = {**WIDE, "DELAY_BITS": 2, "LEARN": 1, "TRACE_BITS": 16, "WORD_CYCLES": 2}


def test_nc_si_delays_stdp(run_tb):
    run_tb("nc_si", TB, STDP, testcase="si_delay_stdp,si_random")


def test_nc_si_delays_stdp_wide(run_tb):
    run_tb("nc_si", TB, STDP_SLOW, testcase="si_random")
