// nc_le: the learning engine (LE) of one core: pair-based STDP after quiescence
// (docs/microarchitecture.md §11.2).
//
// States DONE, WAIT, POST(j), RD(e), WR(e), TRACE(j). The edge with `start` high (T_t) puts the
// LE in WAIT if the core learns (`en`, the STDP_ENABLE register), else in DONE. The LE is idle
// during the timestep; in the cycle the chip is quiescent (`go`, cycle Q_t) it acts as its first
// state: POST(0) if the core's NU recorded a spike this timestep (tr_count > 0), else TRACE(0).
// From there one state per cycle:
//   POST(j): read spike-trace slot j (neuron i) and i's reverse pointer (rev_base, rev_len).
//     Next RD(rev_base) if rev_len > 0, else POST(j+1), or TRACE(0) after the last spike.
//   RD(e): read reverse entry e = {axon, word, lane}, the weight of that slot and the axon's
//     pre-synaptic trace x; the new weight clip(w + (x >> shift)) is held for WR. Next WR(e).
//   WR(e): write the new weight into its slot (`syn_we`). Next RD(e+1) within the neuron's
//     entries, else POST(j+1), or TRACE(0) after the last spike.
//   TRACE(j), j = 0 .. max(n_used, ax_used) - 1: y[j] <- tsat(decay(y[j], d_minus) + s[j] a_minus)
//     and s[j] <- 0 if j < n_used; x[j] <- tsat(decay(x[j], d_plus) + r[j] a_plus) and r[j] <- 0
//     if j < ax_used (`y_we`, `x_we`). Then DONE.
// decay(x, d) = (x (4096 - d)) >> 12 (traces are >= 0, so this is section 7's truncation);
// tsat saturates at 2^TRACE_BITS - 1; clip keeps a weight in [w_min, w_max].
//
// The memories are nc_core's register files: the LE drives read addresses and gets their
// registered contents back in the same cycle; its write requests land at the clock edge that
// ends the cycle. The SI is idle whenever the LE works (after quiescence), so they never share
// a cycle on the synapse memory.
//
// Parameters (names and meaning as in nc_core / nc_chip)
//   NEURON_BITS, AXON_BITS, WORD_ADDR_BITS   neuron, axon and synapse-word addresses
//   LANES                                    synapse slots per word (lane index width)
//   WEIGHT_BITS                              signed weight
//   TRACE_BITS                               unsigned STDP trace (2..16)
//   REV_ADDR_BITS, REV_LEN_BITS              reverse-table address and a neuron's entry count
//
// Ports
//   start, en, go                 timestep start, the core learns, the chip is quiescent (Q_t)
//   n_used, ax_used, tr_count     neurons and axons placed, spikes recorded this timestep
//   tr_addr -> rev_base, rev_len  spike-trace slot j: nc_core reads its neuron's reverse pointer
//   e_addr -> e_axon/word/lane    reverse entry; nc_core answers with the slot's weight e_weight
//                                 and the axon's pre-synaptic trace e_xtrace
//   a_plus .. shift               the STDP rule registers
//   syn_we, syn_waddr/wlane/wdata weight write request (WR)
//   tw_addr                       TRACE(j): neuron j and axon j; y/spk, x/arr read back; y_we/x_we
//                                 (with y_wdata/x_wdata) write the trace and clear the flag
//   done, post, rd, wr, trace_n   status: DONE, a POST / RD / WR cycle, traces updated this cycle
`include "nc_defs.svh"
module nc_le #(
  parameter int NEURON_BITS    = 4,
  parameter int AXON_BITS      = 5,
  parameter int WORD_ADDR_BITS = 8,
  parameter int LANES          = 1,
  parameter int WEIGHT_BITS    = 6,
  parameter int TRACE_BITS     = 8,
  parameter int REV_ADDR_BITS  = 6,
  parameter int REV_LEN_BITS   = 7
) (
  input  logic                               clk,
  input  logic                               rst,
  input  logic                               start,
  input  logic                               en,
  input  logic                               go,
  input  logic [NEURON_BITS:0]               n_used,
  input  logic [AXON_BITS:0]                 ax_used,
  input  logic [NEURON_BITS:0]               tr_count,
  // spike trace and reverse pointers
  output logic [NEURON_BITS-1:0]             tr_addr,
  input  logic [REV_ADDR_BITS-1:0]           rev_base,
  input  logic [REV_LEN_BITS-1:0]            rev_len,
  // reverse table, the weight it points to, the axon's pre-synaptic trace
  output logic [REV_ADDR_BITS-1:0]           e_addr,
  input  logic [AXON_BITS-1:0]               e_axon,
  input  logic [WORD_ADDR_BITS-1:0]          e_word,
  input  logic [((LANES > 1) ? $clog2(LANES) : 1)-1:0] e_lane,
  input  logic signed [WEIGHT_BITS-1:0]      e_weight,
  input  logic [TRACE_BITS-1:0]              e_xtrace,
  // the STDP rule
  input  logic [TRACE_BITS-1:0]              a_plus,
  input  logic [TRACE_BITS-1:0]              a_minus,
  input  logic [11:0]                        d_plus,
  input  logic [11:0]                        d_minus,
  input  logic signed [WEIGHT_BITS-1:0]      w_min,
  input  logic signed [WEIGHT_BITS-1:0]      w_max,
  input  logic [3:0]                         shift,
  // weight write (WR)
  output logic                               syn_we,
  output logic [WORD_ADDR_BITS-1:0]          syn_waddr,
  output logic [((LANES > 1) ? $clog2(LANES) : 1)-1:0] syn_wlane,
  output logic signed [WEIGHT_BITS-1:0]      syn_wdata,
  // trace walk
  output logic [((NEURON_BITS > AXON_BITS) ? NEURON_BITS : AXON_BITS)-1:0] tw_addr,
  input  logic [TRACE_BITS-1:0]              y_rdata,
  input  logic                               spk_rdata,
  output logic                               y_we,
  output logic [TRACE_BITS-1:0]              y_wdata,
  input  logic [TRACE_BITS-1:0]              x_rdata,
  input  logic                               arr_rdata,
  output logic                               x_we,
  output logic [TRACE_BITS-1:0]              x_wdata,
  // status
  output logic                               done,
  output logic                               post,
  output logic                               rd,
  output logic                               wr,
  output logic [1:0]                         trace_n
);
  localparam int NB  = NEURON_BITS;
  localparam int AB  = AXON_BITS;
  localparam int W   = WEIGHT_BITS;
  localparam int TB  = TRACE_BITS;
  localparam int RAB = REV_ADDR_BITS;
  localparam int LB  = (LANES > 1) ? $clog2(LANES) : 1;
  localparam int TWB = (NB > AB) ? NB : AB;
  localparam int SW  = ((W > TB + 1) ? W : TB + 1) + 2;     // weight + (trace >> shift), signed

  // ---- elaboration checks --------------------------------------------------------------------
  if (NB < 1 || NB > 16 || AB < 1 || AB > 16 || WORD_ADDR_BITS < 1 || LANES < 1 || LANES > 16) begin : g_bad_widths
    $fatal(1, "nc_le: NEURON_BITS=%0d, AXON_BITS=%0d must be 1..16, LANES=%0d 1..16", NB, AB, LANES);
  end
  if (TB < 2 || TB > 16 || W < 2 || W > 16 || RAB < 1 || REV_LEN_BITS < 1 || REV_LEN_BITS > RAB + 1)
  begin : g_bad_learning
    $fatal(1, "nc_le: TRACE_BITS=%0d (2..16), WEIGHT_BITS=%0d (2..16), REV_ADDR_BITS=%0d, REV_LEN_BITS=%0d out of range",
           TB, W, RAB, REV_LEN_BITS);
  end

  // ---- state ---------------------------------------------------------------------------------
  localparam logic [2:0] S_DONE = 3'd0, S_WAIT = 3'd1, S_POST = 3'd2, S_RD = 3'd3, S_WR = 3'd4, S_TRACE = 3'd5;
  logic [2:0]          st, es;          // registered state; the state acted on this cycle
  logic                act;
  logic [NB:0]         j;               // spike-trace slot of POST(j)
  logic [RAB:0]        e, e_end;        // reverse entry of RD/WR(e); one past the neuron's last
  logic [TWB:0]        tj;              // TRACE(j)
  logic [WORD_ADDR_BITS-1:0] h_word;    // RD -> WR: the slot and its new weight
  logic [LB-1:0]       h_lane;
  logic signed [W-1:0] h_w;
  logic [TWB:0]        t_len;           // max(n_used, ax_used)

  assign es  = (st == S_WAIT) ? ((tr_count != '0) ? S_POST : S_TRACE) : st;
  assign act = (st == S_WAIT) ? go : (st != S_DONE);
  assign t_len = (32'(n_used) > 32'(ax_used)) ? (TWB + 1)'(n_used) : (TWB + 1)'(ax_used);

  assign done    = st == S_DONE;
  assign post    = act && es == S_POST;
  assign rd      = act && es == S_RD;
  assign wr      = act && es == S_WR;
  assign tr_addr = j[NB-1:0];
  assign e_addr  = e[RAB-1:0];
  assign tw_addr = tj[TWB-1:0];

  // ---- potentiation: clip(w + (x >> shift)) ----------------------------------------------------
  logic signed [SW-1:0] pot;
  logic signed [W-1:0]  pot_w;
  always_comb begin
    pot = SW'(e_weight) + SW'($signed({1'b0, e_xtrace >> shift}));
    if (pot < SW'(w_min))      pot_w = w_min;
    else if (pot > SW'(w_max)) pot_w = w_max;
    else                       pot_w = pot[W-1:0];
  end

  assign syn_we    = wr;
  assign syn_waddr = h_word;
  assign syn_wlane = h_lane;
  assign syn_wdata = h_w;

  // ---- trace walk: tsat(decay(t, d) + flag * a) -----------------------------------------------
  function automatic logic [TB-1:0] trace_next(input logic [TB-1:0] t, input logic [11:0] d, input logic flag,
                                               input logic [TB-1:0] a);
    logic [TB+12:0] prod;
    logic [TB+1:0]  s;
    prod = (TB + 13)'(t) * (TB + 13)'(13'd4096 - 13'(d));
    s    = (TB + 2)'(prod >> 12) + (flag ? (TB + 2)'(a) : '0);
    trace_next = (s > (TB + 2)'({TB{1'b1}})) ? {TB{1'b1}} : s[TB-1:0];
  endfunction

  logic in_n, in_a;
  assign in_n    = 32'(tj) < 32'(n_used);
  assign in_a    = 32'(tj) < 32'(ax_used);
  assign y_we    = act && es == S_TRACE && in_n;
  assign x_we    = act && es == S_TRACE && in_a;
  assign y_wdata = trace_next(y_rdata, d_minus, spk_rdata, a_minus);
  assign x_wdata = trace_next(x_rdata, d_plus, arr_rdata, a_plus);
  assign trace_n = {1'b0, y_we} + {1'b0, x_we};

  // ---- transitions ---------------------------------------------------------------------------
  logic last_spike;
  assign last_spike = (j + 1'b1) >= tr_count;

  always_ff @(posedge clk) begin
    if (rst) begin
      st     <= S_DONE;
      j      <= '0;
      e      <= '0;
      e_end  <= '0;
      tj     <= '0;
      h_word <= '0;
      h_lane <= '0;
      h_w    <= '0;
    end else if (start) begin
      st <= en ? S_WAIT : S_DONE;
      j  <= '0;
      tj <= '0;
    end else if (act) begin
      st <= es;                        // from WAIT the LE continues as the state it acted as
      case (es)
        S_POST: begin
          if (rev_len != '0) begin
            st    <= S_RD;
            e     <= (RAB + 1)'(rev_base);
            e_end <= (RAB + 1)'(rev_base) + (RAB + 1)'(rev_len);
          end else if (last_spike) begin
            st <= S_TRACE;
          end else begin
            st <= S_POST;
            j  <= j + 1'b1;
          end
        end
        S_RD: begin
          st     <= S_WR;
          h_word <= e_word;
          h_lane <= e_lane;
          h_w    <= pot_w;
        end
        S_WR: begin
          if (e + 1'b1 < e_end) begin
            st <= S_RD;
            e  <= e + 1'b1;
          end else if (last_spike) begin
            st <= S_TRACE;
          end else begin
            st <= S_POST;
            j  <= j + 1'b1;
          end
        end
        S_TRACE: begin
          if (tj + 1'b1 >= t_len) st <= S_DONE;
          else                    tj <= tj + 1'b1;
        end
        default: st <= S_DONE;
      endcase
    end
  end

  // the pre-synaptic trace of the entry's axon is read by nc_core at e_axon
  logic unused_axon;
  assign unused_axon = ^e_axon;
endmodule
