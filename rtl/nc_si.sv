// nc_si: the synaptic-integration engine (SI) of one core (docs/microarchitecture.md §5).
//
// States IDLE and BUSY (`busy`). In a cycle that starts IDLE with the core input FIFO
// non-empty, the SI pops the head flit and looks its axon (the flit's low AXON_BITS bits) up
// in the axon table: synapse base word and synapse count `len` (1 cycle). If len > 0 it is
// BUSY from the next cycle and reads n = ceil(len/LANES) synapse words from the base word on,
// WORD_CYCLES cycles each, a word in the last of its cycles (`word_read`): a pop in cycle c
// reads word j (1..n) in c + j*WORD_CYCLES, and the next pop can be in c + n*WORD_CYCLES + 1
// (in c+1 for len = 0). A word pointer, the count of synapse slots left (current word
// included) and the cycles left of the current word are the only state besides `busy`.
//
// Every valid slot of a word read adds weight x payload into the next-timestep accumulator of
// its target neuron (PAYLOAD_BITS > 0: the payload of the popped flit, kept in a register from
// the pop cycle, one W x P multiplier per lane; a binary chip adds the weight). Lanes with equal
// targets are merged first: the first valid lane of a target requests the write acc + (sum of
// the products of every valid lane with that target), the other lanes of that target request
// nothing, so an accumulator entry gets at most one write per cycle. On an event-driven core
// (EVENT) nc_core also sets the pending bit pend[nxt][target] of every lane that writes.
//
// The memories are nc_core's register files. The SI drives read addresses and gets the
// registered (start-of-cycle) contents back combinationally in the same cycle; its write
// requests land in nc_core at the clock edge that ends the cycle. The SI does not know which
// accumulator bank is `nxt`: it names the target neuron, nc_core adds the bank.
//
// Parameters (names and meaning as in nc_core / nc_chip)
//   LANES           synapse slots per word (1..16)
//   WORD_CYCLES     SI cycles per synapse word (1..64; core.synapse_word_cycles)
//   WEIGHT_BITS     signed synapse weight (>= 2)
//   ACC_BITS        signed accumulator entry (>= WEIGHT_BITS)
//   AXON_BITS       axon table address = the flit's low AXON_BITS bits (<= FLIT_BITS)
//   FLIT_BITS       core input FIFO entry (upper bits: destination x/y, not used here; the top
//                   PAYLOAD_BITS: the payload)
//   PAYLOAD_BITS    spike payload (0: binary chip, no multiplier)
//   NEURON_BITS     target neuron index
//   WORD_ADDR_BITS  synapse word address
//   LEN_BITS        synapse count of an axon entry (must hold LANES)
//
// Ports
//   fifo_empty/fifo_head/pop         core input FIFO (start-of-cycle state) and the pop of this cycle
//   ax_addr -> ax_base, ax_len       axon table read at the head flit's axon
//   word_addr -> w_valid/target/weight  synapse word read (all LANES slots)
//   acc_neuron -> acc_rdata          per lane: read acc[nxt][acc_neuron[l]] (= w_target[l])
//   acc_we, acc_wdata                per lane: write request acc[nxt][acc_neuron[l]] <= acc_wdata[l]
//   busy                             BUSY this cycle; quiescence and busy-cycle status
//   word_read                        a word is read this cycle (the last of its WORD_CYCLES cycles)
//   syn_ops                          valid slots in the word read this cycle (0 when none is read)
`include "nc_defs.svh"
module nc_si #(
  parameter int LANES          = 1,
  parameter int WORD_CYCLES    = 1,
  parameter int WEIGHT_BITS    = 6,
  parameter int ACC_BITS       = 14,
  parameter int AXON_BITS      = 5,
  parameter int FLIT_BITS      = 7,
  parameter int NEURON_BITS    = 4,
  parameter int WORD_ADDR_BITS = 8,
  parameter int LEN_BITS       = 9,
  parameter int PAYLOAD_BITS   = 0
) (
  input  logic                                   clk,
  input  logic                                   rst,
  // core input FIFO
  input  logic                                   fifo_empty,
  input  logic [FLIT_BITS-1:0]                   fifo_head,
  output logic                                   pop,
  // axon table read
  output logic [AXON_BITS-1:0]                   ax_addr,
  input  logic [WORD_ADDR_BITS-1:0]              ax_base,
  input  logic [LEN_BITS-1:0]                    ax_len,
  // synapse word read
  output logic [WORD_ADDR_BITS-1:0]              word_addr,
  input  logic [LANES-1:0]                       w_valid,
  input  logic [LANES-1:0][NEURON_BITS-1:0]      w_target,
  input  logic [LANES-1:0][WEIGHT_BITS-1:0]      w_weight,
  // next-timestep accumulator bank, one read-modify-write port per lane
  output logic [LANES-1:0][NEURON_BITS-1:0]      acc_neuron,
  input  logic signed [LANES-1:0][ACC_BITS-1:0]  acc_rdata,
  output logic [LANES-1:0]                       acc_we,
  output logic signed [LANES-1:0][ACC_BITS-1:0]  acc_wdata,
  // status
  output logic                                   busy,
  output logic                                   word_read,
  output logic [4:0]                             syn_ops
);
  localparam int A = ACC_BITS;

  // ---- elaboration checks --------------------------------------------------------------------
  if (LANES < 1 || LANES > 16) begin : g_bad_lanes
    $fatal(1, "nc_si: LANES=%0d must be 1..16", LANES);
  end
  if (WORD_CYCLES < 1 || WORD_CYCLES > 64) begin : g_bad_word_cycles
    $fatal(1, "nc_si: WORD_CYCLES=%0d must be 1..64", WORD_CYCLES);
  end
  if (LEN_BITS < 1 || LEN_BITS > 31 || (1 << LEN_BITS) <= LANES) begin : g_bad_len
    $fatal(1, "nc_si: LEN_BITS=%0d must be 1..31 and hold LANES=%0d", LEN_BITS, LANES);
  end
  if (WEIGHT_BITS < 2 || ACC_BITS < WEIGHT_BITS) begin : g_bad_weight
    $fatal(1, "nc_si: WEIGHT_BITS=%0d must be >= 2 and <= ACC_BITS=%0d", WEIGHT_BITS, ACC_BITS);
  end
  if (AXON_BITS < 1 || AXON_BITS > FLIT_BITS || NEURON_BITS < 1 || WORD_ADDR_BITS < 1) begin : g_bad_widths
    $fatal(1, "nc_si: AXON_BITS=%0d must be 1..FLIT_BITS=%0d; NEURON_BITS, WORD_ADDR_BITS >= 1",
           AXON_BITS, FLIT_BITS);
  end
  if (PAYLOAD_BITS < 0 || PAYLOAD_BITS > 16 || AXON_BITS + PAYLOAD_BITS > FLIT_BITS
      || (PAYLOAD_BITS > 0 && WEIGHT_BITS + PAYLOAD_BITS > ACC_BITS)) begin : g_bad_payload
    $fatal(1, "nc_si: PAYLOAD_BITS=%0d must be 0..16, fit FLIT_BITS=%0d and WEIGHT_BITS + PAYLOAD_BITS <= ACC_BITS=%0d",
           PAYLOAD_BITS, FLIT_BITS, ACC_BITS);
  end

  // ---- state ---------------------------------------------------------------------------------
  localparam int WCB = (WORD_CYCLES > 1) ? $clog2(WORD_CYCLES) : 1;
  logic [WORD_ADDR_BITS-1:0] ptr;    // word being read while busy
  logic [LEN_BITS-1:0]       rem;    // synapse slots left, current word included
  logic [WCB-1:0]            sub;    // cycles of the current word left before its read (0: now)
  logic                      last_word;
  localparam int PW = (PAYLOAD_BITS > 0) ? PAYLOAD_BITS : 1;
  logic [PW-1:0]             q;      // payload of the flit being integrated (graded chips)
  logic [PW-1:0]             head_q;

  assign word_read = busy && sub == '0;    // always `busy` when WORD_CYCLES = 1

  assign pop       = !busy && !fifo_empty;
  assign ax_addr   = `NC_FLIT_AXON(fifo_head);
  assign word_addr = ptr;
  // constant when one word holds every possible synapse count (SYN_WORDS*LANES <= LANES)
  /* verilator lint_off CMPCONST */
  assign last_word = rem <= LEN_BITS'(LANES);
  /* verilator lint_on CMPCONST */

  always_ff @(posedge clk) begin
    if (rst) begin
      busy <= 1'b0;
      ptr  <= '0;
      rem  <= '0;
      sub  <= '0;
      q    <= '0;
    end else if (pop) begin
      busy <= ax_len != '0;
      ptr  <= ax_base;
      rem  <= ax_len;
      sub  <= WCB'(WORD_CYCLES - 1);
      q    <= head_q;
    end else if (busy) begin
      if (!word_read) begin
        sub <= sub - 1'b1;
      end else if (last_word) begin
        busy <= 1'b0;
      end else begin
        rem <= rem - LEN_BITS'(LANES);
        ptr <= ptr + 1'b1;
        sub <= WCB'(WORD_CYCLES - 1);
      end
    end
  end

  // ---- weight x payload per lane (a binary chip adds the weight) ----------------------------
  logic signed [LANES-1:0][A-1:0] l_val;
  if (PAYLOAD_BITS > 0) begin : g_mult
    assign head_q = fifo_head[FLIT_BITS-1 -: PAYLOAD_BITS];   // NC_FLIT_PAYLOAD: the top field
    always_comb begin
      for (int l = 0; l < LANES; l++)
        l_val[l] = A'($signed(w_weight[l]) * $signed({1'b0, q}));   // |w x q| < 2^(W-1+P) <= 2^(A-1)
    end
  end else begin : g_add
    assign head_q = 1'b1;
    always_comb begin
      for (int l = 0; l < LANES; l++) l_val[l] = A'($signed(w_weight[l]));
    end
    logic unused_q;
    assign unused_q = ^q;
  end

  // ---- lane merge: lane l writes iff it is the first valid lane of its target --------------
  logic [LANES-1:0]               l_first;
  logic signed [LANES-1:0][A-1:0] l_sum;
  logic [4:0]                     nvalid;
  always_comb begin
    nvalid = '0;
    for (int l = 0; l < LANES; l++) begin
      l_first[l] = w_valid[l];
      l_sum[l]   = '0;
      if (w_valid[l]) nvalid = nvalid + 5'd1;
      for (int m = 0; m < LANES; m++) begin
        if (w_valid[m] && w_target[m] == w_target[l]) begin
          if (m < l) l_first[l] = 1'b0;
          else       l_sum[l] = l_sum[l] + l_val[m];
        end
      end
    end
  end

  always_comb begin
    for (int l = 0; l < LANES; l++) begin
      acc_neuron[l] = w_target[l];
      acc_we[l]     = word_read && l_first[l];
      acc_wdata[l]  = acc_rdata[l] + l_sum[l];
    end
  end

  assign syn_ops = word_read ? nvalid : 5'd0;

  // the flit's destination x/y bits are the router's business
  if (FLIT_BITS - PAYLOAD_BITS > AXON_BITS) begin : g_unused_xy
    logic unused_xy;
    assign unused_xy = ^fifo_head[FLIT_BITS-PAYLOAD_BITS-1:AXON_BITS];
  end
endmodule
