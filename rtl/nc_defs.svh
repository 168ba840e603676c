// neurocycle RTL: host-bus address map, the one place it is written.
// neurocycle.rtl._build parses every `define NC_* <int> line below, so the Python host
// (sim/_cosim.py, tests) uses the same numbers as the RTL.
//
// Host bus (docs/rtl.md): address = {tile, sel, index, field}; writes are 32-bit, reads are
// 64-bit (signed fields sign-extended). Chip-scope selects ignore `tile`.
`ifndef NC_DEFS_SVH
`define NC_DEFS_SVH

`define NC_BUS_TILE_BITS   16
`define NC_BUS_SEL_BITS    4
`define NC_BUS_INDEX_BITS  32
`define NC_BUS_FIELD_BITS  8
`define NC_BUS_WDATA_BITS  32
`define NC_BUS_RDATA_BITS  64

// ---- selects ---------------------------------------------------------------------------
`define NC_SEL_CHIP     0   // chip control/status (index below), tile ignored
`define NC_SEL_HOSTQ    1   // host-link queue: index = slot, field 0 = flit; index 0 field 1 = count
`define NC_SEL_PROFILE  2   // index = profile, field = NC_PF_*
`define NC_SEL_NEURON   3   // index = neuron, field = NC_NF_*
`define NC_SEL_AXON     4   // index = axon, field 0 = base word, 1 = synapse count
`define NC_SEL_SYN      5   // index = word, field = 2*lane + (0: weight, 1: {valid@31, target})
`define NC_SEL_FANOUT   6   // index = entry, field 0 = flit
`define NC_SEL_CORE     7   // index = NC_CORE_* (registers, core counters)
`define NC_SEL_TRACE    8   // read: index = trace slot, field 0 = neuron, 1 = cycle, 2 = {neuron, cycle[47:0]}
`define NC_SEL_ROUTER   9   // read: index = NC_RT_* (router counters)

// ---- NC_SEL_CHIP indices -----------------------------------------------------------------
`define NC_CHIP_CTRL       0   // write: start the next timestep (only while paused)
`define NC_CHIP_STATUS     1   // read: bit 0 paused, bits 2:1 controller state
`define NC_CHIP_CYCLE      2   // read: cycle counter (T of the next timestep while paused)
`define NC_CHIP_HOST_FLITS 3   // read: counter host_flits
`define NC_CHIP_BARRIERS   4   // read: counter barriers
`define NC_CHIP_PARAM      16  // read: NC_CHIP_PARAM + k = elaborated parameter k (see nc_chip)

// ---- NC_SEL_PROFILE fields -----------------------------------------------------------
`define NC_PF_DU          0
`define NC_PF_DV          1
`define NC_PF_BIAS        2
`define NC_PF_VTH         3
`define NC_PF_V_RESET     4
`define NC_PF_REFRACTORY  5
`define NC_PF_W_EXP       6

// ---- NC_SEL_NEURON fields ------------------------------------------------------------
`define NC_NF_PROFILE     0
`define NC_NF_FO_BASE     1
`define NC_NF_FO_LEN      2
`define NC_NF_U           3
`define NC_NF_V           4
`define NC_NF_REF         5
`define NC_NF_ACC0        6   // accumulator bank 0 (physical)
`define NC_NF_ACC1        7   // accumulator bank 1 (physical)

// ---- NC_SEL_CORE indices ---------------------------------------------------------------
`define NC_CORE_N_USED      0   // rw: neurons placed on the core (the NU walks 0..n_used-1)
`define NC_CORE_CUR_BANK    1   // r: accumulator bank the NU reads this timestep
`define NC_CORE_TRACE_COUNT 2   // r: spikes recorded in the trace this timestep
`define NC_CORE_FIFO_MAX    3   // r: max occupancy of the core input FIFO
`define NC_CORE_STATE       4   // r: bits 1:0 NU state, bit 2 SI busy, bits 15:8 core FIFO count
`define NC_CORE_CNT         16  // r: NC_CORE_CNT + k = core counter k (order of COUNTERS, scope core)

// core counter order (== neurocycle.hw.CORE_COUNTERS)
`define NC_CC_UPD_ACTIVE    0
`define NC_CC_UPD_INACTIVE  1
`define NC_CC_SPIKES        2
`define NC_CC_FANOUT_FLITS  3
`define NC_CC_AXON_LOOKUPS  4
`define NC_CC_SYN_OPS       5
`define NC_CC_WORD_READS    6
`define NC_CC_NU_BUSY       7
`define NC_CC_NU_STALL      8
`define NC_CC_SI_BUSY       9
`define NC_CC_COUNT         10

// ---- NC_SEL_ROUTER indices ---------------------------------------------------------------
`define NC_RT_FLITS         0   // router_flits
`define NC_RT_LINK_FLITS    1   // link_flits (outputs N, E, S, W)
`define NC_RT_BLOCKED       2   // router_blocked_cycles (all inputs)
`define NC_RT_PORT_FLITS    8   // + port (L N E S W): flits granted on that output
`define NC_RT_PORT_BLOCKED  16  // + port: blocked cycles of that input
`define NC_RT_FIFO_MAX      24  // + port: max occupancy of that input FIFO
`define NC_RT_FIFO_COUNT    32  // + port: current occupancy of that input FIFO

// ---- router ports ----------------------------------------------------------------------
`define NC_PORT_L  0
`define NC_PORT_N  1
`define NC_PORT_E  2
`define NC_PORT_S  3
`define NC_PORT_W  4

// ---- NC_SEL_CHIP, index NC_CHIP_PARAM + k: elaborated parameter k (the host checks them) ----
`define NC_PARAM_MESH_W            0
`define NC_PARAM_MESH_H            1
`define NC_PARAM_HOST_ROW          2
`define NC_PARAM_NEURONS           3
`define NC_PARAM_AXONS             4
`define NC_PARAM_SYN_WORDS         5
`define NC_PARAM_LANES             6
`define NC_PARAM_FANOUT_ENTRIES    7
`define NC_PARAM_PROFILES          8
`define NC_PARAM_CORE_FIFO_DEPTH   9
`define NC_PARAM_ROUTER_FIFO_DEPTH 10
`define NC_PARAM_WEIGHT_BITS       11
`define NC_PARAM_STATE_BITS        12
`define NC_PARAM_ACC_BITS          13
`define NC_PARAM_REF_BITS          14
`define NC_PARAM_BARRIER_CYCLES    15
`define NC_PARAM_HOST_QUEUE_DEPTH  16
`define NC_PARAM_CNT_BITS          17
`define NC_PARAM_X_BITS            18
`define NC_PARAM_Y_BITS            19
`define NC_PARAM_AXON_BITS         20
`define NC_PARAM_FLIT_BITS         21
`define NC_PARAM_NEURON_BITS       22
`define NC_PARAM_PROFILE_BITS      23
`define NC_PARAM_WORD_ADDR_BITS    24
`define NC_PARAM_LEN_BITS          25
`define NC_PARAM_FANOUT_ADDR_BITS  26
`define NC_PARAM_FANOUT_LEN_BITS   27
`define NC_PARAM_COUNT             28

`endif
