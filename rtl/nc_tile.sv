// nc_tile: one router and CORES_PER_ROUTER cores; its mesh position arrives on the constant
// ports my_x/my_y.
//
// Local core j is attached to router port lport(j) = (j == 0) ? L : 4 + j: the router's output
// lport(j) feeds core j's input FIFO and core j's NU feeds the router's input lport(j). The
// mesh ports (index 1..4 = N, E, S, W; index 0 unused) connect to the neighbours in nc_chip.
// Host bus: nc_chip decodes which core a core-memory access is for (bus_we_core[j], and reads
// core_rdata[j]) and whether a router access (NC_SEL_ROUTER reads, NC_SEL_MCTABLE) is for this
// tile (bus_we_rt, rt_rdata). Parameters: the tile parameter set (nc_tile_params.svh,
// generated from neurocycle.hw._layout), passed on to nc_core whole.
`include "nc_defs.svh"
module nc_tile #(
`include "nc_tile_params.svh"
  ,
  parameter int LINK_PORTS = 0,     // mesh inputs fed by chip-to-chip links (nc_router), 0 on a chip
  parameter int LINK_DEPTH = 2      // their FIFO depth (the links' receive buffer)
) (
  input  logic                      clk,
  input  logic                      rst,
  input  logic [X_BITS-1:0]         my_x,
  input  logic [Y_BITS-1:0]         my_y,
  input  logic [CORES_PER_ROUTER-1:0] bus_we_core,   // write to core j's memories
  input  logic                      bus_we_rt,     // write to this router's multicast table
  input  logic [3:0]                bus_sel,
  input  logic [31:0]               bus_index,
  input  logic [7:0]                bus_field,
  input  logic [31:0]               bus_wdata,
  input  logic                      bus_rd,      // read-back enabled (paused)
  output logic [CORES_PER_ROUTER-1:0][63:0] core_rdata,
  output logic [63:0]               rt_rdata,    // NC_SEL_ROUTER / NC_SEL_MCTABLE reads
  input  logic                      start,
  input  logic                      swap,
  input  logic [CNT_BITS-1:0]       cycle,
  // mesh ports 1..4 (N, E, S, W); entry 0 is ignored / driven 0
  input  logic [4:0]                in_push,
  input  logic [4:0][FLIT_BITS-1:0] in_flit,
  output logic [4:0]                in_full,
  output logic [4:0]                in_pop,     // mesh input p popped (the credit of a link input)
  output logic [4:0]                out_push,
  output logic [4:0][FLIT_BITS-1:0] out_flit,
  input  logic [4:0]                out_full,
  output logic                      quiet,     // cores quiet and all router FIFOs empty
  input  logic                      le_go,     // learning phase (nc_ctrl): the LEs act from Q_t
  output logic                      le_done,   // every core's LE is done
  output logic                      learns     // some core of the tile learns
);
  localparam int OCC_BITS = `NC_OCC_BITS;
  localparam int C        = CORES_PER_ROUTER;
  localparam int P        = C + 4;

  logic                      r_empty;
  logic [P-1:0]              r_in_push, r_in_full, r_out_push, r_out_full, r_in_pop;
  logic [P-1:0][FLIT_BITS-1:0] r_in_flit, r_out_flit;
  logic [C-1:0]              core_in_full, core_quiet, nu_push, core_le_done, core_learns;
  logic [C-1:0][FLIT_BITS-1:0] nu_flit;
  logic [63:0]               tbl_rdata;

  logic [`NC_RC_COUNT-1:0][CNT_BITS-1:0] c_bank;
  logic [P-1:0][CNT_BITS-1:0] c_port_flits, c_port_blocked, c_mc_lookups, c_mc_default, c_mc_partial;
  logic [P-1:0][OCC_BITS-1:0] f_max, f_count;

  function automatic int lport(input int j);
    lport = (j == 0) ? `NC_PORT_L : 4 + j;
  endfunction

  always_comb begin
    r_in_push  = '0;
    r_in_flit  = '0;
    r_out_full = '0;
    for (int p = 1; p <= 4; p++) begin          // N, E, S, W: the mesh
      r_in_push[p]  = in_push[p];
      r_in_flit[p]  = in_flit[p];
      r_out_full[p] = out_full[p];
    end
    for (int j = 0; j < C; j++) begin           // local ports: the cores
      r_in_push[lport(j)]  = nu_push[j];
      r_in_flit[lport(j)]  = nu_flit[j];
      r_out_full[lport(j)] = core_in_full[j];
    end
    out_push = '0;
    out_flit = '0;
    in_full  = '0;
    in_pop   = '0;
    for (int p = 1; p <= 4; p++) begin
      out_push[p] = r_out_push[p];
      out_flit[p] = r_out_flit[p];
      in_full[p]  = r_in_full[p];
      in_pop[p]   = r_in_pop[p];
    end
  end

  nc_router #(
    .X_BITS(X_BITS), .Y_BITS(Y_BITS), .AXON_BITS(AXON_BITS), .MC_BITS(MC_BITS), .FLIT_BITS(FLIT_BITS),
    .CORES(C), .MC_ENTRIES(MC_ENTRIES), .FIFO_DEPTH(ROUTER_FIFO_DEPTH), .CNT_BITS(CNT_BITS), .OCC_BITS(OCC_BITS),
    .PAYLOAD_BITS(PAYLOAD_BITS), .LINK_PORTS(LINK_PORTS), .LINK_DEPTH(LINK_DEPTH)
  ) u_router (
    .clk, .rst, .my_x, .my_y,
    .in_push(r_in_push), .in_flit(r_in_flit), .in_full(r_in_full), .in_pop(r_in_pop),
    .out_push(r_out_push), .out_flit(r_out_flit), .out_full(r_out_full),
    .empty(r_empty),
    .tbl_we(bus_we_rt && bus_sel == 4'(`NC_SEL_MCTABLE)), .tbl_index(bus_index), .tbl_field(bus_field),
    .tbl_wdata(bus_wdata), .tbl_rdata,
    .cnt(c_bank),
    .cnt_port_flits(c_port_flits), .cnt_port_blocked(c_port_blocked),
    .cnt_mc_lookups(c_mc_lookups), .cnt_mc_default(c_mc_default), .cnt_mc_partial(c_mc_partial),
    .fifo_max(f_max), .fifo_count(f_count)
  );

  for (genvar j = 0; j < C; j++) begin : g_core
    nc_core #(
