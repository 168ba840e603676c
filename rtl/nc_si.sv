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
// Every valid slot of a word read adds weight x payload into the accumulator of its target
// neuron in the bank of its delay (PAYLOAD_BITS > 0: the payload of the popped flit, kept in a
// register from the pop cycle, one W x P multiplier per lane; a binary chip adds the weight).
// Lanes with equal targets and equal delays are merged first: the first valid lane of a (target,
// delay) requests the write acc + (sum of the products of every valid lane with that target and
// delay), the other lanes of it request nothing, so an accumulator entry gets at most one write
// per cycle. nc_core turns a lane's delay d into the bank (cur + 1 + d) mod (DELAY_SLOTS + 1)
// (microarchitecture.md §10; DELAY_BITS = 0: no delay field, the bank nxt). On an event-driven
// core (EVENT) nc_core also sets the pending bit of every lane that writes, in the same bank.
//
// STDP (LEARN = 1, on a core whose rule is enabled: learn_en; microarchitecture.md §11.2): a pop
// tells nc_core to set the axon's arrived bit. In the read cycle every valid plastic slot's
// depressed weight clip(w - (y[target] >> shift)) is computed from the post-synaptic trace y of
// its target (the integration above uses the old weight); if the word has a valid plastic slot,
// the SI holds the new word and spends the next cycle in WRITE (`word_we`: the word at word_addr
// gets w_wdata), then continues as after the read. So an axon of n words, p of them with a
// plastic slot, keeps the SI busy n*WORD_CYCLES + p cycles.
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
//   DELAY_BITS      extra-delay field of a slot (0: no delays; 0..6)
//   LEARN           1: STDP depression and write-back (plastic bits, post-synaptic traces)
//   TRACE_BITS      unsigned STDP trace (LEARN)
//
// Ports
//   fifo_empty/fifo_head/pop         core input FIFO (start-of-cycle state) and the pop of this cycle
//   ax_addr -> ax_base, ax_len       axon table read at the head flit's axon
//   word_addr -> w_valid/target/weight  synapse word read (all LANES slots)
//   acc_neuron -> acc_rdata          per lane: read acc[nxt][acc_neuron[l]] (= w_target[l])
//   acc_we, acc_wdata                per lane: write request acc[bank][acc_neuron[l]] <= acc_wdata[l]
//   w_delay -> acc_delay             per lane: the slot's extra delay, and the delay of its write
//                                    (nc_core reads and writes the bank of that delay)
//   w_plastic, learn_en, y_rdata     STDP: plastic bits, the core learns, y of w_target[l]
//   shift, w_min, w_max              the rule's learning-rate shift and weight bounds
//   word_we, w_wdata                 WRITE cycle: write request syn_weight[word_addr] <= w_wdata
//   busy                             BUSY this cycle; quiescence and busy-cycle status
//   word_read                        a word is read this cycle (the last of its WORD_CYCLES cycles)
//   syn_ops                          valid slots in the word read this cycle (0 when none is read)
//   wupd                             valid plastic slots in the word read this cycle (learning)
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
  parameter int PAYLOAD_BITS   = 0,
  parameter int DELAY_BITS     = 0,
  parameter int LEARN          = 0,
  parameter int TRACE_BITS     = 8
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
  input  logic [LANES-1:0][((DELAY_BITS > 0) ? DELAY_BITS : 1)-1:0] w_delay,
  input  logic [LANES-1:0]                       w_plastic,
  // accumulator banks, one read-modify-write port per lane (bank chosen by the lane's delay)
  output logic [LANES-1:0][NEURON_BITS-1:0]      acc_neuron,
  output logic [LANES-1:0][((DELAY_BITS > 0) ? DELAY_BITS : 1)-1:0] acc_delay,
  input  logic signed [LANES-1:0][ACC_BITS-1:0]  acc_rdata,
  output logic [LANES-1:0]                       acc_we,
  output logic signed [LANES-1:0][ACC_BITS-1:0]  acc_wdata,
  // STDP: depression at the pre-synaptic arrival, the word written back
  input  logic                                   learn_en,
  input  logic [LANES-1:0][TRACE_BITS-1:0]       y_rdata,
  input  logic [3:0]                             shift,
  input  logic signed [WEIGHT_BITS-1:0]          w_min,
  input  logic signed [WEIGHT_BITS-1:0]          w_max,
  output logic                                   word_we,
  output logic [LANES-1:0][WEIGHT_BITS-1:0]      w_wdata,
  // status
  output logic                                   busy,
  output logic                                   word_read,
  output logic [4:0]                             syn_ops,
  output logic [4:0]                             wupd
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
  if (DELAY_BITS < 0 || DELAY_BITS > 6 || LEARN < 0 || LEARN > 1 || TRACE_BITS < 2 || TRACE_BITS > 16)
  begin : g_bad_learn
    $fatal(1, "nc_si: DELAY_BITS=%0d (0..6), LEARN=%0d (0/1) or TRACE_BITS=%0d (2..16) out of range",
           DELAY_BITS, LEARN, TRACE_BITS);
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
  logic                      wr;     // WRITE: the held word is written back this cycle (STDP)
  logic                      plastic_word;   // the word read this cycle has a valid plastic slot

  assign word_read = busy && !wr && sub == '0;    // always `busy` when WORD_CYCLES = 1 (without STDP)
  assign word_we   = busy && wr;

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
      wr   <= 1'b0;
    end else if (pop) begin
      busy <= ax_len != '0;
      ptr  <= ax_base;
      rem  <= ax_len;
      sub  <= WCB'(WORD_CYCLES - 1);
      q    <= head_q;
      wr   <= 1'b0;
    end else if (busy) begin
      if (word_read && plastic_word) begin
        wr <= 1'b1;                     // WRITE(w) next cycle, then as after the read
      end else if (!word_read && !wr) begin
        sub <= sub - 1'b1;
      end else if (last_word) begin
        busy <= 1'b0;
        wr   <= 1'b0;
      end else begin
        rem <= rem - LEN_BITS'(LANES);
        ptr <= ptr + 1'b1;
        sub <= WCB'(WORD_CYCLES - 1);
        wr  <= 1'b0;
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

  // ---- lane merge: lane l writes iff it is the first valid lane of its (target, delay) -----
  localparam int DW = (DELAY_BITS > 0) ? DELAY_BITS : 1;
  logic [LANES-1:0][DW-1:0]       l_delay;
  logic [LANES-1:0]               l_first;
  logic signed [LANES-1:0][A-1:0] l_sum;
  logic [4:0]                     nvalid;
  if (DELAY_BITS > 0) begin : g_delay
    assign l_delay = w_delay;
  end else begin : g_no_delay
    assign l_delay = '0;
    logic unused_delay;
    assign unused_delay = ^w_delay;
  end
  always_comb begin
    nvalid = '0;
    for (int l = 0; l < LANES; l++) begin
      l_first[l] = w_valid[l];
      l_sum[l]   = '0;
      if (w_valid[l]) nvalid = nvalid + 5'd1;
      for (int m = 0; m < LANES; m++) begin
        if (w_valid[m] && w_target[m] == w_target[l] && l_delay[m] == l_delay[l]) begin
          if (m < l) l_first[l] = 1'b0;
          else       l_sum[l] = l_sum[l] + l_val[m];
        end
      end
    end
  end

  // (addresses apart from the data: nc_core reads acc_rdata at acc_neuron/acc_delay)
  assign acc_neuron = w_target;
  assign acc_delay  = l_delay;
  always_comb begin
    for (int l = 0; l < LANES; l++) begin
      acc_we[l]    = word_read && l_first[l];
      acc_wdata[l] = acc_rdata[l] + l_sum[l];
    end
  end

  assign syn_ops = word_read ? nvalid : 5'd0;

  // ---- STDP: depression of the valid plastic slots, the word held for its WRITE cycle --------
  if (LEARN != 0) begin : g_learn
    localparam int TB = TRACE_BITS;
    localparam int SW = ((WEIGHT_BITS > TB + 1) ? WEIGHT_BITS : TB + 1) + 2;
    logic [LANES-1:0]                  l_pl;
    logic [LANES-1:0][WEIGHT_BITS-1:0] l_new, hold;
    logic [4:0]                        npl;
    logic signed [LANES-1:0][SW-1:0]   dep;
    always_comb begin
      npl = '0;
      for (int l = 0; l < LANES; l++) begin
        l_pl[l] = learn_en && w_valid[l] && w_plastic[l];
        if (l_pl[l]) npl = npl + 5'd1;
        dep[l] = SW'($signed(w_weight[l])) - SW'($signed({1'b0, y_rdata[l] >> shift}));
        // (an element of a packed array is unsigned: compare it as signed)
        if (!l_pl[l])                             l_new[l] = w_weight[l];
        else if ($signed(dep[l]) < SW'(w_min))    l_new[l] = w_min;
        else if ($signed(dep[l]) > SW'(w_max))    l_new[l] = w_max;
        else                             l_new[l] = dep[l][WEIGHT_BITS-1:0];
      end
    end
    assign plastic_word = l_pl != '0;
    assign wupd         = word_read ? npl : 5'd0;
    always_ff @(posedge clk) begin
      if (word_read) hold <= l_new;
    end
    assign w_wdata = hold;
  end else begin : g_static
    assign plastic_word = 1'b0;
    assign wupd         = 5'd0;
    assign w_wdata      = '0;
    logic unused_learn;
    assign unused_learn = ^{w_plastic, learn_en, y_rdata, shift, w_min, w_max};
  end

  // the flit's destination x/y bits are the router's business
  if (FLIT_BITS - PAYLOAD_BITS > AXON_BITS) begin : g_unused_xy
    logic unused_xy;
    assign unused_xy = ^fifo_head[FLIT_BITS-PAYLOAD_BITS-1:AXON_BITS];
  end
endmodule
