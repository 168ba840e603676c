// nc_nu: the neuron-update engine (NU) of one core (docs/microarchitecture.md §5, §7).
//
// States DONE, UPDATE(i), PUSH(i, j) (`state`: 0, 1, 2 — the encoding the host reads in
// NC_CORE_STATE bits 1:0). The edge with `start` high puts the NU in UPDATE(0), or in DONE if
// no neuron is placed (n_used = 0); nothing else leaves DONE.
//   UPDATE(i): one cycle. Neuron i's state, its profile and acc[cur][i] go through nc_neuron;
//     the result is written back and acc[cur][i] cleared (write requests, `upd`). A spike is
//     recorded in the spike trace (slot tr_count, then tr_count + 1). If i spikes and has k > 0
//     fan-out entries -> PUSH(i, 0); else UPDATE(i+1), or DONE after neuron n_used-1.
//   PUSH(i, j): if the router's L input FIFO is not full at the start of the cycle, push
//     fan-out entry j of neuron i (base + j), then PUSH(i, j+1), or after entry k-1 UPDATE(i+1)
//     / DONE; if it is full, stall (no state change) and retry in the next cycle.
//
// The memories are nc_core's register files. The NU drives read addresses and gets the
// registered (start-of-cycle) contents back combinationally in the same cycle; its write
// requests land in nc_core at the clock edge that ends the cycle. The NU does not know which
// accumulator bank is `cur`: nc_core reads and clears acc[cur][n_addr].
//
// Parameters (names and meaning as in nc_core / nc_chip)
//   STATE_BITS        signed u, v, bias, vth, v_reset (nc_neuron: 4..32)
//   ACC_BITS          signed accumulator entry, the update's input current (nc_neuron: 4..32)
//   REF_BITS          refractory counter (nc_neuron: 1..8)
//   FLIT_BITS         fan-out table entry = router flit
//   NEURON_BITS       neuron index (n_used has one bit more: it counts up to 2^NEURON_BITS)
//   PROFILE_BITS      profile index
//   FANOUT_ADDR_BITS  fan-out table address
//   FANOUT_LEN_BITS   fan-out count of a neuron entry
//   CNT_BITS          cycle stamp of a trace entry
//
// Ports
//   start, n_used, cycle              timestep start (nc_ctrl), neurons placed, current cycle
//   n_addr -> n_*                     neuron memories read at the neuron of UPDATE/PUSH, incl. acc[cur]
//   p_addr -> p_*                     profile memories read at that neuron's profile (p_addr = n_prof)
//   fo_addr -> fo_flit                fan-out table read at the entry PUSH(i, j) pushes
//   upd, u_next, v_next, ref_next     write request: UPDATE cycle -> state of neuron n_addr written
//                                     back and acc[cur][n_addr] cleared
//   spike, tr_addr/neuron/cycle       write request: a spike in an UPDATE cycle -> trace slot tr_addr
//                                     <= {n_addr, cycle}; also the `spikes` event
//   out_push/out_flit/out_full        router L input FIFO (out_full: registered, start of cycle)
//   state, done, upd_active, stall, tr_count   status: FSM state, DONE, an UPDATE that changes
//                                     the neuron's state, a PUSH cycle stalled, spikes recorded
module nc_nu #(
  parameter int STATE_BITS       = 12,
  parameter int ACC_BITS         = 14,
  parameter int REF_BITS         = 3,
  parameter int FLIT_BITS        = 7,
  parameter int NEURON_BITS      = 4,
  parameter int PROFILE_BITS     = 2,
  parameter int FANOUT_ADDR_BITS = 6,
  parameter int FANOUT_LEN_BITS  = 7,
  parameter int CNT_BITS         = 48
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
  // fan-out table at fo_addr
  output logic [FANOUT_ADDR_BITS-1:0] fo_addr,
  input  logic [FLIT_BITS-1:0]        fo_flit,
  // write requests
  output logic                        upd,
  output logic signed [STATE_BITS-1:0] u_next,
  output logic signed [STATE_BITS-1:0] v_next,
  output logic [REF_BITS-1:0]         ref_next,
  output logic                        spike,
  output logic [NEURON_BITS-1:0]      tr_addr,
  output logic [NEURON_BITS-1:0]      tr_neuron,
  output logic [CNT_BITS-1:0]         tr_cycle,
  // router L input FIFO
  output logic                        out_push,
  output logic [FLIT_BITS-1:0]        out_flit,
  input  logic                        out_full,
  // status
  output logic [1:0]                  state,
  output logic                        done,
  output logic                        upd_active,
  output logic                        stall,
  output logic [NEURON_BITS:0]        tr_count
);
  localparam int NB = NEURON_BITS;

  // ---- elaboration checks (nc_neuron checks STATE_BITS, ACC_BITS, REF_BITS) ------------------
  if (NB < 1 || NB > 16 || PROFILE_BITS < 1 || FLIT_BITS < 1) begin : g_bad_widths
    $fatal(1, "nc_nu: NEURON_BITS=%0d must be 1..16; PROFILE_BITS, FLIT_BITS >= 1", NB);
  end
  if (FANOUT_ADDR_BITS < 1 || FANOUT_LEN_BITS < 1 || CNT_BITS < 1 || CNT_BITS > 64) begin : g_bad_fanout
    $fatal(1, "nc_nu: FANOUT_ADDR_BITS=%0d, FANOUT_LEN_BITS=%0d must be >= 1, CNT_BITS=%0d 1..64",
           FANOUT_ADDR_BITS, FANOUT_LEN_BITS, CNT_BITS);
  end

  // ---- state ---------------------------------------------------------------------------------
  localparam logic [1:0] NU_DONE = 2'd0, NU_UPDATE = 2'd1, NU_PUSH = 2'd2;
  logic [NB-1:0]               i;       // neuron of UPDATE(i) / PUSH(i, j)
  logic [FANOUT_ADDR_BITS-1:0] ptr;     // fan-out entry of PUSH(i, j): base + j
  logic [FANOUT_LEN_BITS-1:0]  rem;     // entries left, current one included
  logic                        last;    // i is the last placed neuron
  logic                        fires, active;

  assign last    = ({1'b0, i} + 1'b1) == n_used;
  assign upd     = state == NU_UPDATE;
  assign done    = state == NU_DONE;
  assign n_addr  = i;
  assign p_addr  = n_prof;
  assign fo_addr = ptr;

  nc_neuron #(.STATE_BITS(STATE_BITS), .ACC_BITS(ACC_BITS), .REF_BITS(REF_BITS)) u_neuron (
    .u(n_u), .v(n_v), .ref_cnt(n_ref), .i_in(n_acc),
    .du(p_du), .dv(p_dv), .bias(p_bias), .vth(p_vth), .v_reset(p_vreset),
    .refractory(p_ref), .w_exp(p_wexp),
    .u_next, .v_next, .ref_next, .spike(fires), .active
  );

  assign spike      = upd && fires;
  assign upd_active = upd && active;
  assign out_push   = state == NU_PUSH && !out_full;
  assign out_flit   = fo_flit;
  assign stall      = state == NU_PUSH && out_full;
  assign tr_addr    = tr_count[NB-1:0];
  assign tr_neuron  = i;
  assign tr_cycle   = cycle;

  always_ff @(posedge clk) begin
    if (rst) begin
      state <= NU_DONE;
      i     <= '0;
      ptr   <= '0;
      rem   <= '0;
    end else if (start) begin
      state <= (n_used == '0) ? NU_DONE : NU_UPDATE;
      i     <= '0;
    end else begin
      case (state)
        NU_UPDATE: begin
          if (fires && n_fo_len != '0) begin
            state <= NU_PUSH;
            ptr   <= n_fo_base;
            rem   <= n_fo_len;
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
    end
  end

  // spikes recorded in the trace this timestep (= the next free trace slot)
  always_ff @(posedge clk) begin
    if (rst)        tr_count <= '0;
    else if (start) tr_count <= '0;
    else if (spike) tr_count <= tr_count + 1'b1;
  end
endmodule
