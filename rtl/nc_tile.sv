// nc_tile: one core + one router; its mesh position arrives on the constant ports my_x/my_y.
//
// The router's L output feeds the core input FIFO; the core's NU feeds the router's L input.
// The mesh ports (index 1..4 = N, E, S, W; index 0 unused) connect to the neighbours in
// nc_chip. Host-bus reads of NC_SEL_ROUTER are answered here from the router counters;
// everything else by the core. Parameters: the tile parameter set (nc_tile_params.svh,
// generated from neurocycle.hw._layout), passed on to nc_core whole.
`include "nc_defs.svh"
module nc_tile #(
`include "nc_tile_params.svh"
) (
  input  logic                      clk,
  input  logic                      rst,
  input  logic [X_BITS-1:0]         my_x,
  input  logic [Y_BITS-1:0]         my_y,
  input  logic                      bus_we,
  input  logic [3:0]                bus_sel,
  input  logic [31:0]               bus_index,
  input  logic [7:0]                bus_field,
  input  logic [31:0]               bus_wdata,
  input  logic                      bus_rd,      // read-back enabled (paused)
  output logic [63:0]               bus_rdata,
  input  logic                      start,
  input  logic                      swap,
  input  logic [CNT_BITS-1:0]       cycle,
  // mesh ports 1..4 (N, E, S, W); entry 0 is ignored / driven 0
  input  logic [4:0]                in_push,
  input  logic [4:0][FLIT_BITS-1:0] in_flit,
  output logic [4:0]                in_full,
  output logic [4:0]                out_push,
  output logic [4:0][FLIT_BITS-1:0] out_flit,
  input  logic [4:0]                out_full,
  output logic                      quiet,     // core quiet and all router FIFOs empty
  input  logic                      le_go,     // learning phase (nc_ctrl): the LE acts from Q_t
  output logic                      le_done,   // the core's LE is done
  output logic                      learns     // the core learns
);
  localparam int OCC_BITS = `NC_OCC_BITS;

  logic                      r_empty;
  logic [4:0]                r_in_push, r_in_full, r_out_push, r_out_full;
  logic [4:0][FLIT_BITS-1:0] r_in_flit, r_out_flit;
  logic                      core_in_full, core_quiet, nu_push;
  logic [FLIT_BITS-1:0]      nu_flit;
  logic [63:0]               core_rdata;

  logic [`NC_RC_COUNT-1:0][CNT_BITS-1:0] c_bank;
  logic [4:0][CNT_BITS-1:0] c_port_flits, c_port_blocked;
  logic [4:0][OCC_BITS-1:0] f_max, f_count;

  always_comb begin
    r_in_push     = in_push;
    r_in_flit     = in_flit;
    r_in_push[0]  = nu_push;
    r_in_flit[0]  = nu_flit;
    r_out_full    = out_full;
    r_out_full[0] = core_in_full;
    out_push      = r_out_push;
    out_push[0]   = 1'b0;
    out_flit      = r_out_flit;
    in_full       = r_in_full;
  end

  nc_router #(
    .X_BITS(X_BITS), .Y_BITS(Y_BITS), .AXON_BITS(AXON_BITS), .FLIT_BITS(FLIT_BITS),
    .FIFO_DEPTH(ROUTER_FIFO_DEPTH), .CNT_BITS(CNT_BITS), .OCC_BITS(OCC_BITS), .PAYLOAD_BITS(PAYLOAD_BITS)
  ) u_router (
    .clk, .rst, .my_x, .my_y,
    .in_push(r_in_push), .in_flit(r_in_flit), .in_full(r_in_full),
    .out_push(r_out_push), .out_flit(r_out_flit), .out_full(r_out_full),
    .empty(r_empty),
    .cnt(c_bank),
    .cnt_port_flits(c_port_flits), .cnt_port_blocked(c_port_blocked),
    .fifo_max(f_max), .fifo_count(f_count)
  );

  nc_core #(
`include "nc_tile_param_map.svh"
  ) u_core (
    .clk, .rst,
    .bus_we, .bus_sel, .bus_index, .bus_field, .bus_wdata, .bus_rd, .bus_rdata(core_rdata),
    .start, .swap, .cycle,
    .in_push(r_out_push[0]), .in_flit(r_out_flit[0]), .in_full(core_in_full),
    .out_push(nu_push), .out_flit(nu_flit), .out_full(r_in_full[0]),
    .quiet(core_quiet), .le_go, .le_done, .learns
  );

  assign quiet = core_quiet && r_empty;

  always_comb begin
    bus_rdata = core_rdata;                      // 0 for NC_SEL_ROUTER and while !bus_rd
    if (bus_rd && bus_sel == 4'(`NC_SEL_ROUTER)) begin
      for (int k = 0; k < `NC_RC_COUNT; k++)
        if (bus_index == 32'(`NC_RT_CNT + k)) bus_rdata = 64'(c_bank[k]);
      for (int p = 0; p < 5; p++) begin
        if (bus_index == 32'(`NC_RT_PORT_FLITS + p))   bus_rdata = 64'(c_port_flits[p]);
        if (bus_index == 32'(`NC_RT_PORT_BLOCKED + p)) bus_rdata = 64'(c_port_blocked[p]);
        if (bus_index == 32'(`NC_RT_FIFO_MAX + p))     bus_rdata = 64'(f_max[p]);
        if (bus_index == 32'(`NC_RT_FIFO_COUNT + p))   bus_rdata = 64'(f_count[p]);
      end
    end
  end

  // port 0 of the mesh-side vectors is replaced by the core connection above
  logic unused_l;
  assign unused_l = ^{in_push[0], in_flit[0], out_full[0]};
endmodule