`include "nc_tile_param_map.svh"
    ) u_core (
      .clk, .rst,
      .bus_we(bus_we_core[j]), .bus_sel, .bus_index, .bus_field, .bus_wdata, .bus_rd, .bus_rdata(core_rdata[j]),
      .start, .swap, .cycle,
      .in_push(r_out_push[lport(j)]), .in_flit(r_out_flit[lport(j)]), .in_full(core_in_full[j]),
      .out_push(nu_push[j]), .out_flit(nu_flit[j]), .out_full(r_in_full[lport(j)]),
      .quiet(core_quiet[j]), .le_go, .le_done(core_le_done[j]), .learns(core_learns[j])
    );
  end

  assign quiet   = (&core_quiet) && r_empty;
  assign le_done = &core_le_done;
  assign learns  = |core_learns;

  always_comb begin
    rt_rdata = '0;
    if (bus_rd && bus_sel == 4'(`NC_SEL_ROUTER)) begin
      for (int k = 0; k < `NC_RC_COUNT; k++)
        if (bus_index == 32'(`NC_RT_CNT + k)) rt_rdata = 64'(c_bank[k]);
      for (int p = 0; p < P; p++) begin
        if (bus_index == 32'(`NC_RT_PORT_FLITS + p))   rt_rdata = 64'(c_port_flits[p]);
        if (bus_index == 32'(`NC_RT_PORT_BLOCKED + p)) rt_rdata = 64'(c_port_blocked[p]);
        if (bus_index == 32'(`NC_RT_FIFO_MAX + p))     rt_rdata = 64'(f_max[p]);
        if (bus_index == 32'(`NC_RT_FIFO_COUNT + p))   rt_rdata = 64'(f_count[p]);
        if (bus_index == 32'(`NC_RT_MC_LOOKUPS + p))   rt_rdata = 64'(c_mc_lookups[p]);
        if (bus_index == 32'(`NC_RT_MC_DEFAULT + p))   rt_rdata = 64'(c_mc_default[p]);
        if (bus_index == 32'(`NC_RT_MC_PARTIAL + p))   rt_rdata = 64'(c_mc_partial[p]);
      end
    end
    if (bus_rd && bus_sel == 4'(`NC_SEL_MCTABLE)) rt_rdata = tbl_rdata;
  end

  // port 0 of the mesh-side vectors is replaced by the core connections above
  logic unused_l, unused_pop;
  assign unused_l = ^{in_push[0], in_flit[0], out_full[0]};
  always_comb begin            // the local inputs' pops (only the mesh inputs' leave the tile)
    unused_pop = 1'b0;
    for (int j = 0; j < C; j++) unused_pop = unused_pop ^ r_in_pop[lport(j)];
  end
endmodule
