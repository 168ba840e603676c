// nc_system: a GRID_W x GRID_H grid of nc_chip instances joined by nc_c2c_link instances, with
// one timestep controller and one host bus (docs/microarchitecture.md §12).
//
// Chip (cx, cy) is an nc_chip of MESH_W/GRID_W x MESH_H/GRID_H tiles placed at system tile
// (cx * CW, cy * CH); every pair of neighbouring edge routers of two chips is joined by two
// links (one per direction), whose receive buffers are the receiving routers' link-input FIFOs
// (LINK_BUFFER deep). The controller is nc_ctrl with the system barrier (BARRIER_CYCLES of the
// system mesh: the chip's barrier plus the grid's diameter, §12.4); quiescence is every chip's
// quiescence and every link idle (all credits home); with a learning core on any chip, every
// chip's learning engines start at that quiescence and the barrier waits for all of them
// (§11.2). The host link is chip (0, 0)'s.
//
// The host bus is nc_chip's, on system indices: bus_tile names a core K = R * C + j (core
// selects) or a router R (router selects) of the system mesh, row-major over MESH_W (the system
// mesh width); nc_system decodes the chip and passes the chip's local index on. The CHIP select
// (status, counters, parameters, START) is answered here; HOSTQ goes to chip (0, 0).
//
// Parameters: the chip set (nc_chip_params.svh, with MESH_W/MESH_H, X_BITS/Y_BITS and
// BARRIER_CYCLES of the system mesh, as neurocycle.rtl.system_parameters gives them) and the
// system's own (nc_system_params.svh: the grid and the links, uniform over the system).
`include "nc_defs.svh"
module nc_system #(
`include "nc_chip_params.svh"
  ,
