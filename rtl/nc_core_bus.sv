// nc_core_bus: the host-bus slave of one core (docs/rtl.md "Host bus"; address map in
// nc_defs.svh): write decode and the combinational read-back multiplexer.
//
// Write side: the bus address {sel, index, field} is decoded into one write enable per core
// memory and field (we_*) plus the entry address of each memory (*_addr). An enable is high
// only with bus_we, the right select and field, and an index inside the memory (for NC_SEL_SYN
// also a lane < LANES); writes with any other address are dropped. The data is bus_wdata,
// sliced by nc_core, which owns the memories and lands the write at the clock edge (and gives
// the engines' writes priority over the host's where both can write).
//
// Read side: nc_core returns the registered contents of every memory at the same addresses
// (rd_*) and its registers; bus_rdata is the selected field, zero-extended, or sign-extended
// to 64 bits for signed fields (bias, vth, v_reset, u, v, accumulators, weights). Reads of an
// unknown select/field or an index outside the memory return 0. The multiplexer is enabled
// only while bus_rd is high (the chip is paused, the host reads): otherwise bus_rdata = 0 and
// nothing switches during a timestep.
//
// Parameters (names and meaning as in nc_core / nc_chip)
//   NEURONS, AXONS, SYN_WORDS, LANES, FANOUT_ENTRIES, PROFILES   capacities (range checks)
//   WEIGHT_BITS, STATE_BITS, ACC_BITS, REF_BITS                  field widths (sign extension)
//   AXON_BITS, FLIT_BITS, NEURON_BITS, PROFILE_BITS, WORD_ADDR_BITS, LEN_BITS,
//   FANOUT_ADDR_BITS, FANOUT_LEN_BITS                            address and count widths
//   CNT_BITS                                                     event counters, trace cycle stamps
//   OCC_BITS                                                     core FIFO occupancy
//   PAYLOAD_BITS                                                 trace payload (1 bit read when 0)
//   DELAY_SLOTS, DELAY_BITS                                      accumulator banks (BANK select), slot delay
//   LEARN, TRACE_BITS, REV_ENTRIES, REV_ADDR_BITS, REV_LEN_BITS  STDP memories and registers (LEARN = 1)
//
// Ports
//   bus_*                          the host bus, decoded to this tile (bus_rd: read-back enabled)
//   n_addr, p_addr, a_addr, w_addr/w_lane, f_addr, r_addr, k_bank   entry addresses: neuron (also
//                                  trace slot), profile, axon, synapse word and lane, fan-out entry,
//                                  reverse-table entry, accumulator bank (BANK select)
//   we_*                           write enables, one per memory field, and N_USED
//   rd_*                           memory contents at those addresses
//   n_used, cur, tr_count, fifo_max, fifo_count, si_busy, nu_state, cnt   core registers read back
`include "nc_defs.svh"
module nc_core_bus #(
  parameter int NEURONS          = 16,
  parameter int AXONS            = 32,
  parameter int SYN_WORDS        = 256,
  parameter int LANES            = 1,
  parameter int FANOUT_ENTRIES   = 64,
  parameter int PROFILES         = 4,
  parameter int WEIGHT_BITS      = 6,
  parameter int STATE_BITS       = 12,
  parameter int ACC_BITS         = 14,
  parameter int REF_BITS         = 3,
  parameter int AXON_BITS        = 5,
  parameter int FLIT_BITS        = 7,
  parameter int NEURON_BITS      = 4,
  parameter int PROFILE_BITS     = 2,
  parameter int WORD_ADDR_BITS   = 8,
  parameter int LEN_BITS         = 9,
  parameter int FANOUT_ADDR_BITS = 6,
  parameter int FANOUT_LEN_BITS  = 7,
  parameter int CNT_BITS         = 48,
  parameter int OCC_BITS         = 7,
  parameter int PAYLOAD_BITS     = 0,
  parameter int DELAY_SLOTS      = 1,
  parameter int DELAY_BITS       = 0,
  parameter int LEARN            = 0,
  parameter int TRACE_BITS       = 8,
  parameter int REV_ENTRIES      = 64,
  parameter int REV_ADDR_BITS    = 6,
  parameter int REV_LEN_BITS     = 7
) (
  // host bus
  input  logic                          bus_we,
  input  logic [3:0]                    bus_sel,
  input  logic [31:0]                   bus_index,
  input  logic [7:0]                    bus_field,
  input  logic                          bus_rd,
  output logic [63:0]                   bus_rdata,
  // entry addresses (writes and reads)
  output logic [NEURON_BITS-1:0]        n_addr,
  output logic [PROFILE_BITS-1:0]       p_addr,
  output logic [AXON_BITS-1:0]          a_addr,
  output logic [WORD_ADDR_BITS-1:0]     w_addr,
  output logic [((LANES > 1) ? $clog2(LANES) : 1)-1:0] w_lane,   // lane index, as nc_core's
  output logic [FANOUT_ADDR_BITS-1:0]   f_addr,
  output logic [REV_ADDR_BITS-1:0]      r_addr,
  output logic [((DELAY_SLOTS > 1) ? $clog2(DELAY_SLOTS + 1) : 1)-1:0] k_bank,
  // write enables (NC_SEL_PROFILE, NC_PF_*)
  output logic                          we_pf_du,
  output logic                          we_pf_dv,
  output logic                          we_pf_bias,
  output logic                          we_pf_vth,
  output logic                          we_pf_vreset,
  output logic                          we_pf_ref,
  output logic                          we_pf_wexp,
  output logic                          we_pf_graded,
  // write enables (NC_SEL_NEURON, NC_NF_*)
  output logic                          we_nm_prof,
  output logic                          we_nm_fo_base,
  output logic                          we_nm_fo_len,
  output logic                          we_nm_u,
  output logic                          we_nm_v,
  output logic                          we_nm_ref,
  output logic                          we_acc0,
  output logic                          we_acc1,
  output logic                          we_nm_pend0,
  output logic                          we_nm_pend1,
  output logic                          we_nm_rev_base,
  output logic                          we_nm_rev_len,
  output logic                          we_nm_trace,
  output logic                          we_nm_spk,
  // write enables (NC_SEL_BANK, NC_SEL_REV; axon traces; STDP registers)
  output logic                          we_bank_acc,
  output logic                          we_bank_pend,
  output logic                          we_rev_axon,
  output logic                          we_rev_word,
  output logic                          we_rev_lane,
  output logic                          we_ax_trace,
  output logic                          we_ax_arr,
  output logic                          we_ax_used,
  output logic [7:0]                    we_stdp,         // STDP_FIELDS order
  // write enables (NC_SEL_AXON, NC_SEL_SYN, NC_SEL_FANOUT, NC_SEL_CORE)
  output logic                          we_ax_base,
  output logic                          we_ax_len,
  output logic                          we_syn_weight,   // field 2*lane
  output logic                          we_syn_target,   // field 2*lane+1: {valid@31, target}
  output logic                          we_fo_flit,
  output logic                          we_n_used,
  // read data: memories at the addresses above
  input  logic [11:0]                   rd_pf_du,
  input  logic [11:0]                   rd_pf_dv,
  input  logic [STATE_BITS-1:0]         rd_pf_bias,
  input  logic [STATE_BITS-1:0]         rd_pf_vth,
  input  logic [STATE_BITS-1:0]         rd_pf_vreset,
  input  logic [REF_BITS-1:0]           rd_pf_ref,
  input  logic [2:0]                    rd_pf_wexp,
  input  logic                          rd_pf_graded,
  input  logic [PROFILE_BITS-1:0]       rd_nm_prof,
  input  logic [FANOUT_ADDR_BITS-1:0]   rd_nm_fo_base,
  input  logic [FANOUT_LEN_BITS-1:0]    rd_nm_fo_len,
  input  logic [STATE_BITS-1:0]         rd_nm_u,
  input  logic [STATE_BITS-1:0]         rd_nm_v,
  input  logic [REF_BITS-1:0]           rd_nm_ref,
  input  logic [ACC_BITS-1:0]           rd_acc0,
  input  logic [ACC_BITS-1:0]           rd_acc1,
  input  logic                          rd_nm_pend0,
  input  logic                          rd_nm_pend1,
  input  logic [WORD_ADDR_BITS-1:0]     rd_ax_base,
  input  logic [LEN_BITS-1:0]           rd_ax_len,
  input  logic [WEIGHT_BITS-1:0]        rd_syn_weight,
  input  logic                          rd_syn_valid,
  input  logic [NEURON_BITS-1:0]        rd_syn_target,
  input  logic [5:0]                    rd_syn_delay,
  input  logic                          rd_syn_plastic,
  input  logic [ACC_BITS-1:0]           rd_bank_acc,
  input  logic                          rd_bank_pend,
  input  logic [REV_ADDR_BITS-1:0]      rd_nm_rev_base,
  input  logic [REV_LEN_BITS-1:0]       rd_nm_rev_len,
  input  logic [TRACE_BITS-1:0]         rd_nm_trace,
  input  logic                          rd_nm_spk,
  input  logic [TRACE_BITS-1:0]         rd_ax_trace,
  input  logic                          rd_ax_arr,
  input  logic [AXON_BITS-1:0]          rd_rev_axon,
  input  logic [WORD_ADDR_BITS-1:0]     rd_rev_word,
  input  logic [3:0]                    rd_rev_lane,
  input  logic [AXON_BITS:0]            ax_used,
  input  logic [7:0][31:0]              stdp_regs,       // STDP_FIELDS order, signed ones sign-extended
  input  logic [FLIT_BITS-1:0]          rd_fo_flit,
  input  logic [NEURON_BITS-1:0]        rd_tr_neuron,
  input  logic [CNT_BITS-1:0]           rd_tr_cycle,
  input  logic [((PAYLOAD_BITS > 0) ? PAYLOAD_BITS : 1)-1:0] rd_tr_payload,
  // read data: core registers
  input  logic [NEURON_BITS:0]          n_used,
  input  logic [6:0]                    cur,             // accumulator bank of the NU (0..DELAY_SLOTS)
  input  logic [NEURON_BITS:0]          tr_count,
  input  logic [OCC_BITS-1:0]           fifo_max,
  input  logic [OCC_BITS-1:0]           fifo_count,
  input  logic                          si_busy,
  input  logic [1:0]                    nu_state,
  input  logic [`NC_CC_COUNT-1:0][CNT_BITS-1:0] cnt
);
  localparam int S  = STATE_BITS;
  localparam int A  = ACC_BITS;
  localparam int NB = NEURON_BITS;
  localparam int LB = (LANES > 1) ? $clog2(LANES) : 1;   // lane index width

  // ---- elaboration checks --------------------------------------------------------------------
  if (LANES < 1 || LANES > 16) begin : g_bad_lanes
    $fatal(1, "nc_core_bus: LANES=%0d must be 1..16 (lane = bus_field[4:1])", LANES);
  end
  if (NB > 16 || LEN_BITS > 31 || FANOUT_LEN_BITS > 31 || CNT_BITS > 64 || FLIT_BITS > 32
      || WEIGHT_BITS > 32 || STATE_BITS > 32 || ACC_BITS > 32 || OCC_BITS > 8) begin : g_bad_bus
    $fatal(1, "nc_core_bus: a field is wider than the host bus allows");
  end
  if (DELAY_SLOTS < 1 || DELAY_SLOTS > 64 || DELAY_BITS < 0 || DELAY_BITS > 6 || LEARN < 0 || LEARN > 1
      || REV_ENTRIES < 1 || (1 << REV_ADDR_BITS) < REV_ENTRIES || REV_LEN_BITS > 31) begin : g_bad_learn
    $fatal(1, "nc_core_bus: DELAY_SLOTS=%0d (1..64), DELAY_BITS=%0d (0..6), LEARN=%0d or REV_ENTRIES=%0d out of range",
           DELAY_SLOTS, DELAY_BITS, LEARN, REV_ENTRIES);
  end

  // ---- address decode ------------------------------------------------------------------------
  logic [3:0] lane;
  logic       in_n, in_p, in_a, in_w, in_f;
  assign n_addr = bus_index[NB-1:0];
  assign p_addr = bus_index[PROFILE_BITS-1:0];
  assign a_addr = bus_index[AXON_BITS-1:0];
  assign w_addr = bus_index[WORD_ADDR_BITS-1:0];
  assign f_addr = bus_index[FANOUT_ADDR_BITS-1:0];
  assign lane   = bus_field[4:1];
  assign w_lane = lane[LB-1:0];
  assign in_n   = bus_index < 32'(NEURONS);
  assign in_p   = bus_index < 32'(PROFILES);
  assign in_a   = bus_index < 32'(AXONS);
  assign in_w   = bus_index < 32'(SYN_WORDS) && 32'(lane) < 32'(LANES);
  assign in_f   = bus_index < 32'(FANOUT_ENTRIES);
  // BANK select: field b < DELAY_SLOTS + 1 is acc[b], NC_BANK_PEND + b is pend[b]
  localparam int KB = (DELAY_SLOTS > 1) ? $clog2(DELAY_SLOTS + 1) : 1;
  logic       k_pend, in_k, in_r;
  logic [7:0] k_field;
  assign k_pend  = bus_field >= 8'(`NC_BANK_PEND);
  assign k_field = k_pend ? bus_field - 8'(`NC_BANK_PEND) : bus_field;
  assign k_bank  = k_field[KB-1:0];
  assign in_k    = in_n && 32'(k_field) < 32'(DELAY_SLOTS + 1);
  assign in_r    = LEARN != 0 && bus_index < 32'(REV_ENTRIES);
  assign r_addr  = bus_index[REV_ADDR_BITS-1:0];

  // ---- write enables -------------------------------------------------------------------------
  logic wr_profile, wr_neuron, wr_axon, wr_syn, wr_fanout, wr_core;
  assign wr_profile = bus_we && bus_sel == 4'(`NC_SEL_PROFILE) && in_p;
  assign wr_neuron  = bus_we && bus_sel == 4'(`NC_SEL_NEURON) && in_n;
  assign wr_axon    = bus_we && bus_sel == 4'(`NC_SEL_AXON) && in_a;
  assign wr_syn     = bus_we && bus_sel == 4'(`NC_SEL_SYN) && in_w;
  assign wr_fanout  = bus_we && bus_sel == 4'(`NC_SEL_FANOUT) && in_f;
  assign wr_core    = bus_we && bus_sel == 4'(`NC_SEL_CORE);

  assign we_pf_du      = wr_profile && bus_field == 8'(`NC_PF_DU);
  assign we_pf_dv      = wr_profile && bus_field == 8'(`NC_PF_DV);
  assign we_pf_bias    = wr_profile && bus_field == 8'(`NC_PF_BIAS);
  assign we_pf_vth     = wr_profile && bus_field == 8'(`NC_PF_VTH);
  assign we_pf_vreset  = wr_profile && bus_field == 8'(`NC_PF_V_RESET);
  assign we_pf_ref     = wr_profile && bus_field == 8'(`NC_PF_REFRACTORY);
  assign we_pf_wexp    = wr_profile && bus_field == 8'(`NC_PF_W_EXP);
  assign we_pf_graded  = wr_profile && bus_field == 8'(`NC_PF_GRADED);
  assign we_nm_prof    = wr_neuron && bus_field == 8'(`NC_NF_PROFILE);
  assign we_nm_fo_base = wr_neuron && bus_field == 8'(`NC_NF_FO_BASE);
  assign we_nm_fo_len  = wr_neuron && bus_field == 8'(`NC_NF_FO_LEN);
  assign we_nm_u       = wr_neuron && bus_field == 8'(`NC_NF_U);
  assign we_nm_v       = wr_neuron && bus_field == 8'(`NC_NF_V);
  assign we_nm_ref     = wr_neuron && bus_field == 8'(`NC_NF_REF);
  assign we_acc0       = wr_neuron && bus_field == 8'(`NC_NF_ACC0);
  assign we_acc1       = wr_neuron && bus_field == 8'(`NC_NF_ACC1);
  assign we_nm_pend0   = wr_neuron && bus_field == 8'(`NC_NF_PEND0);
  assign we_nm_pend1   = wr_neuron && bus_field == 8'(`NC_NF_PEND1);
  assign we_nm_rev_base = wr_neuron && LEARN != 0 && bus_field == 8'(`NC_NF_REV_BASE);
  assign we_nm_rev_len = wr_neuron && LEARN != 0 && bus_field == 8'(`NC_NF_REV_LEN);
  assign we_nm_trace   = wr_neuron && LEARN != 0 && bus_field == 8'(`NC_NF_TRACE);
  assign we_nm_spk     = wr_neuron && LEARN != 0 && bus_field == 8'(`NC_NF_SPK);
  assign we_ax_base    = wr_axon && bus_field == 8'(`NC_AF_BASE);
  assign we_ax_len     = wr_axon && bus_field == 8'(`NC_AF_LEN);
  assign we_ax_trace   = wr_axon && LEARN != 0 && bus_field == 8'(`NC_AF_TRACE);
  assign we_ax_arr     = wr_axon && LEARN != 0 && bus_field == 8'(`NC_AF_ARR);
  assign we_bank_acc   = bus_we && bus_sel == 4'(`NC_SEL_BANK) && in_k && !k_pend;
  assign we_bank_pend  = bus_we && bus_sel == 4'(`NC_SEL_BANK) && in_k && k_pend;
  assign we_rev_axon   = bus_we && bus_sel == 4'(`NC_SEL_REV) && in_r && bus_field == 8'(`NC_RF_AXON);
  assign we_rev_word   = bus_we && bus_sel == 4'(`NC_SEL_REV) && in_r && bus_field == 8'(`NC_RF_WORD);
  assign we_rev_lane   = bus_we && bus_sel == 4'(`NC_SEL_REV) && in_r && bus_field == 8'(`NC_RF_LANE);
  assign we_ax_used    = wr_core && LEARN != 0 && bus_index == 32'(`NC_CORE_AX_USED);
  always_comb begin
    for (int k = 0; k < 8; k++) we_stdp[k] = wr_core && LEARN != 0 && bus_index == 32'(`NC_CORE_STDP_ENABLE + k);
  end
  assign we_syn_weight = wr_syn && bus_field[0] == 1'b0;
  assign we_syn_target = wr_syn && bus_field[0] == 1'b1;
  assign we_fo_flit    = wr_fanout && bus_field == 8'd0;
  assign we_n_used     = wr_core && bus_index == 32'(`NC_CORE_N_USED);

  // ---- read-back (combinational, sign-extended) ----------------------------------------------
  // sign-extend the low `bits` bits of x (whatever the cast above it did)
  // (functions assign their name rather than `return`: Yosys' read_verilog needs that)
  function automatic logic [63:0] sx(input logic [63:0] x, input int bits);
    logic [63:0] m, v;
    m  = 64'd1 << (bits - 1);
    v  = x & ((m << 1) - 64'd1);
    sx = (v ^ m) - m;
  endfunction

  // Read-back is only enabled between timesteps, when the host reads: during a timestep the
  // multiplexer stays quiet (no switching in silicon, little work for a simulator).
  always_comb begin
    bus_rdata = '0;
    if (bus_rd) case (bus_sel)
      4'(`NC_SEL_PROFILE): if (in_p) begin
        case (bus_field)
          8'(`NC_PF_DU):         bus_rdata = 64'(rd_pf_du);
          8'(`NC_PF_DV):         bus_rdata = 64'(rd_pf_dv);
          8'(`NC_PF_BIAS):       bus_rdata = sx(64'(rd_pf_bias), S);
          8'(`NC_PF_VTH):        bus_rdata = sx(64'(rd_pf_vth), S);
          8'(`NC_PF_V_RESET):    bus_rdata = sx(64'(rd_pf_vreset), S);
          8'(`NC_PF_REFRACTORY): bus_rdata = 64'(rd_pf_ref);
          8'(`NC_PF_W_EXP):      bus_rdata = 64'(rd_pf_wexp);
          8'(`NC_PF_GRADED):     bus_rdata = 64'(rd_pf_graded);
          default: ;
        endcase
      end
      4'(`NC_SEL_NEURON): if (in_n) begin
        case (bus_field)
          8'(`NC_NF_PROFILE): bus_rdata = 64'(rd_nm_prof);
          8'(`NC_NF_FO_BASE): bus_rdata = 64'(rd_nm_fo_base);
          8'(`NC_NF_FO_LEN):  bus_rdata = 64'(rd_nm_fo_len);
          8'(`NC_NF_U):       bus_rdata = sx(64'(rd_nm_u), S);
          8'(`NC_NF_V):       bus_rdata = sx(64'(rd_nm_v), S);
          8'(`NC_NF_REF):     bus_rdata = 64'(rd_nm_ref);
          8'(`NC_NF_ACC0):    bus_rdata = sx(64'(rd_acc0), A);
          8'(`NC_NF_ACC1):    bus_rdata = sx(64'(rd_acc1), A);
          8'(`NC_NF_PEND0):   bus_rdata = 64'(rd_nm_pend0);
          8'(`NC_NF_PEND1):   bus_rdata = 64'(rd_nm_pend1);
          8'(`NC_NF_REV_BASE): if (LEARN != 0) bus_rdata = 64'(rd_nm_rev_base);
          8'(`NC_NF_REV_LEN):  if (LEARN != 0) bus_rdata = 64'(rd_nm_rev_len);
          8'(`NC_NF_TRACE):    if (LEARN != 0) bus_rdata = 64'(rd_nm_trace);
          8'(`NC_NF_SPK):      if (LEARN != 0) bus_rdata = 64'(rd_nm_spk);
          default: ;
        endcase
      end
      4'(`NC_SEL_AXON): if (in_a) begin
        if (bus_field == 8'(`NC_AF_BASE)) bus_rdata = 64'(rd_ax_base);
        if (bus_field == 8'(`NC_AF_LEN))  bus_rdata = 64'(rd_ax_len);
        if (LEARN != 0 && bus_field == 8'(`NC_AF_TRACE)) bus_rdata = 64'(rd_ax_trace);
        if (LEARN != 0 && bus_field == 8'(`NC_AF_ARR))   bus_rdata = 64'(rd_ax_arr);
      end
      4'(`NC_SEL_SYN): if (in_w) begin
        // {valid@31, plastic@30, delay@29:24, target}; delay and plastic read 0 without them
        if (bus_field[0] == 1'b0) bus_rdata = sx(64'(rd_syn_weight), WEIGHT_BITS);
        else bus_rdata = {32'd0, rd_syn_valid, rd_syn_plastic, rd_syn_delay, 24'(rd_syn_target)};
      end
      4'(`NC_SEL_BANK): if (in_k) bus_rdata = k_pend ? 64'(rd_bank_pend) : sx(64'(rd_bank_acc), A);
      4'(`NC_SEL_REV): if (in_r) begin
        if (bus_field == 8'(`NC_RF_AXON)) bus_rdata = 64'(rd_rev_axon);
        if (bus_field == 8'(`NC_RF_WORD)) bus_rdata = 64'(rd_rev_word);
        if (bus_field == 8'(`NC_RF_LANE)) bus_rdata = 64'(rd_rev_lane);
      end
      4'(`NC_SEL_FANOUT): if (in_f && bus_field == 8'd0) bus_rdata = 64'(rd_fo_flit);
      4'(`NC_SEL_CORE): begin
        if (bus_index == 32'(`NC_CORE_N_USED))      bus_rdata = 64'(n_used);
        if (bus_index == 32'(`NC_CORE_CUR_BANK))    bus_rdata = 64'(cur);
        if (bus_index == 32'(`NC_CORE_TRACE_COUNT)) bus_rdata = 64'(tr_count);
        if (bus_index == 32'(`NC_CORE_FIFO_MAX))    bus_rdata = 64'(fifo_max);
        if (bus_index == 32'(`NC_CORE_STATE))
          bus_rdata = 64'({fifo_count, 5'd0, si_busy, nu_state});
        if (LEARN != 0 && bus_index == 32'(`NC_CORE_AX_USED)) bus_rdata = 64'(ax_used);
        for (int k = 0; k < 8; k++)
          if (LEARN != 0 && bus_index == 32'(`NC_CORE_STDP_ENABLE + k)) bus_rdata = 64'($signed(stdp_regs[k]));
        for (int k = 0; k < `NC_CC_COUNT; k++)
          if (bus_index == 32'(`NC_CORE_CNT + k)) bus_rdata = 64'(cnt[k]);
      end
      4'(`NC_SEL_TRACE): if (in_n) begin
        if (bus_field == 8'd0) bus_rdata = 64'(rd_tr_neuron);
        if (bus_field == 8'd1) bus_rdata = 64'(rd_tr_cycle);
        // both in one read: neuron in bits 63:48, cycle (low 48 bits) below
        if (bus_field == 8'd2) bus_rdata = {16'(rd_tr_neuron), 48'(rd_tr_cycle)};
        if (bus_field == 8'd3) bus_rdata = 64'(rd_tr_payload);
      end
      default: ;
    endcase
  end
endmodule
