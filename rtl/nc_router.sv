// nc_router: five-port mesh router (docs/microarchitecture.md §4).
//
// Ports, also the arbitration order: 0 = L (core), 1 = N, 2 = E, 3 = S, 4 = W.
// One input FIFO per port (depth FIFO_DEPTH). XY dimension-order routing: dst_x first
// (E if greater, W if smaller), then dst_y (S if greater, N if smaller), else L.
// One round-robin arbiter per output: pointer last[o] = most recent winner, reset to 4 (W),
// inputs examined in order last+1, last+2, ... (mod 5). An output grants only if its
// downstream FIFO is not full at the start of the cycle (`out_full`); a granted head is
// popped and pushed downstream in the same cycle (visible there from the next cycle).
// All decisions use start-of-cycle (registered) state only.
//
// The tile coordinates are input ports (tied to constants by nc_chip) rather than parameters,
// so every router of a mesh is the same module: Verilator compiles it once, Yosys reports one
// router, and synthesis propagates the constants.
//
// Parameters
//   X_BITS, Y_BITS  flit coordinate widths;  AXON_BITS  flit axon width
//   FLIT_BITS       the sum of the flit fields (layout: nc_defs.svh NC_FLIT_*, from hw/_layout.py)
//   PAYLOAD_BITS    the flit's payload field (graded spikes; 0 on a binary chip): carried, not read
//   FIFO_DEPTH      input FIFO depth (router.fifo_depth)
//   CNT_BITS        event counter width
//
// Test builds only: +define+NC_BUG_E_BUBBLE=1 injects a timing bug (docs/vectors.md) — output E
// cannot grant in the cycle after a grant, as if its push were registered. Flits and spikes stay
// the same, cycles do not; the golden-vector scoreboard must catch it (tests/rtl/test_rtl_vectors.py).
`include "nc_defs.svh"
module nc_router #(
  parameter int X_BITS     = 1,
  parameter int Y_BITS     = 1,
  parameter int AXON_BITS  = 5,
  parameter int FLIT_BITS  = 7,
  parameter int FIFO_DEPTH = 2,
  parameter int CNT_BITS   = 48,
  parameter int OCC_BITS   = 7,
  parameter int PAYLOAD_BITS = 0
) (
  input  logic                      clk,
  input  logic                      rst,
  input  logic [X_BITS-1:0]         my_x,        // this tile's column (constant)
  input  logic [Y_BITS-1:0]         my_y,        // this tile's row (constant)
  // input side: writers push into this router's input FIFOs
  input  logic [4:0]                in_push,
  input  logic [4:0][FLIT_BITS-1:0] in_flit,
  output logic [4:0]                in_full,     // start-of-cycle: no push allowed
  // output side: pushes into the downstream FIFO of each output
  output logic [4:0]                out_push,
  output logic [4:0][FLIT_BITS-1:0] out_flit,
  input  logic [4:0]                out_full,    // downstream FIFO full at start of cycle
  output logic                      empty,       // all five input FIFOs empty
  // event counters (readable through the host bus, see nc_tile): the router counter bank,
  // indexed by NC_RC_* (neurocycle.hw._layout, ROUTER_COUNTERS order)
  output logic [`NC_RC_COUNT-1:0][CNT_BITS-1:0] cnt,
  output logic [4:0][CNT_BITS-1:0]  cnt_port_flits,
  output logic [4:0][CNT_BITS-1:0]  cnt_port_blocked,
  output logic [4:0][OCC_BITS-1:0]  fifo_max,
  output logic [4:0][OCC_BITS-1:0]  fifo_count
);
  if (FLIT_BITS != `NC_FLIT_WIDTH) begin : g_bad_flit
    $fatal(1, "nc_router: FLIT_BITS=%0d is not the sum of the flit field widths (%0d)", FLIT_BITS, `NC_FLIT_WIDTH);
  end

  // ---- input FIFOs ------------------------------------------------------------------------
  logic [4:0]                in_empty;
  logic [4:0][FLIT_BITS-1:0] head;
  logic [4:0]                pop;

  for (genvar p = 0; p < 5; p++) begin : g_in
    nc_fifo #(.DEPTH(FIFO_DEPTH), .WIDTH(FLIT_BITS), .CW(OCC_BITS)) u_fifo (
      .clk, .rst,
      .push(in_push[p]), .push_data(in_flit[p]), .pop(pop[p]),
      .head(head[p]), .empty(in_empty[p]), .full(in_full[p]),
      .count(fifo_count[p]), .max_count(fifo_max[p])
    );
  end
  assign empty = &in_empty;

  // ---- XY routing of each head flit ---------------------------------------------------------
  logic [4:0][2:0] route;     // output port requested by input p's head
  for (genvar p = 0; p < 5; p++) begin : g_route
    logic [X_BITS-1:0] dx;
    logic [Y_BITS-1:0] dy;
    assign dx = `NC_FLIT_DST_X(head[p]);
    assign dy = `NC_FLIT_DST_Y(head[p]);
    always_comb begin
      if      (dx > my_x) route[p] = 3'(`NC_PORT_E);
      else if (dx < my_x) route[p] = 3'(`NC_PORT_W);
      else if (dy > my_y) route[p] = 3'(`NC_PORT_S);
      else if (dy < my_y) route[p] = 3'(`NC_PORT_N);
      else                route[p] = 3'(`NC_PORT_L);
    end
  end

  // ---- round-robin arbitration per output ---------------------------------------------------
  logic [4:0][2:0] last;       // most recent winner of each output
  logic [4:0]      gnt_valid;
  logic [4:0][2:0] gnt_in;

  logic [4:0] hold;           // outputs that may not grant this cycle: none, but in a bug-injected test build
