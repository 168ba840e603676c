"""nc_core_bus, the core's host-bus slave: every select/field/index lands on the right write
enable and entry address (or none, out of range); the read-back multiplexer returns the
addressed field, sign-extended where signed, and 0 while bus_rd is low. Two parameter sets:
capacities that are not powers of two with 3 lanes, and the widest fields with 1 lane (and a
16-bit trace payload); the graded and pending-bit fields on both; and the odd set with 5 delay
slots and STDP (every bank of the ring, slot delays and plastic bits, traces, flags, reverse
table, rule registers)."""
from pathlib import Path

import pytest

pytestmark = pytest.mark.rtl
TB = Path(__file__).with_name("tb_nc_core_bus.py")
PARAMS = {"NEURONS": 3, "AXONS": 5, "SYN_WORDS": 6, "LANES": 3, "FANOUT_ENTRIES": 5, "PROFILES": 3,
          "WEIGHT_BITS": 5, "STATE_BITS": 10, "ACC_BITS": 13, "REF_BITS": 3, "AXON_BITS": 3, "FLIT_BITS": 7,
          "NEURON_BITS": 2, "PROFILE_BITS": 2, "WORD_ADDR_BITS": 3, "LEN_BITS": 5, "FANOUT_ADDR_BITS": 3,
          "FANOUT_LEN_BITS": 3, "CNT_BITS": 40, "OCC_BITS": 7}
WIDE = {"NEURONS": 4, "AXONS": 8, "SYN_WORDS": 4, "LANES": 1, "FANOUT_ENTRIES": 2, "PROFILES": 2,
        "WEIGHT_BITS": 16, "STATE_BITS": 32, "ACC_BITS": 32, "REF_BITS": 8, "AXON_BITS": 3, "FLIT_BITS": 32,
        "NEURON_BITS": 2, "PROFILE_BITS": 1, "WORD_ADDR_BITS": 2, "LEN_BITS": 31, "FANOUT_ADDR_BITS": 1,
        "FANOUT_LEN_BITS": 2, "CNT_BITS": 64, "OCC_BITS": 7, "PAYLOAD_BITS": 16}


# delays (the accumulator ring's BANK select, slot delays) and STDP (traces, flags, reverse table,
# rule registers): 5 delay slots, 6 reverse entries
LEARN = {**PARAMS, "DELAY_SLOTS": 5, "DELAY_BITS": 3, "LEARN": 1, "TRACE_BITS": 9, "REV_ENTRIES": 6,
         "REV_ADDR_BITS": 3, "REV_LEN_BITS": 3}


@pytest.mark.parametrize("params", [PARAMS, WIDE, LEARN], ids=["odd", "wide", "learn"])
def test_nc_core_bus(run_tb, params):
    run_tb("nc_core_bus", TB, params)
