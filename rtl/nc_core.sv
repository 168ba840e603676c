// nc_core: one neuro-core (docs/microarchitecture.md §5): input FIFO, synaptic-integration
// engine (SI), neuron-update engine (NU), its memories and event counters.
//
// Memories are register files with combinational reads of the registered contents, so a
// cycle sees exactly the start-of-cycle state the contract speaks of; writes land at the
// clock edge that ends the cycle. Nothing in a memory is reset: the host writes every entry
// that is read (program loading, initial neuron state and accumulators), as for an SRAM.
//
//   neuron state   u, v (signed STATE_BITS), ref (REF_BITS)          [NEURONS]
//   neuron tables  profile index, fan-out base, fan-out count          [NEURONS]
//   profiles       du, dv (12 b), bias, vth, v_reset, refractory, w_exp [PROFILES]
//   axon table     synapse base word, synapse count                    [AXONS]
//   synapse SRAM   LANES x {valid, target neuron, signed weight}       [SYN_WORDS]
//   fan-out table  destination flit                                    [FANOUT_ENTRIES]
//   accumulators   2 banks, entry 2*i + bank (signed ACC_BITS)         [2*NEURONS]
//   spike trace    neuron, cycle of each spike of the current timestep [NEURONS]
//
// SI: IDLE + FIFO non-empty at cycle start -> pop + axon lookup; then ceil(len/LANES) synapse
// words of WORD_CYCLES cycles each: a word is read in the last of its cycles, every valid slot
// added into acc[nxt][target]. Slots of one word that hit the same target are summed first so
// each entry gets one write.
// NU: UPDATE(i) reads state + acc[cur][i], writes the update back and clears acc[cur][i]; a
// spike with k > 0 fan-out entries -> PUSH(i, 0..k-1), one flit per cycle into the router's
// L FIFO, stalling while it is full at cycle start; then UPDATE(i+1) or DONE.
`include "nc_defs.svh"
module nc_core #(
`include "nc_tile_params.svh"
) (
  input  logic                 clk,
  input  logic                 rst,
  // host bus, already decoded to this tile
  input  logic                 bus_we,
  input  logic [3:0]           bus_sel,
  input  logic [31:0]          bus_index,
  input  logic [7:0]           bus_field,
  input  logic [31:0]          bus_wdata,
  input  logic                 bus_rd,    // read-back enabled (the chip is paused); else rdata = 0
  output logic [63:0]          bus_rdata,
  // timestep control (nc_ctrl)
  input  logic                 start,     // this edge begins a timestep: NU -> UPDATE(0)
  input  logic                 swap,      // this edge ends the barrier: cur <-> nxt
  input  logic [CNT_BITS-1:0]  cycle,     // current cycle, stamped on trace entries
  // router output L -> core input FIFO
  input  logic                 in_push,
  input  logic [FLIT_BITS-1:0] in_flit,
  output logic                 in_full,
  // NU -> router input L
  output logic                 out_push,
  output logic [FLIT_BITS-1:0] out_flit,
  input  logic                 out_full,
  output logic                 quiet      // NU done, SI idle, input FIFO empty
);
  localparam int OCC_BITS = `NC_OCC_BITS;
  localparam int S  = STATE_BITS;
  localparam int A  = ACC_BITS;
  localparam int NB = NEURON_BITS;
  localparam int LB = (LANES > 1) ? $clog2(LANES) : 1;   // lane index width
  localparam int AI = $clog2(2 * NEURONS);                // accumulator address width

  // ---- elaboration checks --------------------------------------------------------------------
  if (NEURONS < 1 || (1 << NB) < NEURONS) begin : g_bad_neurons
    $fatal(1, "nc_core: NEURONS=%0d does not fit NEURON_BITS=%0d", NEURONS, NB);
  end
  if (AXONS < 1 || (1 << AXON_BITS) < AXONS) begin : g_bad_axons
    $fatal(1, "nc_core: AXONS=%0d does not fit AXON_BITS=%0d", AXONS, AXON_BITS);
  end
  if (SYN_WORDS < 1 || (1 << WORD_ADDR_BITS) < SYN_WORDS) begin : g_bad_words
    $fatal(1, "nc_core: SYN_WORDS=%0d does not fit WORD_ADDR_BITS=%0d", SYN_WORDS, WORD_ADDR_BITS);
  end
  if (WORD_CYCLES < 1 || WORD_CYCLES > 64) begin : g_bad_word_cycles
    $fatal(1, "nc_core: WORD_CYCLES=%0d must be 1..64", WORD_CYCLES);
  end
  if (LANES < 1 || LANES > 16 || (1 << LEN_BITS) <= SYN_WORDS * LANES) begin : g_bad_lanes
    $fatal(1, "nc_core: LANES=%0d must be 1..16 and LEN_BITS=%0d must hold SYN_WORDS*LANES", LANES, LEN_BITS);
  end
  if (FANOUT_ENTRIES < 1 || (1 << FANOUT_ADDR_BITS) < FANOUT_ENTRIES
      || (1 << FANOUT_LEN_BITS) <= FANOUT_ENTRIES) begin : g_bad_fanout
    $fatal(1, "nc_core: FANOUT_ENTRIES=%0d does not fit FANOUT_ADDR_BITS=%0d/FANOUT_LEN_BITS=%0d",
           FANOUT_ENTRIES, FANOUT_ADDR_BITS, FANOUT_LEN_BITS);
  end
  if (PROFILES < 1 || (1 << PROFILE_BITS) < PROFILES) begin : g_bad_profiles
    $fatal(1, "nc_core: PROFILES=%0d does not fit PROFILE_BITS=%0d", PROFILES, PROFILE_BITS);
  end
  if (WEIGHT_BITS < 2 || WEIGHT_BITS > 16 || ACC_BITS < WEIGHT_BITS) begin : g_bad_weight
    $fatal(1, "nc_core: WEIGHT_BITS=%0d must be 2..16 and <= ACC_BITS=%0d", WEIGHT_BITS, ACC_BITS);
  end
  if (NB > 16 || LEN_BITS > 31 || FANOUT_LEN_BITS > 31 || CNT_BITS > 64 || FLIT_BITS > 32) begin : g_bad_bus
    $fatal(1, "nc_core: a field is wider than the host bus allows");
  end

  // ---- memories -----------------------------------------------------------------------------
  logic        [11:0]               pf_du      [PROFILES];
  logic        [11:0]               pf_dv      [PROFILES];
  logic signed [S-1:0]              pf_bias    [PROFILES];
  logic signed [S-1:0]              pf_vth     [PROFILES];
  logic signed [S-1:0]              pf_vreset  [PROFILES];
  logic        [REF_BITS-1:0]       pf_ref     [PROFILES];
  logic        [2:0]                pf_wexp    [PROFILES];

  logic [PROFILE_BITS-1:0]          nm_prof    [NEURONS];
  logic [FANOUT_ADDR_BITS-1:0]      nm_fo_base [NEURONS];
  logic [FANOUT_LEN_BITS-1:0]       nm_fo_len  [NEURONS];
  logic signed [S-1:0]              nm_u       [NEURONS];
  logic signed [S-1:0]              nm_v       [NEURONS];
  logic [REF_BITS-1:0]              nm_ref     [NEURONS];
  logic signed [A-1:0]              acc        [2*NEURONS];   // entry 2*i + bank

  logic [WORD_ADDR_BITS-1:0]        ax_base    [AXONS];
  logic [LEN_BITS-1:0]              ax_len     [AXONS];

  logic [LANES-1:0]                 syn_valid  [SYN_WORDS];
  logic [LANES-1:0][NB-1:0]         syn_target [SYN_WORDS];
  logic [LANES-1:0][WEIGHT_BITS-1:0] syn_weight [SYN_WORDS];

  logic [FLIT_BITS-1:0]             fo_flit    [FANOUT_ENTRIES];

  logic [NB-1:0]                    tr_neuron  [NEURONS];
  logic [CNT_BITS-1:0]              tr_cycle   [NEURONS];

  function automatic logic [AI-1:0] acc_addr(input logic [NB-1:0] i, input logic bank);
    acc_addr = AI'({i, bank});     // 2*i + bank (i's top bit is 0 when NEURONS = 1)
  endfunction

  // ---- control registers --------------------------------------------------------------------
  logic [NB:0] n_used;        // neurons placed on this core
  logic        cur;           // accumulator bank read by the NU this timestep
  logic [NB:0] tr_count;      // spikes in the trace this timestep

  // ---- host bus decode -----------------------------------------------------------------------
  logic [NB-1:0]               h_n;
  logic [PROFILE_BITS-1:0]     h_p;
  logic [AXON_BITS-1:0]        h_a;
  logic [WORD_ADDR_BITS-1:0]   h_w;
  logic [FANOUT_ADDR_BITS-1:0] h_f;
  logic [3:0]                  h_lane;
  logic [LB-1:0]               h_l;
  logic                        h_in_n, h_in_p, h_in_a, h_in_w, h_in_f;
  assign h_n    = bus_index[NB-1:0];
  assign h_p    = bus_index[PROFILE_BITS-1:0];
  assign h_a    = bus_index[AXON_BITS-1:0];
  assign h_w    = bus_index[WORD_ADDR_BITS-1:0];
  assign h_f    = bus_index[FANOUT_ADDR_BITS-1:0];
  assign h_lane = bus_field[4:1];
  assign h_l    = h_lane[LB-1:0];
  assign h_in_n = bus_index < 32'(NEURONS);
  assign h_in_p = bus_index < 32'(PROFILES);
  assign h_in_a = bus_index < 32'(AXONS);
  assign h_in_w = bus_index < 32'(SYN_WORDS) && 32'(h_lane) < 32'(LANES);
  assign h_in_f = bus_index < 32'(FANOUT_ENTRIES);

  logic wr_profile, wr_neuron, wr_axon, wr_syn, wr_fanout, wr_core;
  assign wr_profile = bus_we && bus_sel == 4'(`NC_SEL_PROFILE) && h_in_p;
  assign wr_neuron  = bus_we && bus_sel == 4'(`NC_SEL_NEURON) && h_in_n;
  assign wr_axon    = bus_we && bus_sel == 4'(`NC_SEL_AXON) && h_in_a;
  assign wr_syn     = bus_we && bus_sel == 4'(`NC_SEL_SYN) && h_in_w;
  assign wr_fanout  = bus_we && bus_sel == 4'(`NC_SEL_FANOUT) && h_in_f;
  assign wr_core    = bus_we && bus_sel == 4'(`NC_SEL_CORE);

  // ---- core input FIFO --------------------------------------------------------------------------
  logic                 cf_empty, si_pop;
  logic [FLIT_BITS-1:0] cf_head;
  logic [OCC_BITS-1:0]  cf_count, cf_max;
  nc_fifo #(.DEPTH(CORE_FIFO_DEPTH), .WIDTH(FLIT_BITS), .CW(OCC_BITS)) u_fifo (
    .clk, .rst, .push(in_push), .push_data(in_flit), .pop(si_pop),
    .head(cf_head), .empty(cf_empty), .full(in_full), .count(cf_count), .max_count(cf_max)
  );

  // ---- SI ----------------------------------------------------------------------------------------
  logic                      si_busy;
  logic [WORD_ADDR_BITS-1:0] si_ptr;
  logic [LEN_BITS-1:0]       si_rem;    // synapse slots left, current word included
  logic [AXON_BITS-1:0]      pop_axon;
  logic si_last_word;
  // cycles of the current word still to wait before it is read (always 0 when WORD_CYCLES = 1)
  localparam int WCB = (WORD_CYCLES > 1) ? $clog2(WORD_CYCLES) : 1;
  logic [WCB-1:0]            si_sub;
  logic                      si_read;     // a BUSY cycle that reads the current word
  assign si_read  = si_busy && si_sub == '0;
  assign si_pop   = !si_busy && !cf_empty;
  // constant when one word holds every possible synapse count (SYN_WORDS*LANES <= LANES)
  /* verilator lint_off CMPCONST */
  assign si_last_word = si_rem <= LEN_BITS'(LANES);
  /* verilator lint_on CMPCONST */
  assign pop_axon = `NC_FLIT_AXON(cf_head);

  logic [LANES-1:0]                  w_valid;
  logic [LANES-1:0][NB-1:0]          w_target;
  logic [LANES-1:0][WEIGHT_BITS-1:0] w_weight;
  assign w_valid  = syn_valid[si_ptr];
  assign w_target = syn_target[si_ptr];
  assign w_weight = syn_weight[si_ptr];

  // merge lanes with equal targets: lane l writes iff it is the first valid lane of its target
  logic [LANES-1:0]             l_first;
  logic signed [LANES-1:0][A-1:0] l_sum;
  logic [4:0]                   w_nvalid;
  always_comb begin
    w_nvalid = '0;
    for (int l = 0; l < LANES; l++) begin
      l_first[l] = w_valid[l];
      l_sum[l]   = '0;
      if (w_valid[l]) w_nvalid = w_nvalid + 5'd1;
      for (int m = 0; m < LANES; m++) begin
        if (w_valid[m] && w_target[m] == w_target[l]) begin
          if (m < l) l_first[l] = 1'b0;
          else       l_sum[l] = l_sum[l] + A'($signed(w_weight[m]));
        end
      end
    end
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      si_busy <= 1'b0;
      si_ptr  <= '0;
      si_rem  <= '0;
      si_sub  <= '0;
    end else if (si_pop) begin
      si_busy <= ax_len[pop_axon] != '0;
      si_ptr  <= ax_base[pop_axon];
      si_rem  <= ax_len[pop_axon];
      si_sub  <= WCB'(WORD_CYCLES - 1);
    end else if (si_busy) begin
      if (!si_read) begin
        si_sub <= si_sub - 1'b1;
      end else if (si_last_word) begin
        si_busy <= 1'b0;
      end else begin
        si_rem <= si_rem - LEN_BITS'(LANES);
        si_ptr <= si_ptr + 1'b1;
        si_sub <= WCB'(WORD_CYCLES - 1);
      end
    end
  end

  // ---- NU ----------------------------------------------------------------------------------------
  localparam logic [1:0] NU_DONE = 2'd0, NU_UPDATE = 2'd1, NU_PUSH = 2'd2;
  logic [1:0]                  nu_state;
  logic [NB-1:0]               nu_i;
  logic [FANOUT_ADDR_BITS-1:0] nu_ptr;
  logic [FANOUT_LEN_BITS-1:0]  nu_rem;
  logic                        nu_last, nu_upd;

  assign nu_last = ({1'b0, nu_i} + 1'b1) == n_used;
  assign nu_upd  = nu_state == NU_UPDATE;

  logic [PROFILE_BITS-1:0] np;
  logic signed [S-1:0]     u_next, v_next;
  logic [REF_BITS-1:0]     ref_next;
  logic                    spike, active;
  assign np = nm_prof[nu_i];
  nc_neuron #(.STATE_BITS(S), .ACC_BITS(A), .REF_BITS(REF_BITS)) u_neuron (
    .u(nm_u[nu_i]), .v(nm_v[nu_i]), .ref_cnt(nm_ref[nu_i]), .i_in(acc[acc_addr(nu_i, cur)]),
    .du(pf_du[np]), .dv(pf_dv[np]), .bias(pf_bias[np]), .vth(pf_vth[np]), .v_reset(pf_vreset[np]),
    .refractory(pf_ref[np]), .w_exp(pf_wexp[np]),
    .u_next, .v_next, .ref_next, .spike, .active
  );

  assign out_push = nu_state == NU_PUSH && !out_full;
  assign out_flit = fo_flit[nu_ptr];
  assign quiet    = nu_state == NU_DONE && !si_busy && cf_empty;

  always_ff @(posedge clk) begin
    if (rst) begin
      nu_state <= NU_DONE;
      nu_i     <= '0;
      nu_ptr   <= '0;
      nu_rem   <= '0;
    end else if (start) begin
      nu_state <= (n_used == '0) ? NU_DONE : NU_UPDATE;
      nu_i     <= '0;
    end else begin
      case (nu_state)
        NU_UPDATE: begin
          if (spike && nm_fo_len[nu_i] != '0) begin
            nu_state <= NU_PUSH;
            nu_ptr   <= nm_fo_base[nu_i];
            nu_rem   <= nm_fo_len[nu_i];
          end else if (nu_last) begin
            nu_state <= NU_DONE;
          end else begin
            nu_i <= nu_i + 1'b1;
          end
        end
        NU_PUSH: begin
          if (!out_full) begin
            if (nu_rem == FANOUT_LEN_BITS'(1)) begin
              nu_state <= nu_last ? NU_DONE : NU_UPDATE;
              if (!nu_last) nu_i <= nu_i + 1'b1;
            end else begin
              nu_rem <= nu_rem - 1'b1;
              nu_ptr <= nu_ptr + 1'b1;
            end
          end
        end
        default: ;
      endcase
    end
  end

  // ---- control registers and the spike trace -----------------------------------------------
  always_ff @(posedge clk) begin
    if (rst) begin
      n_used   <= '0;
      cur      <= 1'b0;
      tr_count <= '0;
    end else begin
      if (wr_core && bus_index == 32'(`NC_CORE_N_USED)) n_used <= bus_wdata[NB:0];
      if (swap) cur <= ~cur;
      if (start) tr_count <= '0;
      else if (nu_upd && spike) tr_count <= tr_count + 1'b1;
    end
  end

  always_ff @(posedge clk) begin
    if (nu_upd && spike) begin
      tr_neuron[tr_count[NB-1:0]] <= nu_i;
      tr_cycle[tr_count[NB-1:0]]  <= cycle;
    end
  end

  // ---- memory writes: engines and host ----------------------------------------------------------
  always_ff @(posedge clk) begin
    if (wr_profile) begin
      case (bus_field)
        8'(`NC_PF_DU):         pf_du[h_p]     <= bus_wdata[11:0];
        8'(`NC_PF_DV):         pf_dv[h_p]     <= bus_wdata[11:0];
        8'(`NC_PF_BIAS):       pf_bias[h_p]   <= bus_wdata[S-1:0];
        8'(`NC_PF_VTH):        pf_vth[h_p]    <= bus_wdata[S-1:0];
        8'(`NC_PF_V_RESET):    pf_vreset[h_p] <= bus_wdata[S-1:0];
        8'(`NC_PF_REFRACTORY): pf_ref[h_p]    <= bus_wdata[REF_BITS-1:0];
        8'(`NC_PF_W_EXP):      pf_wexp[h_p]   <= bus_wdata[2:0];
        default: ;
      endcase
    end
  end

  always_ff @(posedge clk) begin
    if (wr_neuron) begin
      case (bus_field)
        8'(`NC_NF_PROFILE): nm_prof[h_n]    <= bus_wdata[PROFILE_BITS-1:0];
        8'(`NC_NF_FO_BASE): nm_fo_base[h_n] <= bus_wdata[FANOUT_ADDR_BITS-1:0];
        8'(`NC_NF_FO_LEN):  nm_fo_len[h_n]  <= bus_wdata[FANOUT_LEN_BITS-1:0];
        default: ;
      endcase
    end
  end

  // neuron state: NU write-back, or host initialisation (only while the NU is DONE)
  always_ff @(posedge clk) begin
    if (nu_upd) begin
      nm_u[nu_i]   <= u_next;
      nm_v[nu_i]   <= v_next;
      nm_ref[nu_i] <= ref_next;
    end else if (wr_neuron) begin
      case (bus_field)
        8'(`NC_NF_U):   nm_u[h_n]   <= bus_wdata[S-1:0];
        8'(`NC_NF_V):   nm_v[h_n]   <= bus_wdata[S-1:0];
        8'(`NC_NF_REF): nm_ref[h_n] <= bus_wdata[REF_BITS-1:0];
        default: ;
      endcase
    end
  end

  // accumulators: NU clears acc[cur][i]; SI adds into acc[nxt][target] (other bank)
  always_ff @(posedge clk) begin
    if (nu_upd) acc[acc_addr(nu_i, cur)] <= '0;
    if (si_read) begin
      for (int l = 0; l < LANES; l++) begin
        if (l_first[l]) acc[acc_addr(w_target[l], ~cur)] <= acc[acc_addr(w_target[l], ~cur)] + l_sum[l];
      end
    end
    if (wr_neuron && !nu_upd && !si_busy) begin
      if (bus_field == 8'(`NC_NF_ACC0)) acc[acc_addr(h_n, 1'b0)] <= bus_wdata[A-1:0];
      if (bus_field == 8'(`NC_NF_ACC1)) acc[acc_addr(h_n, 1'b1)] <= bus_wdata[A-1:0];
    end
  end

  always_ff @(posedge clk) begin
    if (wr_axon) begin
      if (bus_field == 8'd0) ax_base[h_a] <= bus_wdata[WORD_ADDR_BITS-1:0];
      if (bus_field == 8'd1) ax_len[h_a]  <= bus_wdata[LEN_BITS-1:0];
    end
  end

  always_ff @(posedge clk) begin
    if (wr_syn) begin
      if (bus_field[0] == 1'b0) begin
        syn_weight[h_w][h_l] <= bus_wdata[WEIGHT_BITS-1:0];
      end else begin
        syn_target[h_w][h_l] <= bus_wdata[NB-1:0];
        syn_valid[h_w][h_l]  <= bus_wdata[31];
      end
    end
  end

  always_ff @(posedge clk) begin
    if (wr_fanout && bus_field == 8'd0) fo_flit[h_f] <= bus_wdata[FLIT_BITS-1:0];
  end

  // ---- event counters (order = NC_CC_*) -------------------------------------------------------
  logic [`NC_CC_COUNT-1:0][CNT_BITS-1:0] cnt;
  always_ff @(posedge clk) begin
    if (rst) begin
      cnt <= '0;
    end else begin
      cnt[`NC_CC_NEURON_UPDATES_ACTIVE]   <= cnt[`NC_CC_NEURON_UPDATES_ACTIVE]   + CNT_BITS'(nu_upd && active);
      cnt[`NC_CC_NEURON_UPDATES_INACTIVE] <= cnt[`NC_CC_NEURON_UPDATES_INACTIVE] + CNT_BITS'(nu_upd && !active);
      cnt[`NC_CC_SPIKES]                  <= cnt[`NC_CC_SPIKES]                  + CNT_BITS'(nu_upd && spike);
      cnt[`NC_CC_FANOUT_FLITS]            <= cnt[`NC_CC_FANOUT_FLITS]            + CNT_BITS'(out_push);
      cnt[`NC_CC_AXON_LOOKUPS]            <= cnt[`NC_CC_AXON_LOOKUPS]            + CNT_BITS'(si_pop);
      cnt[`NC_CC_SYNAPTIC_OPS]            <= cnt[`NC_CC_SYNAPTIC_OPS]            + (si_read ? CNT_BITS'(w_nvalid) : '0);
      cnt[`NC_CC_SYNAPSE_WORD_READS]      <= cnt[`NC_CC_SYNAPSE_WORD_READS]      + CNT_BITS'(si_read);
      cnt[`NC_CC_NU_BUSY_CYCLES]          <= cnt[`NC_CC_NU_BUSY_CYCLES]          + CNT_BITS'(nu_upd || out_push);
      cnt[`NC_CC_NU_STALL_CYCLES]         <= cnt[`NC_CC_NU_STALL_CYCLES]         + CNT_BITS'(nu_state == NU_PUSH && out_full);
      cnt[`NC_CC_SI_BUSY_CYCLES]          <= cnt[`NC_CC_SI_BUSY_CYCLES]          + CNT_BITS'(si_pop || si_busy);
    end
  end

  // ---- host bus read-back (combinational, sign-extended) -------------------------------------
  // sign-extend the low `bits` bits of x (whatever the cast above it did)
  // (functions assign their name rather than `return`: Yosys' read_verilog needs that)
  function automatic logic [63:0] sx(input logic [63:0] x, input int bits);
    logic [63:0] m, v;
    m  = 64'd1 << (bits - 1);
    v  = x & ((m << 1) - 64'd1);
    sx = (v ^ m) - m;
  endfunction

  logic [NB-1:0] h_tr;
  assign h_tr = bus_index[NB-1:0];

  // Read-back is only enabled between timesteps, when the host reads: during a timestep the
  // multiplexers stay quiet (no switching in silicon, little work for a simulator).
  always_comb begin
    bus_rdata = '0;
    if (bus_rd) case (bus_sel)
      4'(`NC_SEL_PROFILE): if (h_in_p) begin
        case (bus_field)
          8'(`NC_PF_DU):         bus_rdata = 64'(pf_du[h_p]);
          8'(`NC_PF_DV):         bus_rdata = 64'(pf_dv[h_p]);
          8'(`NC_PF_BIAS):       bus_rdata = sx(64'(pf_bias[h_p]), S);
          8'(`NC_PF_VTH):        bus_rdata = sx(64'(pf_vth[h_p]), S);
          8'(`NC_PF_V_RESET):    bus_rdata = sx(64'(pf_vreset[h_p]), S);
          8'(`NC_PF_REFRACTORY): bus_rdata = 64'(pf_ref[h_p]);
          8'(`NC_PF_W_EXP):      bus_rdata = 64'(pf_wexp[h_p]);
          default: ;
        endcase
      end
      4'(`NC_SEL_NEURON): if (h_in_n) begin
        case (bus_field)
          8'(`NC_NF_PROFILE): bus_rdata = 64'(nm_prof[h_n]);
          8'(`NC_NF_FO_BASE): bus_rdata = 64'(nm_fo_base[h_n]);
          8'(`NC_NF_FO_LEN):  bus_rdata = 64'(nm_fo_len[h_n]);
          8'(`NC_NF_U):       bus_rdata = sx(64'(nm_u[h_n]), S);
          8'(`NC_NF_V):       bus_rdata = sx(64'(nm_v[h_n]), S);
          8'(`NC_NF_REF):     bus_rdata = 64'(nm_ref[h_n]);
          8'(`NC_NF_ACC0):    bus_rdata = sx(64'(acc[acc_addr(h_n, 1'b0)]), A);
          8'(`NC_NF_ACC1):    bus_rdata = sx(64'(acc[acc_addr(h_n, 1'b1)]), A);
          default: ;
        endcase
      end
      4'(`NC_SEL_AXON): if (h_in_a) begin
        if (bus_field == 8'd0) bus_rdata = 64'(ax_base[h_a]);
        if (bus_field == 8'd1) bus_rdata = 64'(ax_len[h_a]);
      end
      4'(`NC_SEL_SYN): if (h_in_w) begin
        if (bus_field[0] == 1'b0) bus_rdata = sx(64'(syn_weight[h_w][h_l]), WEIGHT_BITS);
        else bus_rdata = {32'd0, syn_valid[h_w][h_l], 31'(syn_target[h_w][h_l])};
      end
      4'(`NC_SEL_FANOUT): if (h_in_f && bus_field == 8'd0) bus_rdata = 64'(fo_flit[h_f]);
      4'(`NC_SEL_CORE): begin
        if (bus_index == 32'(`NC_CORE_N_USED))      bus_rdata = 64'(n_used);
        if (bus_index == 32'(`NC_CORE_CUR_BANK))    bus_rdata = 64'(cur);
        if (bus_index == 32'(`NC_CORE_TRACE_COUNT)) bus_rdata = 64'(tr_count);
        if (bus_index == 32'(`NC_CORE_FIFO_MAX))    bus_rdata = 64'(cf_max);
        if (bus_index == 32'(`NC_CORE_STATE))
          bus_rdata = 64'({cf_count, 5'd0, si_busy, nu_state});
        for (int k = 0; k < `NC_CC_COUNT; k++)
          if (bus_index == 32'(`NC_CORE_CNT + k)) bus_rdata = 64'(cnt[k]);
      end
      4'(`NC_SEL_TRACE): if (h_in_n) begin
        if (bus_field == 8'd0) bus_rdata = 64'(tr_neuron[h_tr]);
        if (bus_field == 8'd1) bus_rdata = 64'(tr_cycle[h_tr]);
        // both in one read: neuron in bits 63:48, cycle (low 48 bits) below
        if (bus_field == 8'd2) bus_rdata = {16'(tr_neuron[h_tr]), 48'(tr_cycle[h_tr])};
      end
      default: ;
    endcase
  end

  // the host bus carries wider indices and data than one core uses
  logic unused_bus;
  assign unused_bus = ^{bus_wdata, bus_field[7:5], h_lane, cf_head};
endmodule