`ifdef NC_BUG_E_BUBBLE
  always_ff @(posedge clk) begin
    if (rst) hold <= '0;
    else begin
      hold <= '0;
      hold[`NC_PORT_E] <= gnt_valid[`NC_PORT_E];
    end
  end
`else
  assign hold = '0;
`endif

  logic [3:0] cand;
  always_comb begin
    cand = '0;
    for (int o = 0; o < 5; o++) begin
      gnt_valid[o] = 1'b0;
      gnt_in[o]    = 3'd0;
      if (!out_full[o] && !hold[o]) begin
        for (int k = 1; k <= 5; k++) begin
          cand = 4'(last[o]) + 4'(k);
          if (cand >= 4'd5) cand = cand - 4'd5;
          if (!gnt_valid[o] && !in_empty[cand[2:0]] && route[cand[2:0]] == 3'(o)) begin
            gnt_valid[o] = 1'b1;
            gnt_in[o]    = cand[2:0];
          end
        end
      end
    end
  end

  always_comb begin
    pop = '0;
    for (int o = 0; o < 5; o++) begin
      out_push[o] = gnt_valid[o];
      out_flit[o] = head[gnt_in[o]];
      if (gnt_valid[o]) pop[gnt_in[o]] = 1'b1;
    end
  end

  // an input is blocked in a cycle if it holds a head flit that was not granted
  logic [4:0] blocked;
  assign blocked = ~in_empty & ~pop;

  always_ff @(posedge clk) begin
    if (rst) begin
      for (int o = 0; o < 5; o++) last[o] <= 3'd4;
    end else begin
      for (int o = 0; o < 5; o++) if (gnt_valid[o]) last[o] <= gnt_in[o];
    end
  end

  // ---- event counters -----------------------------------------------------------------------
  function automatic logic [2:0] popcount5(input logic [4:0] b);
    popcount5 = 3'(b[0]) + 3'(b[1]) + 3'(b[2]) + 3'(b[3]) + 3'(b[4]);
  endfunction

  always_ff @(posedge clk) begin
    if (rst) begin
      cnt              <= '0;
      cnt_port_flits   <= '0;
      cnt_port_blocked <= '0;
    end else begin
      cnt[`NC_RC_ROUTER_FLITS]          <= cnt[`NC_RC_ROUTER_FLITS] + CNT_BITS'(popcount5(gnt_valid));
      cnt[`NC_RC_LINK_FLITS]            <= cnt[`NC_RC_LINK_FLITS] + CNT_BITS'(popcount5({gnt_valid[4:1], 1'b0}));
      cnt[`NC_RC_ROUTER_BLOCKED_CYCLES] <= cnt[`NC_RC_ROUTER_BLOCKED_CYCLES] + CNT_BITS'(popcount5(blocked));
      cnt[`NC_RC_LINK_FLITS_EW]         <= cnt[`NC_RC_LINK_FLITS_EW]
                                           + CNT_BITS'(gnt_valid[`NC_PORT_E]) + CNT_BITS'(gnt_valid[`NC_PORT_W]);
      cnt[`NC_RC_LINK_FLITS_NS]         <= cnt[`NC_RC_LINK_FLITS_NS]
                                           + CNT_BITS'(gnt_valid[`NC_PORT_N]) + CNT_BITS'(gnt_valid[`NC_PORT_S]);
      // a flit of the tile's own core delivered back into it: output L granted to input L
      cnt[`NC_RC_LOCAL_FLITS]           <= cnt[`NC_RC_LOCAL_FLITS]
                                           + CNT_BITS'(gnt_valid[`NC_PORT_L] && gnt_in[`NC_PORT_L] == 3'(`NC_PORT_L));
      for (int p = 0; p < 5; p++) begin
        cnt_port_flits[p]   <= cnt_port_flits[p] + CNT_BITS'(gnt_valid[p]);
        cnt_port_blocked[p] <= cnt_port_blocked[p] + CNT_BITS'(blocked[p]);
      end
    end
  end
endmodule
