// nc_chip: the W x H chip top — tiles, mesh wiring, host link, timestep controller, host bus.
//
// Tile (x, y) is router r = y*MESH_W + x and holds cores k = r*CORES_PER_ROUTER + j (local
// core j); x grows east, y grows south (north of (x,y) is (x,y-1)). Output E of (x,y) drives input W of (x+1,y); W -> E of (x-1,y); N -> S of
// (x,y-1); S -> N of (x,y+1). Outputs that leave the mesh see a permanently full downstream
// (XY routing never uses them for flits addressed to the mesh). The West input of tile
// (0, HOST_ROW) is the host link.
//
// Host bus (see nc_defs.svh and docs/rtl.md): address {bus_tile, bus_sel, bus_index,
// bus_field}; bus_we writes bus_wdata at the clock edge; bus_rdata is a combinational read.
// bus_tile names a core for the core selects (NC_SEL_PROFILE .. NC_SEL_TRACE) and a router
// for the router selects (NC_SEL_ROUTER, NC_SEL_MCTABLE).
// Program loading, initial state, the per-timestep input queue, START, and all read-back
// (spike trace, counters, status) go through it.
//
// The parameter list is generated (nc_chip_params.svh, from neurocycle.hw._layout.RTL_PARAMS);
// values come from a chip config (neurocycle.rtl.chip_parameters, widths from
// ChipConfig.derived), are checked here at elaboration and read back by the host through
// NC_CHIP_PARAM. Defaults = configs/chips/tiny-2x2.yaml, for lint and unit tests.
//
// A chip of a system (SYSTEM = 1, instantiated by nc_system; docs/microarchitecture.md §12):
// its tiles sit at system coordinates (CHIP_X0 + x, CHIP_Y0 + y) and X_BITS/Y_BITS are the
// system's; each side in EDGE_LINKS (bit 0 N, 1 E, 2 S, 3 W) faces another chip, and its edge
// routers' outputs and inputs on that side are the ports ln_*/le_*/ls_*/lw_* (index = the
// tile's position along the side), where nc_system attaches the nc_c2c_link instances; the
// inputs of those ports have FIFOs of LINK_DEPTH (the links' receive buffers) and report their
// pops (the credits). The timestep controller is the system's (sys_*), and chip_quiet says
// that this chip's part of quiescence holds (chip_learns / chip_le_done: its learning engines,
// which start at the system's Q_t, sys_le_go). On a chip of its own (SYSTEM = 0) the side ports
// are unused, every output that leaves the mesh sees a full downstream, and nc_ctrl runs here.
`include "nc_defs.svh"
module nc_chip #(
`include "nc_chip_params.svh"
  ,
  parameter int SYSTEM     = 0,   // 1: a chip of nc_system (controller and side links outside)
  parameter int CHIP_X0    = 0,   // system column of this chip's tile x = 0
  parameter int CHIP_Y0    = 0,   // system row of this chip's tile y = 0
  parameter int EDGE_LINKS = 0,   // sides that face another chip: bit 0 N, 1 E, 2 S, 3 W
  parameter int LINK_DEPTH = 2    // receive buffer of a link input (link_buffer_flits)
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
  output logic        paused,     // between timesteps: the host may read, load and START
  // ---- a chip of a system (SYSTEM = 1); unused otherwise
  input  logic                sys_start,
  input  logic                sys_swap,
  input  logic                sys_run,
  input  logic                sys_paused,
  input  logic [CNT_BITS-1:0] sys_cycle,
  input  logic                sys_le_go,    // the system's Q_t (learning phase, §11.2)
  output logic                chip_quiet,
  output logic                chip_learns,  // some core of this chip learns
  output logic                chip_le_done, // every learning engine of this chip is done
  output logic [CNT_BITS-1:0] cnt_host,
  output logic [MESH_W-1:0]                 ln_out_push, ls_out_push,
  output logic [MESH_W-1:0][FLIT_BITS-1:0]  ln_out_flit, ls_out_flit,
  input  logic [MESH_W-1:0]                 ln_out_full, ls_out_full,
  input  logic [MESH_W-1:0]                 ln_in_push,  ls_in_push,
  input  logic [MESH_W-1:0][FLIT_BITS-1:0]  ln_in_flit,  ls_in_flit,
  output logic [MESH_W-1:0]                 ln_in_pop,   ls_in_pop,
  output logic [MESH_H-1:0]                 le_out_push, lw_out_push,
  output logic [MESH_H-1:0][FLIT_BITS-1:0]  le_out_flit, lw_out_flit,
  input  logic [MESH_H-1:0]                 le_out_full, lw_out_full,
  input  logic [MESH_H-1:0]                 le_in_push,  lw_in_push,
  input  logic [MESH_H-1:0][FLIT_BITS-1:0]  le_in_flit,  lw_in_flit,
  output logic [MESH_H-1:0]                 le_in_pop,   lw_in_pop
);
  localparam int NT       = MESH_W * MESH_H;                 // tiles = routers
  localparam int NK       = NT * CORES_PER_ROUTER;           // cores
  localparam int TB       = (NT > 1) ? $clog2(NT) : 1;
  localparam int KB       = (NK > 1) ? $clog2(NK) : 1;

  if (MESH_W < 1 || MESH_W > 64 || MESH_H < 1 || MESH_H > 64) begin : g_bad_mesh
    $fatal(1, "nc_chip: mesh %0dx%0d must be within 1..64 x 1..64", MESH_W, MESH_H);
  end
  if (HOST_ROW < 0 || HOST_ROW >= MESH_H) begin : g_bad_host
    $fatal(1, "nc_chip: HOST_ROW=%0d is outside the mesh (height %0d)", HOST_ROW, MESH_H);
  end
  if ((1 << X_BITS) < MESH_W * CORES_PER_ROUTER || (1 << Y_BITS) < MESH_H) begin : g_bad_xy
    $fatal(1, "nc_chip: X_BITS=%0d/Y_BITS=%0d cannot address a %0dx%0d mesh of %0d cores per router", X_BITS, Y_BITS,
           MESH_W, MESH_H, CORES_PER_ROUTER);
  end
  if (CORES_PER_ROUTER < 1 || CORES_PER_ROUTER > 4 || NK > 4096) begin : g_bad_cores
    $fatal(1, "nc_chip: CORES_PER_ROUTER=%0d must be 1..4 (at most 4096 cores)", CORES_PER_ROUTER);
  end
  if (MC_BITS != 0 && (MC_BITS != 1 || MC_ENTRIES < 1)) begin : g_bad_mc
    $fatal(1, "nc_chip: MC_BITS=%0d / MC_ENTRIES=%0d: multicast needs MC_BITS = 1 and a table", MC_BITS, MC_ENTRIES);
  end
  if (FLIT_BITS != `NC_FLIT_WIDTH) begin : g_bad_flit
    $fatal(1, "nc_chip: FLIT_BITS=%0d is not the sum of the flit field widths", FLIT_BITS);
  end
  if (CORE_FIFO_DEPTH < 1 || CORE_FIFO_DEPTH > 64 || ROUTER_FIFO_DEPTH < 1 || ROUTER_FIFO_DEPTH > 64)
  begin : g_bad_fifo
    $fatal(1, "nc_chip: FIFO depths (core %0d, router %0d) must be 1..64", CORE_FIFO_DEPTH, ROUTER_FIFO_DEPTH);
  end
  if (CNT_BITS < 16 || CNT_BITS > 64) begin : g_bad_cnt
    $fatal(1, "nc_chip: CNT_BITS=%0d must be 16..64", CNT_BITS);
  end
  if (SYSTEM < 0 || SYSTEM > 1 || EDGE_LINKS < 0 || EDGE_LINKS > 15 || (SYSTEM == 0 && EDGE_LINKS != 0)
      || LINK_DEPTH < 1 || LINK_DEPTH > 64) begin : g_bad_system
    $fatal(1, "nc_chip: SYSTEM=%0d / EDGE_LINKS=%0d / LINK_DEPTH=%0d: side links need SYSTEM = 1, a mask, depth 1..64",
           SYSTEM, EDGE_LINKS, LINK_DEPTH);
  end
  if ((1 << X_BITS) < (CHIP_X0 + MESH_W) * CORES_PER_ROUTER || (1 << Y_BITS) < CHIP_Y0 + MESH_H) begin : g_bad_pos
    $fatal(1, "nc_chip: X_BITS=%0d/Y_BITS=%0d cannot address system tile (%0d, %0d)", X_BITS, Y_BITS,
           CHIP_X0 + MESH_W - 1, CHIP_Y0 + MESH_H - 1);
  end
  localparam bit LINK_N = ((EDGE_LINKS >> 0) & 1) == 1;
  localparam bit LINK_E = ((EDGE_LINKS >> 1) & 1) == 1;
  localparam bit LINK_S = ((EDGE_LINKS >> 2) & 1) == 1;
  localparam bit LINK_W = ((EDGE_LINKS >> 3) & 1) == 1;

  // ---- controller ---------------------------------------------------------------------------
  logic                start, swap, run, all_quiet, start_cmd, any_learn, all_le_done, le_go;
  logic [1:0]          ctrl_state;
  logic [CNT_BITS-1:0] cycle, barriers;

  assign start_cmd = bus_we && bus_sel == 4'(`NC_SEL_CHIP) && bus_index == 32'(`NC_CHIP_CTRL);

  if (SYSTEM == 0) begin : g_ctrl
    nc_ctrl #(.BARRIER_CYCLES(BARRIER_CYCLES), .CNT_BITS(CNT_BITS)) u_ctrl (
      .clk, .rst, .start_cmd, .all_quiet, .any_learn, .all_le_done, .le_go, .start, .swap, .run, .paused,
      .state(ctrl_state),
      .cycle, .barriers
    );
    logic unused_sys;
    assign unused_sys = ^{sys_start, sys_swap, sys_run, sys_paused, sys_cycle, sys_le_go};
  end else begin : g_sys_ctrl      // the system's controller (nc_system) runs every chip
    assign start      = sys_start;
    assign swap       = sys_swap;
    assign run        = sys_run;
    assign paused     = sys_paused;
    assign cycle      = sys_cycle;
    assign le_go      = sys_le_go;   // the system's Q_t: the learning phase follows the SYSTEM's quiescence
    assign ctrl_state = '0;
    assign barriers   = '0;
    logic unused_cmd;
    assign unused_cmd = ^{start_cmd, all_quiet};
  end
  assign chip_quiet  = all_quiet;
  assign chip_learns = any_learn;
  assign chip_le_done = all_le_done;
  logic unused_sides;     // side inputs of the sides that do not face another chip
  assign unused_sides = ^{ln_out_full, ln_in_push, ln_in_flit, ls_out_full, ls_in_push, ls_in_flit,
                          le_out_full, le_in_push, le_in_flit, lw_out_full, lw_in_push, lw_in_flit};

  // ---- host link ----------------------------------------------------------------------------
  logic                 host_push, host_full, host_done;
  logic [FLIT_BITS-1:0] host_flit;
  logic [31:0]          host_count;
  logic [CNT_BITS-1:0]  host_flits;

  nc_host_link #(.QUEUE_DEPTH(HOST_QUEUE_DEPTH), .FLIT_BITS(FLIT_BITS), .CNT_BITS(CNT_BITS)) u_host (
    .clk, .rst,
    .q_we(bus_we && bus_sel == 4'(`NC_SEL_HOSTQ) && bus_field == 8'd0), .q_index(bus_index),
    .count_we(bus_we && bus_sel == 4'(`NC_SEL_HOSTQ) && bus_field == 8'd1 && bus_index == '0),
    .wdata(bus_wdata), .count_rd(host_count),
    .start, .run, .push(host_push), .flit(host_flit), .full(host_full), .done(host_done),
    .cnt_host_flits(host_flits)
  );
  assign cnt_host = host_flits;

  // ---- tiles and mesh wiring ----------------------------------------------------------------
  logic [4:0]                t_in_push  [NT];
  logic [4:0][FLIT_BITS-1:0] t_in_flit  [NT];
  logic [4:0]                t_in_full  [NT];
  logic [4:0]                t_out_push [NT];
  logic [4:0][FLIT_BITS-1:0] t_out_flit [NT];
  logic [4:0]                t_out_full [NT];
  logic [4:0]                t_in_pop   [NT];
  logic [NT-1:0]             t_quiet, t_le_done, t_learns;
  logic [63:0]               t_rt_rdata [NT];
  logic [63:0]               k_rdata    [NK];
  logic                      core_sel, rt_sel;

  // core-scope selects: the core memories and registers (and the accumulator ring, the reverse table)
  assign core_sel = (bus_sel >= 4'(`NC_SEL_PROFILE) && bus_sel <= 4'(`NC_SEL_TRACE))
                 || bus_sel == 4'(`NC_SEL_BANK) || bus_sel == 4'(`NC_SEL_REV);
  assign rt_sel   = bus_sel == 4'(`NC_SEL_ROUTER) || bus_sel == 4'(`NC_SEL_MCTABLE);

  for (genvar y = 0; y < MESH_H; y++) begin : g_row
    for (genvar x = 0; x < MESH_W; x++) begin : g_col
      localparam int K = y * MESH_W + x;
      logic                 n_push, e_push, s_push, w_push;   // into this tile's input port
      logic [FLIT_BITS-1:0] n_flit, e_flit, s_flit, w_flit;
      logic                 n_full, e_full, s_full, w_full;   // downstream of this tile's output

      if (y > 0) begin : g_n
        assign n_push = t_out_push[K - MESH_W][`NC_PORT_S];
        assign n_flit = t_out_flit[K - MESH_W][`NC_PORT_S];
        assign n_full = t_in_full[K - MESH_W][`NC_PORT_S];
      end else if (LINK_N) begin : g_n_link     // the north side faces another chip: a link port
        assign n_push = ln_in_push[x];
        assign n_flit = ln_in_flit[x];
        assign n_full = ln_out_full[x];
        assign ln_out_push[x] = t_out_push[K][`NC_PORT_N];
        assign ln_out_flit[x] = t_out_flit[K][`NC_PORT_N];
        assign ln_in_pop[x]   = t_in_pop[K][`NC_PORT_N];
      end else begin : g_n_edge
        logic unused_n;     // output N leaves the mesh: nothing is routed there
        assign n_push = 1'b0;
        assign n_flit = '0;
        assign n_full = 1'b1;
        assign unused_n = ^{t_out_push[K][`NC_PORT_N], t_out_flit[K][`NC_PORT_N], t_in_pop[K][`NC_PORT_N]};
      end
      if (y == 0 && !LINK_N) begin : g_n_port_off
        assign ln_out_push[x] = 1'b0;
        assign ln_out_flit[x] = '0;
        assign ln_in_pop[x]   = 1'b0;
      end
      if (x < MESH_W - 1) begin : g_e
        assign e_push = t_out_push[K + 1][`NC_PORT_W];
        assign e_flit = t_out_flit[K + 1][`NC_PORT_W];
        assign e_full = t_in_full[K + 1][`NC_PORT_W];
      end else if (LINK_E) begin : g_e_link
        assign e_push = le_in_push[y];
        assign e_flit = le_in_flit[y];
        assign e_full = le_out_full[y];
        assign le_out_push[y] = t_out_push[K][`NC_PORT_E];
        assign le_out_flit[y] = t_out_flit[K][`NC_PORT_E];
        assign le_in_pop[y]   = t_in_pop[K][`NC_PORT_E];
      end else begin : g_e_edge
        logic unused_e;     // output E leaves the mesh: nothing is routed there
        assign e_push = 1'b0;
        assign e_flit = '0;
        assign e_full = 1'b1;
        assign unused_e = ^{t_out_push[K][`NC_PORT_E], t_out_flit[K][`NC_PORT_E], t_in_pop[K][`NC_PORT_E]};
      end
      if (x == MESH_W - 1 && !LINK_E) begin : g_e_port_off
        assign le_out_push[y] = 1'b0;
        assign le_out_flit[y] = '0;
        assign le_in_pop[y]   = 1'b0;
      end
      if (y < MESH_H - 1) begin : g_s
        assign s_push = t_out_push[K + MESH_W][`NC_PORT_N];
        assign s_flit = t_out_flit[K + MESH_W][`NC_PORT_N];
        assign s_full = t_in_full[K + MESH_W][`NC_PORT_N];
      end else if (LINK_S) begin : g_s_link
        assign s_push = ls_in_push[x];
        assign s_flit = ls_in_flit[x];
        assign s_full = ls_out_full[x];
        assign ls_out_push[x] = t_out_push[K][`NC_PORT_S];
        assign ls_out_flit[x] = t_out_flit[K][`NC_PORT_S];
        assign ls_in_pop[x]   = t_in_pop[K][`NC_PORT_S];
      end else begin : g_s_edge
        logic unused_s;     // output S leaves the mesh: nothing is routed there
        assign s_push = 1'b0;
        assign s_flit = '0;
        assign s_full = 1'b1;
        assign unused_s = ^{t_out_push[K][`NC_PORT_S], t_out_flit[K][`NC_PORT_S], t_in_pop[K][`NC_PORT_S]};
      end
      if (y == MESH_H - 1 && !LINK_S) begin : g_s_port_off
        assign ls_out_push[x] = 1'b0;
        assign ls_out_flit[x] = '0;
        assign ls_in_pop[x]   = 1'b0;
      end
      if (x > 0) begin : g_w
        assign w_push = t_out_push[K - 1][`NC_PORT_E];
        assign w_flit = t_out_flit[K - 1][`NC_PORT_E];
        assign w_full = t_in_full[K - 1][`NC_PORT_E];
      end else if (LINK_W) begin : g_w_link   // a chip east of another: no host link here
        assign w_push = lw_in_push[y];
        assign w_flit = lw_in_flit[y];
        assign w_full = lw_out_full[y];
        assign lw_out_push[y] = t_out_push[K][`NC_PORT_W];
        assign lw_out_flit[y] = t_out_flit[K][`NC_PORT_W];
        assign lw_in_pop[y]   = t_in_pop[K][`NC_PORT_W];
        if (y == HOST_ROW) begin : g_host_off
          assign host_full = 1'b1;     // the host queue of this chip stays empty (nc_system)
          logic unused_host;
          assign unused_host = ^{host_push, host_flit};
        end
      end else begin : g_w_edge
        logic unused_w;       // output W leaves the mesh (input W may be the host link)
        assign w_push = (y == HOST_ROW) ? host_push : 1'b0;
        assign w_flit = (y == HOST_ROW) ? host_flit : '0;
        assign w_full = 1'b1;
        assign unused_w = ^{t_out_push[K][`NC_PORT_W], t_out_flit[K][`NC_PORT_W], t_in_pop[K][`NC_PORT_W]};
        if (y == HOST_ROW) begin : g_host
          assign host_full = t_in_full[K][`NC_PORT_W];
        end
      end
      if (x == 0 && !LINK_W) begin : g_w_port_off
        assign lw_out_push[y] = 1'b0;
        assign lw_out_flit[y] = '0;
        assign lw_in_pop[y]   = 1'b0;
      end

      assign t_in_push[K]  = {w_push, s_push, e_push, n_push, 1'b0};
      assign t_in_flit[K]  = {w_flit, s_flit, e_flit, n_flit, FLIT_BITS'(0)};
      assign t_out_full[K] = {w_full, s_full, e_full, n_full, 1'b0};

      logic [CORES_PER_ROUTER-1:0]       we_core;
      logic [CORES_PER_ROUTER-1:0][63:0] c_rdata;
      for (genvar j = 0; j < CORES_PER_ROUTER; j++) begin : g_k
        assign we_core[j] = bus_we && core_sel && bus_tile == 16'(K * CORES_PER_ROUTER + j);
        assign k_rdata[K * CORES_PER_ROUTER + j] = c_rdata[j];
      end

      // inputs fed by chip-to-chip links (edge tiles of a chip in a system): bit p-1 = port p
      localparam int LPORTS = ((y == 0 && LINK_N) ? 1 : 0) | ((x == MESH_W - 1 && LINK_E) ? 2 : 0)
                            | ((y == MESH_H - 1 && LINK_S) ? 4 : 0) | ((x == 0 && LINK_W) ? 8 : 0);
      nc_tile #(
`include "nc_tile_param_map.svh"
        , .LINK_PORTS(LPORTS), .LINK_DEPTH(LINK_DEPTH)
      ) u_tile (
        .clk, .rst, .my_x(X_BITS'(CHIP_X0 + x)), .my_y(Y_BITS'(CHIP_Y0 + y)),
        .bus_we_core(we_core), .bus_we_rt(bus_we && rt_sel && bus_tile == 16'(K)),
        .bus_sel, .bus_index, .bus_field, .bus_wdata, .bus_rd(paused), .core_rdata(c_rdata),
        .rt_rdata(t_rt_rdata[K]),
        .start, .swap, .cycle,
        .in_push(t_in_push[K]), .in_flit(t_in_flit[K]), .in_full(t_in_full[K]), .in_pop(t_in_pop[K]),
        .out_push(t_out_push[K]), .out_flit(t_out_flit[K]), .out_full(t_out_full[K]),
        .quiet(t_quiet[K]), .le_go, .le_done(t_le_done[K]), .learns(t_learns[K])
      );
    end
  end

  assign all_quiet   = (&t_quiet) && host_done;
  assign any_learn   = |t_learns;
  assign all_le_done = &t_le_done;

  // ---- host bus read ------------------------------------------------------------------------
  localparam int NP = `NC_PARAM_COUNT;
  localparam logic [NP*32-1:0] PARAMS = `NC_PARAM_VECTOR;   // bits [32k +: 32] = parameter k

  // chip counter bank (order: NC_CHC_*)
  logic [`NC_CHC_COUNT-1:0][CNT_BITS-1:0] chip_cnt;
  assign chip_cnt[`NC_CHC_HOST_FLITS] = host_flits;
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
    end else if (bus_sel == 4'(`NC_SEL_HOSTQ)) begin
      if (bus_field == 8'd1) bus_rdata = 64'(host_count);
    end else if (core_sel && 32'(bus_tile) < 32'(NK)) begin
      bus_rdata = k_rdata[bus_tile[KB-1:0]];
    end else if (rt_sel && 32'(bus_tile) < 32'(NT)) begin
      bus_rdata = t_rt_rdata[bus_tile[TB-1:0]];
    end
  end
endmodule
