// nc_nu: the neuron-update engine (NU) of one core (docs/microarchitecture.md §5, §5.1, §7).
//
// States DONE, UPDATE(i), PUSH(i, j), SCAN(w) (`state`: 0, 1, 2, 3 — the encoding the host reads
// in NC_CORE_STATE bits 1:0). The edge with `start` high puts the NU in UPDATE(0) (dense) or
// SCAN(0) (EVENT), or in DONE if no neuron is placed (n_used = 0); nothing else leaves DONE.
//   UPDATE(i): one cycle. Neuron i's state, its profile and acc[cur][i] go through nc_neuron;
//     the result is written back and acc[cur][i] cleared (write requests, `upd`). A spike is
//     recorded in the spike trace (slot tr_count, then tr_count + 1), with its payload. If i
//     spikes and has k > 0 fan-out entries -> PUSH(i, 0); else the next neuron: dense
//     UPDATE(i+1), or DONE after neuron n_used-1; event: the next pending neuron (below).
//   PUSH(i, j): if the router's L input FIFO is not full at the start of the cycle, push
//     fan-out entry j of neuron i (base + j) with the spike's payload on top (PAYLOAD_BITS > 0),
//     then PUSH(i, j+1), or after entry k-1 the next neuron; if it is full, stall (no state
//     change) and retry in the next cycle.
//   SCAN(w) (EVENT only): read word w of the pending bitmap pend[cur] (SCAN_BITS neurons, those
//     >= n_used masked off) and clear it (`scan_clear`); keep its set bits in m. Then the next
//     pending neuron. In UPDATE, an update that is not quiet (input, a state change or a spike)
//     sets pend[nxt][i] (`pend_set`).
//   Next pending neuron (EVENT): UPDATE(lowest set bit of m) (removed from m) if m != 0, else
//     SCAN(w+1), or DONE after the last word (w = ceil(n_used / SCAN_BITS) - 1).
//
// The memories are nc_core's register files. The NU drives read addresses and gets the
// registered (start-of-cycle) contents back combinationally in the same cycle; its write
// requests land in nc_core at the clock edge that ends the cycle. The NU does not know which
// accumulator bank (or pending bank) is `cur`: nc_core reads and clears acc[cur][n_addr] and
// pend[cur] word scan_addr, and sets pend[nxt][n_addr].
//
// Parameters (names and meaning as in nc_core / nc_chip)
//   STATE_BITS        signed u, v, bias, vth, v_reset (nc_neuron: 4..32)
//   ACC_BITS          signed accumulator entry, the update's input current (nc_neuron: 4..32)
//   REF_BITS          refractory counter (nc_neuron: 1..8)
//   FLIT_BITS         router flit = fan-out entry (FLIT_BITS - PAYLOAD_BITS bits) + payload
//   NEURON_BITS       neuron index (n_used has one bit more: it counts up to 2^NEURON_BITS)
//   PROFILE_BITS      profile index
//   FANOUT_ADDR_BITS  fan-out table address
//   FANOUT_LEN_BITS   fan-out count of a neuron entry
//   CNT_BITS          cycle stamp of a trace entry
//   PAYLOAD_BITS      spike payload (0: binary chip, no graded datapath or payload register)
//   EVENT             1: event-driven walk (SCAN states, pending bits), 0: dense walk
//   SCAN_BITS         pending-bitmap bits per SCAN cycle (a power of two, 1..64)
//
// Ports
//   start, n_used, cycle              timestep start (nc_ctrl), neurons placed, current cycle
//   n_addr -> n_*                     neuron memories read at the neuron of UPDATE/PUSH, incl. acc[cur]
//   p_addr -> p_*                     profile memories read at that neuron's profile (p_addr = n_prof)
//   fo_addr -> fo_flit                fan-out table read at the entry PUSH(i, j) pushes
//   scan_addr -> scan_word            pending bitmap pend[cur], word of SCAN(w) (EVENT)
//   upd, u_next, v_next, ref_next     write request: UPDATE cycle -> state of neuron n_addr written
//                                     back and acc[cur][n_addr] cleared
//   pend_set, scan_clear              write requests (EVENT): pend[nxt][n_addr] <= 1; pend[cur]
//                                     word scan_addr <= 0
//   spike, tr_addr/neuron/cycle/payload  write request: a spike in an UPDATE cycle -> trace slot
//                                     tr_addr <= {n_addr, cycle, payload}; also the `spikes` event
//   out_push/out_flit/out_full        router L input FIFO (out_full: registered, start of cycle)
//   state, done, upd_active, stall, scan, tr_count   status: FSM state, DONE, an UPDATE that
//                                     changes the neuron's state, a PUSH cycle stalled, a SCAN
//                                     cycle, spikes recorded
module nc_nu #(
  parameter int STATE_BITS       = 12,
  parameter int ACC_BITS         = 14,
  parameter int REF_BITS         = 3,
  parameter int FLIT_BITS        = 7,
  parameter int NEURON_BITS      = 4,
  parameter int PROFILE_BITS     = 2,
  parameter int FANOUT_ADDR_BITS = 6,
  parameter int FANOUT_LEN_BITS  = 7,
  parameter int CNT_BITS         = 48,
  parameter int PAYLOAD_BITS     = 0,
  parameter int EVENT            = 0,
  parameter int SCAN_BITS        = 32
) (
  input  logic                        clk,
  input  logic                        rst,
  input  logic                        start,
  input  logic [NEURON_BITS:0]        n_used,
  input  logic [CNT_BITS-1:0]         cycle,
  // neuron memories at n_addr
  output logic [NEURON_BITS-1:0]      n_addr,
  input  logic [PROFILE_BITS-1:0]     n_prof,
  input  logic [FANOUT_ADDR_BITS-1:0] n_fo_base,
  input  logic [FANOUT_LEN_BITS-1:0]  n_fo_len,
  input  logic signed [STATE_BITS-1:0] n_u,
  input  logic signed [STATE_BITS-1:0] n_v,
  input  logic [REF_BITS-1:0]         n_ref,
  input  logic signed [ACC_BITS-1:0]  n_acc,
  // profile memories at p_addr
  output logic [PROFILE_BITS-1:0]     p_addr,
  input  logic [11:0]                 p_du,
  input  logic [11:0]                 p_dv,
  input  logic signed [STATE_BITS-1:0] p_bias,
  input  logic signed [STATE_BITS-1:0] p_vth,
  input  logic signed [STATE_BITS-1:0] p_vreset,
  input  logic [REF_BITS-1:0]         p_ref,
  input  logic [2:0]                  p_wexp,
  input  logic                        p_graded,
  // fan-out table at fo_addr (routes: the flit without its payload)
  output logic [FANOUT_ADDR_BITS-1:0] fo_addr,
  input  logic [FLIT_BITS-PAYLOAD_BITS-1:0] fo_flit,
  // pending bitmap pend[cur] (EVENT)
  output logic [((((1 << NEURON_BITS) + SCAN_BITS - 1) / SCAN_BITS > 1)
                 ? $clog2(((1 << NEURON_BITS) + SCAN_BITS - 1) / SCAN_BITS) : 1)-1:0] scan_addr,
  input  logic [SCAN_BITS-1:0]        scan_word,
  // write requests
  output logic                        upd,
  output logic signed [STATE_BITS-1:0] u_next,
  output logic signed [STATE_BITS-1:0] v_next,
  output logic [REF_BITS-1:0]         ref_next,
  output logic                        pend_set,
  output logic                        scan_clear,
  output logic                        spike,
  output logic [NEURON_BITS-1:0]      tr_addr,
  output logic [NEURON_BITS-1:0]      tr_neuron,
  output logic [CNT_BITS-1:0]         tr_cycle,
  output logic [((PAYLOAD_BITS > 0) ? PAYLOAD_BITS : 1)-1:0] tr_payload,
  // router L input FIFO
  output logic                        out_push,
  output logic [FLIT_BITS-1:0]        out_flit,
  input  logic                        out_full,
  // status
  output logic [1:0]                  state,
  output logic                        done,
  output logic                        upd_active,
  output logic                        stall,
  output logic                        scan,
  output logic [NEURON_BITS:0]        tr_count
);
  localparam int NB  = NEURON_BITS;
  localparam int PW  = (PAYLOAD_BITS > 0) ? PAYLOAD_BITS : 1;
  localparam int RB  = FLIT_BITS - PAYLOAD_BITS;                        // route (fan-out entry) bits
  localparam int NWM = ((1 << NB) + SCAN_BITS - 1) / SCAN_BITS;         // most pending words
  localparam int WB  = (NWM > 1) ? $clog2(NWM) : 1;                     // word index width
  localparam int LB  = (SCAN_BITS > 1) ? $clog2(SCAN_BITS) : 1;         // bit index width

  // ---- elaboration checks (nc_neuron checks STATE_BITS, ACC_BITS, REF_BITS, PAYLOAD_BITS) ----
  if (NB < 1 || NB > 16 || PROFILE_BITS < 1 || FLIT_BITS < 1) begin : g_bad_widths
    $fatal(1, "nc_nu: NEURON_BITS=%0d must be 1..16; PROFILE_BITS, FLIT_BITS >= 1", NB);
  end
  if (FANOUT_ADDR_BITS < 1 || FANOUT_LEN_BITS < 1 || CNT_BITS < 1 || CNT_BITS > 64) begin : g_bad_fanout
    $fatal(1, "nc_nu: FANOUT_ADDR_BITS=%0d, FANOUT_LEN_BITS=%0d must be >= 1, CNT_BITS=%0d 1..64",
           FANOUT_ADDR_BITS, FANOUT_LEN_BITS, CNT_BITS);
  end
  if (RB < 1 || EVENT < 0 || EVENT > 1 || SCAN_BITS < 1 || SCAN_BITS > 64 || (SCAN_BITS & (SCAN_BITS - 1)) != 0)
  begin : g_bad_event
    $fatal(1, "nc_nu: PAYLOAD_BITS=%0d leaves no route bits of FLIT_BITS=%0d, or EVENT=%0d / SCAN_BITS=%0d (a power of two 1..64) out of range",
           PAYLOAD_BITS, FLIT_BITS, EVENT, SCAN_BITS);
  end

  // ---- state ---------------------------------------------------------------------------------
  localparam logic [1:0] NU_DONE = 2'd0, NU_UPDATE = 2'd1, NU_PUSH = 2'd2, NU_SCAN = 2'd3;
  logic [NB-1:0]               i;       // neuron of UPDATE(i) / PUSH(i, j)
  logic [FANOUT_ADDR_BITS-1:0] ptr;     // fan-out entry of PUSH(i, j): base + j
  logic [FANOUT_LEN_BITS-1:0]  rem;     // entries left, current one included
  logic [PW-1:0]               q;       // payload of the spike being pushed
  logic                        last;    // i is the last placed neuron
  logic                        fires, active, quiet;
  logic [PW-1:0]               payload;

  assign last    = ({1'b0, i} + 1'b1) == n_used;
  assign upd     = state == NU_UPDATE;
  assign done    = state == NU_DONE;
  assign scan    = state == NU_SCAN;
  assign n_addr  = i;
  assign p_addr  = n_prof;
  assign fo_addr = ptr;

  nc_neuron #(.STATE_BITS(STATE_BITS), .ACC_BITS(ACC_BITS), .REF_BITS(REF_BITS), .PAYLOAD_BITS(PAYLOAD_BITS))
  u_neuron (
    .u(n_u), .v(n_v), .ref_cnt(n_ref), .i_in(n_acc),
    .du(p_du), .dv(p_dv), .bias(p_bias), .vth(p_vth), .v_reset(p_vreset),
    .refractory(p_ref), .w_exp(p_wexp), .graded(p_graded),
    .u_next, .v_next, .ref_next, .spike(fires), .payload, .active, .quiet
  );

  assign spike      = upd && fires;
  assign upd_active = upd && active;
  assign out_push   = state == NU_PUSH && !out_full;
  assign stall      = state == NU_PUSH && out_full;
  assign tr_addr    = tr_count[NB-1:0];
  assign tr_neuron  = i;
  assign tr_cycle   = cycle;
  assign tr_payload = payload;

  if (PAYLOAD_BITS > 0) begin : g_payload
    assign out_flit = {q, fo_flit};
  end else begin : g_no_payload
    assign out_flit = fo_flit;
    logic unused_q;
    assign unused_q = ^q;
  end

  // ---- the event-driven walk: word w of the pending bitmap, its unvisited pending bits m ----
  logic [WB-1:0]        w;
  logic [SCAN_BITS-1:0] m, word_m, cand;
  logic                 last_word;
  logic [LB-1:0]        low;          // lowest set bit of cand
  logic [NB-1:0]        i_low;        // its neuron index w * SCAN_BITS + low

  function automatic logic [LB-1:0] lowest(input logic [SCAN_BITS-1:0] x);
    lowest = '0;
    for (int b = SCAN_BITS - 1; b >= 0; b--) if (x[b]) lowest = LB'(b);
  endfunction

  always_comb begin
    for (int b = 0; b < SCAN_BITS; b++)
      word_m[b] = scan_word[b] && (32'(w) * 32'(SCAN_BITS) + 32'(b) < 32'(n_used));
    cand      = (state == NU_SCAN) ? word_m : m;
    low       = lowest(cand);
    i_low     = NB'(32'(w) * 32'(SCAN_BITS) + 32'(low));
    last_word = (32'(w) + 32'd1) * 32'(SCAN_BITS) >= 32'(n_used);
  end

  assign scan_addr  = w;
  assign scan_clear = EVENT != 0 && state == NU_SCAN;
  assign pend_set   = EVENT != 0 && upd && !quiet;

  // after an UPDATE without pushes, the last PUSH, or a SCAN: the next pending neuron (EVENT)
  logic                 ev_next_upd;
  assign ev_next_upd = cand != '0;

  always_ff @(posedge clk) begin
    if (rst) begin
      state <= NU_DONE;
      i     <= '0;
      ptr   <= '0;
      rem   <= '0;
      q     <= '0;
      w     <= '0;
      m     <= '0;
    end else if (start) begin
      state <= (n_used == '0) ? NU_DONE : ((EVENT != 0) ? NU_SCAN : NU_UPDATE);
      i     <= '0;
      w     <= '0;
      m     <= '0;
    end else if (EVENT == 0) begin
      case (state)
        NU_UPDATE: begin
          if (fires && n_fo_len != '0) begin
            state <= NU_PUSH;
            ptr   <= n_fo_base;
            rem   <= n_fo_len;
            q     <= payload;
          end else if (last) begin
            state <= NU_DONE;
          end else begin
            i <= i + 1'b1;
          end
        end
        NU_PUSH: begin
          if (!out_full) begin
            if (rem == FANOUT_LEN_BITS'(1)) begin
              state <= last ? NU_DONE : NU_UPDATE;
              if (!last) i <= i + 1'b1;
            end else begin
              rem <= rem - 1'b1;
              ptr <= ptr + 1'b1;
            end
          end
        end
        default: ;
      endcase
    end else begin
      // event-driven: UPDATE/last PUSH/SCAN continue with the next pending neuron
      if ((state == NU_UPDATE && !(fires && n_fo_len != '0)) || state == NU_SCAN
          || (state == NU_PUSH && !out_full && rem == FANOUT_LEN_BITS'(1))) begin
        if (ev_next_upd) begin
          state <= NU_UPDATE;
          i     <= i_low;
          m     <= cand & (cand - 1'b1);      // drop the lowest set bit
        end else if (last_word) begin
          state <= NU_DONE;
        end else begin
          state <= NU_SCAN;
          w     <= w + 1'b1;
          m     <= '0;
        end
      end else if (state == NU_UPDATE) begin  // spikes with fan-out entries
        state <= NU_PUSH;
        ptr   <= n_fo_base;
        rem   <= n_fo_len;
        q     <= payload;
      end else if (state == NU_PUSH && !out_full) begin
        rem <= rem - 1'b1;
        ptr <= ptr + 1'b1;
      end
    end
  end

  // spikes recorded in the trace this timestep (= the next free trace slot)
  always_ff @(posedge clk) begin
    if (rst)        tr_count <= '0;
    else if (start) tr_count <= '0;
    else if (spike) tr_count <= tr_count + 1'b1;
  end

  // a dense NU has no pending bitmap; a binary one no payload
  logic unused_ev;
  assign unused_ev = ^{scan_word, last_word, i_low, ev_next_upd} ^ (PAYLOAD_BITS > 0 ? 1'b0 : ^payload);
endmodule