`include "nc_system_params.svh"
) (
  input  logic        clk,
  input  logic        rst,
  input  logic        bus_we,
  input  logic [15:0] bus_tile,
  input  logic [3:0]  bus_sel,
  input  logic [31:0] bus_index,
  input  logic [7:0]  bus_field,
  input  logic [31:0] bus_wdata,
  output logic [63:0] bus_rdata,
  output logic        paused
);
  localparam int CW = MESH_W / GRID_W;           // tiles of one chip along x
  localparam int CH = MESH_H / GRID_H;
  localparam int C  = CORES_PER_ROUTER;
  localparam int NQ = GRID_W * GRID_H;
  localparam int FB = FLIT_BITS;

  if (GRID_W < 1 || GRID_H < 1 || CW < 1 || CH < 1 || CW * GRID_W != MESH_W || CH * GRID_H != MESH_H
      || CW > 64 || CH > 64) begin : g_bad_grid
    $fatal(1, "nc_system: a %0dx%0d mesh is not a %0dx%0d grid of chips of at most 64x64 tiles", MESH_W, MESH_H,
           GRID_W, GRID_H);
  end
  if (HOST_ROW < 0 || HOST_ROW >= CH) begin : g_bad_host
    $fatal(1, "nc_system: HOST_ROW=%0d is outside chip (0, 0) (height %0d)", HOST_ROW, CH);
  end
  if (MESH_W * MESH_H * C > 65536) begin : g_bad_size
    $fatal(1, "nc_system: %0d cores do not fit the 16-bit bus_tile", MESH_W * MESH_H * C);
  end

  // ---- controller ---------------------------------------------------------------------------
  logic                start, swap, run, all_quiet, start_cmd, any_learn, all_le_done, le_go;
  logic [1:0]          ctrl_state;
  logic [CNT_BITS-1:0] cycle, barriers;
  logic [NQ-1:0]       q_quiet, q_learns, q_le_done;
  logic                links_idle;

  assign start_cmd = bus_we && bus_sel == 4'(`NC_SEL_CHIP) && bus_index == 32'(`NC_CHIP_CTRL);
  assign all_quiet = (&q_quiet) && links_idle;
  assign any_learn   = |q_learns;       // the learning phase follows the SYSTEM's quiescence (§11.2, §12.4)
  assign all_le_done = &q_le_done;

  nc_ctrl #(.BARRIER_CYCLES(BARRIER_CYCLES), .CNT_BITS(CNT_BITS)) u_ctrl (
    .clk, .rst, .start_cmd, .all_quiet, .any_learn, .all_le_done, .le_go, .start, .swap, .run, .paused,
    .state(ctrl_state), .cycle, .barriers
  );

  // ---- host bus decode: system index -> chip, local index ------------------------------------
  logic        core_sel, rt_sel;
  logic [31:0] r_idx, jj, gx, gy, qx, qy, lidx;
  logic [31:0] q_sel;
  assign core_sel = (bus_sel >= 4'(`NC_SEL_PROFILE) && bus_sel <= 4'(`NC_SEL_TRACE))
                 || bus_sel == 4'(`NC_SEL_BANK) || bus_sel == 4'(`NC_SEL_REV);
  assign rt_sel   = bus_sel == 4'(`NC_SEL_ROUTER) || bus_sel == 4'(`NC_SEL_MCTABLE);
  always_comb begin
    r_idx = rt_sel ? 32'(bus_tile) : 32'(bus_tile) / 32'(C);
    jj    = rt_sel ? 32'd0 : 32'(bus_tile) % 32'(C);
    gx    = r_idx % 32'(MESH_W);
    gy    = r_idx / 32'(MESH_W);
    qx    = gx / 32'(CW);
    qy    = gy / 32'(CH);
    q_sel = qy * 32'(GRID_W) + qx;
    lidx  = ((gy % 32'(CH)) * 32'(CW) + gx % 32'(CW)) * (rt_sel ? 32'd1 : 32'(C)) + jj;
  end

  logic [63:0]         q_rdata  [NQ];
  logic [CNT_BITS-1:0] q_host   [NQ];
  logic [NQ-1:0]       q_paused;         // each chip's view of `paused` (the system's)

  // ---- side signals of every chip (index = position along the side) --------------------------
  logic [CW-1:0]         n_op [NQ], n_ofull [NQ], n_ip [NQ], n_ipop [NQ], n_idle [NQ];
  logic [CW-1:0][FB-1:0] n_of [NQ], n_if [NQ];
  logic [CW-1:0]         s_op [NQ], s_ofull [NQ], s_ip [NQ], s_ipop [NQ], s_idle [NQ];
  logic [CW-1:0][FB-1:0] s_of [NQ], s_if [NQ];
  logic [CH-1:0]         e_op [NQ], e_ofull [NQ], e_ip [NQ], e_ipop [NQ], e_idle [NQ];
  logic [CH-1:0][FB-1:0] e_of [NQ], e_if [NQ];
  logic [CH-1:0]         w_op [NQ], w_ofull [NQ], w_ip [NQ], w_ipop [NQ], w_idle [NQ];
  logic [CH-1:0][FB-1:0] w_of [NQ], w_if [NQ];

  for (genvar cy = 0; cy < GRID_H; cy++) begin : g_cy
    for (genvar cx = 0; cx < GRID_W; cx++) begin : g_cx
      localparam int Q = cy * GRID_W + cx;
      localparam int EDGES = ((cy > 0) ? 1 : 0) | ((cx < GRID_W - 1) ? 2 : 0) | ((cy < GRID_H - 1) ? 4 : 0)
                           | ((cx > 0) ? 8 : 0);
      logic we_q;
      assign we_q = bus_we && (((core_sel || rt_sel) && q_sel == 32'(Q))
                               || (bus_sel == 4'(`NC_SEL_HOSTQ) && Q == 0));

      nc_chip #(
