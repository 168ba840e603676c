// nc_tile: one core + one router; its mesh position arrives on the constant ports my_x/my_y.
//
// The router's L output feeds the core input FIFO; the core's NU feeds the router's L input.
// The mesh ports (index 1..4 = N, E, S, W; index 0 unused) connect to the neighbours in
// nc_chip. Host-bus reads of NC_SEL_ROUTER are answered here from the router counters;
// everything else by the core. Parameters: see nc_core and nc_router.
`include "nc_defs.svh"
module nc_tile #(
  parameter int X_BITS            = 1,
  parameter int Y_BITS            = 1,
  parameter int ROUTER_FIFO_DEPTH = 2,
  parameter int NEURONS           = 16,
  parameter int AXONS             = 32,
  parameter int SYN_WORDS         = 256,
  parameter int LANES             = 1,
  parameter int FANOUT_ENTRIES    = 64,
  parameter int PROFILES          = 4,
  parameter int CORE_FIFO_DEPTH   = 2,
  parameter int WEIGHT_BITS       = 6,
  parameter int STATE_BITS        = 12,
  parameter int ACC_BITS          = 14,
  parameter int REF_BITS          = 3,
  parameter int AXON_BITS         = 5,
  parameter int FLIT_BITS         = 7,
  parameter int NEURON_BITS       = 4,
  parameter int PROFILE_BITS      = 2,
  parameter int WORD_ADDR_BITS    = 8,
  parameter int LEN_BITS          = 9,
  parameter int FANOUT_ADDR_BITS  = 6,
  parameter int FANOUT_LEN_BITS   = 7,
  parameter int CNT_BITS          = 48,
  parameter int OCC_BITS          = 7
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
  output logic                      quiet      // core quiet and all router FIFOs empty
);
  logic                      r_empty;
  logic [4:0]                r_in_push, r_in_full, r_out_push, r_out_full;
  logic [4:0][FLIT_BITS-1:0] r_in_flit, r_out_flit;
  logic                      core_in_full, core_quiet, nu_push;
  logic [FLIT_BITS-1:0]      nu_flit;
  logic [63:0]               core_rdata;

  logic [CNT_BITS-1:0]      c_flits, c_link, c_blocked;
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
    .FIFO_DEPTH(ROUTER_FIFO_DEPTH), .CNT_BITS(CNT_BITS), .OCC_BITS(OCC_BITS)
  ) u_router (
    .clk, .rst, .my_x, .my_y,
    .in_push(r_in_push), .in_flit(r_in_flit), .in_full(r_in_full),
    .out_push(r_out_push), .out_flit(r_out_flit), .out_full(r_out_full),
    .empty(r_empty),
    .cnt_flits(c_flits), .cnt_link_flits(c_link), .cnt_blocked(c_blocked),
    .cnt_port_flits(c_port_flits), .cnt_port_blocked(c_port_blocked),
    .fifo_max(f_max), .fifo_count(f_count)
  );

  nc_core #(
    .NEURONS(NEURONS), .AXONS(AXONS), .SYN_WORDS(SYN_WORDS), .LANES(LANES),
    .FANOUT_ENTRIES(FANOUT_ENTRIES), .PROFILES(PROFILES), .FIFO_DEPTH(CORE_FIFO_DEPTH),
    .WEIGHT_BITS(WEIGHT_BITS), .STATE_BITS(STATE_BITS), .ACC_BITS(ACC_BITS), .REF_BITS(REF_BITS),
    .AXON_BITS(AXON_BITS), .FLIT_BITS(FLIT_BITS), .NEURON_BITS(NEURON_BITS),
    .PROFILE_BITS(PROFILE_BITS), .WORD_ADDR_BITS(WORD_ADDR_BITS), .LEN_BITS(LEN_BITS),
    .FANOUT_ADDR_BITS(FANOUT_ADDR_BITS), .FANOUT_LEN_BITS(FANOUT_LEN_BITS),
    .CNT_BITS(CNT_BITS), .OCC_BITS(OCC_BITS)
  ) u_core (
    .clk, .rst,
    .bus_we, .bus_sel, .bus_index, .bus_field, .bus_wdata, .bus_rd, .bus_rdata(core_rdata),
    .start, .swap, .cycle,
    .in_push(r_out_push[0]), .in_flit(r_out_flit[0]), .in_full(core_in_full),
    .out_push(nu_push), .out_flit(nu_flit), .out_full(r_in_full[0]),
    .quiet(core_quiet)
  );

  assign quiet = core_quiet && r_empty;

  always_comb begin
    bus_rdata = core_rdata;                      // 0 for NC_SEL_ROUTER and while !bus_rd
    if (bus_rd && bus_sel == 4'(`NC_SEL_ROUTER)) begin
      if (bus_index == 32'(`NC_RT_FLITS))      bus_rdata = 64'(c_flits);
      if (bus_index == 32'(`NC_RT_LINK_FLITS)) bus_rdata = 64'(c_link);
      if (bus_index == 32'(`NC_RT_BLOCKED))    bus_rdata = 64'(c_blocked);
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
