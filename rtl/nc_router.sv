// nc_router: mesh router with P = CORES + 4 ports (docs/microarchitecture.md §4).
//
// Ports, also the arbitration order: 0 = L (local core 0), 1 = N, 2 = E, 3 = S, 4 = W, then
// 4 + j = local port of core j for j = 1 .. CORES-1. One input FIFO per port (depth FIFO_DEPTH).
//
// Route of a head flit (a set of output ports):
//  * unicast (XY, dimension order) on the core column cx = dst_x (x * CORES + local core):
//    E if cx >= (my_x+1)*CORES, W if cx < my_x*CORES, else S/N by dst_y, else the local port of
//    core cx - my_x*CORES;
//  * multicast (MC_BITS = 1 and the flit's mc bit set): the outputs of the valid table entry
//    whose key equals the flit without its mc bit (the lowest such entry), else the default
//    route: straight through (N -> S, S -> N, E -> W, W -> E), nothing from a local port.
// Each input keeps `done`: the outputs that already received a copy of its head. An input
// requests route & ~done. One round-robin arbiter per output: pointer last[o] = most recent
// winner, reset to P-1, inputs examined in order last+1, last+2, ... (mod P); an output grants
// only if its downstream FIFO is not full at the start of the cycle (`out_full`), and pushes a
// copy of the winner's head downstream. An input's head is popped when every output it still
// requests is granted in the cycle (a partial grant adds the granted outputs to `done`).
// All decisions use start-of-cycle (registered) state only.
//
// The tile coordinates are input ports (tied to constants by nc_chip) rather than parameters,
// so every router of a mesh is the same module: Verilator compiles it once, Yosys reports one
// router, and synthesis propagates the constants.
//
// Parameters
//   X_BITS, Y_BITS  flit coordinate widths;  AXON_BITS  flit axon width;  MC_BITS  flit mc width
//   FLIT_BITS       the sum of the flit fields (layout: nc_defs.svh NC_FLIT_*, from hw/_layout.py)
//   CORES           cores per router (local ports), 1..4
//   MC_ENTRIES      multicast table entries (used when MC_BITS = 1)
//   PAYLOAD_BITS    the flit's payload field (graded spikes; 0 on a binary chip): carried, not read
//   FIFO_DEPTH      input FIFO depth (router.fifo_depth)
//   LINK_PORTS      bit p-1 set: mesh input p (1..4 = N, E, S, W) is fed by a chip-to-chip link
//                   (an edge router of a chip in a system, docs/microarchitecture.md §12.2)
//   LINK_DEPTH      depth of those inputs' FIFOs: the link's receive buffer (link_buffer_flits)
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
  parameter int MC_BITS    = 0,
  parameter int FLIT_BITS  = 7,
  parameter int CORES      = 1,
  parameter int MC_ENTRIES = 0,
  parameter int FIFO_DEPTH = 2,
  parameter int LINK_PORTS = 0,
  parameter int LINK_DEPTH = 2,
  parameter int CNT_BITS   = 48,
  parameter int OCC_BITS   = 7,
  parameter int PAYLOAD_BITS = 0
) (
  input  logic                        clk,
  input  logic                        rst,
  input  logic [X_BITS-1:0]           my_x,        // this tile's column (constant)
  input  logic [Y_BITS-1:0]           my_y,        // this tile's row (constant)
  // input side: writers push into this router's input FIFOs
  input  logic [CORES+3:0]                in_push,      // CORES + 4 = P ports
  input  logic [CORES+3:0][FLIT_BITS-1:0] in_flit,
  output logic [CORES+3:0]                in_full,      // start-of-cycle: no push allowed
  output logic [CORES+3:0]                in_pop,       // input FIFO p popped its head this cycle
  // output side: pushes into the downstream FIFO of each output
  output logic [CORES+3:0]                out_push,
  output logic [CORES+3:0][FLIT_BITS-1:0] out_flit,
  input  logic [CORES+3:0]                out_full,     // downstream FIFO full at start of cycle
  output logic                        empty,       // all input FIFOs empty
  // multicast table writes (host bus, NC_SEL_MCTABLE): field 0 = key, 1 = {valid@31, outputs}
  input  logic                        tbl_we,
  input  logic [31:0]                 tbl_index,
  input  logic [7:0]                  tbl_field,
  input  logic [31:0]                 tbl_wdata,
  output logic [63:0]                 tbl_rdata,   // read-back at (tbl_index, tbl_field)
  // event counters (readable through the host bus, see nc_tile): the router counter bank,
  // indexed by NC_RC_* (neurocycle.hw._layout, ROUTER_COUNTERS order), and per-port detail
  output logic [`NC_RC_COUNT-1:0][CNT_BITS-1:0] cnt,
  output logic [CORES+3:0][CNT_BITS-1:0]  cnt_port_flits,
  output logic [CORES+3:0][CNT_BITS-1:0]  cnt_port_blocked,
  output logic [CORES+3:0][CNT_BITS-1:0]  cnt_mc_lookups,
  output logic [CORES+3:0][CNT_BITS-1:0]  cnt_mc_default,
  output logic [CORES+3:0][CNT_BITS-1:0]  cnt_mc_partial,
  output logic [CORES+3:0][OCC_BITS-1:0]  fifo_max,
  output logic [CORES+3:0][OCC_BITS-1:0]  fifo_count
);
  localparam int P  = CORES + 4;
  localparam int EB = (MC_ENTRIES > 1) ? $clog2(MC_ENTRIES) : 1;
  localparam int KB = X_BITS + Y_BITS + AXON_BITS;  // key: the route without its mc bit and payload

  if (FLIT_BITS != `NC_FLIT_WIDTH) begin : g_bad_flit
    $fatal(1, "nc_router: FLIT_BITS=%0d is not the sum of the flit field widths (%0d)", FLIT_BITS, `NC_FLIT_WIDTH);
  end
  if (CORES < 1 || CORES > 4) begin : g_bad_cores
    $fatal(1, "nc_router: CORES=%0d must be 1..4", CORES);
  end
  if (MC_BITS != 0 && (MC_BITS != 1 || MC_ENTRIES < 1)) begin : g_bad_mc
    $fatal(1, "nc_router: MC_BITS=%0d / MC_ENTRIES=%0d: multicast needs MC_BITS = 1 and a table", MC_BITS, MC_ENTRIES);
  end
  if (LINK_PORTS < 0 || LINK_PORTS > 15 || LINK_DEPTH < 1 || LINK_DEPTH > 64) begin : g_bad_link
    $fatal(1, "nc_router: LINK_PORTS=%0d must be a 4-bit mask and LINK_DEPTH=%0d in 1..64", LINK_PORTS, LINK_DEPTH);
  end

  // ---- input FIFOs ------------------------------------------------------------------------
  logic [P-1:0]                in_empty;
  logic [P-1:0][FLIT_BITS-1:0] head;
  logic [P-1:0]                pop;

  for (genvar p = 0; p < P; p++) begin : g_in
    // a mesh input fed by a chip-to-chip link has the link's receive buffer as its FIFO
    localparam int DEPTH = (p >= 1 && p <= 4 && ((LINK_PORTS >> (p - 1)) & 1) == 1) ? LINK_DEPTH : FIFO_DEPTH;
    nc_fifo #(.DEPTH(DEPTH), .WIDTH(FLIT_BITS), .CW(OCC_BITS)) u_fifo (
      .clk, .rst,
      .push(in_push[p]), .push_data(in_flit[p]), .pop(pop[p]),
      .head(head[p]), .empty(in_empty[p]), .full(in_full[p]),
      .count(fifo_count[p]), .max_count(fifo_max[p])
    );
  end
  assign empty = &in_empty;

  // ---- multicast table ----------------------------------------------------------------------
  logic [P-1:0][P-1:0] mc_route;   // route of input p's head if it is a multicast flit
  logic [P-1:0]        is_mc;      // input p's head is a multicast flit
  logic [P-1:0]        is_def;     // ... whose key has no table entry here

  if (MC_BITS > 0) begin : g_mc
    logic [MC_ENTRIES-1:0]         tv;
    logic [MC_ENTRIES-1:0][KB-1:0] tk;
    logic [MC_ENTRIES-1:0][P-1:0]  to;
    logic                          in_t;
    logic [EB-1:0]                 te;
    logic                          unused_w;   // the key and output fields use the low bits
    assign in_t = tbl_index < 32'(MC_ENTRIES);
    assign te   = tbl_index[EB-1:0];
    assign unused_w = ^tbl_wdata;
    always_ff @(posedge clk) begin
      // no reset: like an SRAM, the host writes every entry (valid or not) before use
      if (tbl_we && in_t && tbl_field == 8'd0) tk[te] <= tbl_wdata[KB-1:0];
      if (tbl_we && in_t && tbl_field == 8'd1) begin
        tv[te] <= tbl_wdata[31];
        to[te] <= tbl_wdata[P-1:0];
      end
    end
    always_comb begin
      tbl_rdata = '0;
      if (in_t && tbl_field == 8'd0) tbl_rdata = 64'(tk[te]);
      if (in_t && tbl_field == 8'd1) tbl_rdata = 64'({tv[te], 31'(to[te])});
    end
    logic hit;
    always_comb begin
      hit = 1'b0;
      for (int p = 0; p < P; p++) begin
        hit = 1'b0;
        mc_route[p] = '0;
        for (int e = MC_ENTRIES - 1; e >= 0; e--) begin   // the lowest matching entry wins
          if (tv[e] && tk[e] == head[p][KB-1:0]) begin
            hit = 1'b1;
            mc_route[p] = to[e];
          end
        end
        if (!hit) begin
          case (p)
            `NC_PORT_N: mc_route[p] = P'(1 << `NC_PORT_S);
            `NC_PORT_S: mc_route[p] = P'(1 << `NC_PORT_N);
            `NC_PORT_E: mc_route[p] = P'(1 << `NC_PORT_W);
            `NC_PORT_W: mc_route[p] = P'(1 << `NC_PORT_E);
            default:    mc_route[p] = '0;          // a local port has no default route
          endcase
        end
        is_def[p] = !hit;
        is_mc[p]  = `NC_FLIT_MC(head[p]);
      end
    end
  end else begin : g_no_mc
    logic unused_tbl;
    assign unused_tbl = ^{tbl_we, tbl_index, tbl_field, tbl_wdata};
    assign mc_route  = '0;
    assign is_mc     = '0;
    assign is_def    = '0;
    assign tbl_rdata = '0;
  end

  // ---- route of each head flit ----------------------------------------------------------------
  logic [P-1:0][P-1:0] route;     // output ports requested by input p's head (before `done`)
  for (genvar p = 0; p < P; p++) begin : g_route
    logic [X_BITS:0]   cx, xlo, xhi;
    logic [Y_BITS-1:0] dy;
    assign cx  = {1'b0, `NC_FLIT_DST_X(head[p])};
    assign xlo = (X_BITS + 1)'(my_x) * (X_BITS + 1)'(CORES);
    assign xhi = xlo + (X_BITS + 1)'(CORES);
    assign dy  = `NC_FLIT_DST_Y(head[p]);
    always_comb begin
      if (is_mc[p])       route[p] = mc_route[p];
      else if (cx >= xhi) route[p] = P'(1 << `NC_PORT_E);
      else if (cx < xlo)  route[p] = P'(1 << `NC_PORT_W);
      else if (dy > my_y) route[p] = P'(1 << `NC_PORT_S);
      else if (dy < my_y) route[p] = P'(1 << `NC_PORT_N);
      else if (cx == xlo) route[p] = P'(1 << `NC_PORT_L);
      else                route[p] = P'(1) << (4 + 32'(cx - xlo));   // local core j >= 1: port 4 + j
    end
  end

  // ---- requests: the route minus the outputs that already got a copy of the head -----------
  logic [P-1:0][P-1:0] done;
  logic [P-1:0][P-1:0] req;
  for (genvar p = 0; p < P; p++) begin : g_req
    assign req[p] = in_empty[p] ? '0 : (route[p] & ~done[p]);
  end

  // ---- round-robin arbitration per output ---------------------------------------------------
  logic [P-1:0][2:0] last;       // most recent winner of each output
  logic [P-1:0]      gnt_valid;
  logic [P-1:0][2:0] gnt_in;
  logic [P-1:0][P-1:0] got;      // got[p][o]: output o granted input p this cycle

  logic [P-1:0] hold;         // outputs that may not grant this cycle: none, but in a bug-injected test build
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
    got  = '0;
    for (int o = 0; o < P; o++) begin
      gnt_valid[o] = 1'b0;
      gnt_in[o]    = 3'd0;
      if (!out_full[o] && !hold[o]) begin
        for (int k = 1; k <= P; k++) begin
          cand = 4'(last[o]) + 4'(k);
          if (cand >= 4'(P)) cand = cand - 4'(P);
          if (!gnt_valid[o] && req[cand[2:0]][o]) begin
            gnt_valid[o] = 1'b1;
            gnt_in[o]    = cand[2:0];
          end
        end
      end
      if (gnt_valid[o]) got[gnt_in[o]][o] = 1'b1;
    end
  end

  always_comb begin
    for (int o = 0; o < P; o++) begin
      out_push[o] = gnt_valid[o];
      out_flit[o] = head[gnt_in[o]];
    end
    for (int p = 0; p < P; p++) pop[p] = !in_empty[p] && ((req[p] & ~got[p]) == '0);
  end
  assign in_pop = pop;

  // an input is blocked in a cycle if it holds a head flit that is not popped; a partial
  // forward: some but not all of the outputs it still requests were granted
  logic [P-1:0] blocked, partial, mc_pop, mc_def_pop;
  for (genvar p = 0; p < P; p++) begin : g_stat
    assign blocked[p]    = !in_empty[p] && !pop[p];
    assign partial[p]    = blocked[p] && (got[p] != '0);
    assign mc_pop[p]     = pop[p] && is_mc[p];
    assign mc_def_pop[p] = mc_pop[p] && is_def[p];
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      for (int o = 0; o < P; o++) last[o] <= 3'(P - 1);
      done <= '0;
    end else begin
      for (int o = 0; o < P; o++) if (gnt_valid[o]) last[o] <= gnt_in[o];
      for (int p = 0; p < P; p++) done[p] <= pop[p] ? '0 : (done[p] | got[p]);
    end
  end

  // ---- event counters -----------------------------------------------------------------------
  function automatic logic [3:0] popcount(input logic [P-1:0] b);
    popcount = '0;
    for (int i = 0; i < P; i++) popcount = popcount + 4'(b[i]);
  endfunction

  logic [P-1:0] links;
  logic [P-1:0] local_gnt;   // local output o granted to a local input (ports 0 and 5..P-1 are local)
  always_comb begin
    for (int o = 0; o < P; o++)
      local_gnt[o] = gnt_valid[o] && (o == 0 || o > 4) && (gnt_in[o] == 3'd0 || gnt_in[o] > 3'd4);
  end
  always_comb begin
    links = '0;
    links[`NC_PORT_N] = gnt_valid[`NC_PORT_N];
    links[`NC_PORT_E] = gnt_valid[`NC_PORT_E];
    links[`NC_PORT_S] = gnt_valid[`NC_PORT_S];
    links[`NC_PORT_W] = gnt_valid[`NC_PORT_W];
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      cnt              <= '0;
      cnt_port_flits   <= '0;
      cnt_port_blocked <= '0;
      cnt_mc_lookups   <= '0;
      cnt_mc_default   <= '0;
      cnt_mc_partial   <= '0;
    end else begin
      cnt[`NC_RC_ROUTER_FLITS]          <= cnt[`NC_RC_ROUTER_FLITS] + CNT_BITS'(popcount(gnt_valid));
      cnt[`NC_RC_LINK_FLITS]            <= cnt[`NC_RC_LINK_FLITS] + CNT_BITS'(popcount(links));
      cnt[`NC_RC_ROUTER_BLOCKED_CYCLES] <= cnt[`NC_RC_ROUTER_BLOCKED_CYCLES] + CNT_BITS'(popcount(blocked));
      cnt[`NC_RC_MC_TABLE_LOOKUPS]      <= cnt[`NC_RC_MC_TABLE_LOOKUPS] + CNT_BITS'(popcount(mc_pop));
      cnt[`NC_RC_MC_DEFAULT_ROUTES]     <= cnt[`NC_RC_MC_DEFAULT_ROUTES] + CNT_BITS'(popcount(mc_def_pop));
      cnt[`NC_RC_MC_PARTIAL_CYCLES]     <= cnt[`NC_RC_MC_PARTIAL_CYCLES] + CNT_BITS'(popcount(partial));
      cnt[`NC_RC_LINK_FLITS_EW]         <= cnt[`NC_RC_LINK_FLITS_EW]
                                           + CNT_BITS'(gnt_valid[`NC_PORT_E]) + CNT_BITS'(gnt_valid[`NC_PORT_W]);
      cnt[`NC_RC_LINK_FLITS_NS]         <= cnt[`NC_RC_LINK_FLITS_NS]
                                           + CNT_BITS'(gnt_valid[`NC_PORT_N]) + CNT_BITS'(gnt_valid[`NC_PORT_S]);
      // flits of the tile's own cores delivered back into the tile: a local output granted to a local input
      cnt[`NC_RC_LOCAL_FLITS]           <= cnt[`NC_RC_LOCAL_FLITS] + CNT_BITS'(popcount(local_gnt));
      for (int p = 0; p < P; p++) begin
        cnt_port_flits[p]   <= cnt_port_flits[p] + CNT_BITS'(gnt_valid[p]);
        cnt_port_blocked[p] <= cnt_port_blocked[p] + CNT_BITS'(blocked[p]);
        cnt_mc_lookups[p]   <= cnt_mc_lookups[p] + CNT_BITS'(mc_pop[p]);
        cnt_mc_default[p]   <= cnt_mc_default[p] + CNT_BITS'(mc_def_pop[p]);
        cnt_mc_partial[p]   <= cnt_mc_partial[p] + CNT_BITS'(partial[p]);
      end
    end
  end
endmodule