`include "nc_tile_param_map.svh"
        , .MESH_W(CW), .MESH_H(CH), .HOST_ROW(HOST_ROW), .BARRIER_CYCLES(BARRIER_CYCLES),
        .HOST_QUEUE_DEPTH(HOST_QUEUE_DEPTH), .SYSTEM(1), .CHIP_X0(cx * CW), .CHIP_Y0(cy * CH),
        .EDGE_LINKS(EDGES), .LINK_DEPTH(LINK_BUFFER)
      ) u_chip (
        .clk, .rst, .bus_we(we_q), .bus_tile(lidx[15:0]), .bus_sel, .bus_index, .bus_field, .bus_wdata,
        .bus_rdata(q_rdata[Q]), .paused(q_paused[Q]),
        .sys_start(start), .sys_swap(swap), .sys_run(run), .sys_paused(paused), .sys_cycle(cycle),
        .sys_le_go(le_go), .chip_quiet(q_quiet[Q]), .chip_learns(q_learns[Q]), .chip_le_done(q_le_done[Q]),
        .cnt_host(q_host[Q]),
        .ln_out_push(n_op[Q]), .ln_out_flit(n_of[Q]), .ln_out_full(n_ofull[Q]),
        .ln_in_push(n_ip[Q]), .ln_in_flit(n_if[Q]), .ln_in_pop(n_ipop[Q]),
        .ls_out_push(s_op[Q]), .ls_out_flit(s_of[Q]), .ls_out_full(s_ofull[Q]),
        .ls_in_push(s_ip[Q]), .ls_in_flit(s_if[Q]), .ls_in_pop(s_ipop[Q]),
        .le_out_push(e_op[Q]), .le_out_flit(e_of[Q]), .le_out_full(e_ofull[Q]),
        .le_in_push(e_ip[Q]), .le_in_flit(e_if[Q]), .le_in_pop(e_ipop[Q]),
        .lw_out_push(w_op[Q]), .lw_out_flit(w_of[Q]), .lw_out_full(w_ofull[Q]),
        .lw_in_push(w_ip[Q]), .lw_in_flit(w_if[Q]), .lw_in_pop(w_ipop[Q])
      );

      // east side: the E links of this chip to chip Q+1 and the W links back
      if (cx < GRID_W - 1) begin : g_east
        for (genvar y = 0; y < CH; y++) begin : g_row
          nc_c2c_link #(.FLIT_BITS(FB), .LATENCY(LINK_LATENCY), .CREDIT_LATENCY(LINK_CREDIT_LATENCY),
                        .CYCLES_PER_FLIT(LINK_CYCLES_PER_FLIT), .CREDITS(LINK_BUFFER)) u_e (
            .clk, .rst, .tick(!paused),
            .in_push(e_op[Q][y]), .in_flit(e_of[Q][y]), .in_full(e_ofull[Q][y]),
            .out_push(w_ip[Q + 1][y]), .out_flit(w_if[Q + 1][y]), .out_pop(w_ipop[Q + 1][y]),
            .idle(e_idle[Q][y]));
          nc_c2c_link #(.FLIT_BITS(FB), .LATENCY(LINK_LATENCY), .CREDIT_LATENCY(LINK_CREDIT_LATENCY),
                        .CYCLES_PER_FLIT(LINK_CYCLES_PER_FLIT), .CREDITS(LINK_BUFFER)) u_w (
            .clk, .rst, .tick(!paused),
            .in_push(w_op[Q + 1][y]), .in_flit(w_of[Q + 1][y]), .in_full(w_ofull[Q + 1][y]),
            .out_push(e_ip[Q][y]), .out_flit(e_if[Q][y]), .out_pop(e_ipop[Q][y]),
            .idle(w_idle[Q + 1][y]));
        end
      end else begin : g_east_edge
        assign e_ofull[Q] = '1;
        assign e_ip[Q]    = '0;
        assign e_if[Q]    = '0;
        assign e_idle[Q]  = '1;
        logic unused_e;
        assign unused_e = ^{e_op[Q], e_of[Q], e_ipop[Q]};
      end
      if (cx == 0) begin : g_west_edge
        assign w_ofull[Q] = '1;
        assign w_ip[Q]    = '0;
        assign w_if[Q]    = '0;
        assign w_idle[Q]  = '1;
        logic unused_w;
        assign unused_w = ^{w_op[Q], w_of[Q], w_ipop[Q]};
      end
      // south side: the S links of this chip to chip Q+GRID_W and the N links back
      if (cy < GRID_H - 1) begin : g_south
        for (genvar x = 0; x < CW; x++) begin : g_col
          nc_c2c_link #(.FLIT_BITS(FB), .LATENCY(LINK_LATENCY), .CREDIT_LATENCY(LINK_CREDIT_LATENCY),
                        .CYCLES_PER_FLIT(LINK_CYCLES_PER_FLIT), .CREDITS(LINK_BUFFER)) u_s (
            .clk, .rst, .tick(!paused),
            .in_push(s_op[Q][x]), .in_flit(s_of[Q][x]), .in_full(s_ofull[Q][x]),
            .out_push(n_ip[Q + GRID_W][x]), .out_flit(n_if[Q + GRID_W][x]), .out_pop(n_ipop[Q + GRID_W][x]),
            .idle(s_idle[Q][x]));
          nc_c2c_link #(.FLIT_BITS(FB), .LATENCY(LINK_LATENCY), .CREDIT_LATENCY(LINK_CREDIT_LATENCY),
                        .CYCLES_PER_FLIT(LINK_CYCLES_PER_FLIT), .CREDITS(LINK_BUFFER)) u_n (
            .clk, .rst, .tick(!paused),
            .in_push(n_op[Q + GRID_W][x]), .in_flit(n_of[Q + GRID_W][x]), .in_full(n_ofull[Q + GRID_W][x]),
            .out_push(s_ip[Q][x]), .out_flit(s_if[Q][x]), .out_pop(s_ipop[Q][x]),
            .idle(n_idle[Q + GRID_W][x]));
        end
      end else begin : g_south_edge
        assign s_ofull[Q] = '1;
        assign s_ip[Q]    = '0;
        assign s_if[Q]    = '0;
        assign s_idle[Q]  = '1;
        logic unused_s;
        assign unused_s = ^{s_op[Q], s_of[Q], s_ipop[Q]};
      end
      if (cy == 0) begin : g_north_edge
        assign n_ofull[Q] = '1;
        assign n_ip[Q]    = '0;
        assign n_if[Q]    = '0;
        assign n_idle[Q]  = '1;
        logic unused_n;
        assign unused_n = ^{n_op[Q], n_of[Q], n_ipop[Q]};
      end
    end
  end

  always_comb begin
    links_idle = 1'b1;
    for (int q = 0; q < NQ; q++) links_idle = links_idle && (&n_idle[q]) && (&s_idle[q]) && (&e_idle[q]) && (&w_idle[q]);
  end

  // ---- host bus read ------------------------------------------------------------------------
  localparam int NP  = `NC_PARAM_COUNT;
  localparam int NSP = `NC_SYS_PARAM_COUNT;
  localparam logic [NP*32-1:0]  PARAMS     = `NC_PARAM_VECTOR;      // the chip set, system mesh values
  localparam logic [NSP*32-1:0] SYS_PARAMS = `NC_SYS_PARAM_VECTOR;

  logic [`NC_CHC_COUNT-1:0][CNT_BITS-1:0] chip_cnt;
  assign chip_cnt[`NC_CHC_HOST_FLITS] = q_host[0];
  assign chip_cnt[`NC_CHC_BARRIERS]   = barriers;
  assign chip_cnt[`NC_CHC_CYCLES]     = cycle;

  always_comb begin
    bus_rdata = '0;
    if (bus_sel == 4'(`NC_SEL_CHIP)) begin
      if (bus_index == 32'(`NC_CHIP_STATUS)) bus_rdata = 64'({ctrl_state, paused});
      for (int k = 0; k < `NC_CHC_COUNT; k++)
        if (bus_index == 32'(`NC_CHIP_CNT + k)) bus_rdata = 64'(chip_cnt[k]);
      for (int k = 0; k < NP; k++)
        if (bus_index == 32'(`NC_CHIP_PARAM + k)) bus_rdata = 64'(PARAMS[k*32 +: 32]);
      for (int k = 0; k < NSP; k++)
        if (bus_index == 32'(`NC_CHIP_SYS_PARAM + k)) bus_rdata = 64'(SYS_PARAMS[k*32 +: 32]);
    end else if (bus_sel == 4'(`NC_SEL_HOSTQ)) begin
      bus_rdata = q_rdata[0];
    end else if ((core_sel && r_idx < 32'(MESH_W * MESH_H)) || (rt_sel && r_idx < 32'(MESH_W * MESH_H))) begin
      for (int q = 0; q < NQ; q++)
        if (q_sel == 32'(q)) bus_rdata = q_rdata[q];
    end
  end

  logic unused_sys;
  always_comb begin
    unused_sys = ^{lidx[31:16], q_paused};
    for (int q = 1; q < NQ; q++) unused_sys = unused_sys ^ (^q_host[q]);
  end
endmodule
