// nc_core: one neuro-core (docs/microarchitecture.md §5): its memories, the core input FIFO,
// the two engines, the event counters and the host-bus slave, assembled from
//   nc_fifo      core input FIFO (router output L -> SI)
//   nc_si        synaptic-integration engine: pop + axon lookup, one synapse word per WORD_CYCLES,
//                lanes with equal targets merged -> write requests into acc[nxt]
//   nc_nu        neuron-update engine: UPDATE/PUSH/DONE walk, nc_neuron, spike-trace writes,
//                fan-out pushes into the router's L FIFO
//   nc_core_bus  host-bus write enables per memory field, and the read-back multiplexer
// The engines and the bus slave drive read addresses and get the memories' registered
// contents back; every write (the engines' requests and the host's) lands here, at the clock
// edge that ends the cycle, with the engines taking priority over the host where both write.
//
// Memories are register files with combinational reads of the registered contents, so a
// cycle sees exactly the start-of-cycle state the contract speaks of. Nothing in a memory is
// reset: the host writes every entry that is read (program loading, initial neuron state and
// accumulators), as for an SRAM.
//
//   neuron state   u, v (signed STATE_BITS), ref (REF_BITS)          [NEURONS]
//   neuron tables  profile index, fan-out base, fan-out count          [NEURONS]
//   profiles       du, dv (12 b), bias, vth, v_reset, refractory, w_exp [PROFILES]
//                  (+ graded, 1 b, when PAYLOAD_BITS > 0)
//   axon table     synapse base word, synapse count                    [AXONS]
//   synapse SRAM   LANES x {valid, target neuron, signed weight}       [SYN_WORDS]
//   fan-out table  destination route (the flit without its payload)    [FANOUT_ENTRIES]
//   accumulators   R = DELAY_SLOTS + 1 banks, entry R*i + bank (signed ACC_BITS) [R*NEURONS]
//   pending bits   R banks of NEURONS bits, read in SCAN_BITS words     (EVENT only)
//   spike trace    neuron, cycle (, payload) of each spike of the timestep [NEURONS]
//   (DELAY_BITS > 0) synapse slot delay                                [SYN_WORDS x LANES]
//   (LEARN) synapse plastic bit; post-synaptic trace y and spiked bit per neuron; pre-synaptic
//           trace x and arrived bit per axon; reverse table {axon, word, lane} [REV_ENTRIES];
//           reverse pointer (base, count) per neuron; the STDP rule registers and ax_used
//
// Registers kept here: n_used (host-written: the NU walks neurons 0..n_used-1), cur (the
// bank the NU reads, 0..DELAY_SLOTS; it advances on `swap` (mod R, so with R = 2 it flips); the
// SI writes bank (cur + 1 + delay) mod R, microarchitecture.md §10; the pending bitmaps of an
// event-driven core use the same banks), and the event counters (order NC_CC_*), each
// incremented from a status output of the FIFO, SI, NU or LE. With LEARN the learning engine
// nc_le runs after quiescence (`le_go`); `le_done` and `learns` tell nc_ctrl (§11.2).
//
// Parameters: the tile parameter set (nc_tile_params.svh, generated from hw/_layout.py; each
// documented there and in docs/layout.md): capacities NEURONS, AXONS, SYN_WORDS, LANES,
// FANOUT_ENTRIES, PROFILES, CORE_FIFO_DEPTH; data widths WEIGHT_BITS, STATE_BITS, ACC_BITS,
// REF_BITS; address/count widths AXON_BITS, FLIT_BITS, NEURON_BITS, PROFILE_BITS,
// WORD_ADDR_BITS, LEN_BITS, FANOUT_ADDR_BITS, FANOUT_LEN_BITS; CNT_BITS; graded spikes and
// event-driven update PAYLOAD_BITS, EVENT, SCAN_BITS. OCC_BITS (FIFO occupancy) is NC_OCC_BITS.
// Each submodule gets the ones it uses, by the same names.
`include "nc_defs.svh"
module nc_core #(
`include "nc_tile_params.svh"
) (
  input  logic                 clk,
  input  logic                 rst,
  // host bus, already decoded to this tile
  input  logic                 bus_we,
  input  logic [3:0]           bus_sel,
  input  logic [31:0]          bus_index,
  input  logic [7:0]           bus_field,
  input  logic [31:0]          bus_wdata,
  input  logic                 bus_rd,    // read-back enabled (the chip is paused); else rdata = 0
  output logic [63:0]          bus_rdata,
  // timestep control (nc_ctrl)
  input  logic                 start,     // this edge begins a timestep: NU -> UPDATE(0)
  input  logic                 swap,      // this edge ends the barrier: cur <-> nxt
  input  logic [CNT_BITS-1:0]  cycle,     // current cycle, stamped on trace entries
  // router output L -> core input FIFO
  input  logic                 in_push,
  input  logic [FLIT_BITS-1:0] in_flit,
  output logic                 in_full,
  // NU -> router input L
  output logic                 out_push,
  output logic [FLIT_BITS-1:0] out_flit,
  input  logic                 out_full,
  output logic                 quiet,     // NU done, SI idle, input FIFO empty
  // learning phase (LEARN): the chip is quiescent this cycle; the LE is done; the core learns
  input  logic                 le_go,
  output logic                 le_done,
  output logic                 learns
);
  localparam int OCC_BITS = `NC_OCC_BITS;
  localparam int S  = STATE_BITS;
  localparam int A  = ACC_BITS;
  localparam int NB = NEURON_BITS;
  localparam int LB = (LANES > 1) ? $clog2(LANES) : 1;   // lane index width
  localparam int R  = DELAY_SLOTS + 1;                    // accumulator banks
  localparam int KB = (R > 2) ? $clog2(R) : 1;            // bank index width
  localparam int DW = (DELAY_BITS > 0) ? DELAY_BITS : 1;  // delay field width (placeholder when 0)
  localparam int AI = $clog2(R * NEURONS);                // accumulator address width
  localparam int RB = FLIT_BITS - PAYLOAD_BITS;           // fan-out entry: the route bits
  localparam int PW = (PAYLOAD_BITS > 0) ? PAYLOAD_BITS : 1;
  localparam int NWM = ((1 << NB) + SCAN_BITS - 1) / SCAN_BITS;   // pending words the NU can address
  localparam int WB = (NWM > 1) ? $clog2(NWM) : 1;
  localparam int NP = NWM * SCAN_BITS;                   // pending bits per bank (padded to whole words)
  localparam int PIW = (NP > 1) ? $clog2(NP) : 1;         // pending bit index width

  // ---- elaboration checks --------------------------------------------------------------------
  if (NEURONS < 1 || (1 << NB) < NEURONS) begin : g_bad_neurons
    $fatal(1, "nc_core: NEURONS=%0d does not fit NEURON_BITS=%0d", NEURONS, NB);
  end
  if (AXONS < 1 || (1 << AXON_BITS) < AXONS) begin : g_bad_axons
    $fatal(1, "nc_core: AXONS=%0d does not fit AXON_BITS=%0d", AXONS, AXON_BITS);
  end
  if (SYN_WORDS < 1 || (1 << WORD_ADDR_BITS) < SYN_WORDS) begin : g_bad_words
    $fatal(1, "nc_core: SYN_WORDS=%0d does not fit WORD_ADDR_BITS=%0d", SYN_WORDS, WORD_ADDR_BITS);
  end
  if (LANES < 1 || LANES > 16 || (1 << LEN_BITS) <= SYN_WORDS * LANES) begin : g_bad_lanes
    $fatal(1, "nc_core: LANES=%0d must be 1..16 and LEN_BITS=%0d must hold SYN_WORDS*LANES", LANES, LEN_BITS);
  end
  if (FANOUT_ENTRIES < 1 || (1 << FANOUT_ADDR_BITS) < FANOUT_ENTRIES
      || (1 << FANOUT_LEN_BITS) <= FANOUT_ENTRIES) begin : g_bad_fanout
    $fatal(1, "nc_core: FANOUT_ENTRIES=%0d does not fit FANOUT_ADDR_BITS=%0d/FANOUT_LEN_BITS=%0d",
           FANOUT_ENTRIES, FANOUT_ADDR_BITS, FANOUT_LEN_BITS);
  end
  if (PROFILES < 1 || (1 << PROFILE_BITS) < PROFILES) begin : g_bad_profiles
    $fatal(1, "nc_core: PROFILES=%0d does not fit PROFILE_BITS=%0d", PROFILES, PROFILE_BITS);
  end
  if (WEIGHT_BITS < 2 || WEIGHT_BITS > 16 || ACC_BITS < WEIGHT_BITS) begin : g_bad_weight
    $fatal(1, "nc_core: WEIGHT_BITS=%0d must be 2..16 and <= ACC_BITS=%0d", WEIGHT_BITS, ACC_BITS);
  end
  if (NB > 16 || LEN_BITS > 31 || FANOUT_LEN_BITS > 31 || CNT_BITS > 64 || FLIT_BITS > 32) begin : g_bad_bus
    $fatal(1, "nc_core: a field is wider than the host bus allows");
  end
  if (PAYLOAD_BITS < 0 || PAYLOAD_BITS > 16 || RB < 1 || EVENT < 0 || EVENT > 1) begin : g_bad_graded
    $fatal(1, "nc_core: PAYLOAD_BITS=%0d (0..16, below FLIT_BITS=%0d) or EVENT=%0d out of range",
           PAYLOAD_BITS, FLIT_BITS, EVENT);
  end
  if (DELAY_SLOTS < 1 || DELAY_SLOTS > 64 || DELAY_BITS != ((DELAY_SLOTS > 1) ? $clog2(DELAY_SLOTS) : 0)
      || LEARN < 0 || LEARN > 1) begin : g_bad_delay
    $fatal(1, "nc_core: DELAY_SLOTS=%0d must be 1..64 with DELAY_BITS=%0d = ceil(log2(DELAY_SLOTS)); LEARN=%0d 0/1",
           DELAY_SLOTS, DELAY_BITS, LEARN);
  end

  // ---- memories -----------------------------------------------------------------------------
  logic        [11:0]               pf_du      [PROFILES];
  logic        [11:0]               pf_dv      [PROFILES];
  logic signed [S-1:0]              pf_bias    [PROFILES];
  logic signed [S-1:0]              pf_vth     [PROFILES];
  logic signed [S-1:0]              pf_vreset  [PROFILES];
  logic        [REF_BITS-1:0]       pf_ref     [PROFILES];
  logic        [2:0]                pf_wexp    [PROFILES];

  logic [PROFILE_BITS-1:0]          nm_prof    [NEURONS];
  logic [FANOUT_ADDR_BITS-1:0]      nm_fo_base [NEURONS];
  logic [FANOUT_LEN_BITS-1:0]       nm_fo_len  [NEURONS];
  logic signed [S-1:0]              nm_u       [NEURONS];
  logic signed [S-1:0]              nm_v       [NEURONS];
  logic [REF_BITS-1:0]              nm_ref     [NEURONS];
  logic signed [A-1:0]              acc        [R*NEURONS];   // entry R*i + bank

  logic [WORD_ADDR_BITS-1:0]        ax_base    [AXONS];
  logic [LEN_BITS-1:0]              ax_len     [AXONS];

  logic [LANES-1:0]                 syn_valid  [SYN_WORDS];
  logic [LANES-1:0][NB-1:0]         syn_target [SYN_WORDS];
  logic [LANES-1:0][WEIGHT_BITS-1:0] syn_weight [SYN_WORDS];

  logic [RB-1:0]                    fo_flit    [FANOUT_ENTRIES];

  logic [NB-1:0]                    tr_neuron  [NEURONS];
  logic [CNT_BITS-1:0]              tr_cycle   [NEURONS];

  function automatic logic [AI-1:0] acc_addr(input logic [NB-1:0] i, input logic [KB-1:0] bank);
    acc_addr = AI'(32'(i) * R + 32'(bank));     // R*i + bank (= {i, bank} for R = 2)
  endfunction

  // ---- control registers --------------------------------------------------------------------
  logic [NB:0]   n_used;      // neurons placed on this core
  logic [KB-1:0] cur;         // accumulator bank read by the NU this timestep
  logic [KB-1:0] nxt;         // (cur + 1) mod R: the NU's pending set, the SI's delay-0 bank

  // the bank of a write with extra delay d: (cur + 1 + d) mod R (1 + d <= DELAY_SLOTS < R)
  function automatic logic [KB-1:0] bank_of(input logic [KB-1:0] c, input logic [DW-1:0] d);
    logic [KB+1:0] b;
    b = (KB + 2)'(c) + (KB + 2)'(1) + ((DELAY_BITS > 0) ? (KB + 2)'(d) : '0);
    bank_of = (b >= (KB + 2)'(R)) ? KB'(b - (KB + 2)'(R)) : KB'(b);
  endfunction
  assign nxt = bank_of(cur, '0);

  // ---- host bus: write enables, addresses, read-back mux (nc_core_bus) -----------------------
  logic [NB-1:0]               b_n;
  logic [PROFILE_BITS-1:0]     b_p;
  logic [AXON_BITS-1:0]        b_a;
  logic [WORD_ADDR_BITS-1:0]   b_w;
  logic [LB-1:0]               b_l;
  logic [FANOUT_ADDR_BITS-1:0] b_f;
  logic [REV_ADDR_BITS-1:0]    b_r;
  logic [KB-1:0]               b_k;
  logic we_bank_acc, we_bank_pend, we_nm_rev_base, we_nm_rev_len, we_nm_trace, we_nm_spk;
  logic we_rev_axon, we_rev_word, we_rev_lane, we_ax_trace, we_ax_arr, we_ax_used;
  logic [7:0] we_stdp;
  logic rd_bank_pend, rd_syn_plastic, rd_nm_spk, rd_ax_arr;
  logic [5:0] rd_syn_delay;
  logic [REV_ADDR_BITS-1:0] rd_nm_rev_base;
  logic [REV_LEN_BITS-1:0]  rd_nm_rev_len;
  logic [TRACE_BITS-1:0]    rd_nm_trace, rd_ax_trace;
  logic [AXON_BITS-1:0]     rd_rev_axon;
  logic [WORD_ADDR_BITS-1:0] rd_rev_word;
  logic [3:0]               rd_rev_lane;
  logic [AXON_BITS:0]       ax_used;
  logic [7:0][31:0]         stdp_regs;
  logic we_pf_du, we_pf_dv, we_pf_bias, we_pf_vth, we_pf_vreset, we_pf_ref, we_pf_wexp, we_pf_graded;
  logic we_nm_prof, we_nm_fo_base, we_nm_fo_len, we_nm_u, we_nm_v, we_nm_ref, we_acc0, we_acc1;
  logic we_nm_pend0, we_nm_pend1;
  logic rd_pf_graded, rd_pend0, rd_pend1;
  logic [PW-1:0] rd_tr_payload;
  logic we_ax_base, we_ax_len, we_syn_weight, we_syn_target, we_fo_flit, we_n_used;

  logic                  cf_empty, si_pop, si_busy;
  logic [FLIT_BITS-1:0]  cf_head;
  logic [OCC_BITS-1:0]   cf_count, cf_max;
  logic [1:0]            nu_state;
  logic [NB:0]           tr_count;
  logic [`NC_CC_COUNT-1:0][CNT_BITS-1:0] cnt;

  nc_core_bus #(
    .NEURONS(NEURONS), .AXONS(AXONS), .SYN_WORDS(SYN_WORDS), .LANES(LANES),
    .FANOUT_ENTRIES(FANOUT_ENTRIES), .PROFILES(PROFILES),
    .WEIGHT_BITS(WEIGHT_BITS), .STATE_BITS(STATE_BITS), .ACC_BITS(ACC_BITS), .REF_BITS(REF_BITS),
    .AXON_BITS(AXON_BITS), .FLIT_BITS(FLIT_BITS), .NEURON_BITS(NEURON_BITS),
    .PROFILE_BITS(PROFILE_BITS), .WORD_ADDR_BITS(WORD_ADDR_BITS), .LEN_BITS(LEN_BITS),
    .FANOUT_ADDR_BITS(FANOUT_ADDR_BITS), .FANOUT_LEN_BITS(FANOUT_LEN_BITS),
    .CNT_BITS(CNT_BITS), .OCC_BITS(OCC_BITS), .PAYLOAD_BITS(PAYLOAD_BITS), .DELAY_SLOTS(DELAY_SLOTS),
    .DELAY_BITS(DELAY_BITS), .LEARN(LEARN), .TRACE_BITS(TRACE_BITS), .REV_ENTRIES(REV_ENTRIES),
    .REV_ADDR_BITS(REV_ADDR_BITS), .REV_LEN_BITS(REV_LEN_BITS)
  ) u_bus (
    .bus_we, .bus_sel, .bus_index, .bus_field, .bus_rd, .bus_rdata,
    .n_addr(b_n), .p_addr(b_p), .a_addr(b_a), .w_addr(b_w), .w_lane(b_l), .f_addr(b_f), .r_addr(b_r),
    .k_bank(b_k),
    .we_bank_acc, .we_bank_pend, .we_nm_rev_base, .we_nm_rev_len, .we_nm_trace, .we_nm_spk,
    .we_rev_axon, .we_rev_word, .we_rev_lane, .we_ax_trace, .we_ax_arr, .we_ax_used, .we_stdp,
    .rd_syn_delay, .rd_syn_plastic, .rd_bank_acc(acc[acc_addr(b_n, b_k)]), .rd_bank_pend,
    .rd_nm_rev_base, .rd_nm_rev_len, .rd_nm_trace, .rd_nm_spk, .rd_ax_trace, .rd_ax_arr,
    .rd_rev_axon, .rd_rev_word, .rd_rev_lane, .ax_used, .stdp_regs,
    .we_pf_du, .we_pf_dv, .we_pf_bias, .we_pf_vth, .we_pf_vreset, .we_pf_ref, .we_pf_wexp, .we_pf_graded,
    .we_nm_prof, .we_nm_fo_base, .we_nm_fo_len, .we_nm_u, .we_nm_v, .we_nm_ref, .we_acc0, .we_acc1,
    .we_nm_pend0, .we_nm_pend1,
    .we_ax_base, .we_ax_len, .we_syn_weight, .we_syn_target, .we_fo_flit, .we_n_used,
    .rd_pf_du(pf_du[b_p]), .rd_pf_dv(pf_dv[b_p]), .rd_pf_bias(pf_bias[b_p]), .rd_pf_vth(pf_vth[b_p]),
    .rd_pf_vreset(pf_vreset[b_p]), .rd_pf_ref(pf_ref[b_p]), .rd_pf_wexp(pf_wexp[b_p]), .rd_pf_graded,
    .rd_nm_prof(nm_prof[b_n]), .rd_nm_fo_base(nm_fo_base[b_n]), .rd_nm_fo_len(nm_fo_len[b_n]),
    .rd_nm_u(nm_u[b_n]), .rd_nm_v(nm_v[b_n]), .rd_nm_ref(nm_ref[b_n]),
    .rd_acc0(acc[acc_addr(b_n, KB'(0))]), .rd_acc1(acc[acc_addr(b_n, KB'(1))]),
    .rd_nm_pend0(rd_pend0), .rd_nm_pend1(rd_pend1),
    .rd_ax_base(ax_base[b_a]), .rd_ax_len(ax_len[b_a]),
    .rd_syn_weight(syn_weight[b_w][b_l]), .rd_syn_valid(syn_valid[b_w][b_l]),
    .rd_syn_target(syn_target[b_w][b_l]), .rd_fo_flit(FLIT_BITS'(fo_flit[b_f])),
    .rd_tr_neuron(tr_neuron[b_n]), .rd_tr_cycle(tr_cycle[b_n]), .rd_tr_payload,
    .n_used, .cur(7'(cur)), .tr_count, .fifo_max(cf_max), .fifo_count(cf_count), .si_busy, .nu_state, .cnt
  );

  // ---- core input FIFO --------------------------------------------------------------------------
  nc_fifo #(.DEPTH(CORE_FIFO_DEPTH), .WIDTH(FLIT_BITS), .CW(OCC_BITS)) u_fifo (
    .clk, .rst, .push(in_push), .push_data(in_flit), .pop(si_pop),
    .head(cf_head), .empty(cf_empty), .full(in_full), .count(cf_count), .max_count(cf_max)
  );

  // ---- SI (nc_si): reads the axon table, synapse words and acc[nxt]; writes acc[nxt] ----------
  logic [AXON_BITS-1:0]                    si_ax_addr;
  logic [WORD_ADDR_BITS-1:0]               si_word_addr;
  logic [LANES-1:0][NB-1:0]                si_acc_neuron;
  logic [LANES-1:0][DW-1:0]                si_acc_delay, syn_delay_w;
  logic [LANES-1:0][KB-1:0]                si_bank;
  logic signed [LANES-1:0][A-1:0]          si_acc_rdata, si_acc_wdata;
  logic [LANES-1:0]                        si_acc_we, syn_plastic_w;
  logic [4:0]                              si_syn_ops, si_wupd;
  logic                                    si_word_read, si_word_we;
  logic [LANES-1:0][WEIGHT_BITS-1:0]       si_w_wdata;
  logic [LANES-1:0][TRACE_BITS-1:0]        si_y_rdata;
  logic                                    learn_en;      // the core's STDP rule is enabled
  logic [3:0]                              r_shift;
  logic signed [WEIGHT_BITS-1:0]           r_wmin, r_wmax;

  always_comb begin
    for (int l = 0; l < LANES; l++) begin
      si_bank[l]      = bank_of(cur, si_acc_delay[l]);
      si_acc_rdata[l] = acc[acc_addr(si_acc_neuron[l], si_bank[l])];
    end
  end

  nc_si #(
    .LANES(LANES), .WORD_CYCLES(WORD_CYCLES), .WEIGHT_BITS(WEIGHT_BITS), .ACC_BITS(ACC_BITS),
    .AXON_BITS(AXON_BITS), .FLIT_BITS(FLIT_BITS), .NEURON_BITS(NEURON_BITS), .WORD_ADDR_BITS(WORD_ADDR_BITS),
    .LEN_BITS(LEN_BITS), .PAYLOAD_BITS(PAYLOAD_BITS), .DELAY_BITS(DELAY_BITS), .LEARN(LEARN),
    .TRACE_BITS(TRACE_BITS)
  ) u_si (
    .clk, .rst,
    .fifo_empty(cf_empty), .fifo_head(cf_head), .pop(si_pop),
    .ax_addr(si_ax_addr), .ax_base(ax_base[si_ax_addr]), .ax_len(ax_len[si_ax_addr]),
    .word_addr(si_word_addr), .w_valid(syn_valid[si_word_addr]), .w_target(syn_target[si_word_addr]),
    .w_weight(syn_weight[si_word_addr]), .w_delay(syn_delay_w), .w_plastic(syn_plastic_w),
    .acc_neuron(si_acc_neuron), .acc_delay(si_acc_delay), .acc_rdata(si_acc_rdata), .acc_we(si_acc_we),
    .acc_wdata(si_acc_wdata),
    .learn_en, .y_rdata(si_y_rdata), .shift(r_shift), .w_min(r_wmin), .w_max(r_wmax),
    .word_we(si_word_we), .w_wdata(si_w_wdata),
    .busy(si_busy), .word_read(si_word_read), .syn_ops(si_syn_ops), .wupd(si_wupd)
  );

  // ---- NU (nc_nu): reads neuron state, profile, acc[cur], fan-out; writes state, acc, trace ---
  logic [NB-1:0]               nu_n;
  logic [PROFILE_BITS-1:0]     nu_p;
  logic [FANOUT_ADDR_BITS-1:0] nu_fo_addr;
  logic                        nu_upd, nu_spike, nu_done, nu_upd_active, nu_stall, nu_scan;
  logic                        nu_pend_set, nu_scan_clear, nu_p_graded;
  logic [WB-1:0]               nu_scan_addr;
  logic [SCAN_BITS-1:0]        nu_scan_word;
  logic [PW-1:0]               tr_wpayload;
  logic signed [S-1:0]         u_next, v_next;
  logic [REF_BITS-1:0]         ref_next;
  logic [NB-1:0]               tr_addr, tr_wneuron;
  logic [CNT_BITS-1:0]         tr_wcycle;

  nc_nu #(
    .STATE_BITS(STATE_BITS), .ACC_BITS(ACC_BITS), .REF_BITS(REF_BITS), .FLIT_BITS(FLIT_BITS),
    .NEURON_BITS(NEURON_BITS), .PROFILE_BITS(PROFILE_BITS), .FANOUT_ADDR_BITS(FANOUT_ADDR_BITS),
    .FANOUT_LEN_BITS(FANOUT_LEN_BITS), .CNT_BITS(CNT_BITS), .PAYLOAD_BITS(PAYLOAD_BITS), .EVENT(EVENT),
    .SCAN_BITS(SCAN_BITS)
  ) u_nu (
    .clk, .rst, .start, .n_used, .cycle,
    .n_addr(nu_n), .n_prof(nm_prof[nu_n]), .n_fo_base(nm_fo_base[nu_n]), .n_fo_len(nm_fo_len[nu_n]),
    .n_u(nm_u[nu_n]), .n_v(nm_v[nu_n]), .n_ref(nm_ref[nu_n]), .n_acc(acc[acc_addr(nu_n, cur)]),
    .p_addr(nu_p), .p_du(pf_du[nu_p]), .p_dv(pf_dv[nu_p]), .p_bias(pf_bias[nu_p]), .p_vth(pf_vth[nu_p]),
    .p_vreset(pf_vreset[nu_p]), .p_ref(pf_ref[nu_p]), .p_wexp(pf_wexp[nu_p]), .p_graded(nu_p_graded),
    .fo_addr(nu_fo_addr), .fo_flit(fo_flit[nu_fo_addr]),
    .scan_addr(nu_scan_addr), .scan_word(nu_scan_word),
    .upd(nu_upd), .u_next, .v_next, .ref_next, .pend_set(nu_pend_set), .scan_clear(nu_scan_clear),
    .spike(nu_spike), .tr_addr, .tr_neuron(tr_wneuron), .tr_cycle(tr_wcycle), .tr_payload(tr_wpayload),
    .out_push, .out_flit, .out_full,
    .state(nu_state), .done(nu_done), .upd_active(nu_upd_active), .stall(nu_stall), .scan(nu_scan), .tr_count
  );

  // ---- graded spikes: the profile's graded bit and the payload of every trace entry ----------
  if (PAYLOAD_BITS > 0) begin : g_graded
    logic          pf_graded  [PROFILES];
    logic [PW-1:0] tr_payload [NEURONS];
    always_ff @(posedge clk) begin
      if (we_pf_graded) pf_graded[b_p] <= bus_wdata[0];
      if (nu_spike) tr_payload[tr_addr] <= tr_wpayload;
    end
    assign nu_p_graded   = pf_graded[nu_p];
    assign rd_pf_graded  = pf_graded[b_p];
    assign rd_tr_payload = tr_payload[b_n];
  end else begin : g_binary
    assign nu_p_graded   = 1'b0;
    assign rd_pf_graded  = 1'b0;
    assign rd_tr_payload = 1'b1;
    logic unused_graded;
    assign unused_graded = ^{we_pf_graded, tr_wpayload};
  end

  // ---- event-driven update: the pending bitmaps (bank = physical index, cur read by the NU) ---
  if (EVENT != 0) begin : g_event
    logic [NP-1:0] pend [R];
    always_ff @(posedge clk) begin
      // the NU clears the word it scans in pend[cur]; the SI (every lane that writes an
      // accumulator, in that lane's bank) and the NU (an update that is not quiet, in pend[nxt])
      // set bits; the host initialises every bank while the chip is paused
      if (nu_scan_clear) pend[cur][nu_scan_addr * SCAN_BITS +: SCAN_BITS] <= '0;
      for (int l = 0; l < LANES; l++)
        if (si_acc_we[l]) pend[si_bank[l]][PIW'(si_acc_neuron[l])] <= 1'b1;
      if (nu_pend_set) pend[nxt][PIW'(nu_n)] <= 1'b1;
      if (we_nm_pend0) pend[0][PIW'(b_n)] <= bus_wdata[0];
      if (we_nm_pend1) pend[1][PIW'(b_n)] <= bus_wdata[0];
      if (we_bank_pend) pend[b_k][PIW'(b_n)] <= bus_wdata[0];
    end
    assign nu_scan_word = pend[cur][nu_scan_addr * SCAN_BITS +: SCAN_BITS];
    assign rd_pend0     = pend[0][PIW'(b_n)];
    assign rd_pend1     = pend[1][PIW'(b_n)];
    assign rd_bank_pend = pend[b_k][PIW'(b_n)];
  end else begin : g_dense
    assign nu_scan_word = '0;
    assign rd_pend0     = 1'b0;
    assign rd_pend1     = 1'b0;
    assign rd_bank_pend = 1'b0;
    logic unused_pend;
    assign unused_pend = ^{nu_scan_clear, nu_pend_set, nu_scan_addr, we_nm_pend0, we_nm_pend1, we_bank_pend};
  end

  // the LE's weight write and status, driven by g_learn (0 without LEARN)
  logic                          le_syn_we_o;
  logic [WORD_ADDR_BITS-1:0]     le_waddr_o;
  logic [LB-1:0]                 le_wlane_o;
  logic signed [WEIGHT_BITS-1:0] le_wdata_o;
  logic [4:0]                    le_cnt;

  // ---- synaptic delays: the delay of every slot (microarchitecture.md §10) -----------------
  if (DELAY_BITS > 0) begin : g_delays
    logic [LANES-1:0][DW-1:0] syn_delay [SYN_WORDS];
    always_ff @(posedge clk) begin
      if (we_syn_target) syn_delay[b_w][b_l] <= bus_wdata[24 +: DW];
    end
    assign syn_delay_w  = syn_delay[si_word_addr];
    assign rd_syn_delay = 6'(syn_delay[b_w][b_l]);
  end else begin : g_no_delays
    assign syn_delay_w  = '0;
    assign rd_syn_delay = '0;
  end

  // ---- STDP: plastic bits, traces, reverse table, rule registers, the learning engine --------
  if (LEARN != 0) begin : g_learn
    localparam int TB  = TRACE_BITS;
    localparam int TWB = (NB > AXON_BITS) ? NB : AXON_BITS;
    logic [LANES-1:0]            syn_plastic [SYN_WORDS];
    logic [TB-1:0]               ytr   [NEURONS];
    logic                        spk   [NEURONS];
    logic [TB-1:0]               xtr   [AXONS];
    logic                        arr   [AXONS];
    logic [REV_ADDR_BITS-1:0]    nm_rev_base [NEURONS];
    logic [REV_LEN_BITS-1:0]     nm_rev_len  [NEURONS];
    logic [AXON_BITS-1:0]        rev_axon [REV_ENTRIES];
    logic [WORD_ADDR_BITS-1:0]   rev_word [REV_ENTRIES];
    logic [LB-1:0]               rev_lane [REV_ENTRIES];
    logic                        r_en;
    logic [TB-1:0]               r_aplus, r_aminus;
    logic [11:0]                 r_dplus, r_dminus;
    logic [AXON_BITS:0]          r_ax_used;

    // the learning engine
    logic [NB-1:0]               le_tr_addr, le_n;
    logic [REV_ADDR_BITS-1:0]    le_e;
    logic [AXON_BITS-1:0]        le_ax;
    logic [WORD_ADDR_BITS-1:0]   le_word, le_waddr;
    logic [LB-1:0]               le_lane, le_wlane;
    logic signed [WEIGHT_BITS-1:0] le_wdata;
    logic [TWB-1:0]              le_tw;
    logic [TB-1:0]               le_y_wdata, le_x_wdata;
    logic                        le_y_we, le_x_we, le_syn_we, le_post, le_rd, le_wr;
    logic [1:0]                  le_trace_n;
    logic [NB-1:0]               tw_n;
    logic [AXON_BITS-1:0]        tw_a;
    assign le_n    = tr_neuron[le_tr_addr];
    assign le_ax   = rev_axon[le_e];
    assign le_word = rev_word[le_e];
    assign le_lane = rev_lane[le_e];
    assign tw_n    = NB'(le_tw);
    assign tw_a    = AXON_BITS'(le_tw);

    nc_le #(
      .NEURON_BITS(NEURON_BITS), .AXON_BITS(AXON_BITS), .WORD_ADDR_BITS(WORD_ADDR_BITS), .LANES(LANES),
      .WEIGHT_BITS(WEIGHT_BITS), .TRACE_BITS(TRACE_BITS), .REV_ADDR_BITS(REV_ADDR_BITS), .REV_LEN_BITS(REV_LEN_BITS)
    ) u_le (
      .clk, .rst, .start, .en(r_en), .go(le_go), .n_used, .ax_used(r_ax_used), .tr_count,
      .tr_addr(le_tr_addr), .rev_base(nm_rev_base[le_n]), .rev_len(nm_rev_len[le_n]),
      .e_addr(le_e), .e_axon(le_ax), .e_word(le_word), .e_lane(le_lane),
      .e_weight(syn_weight[le_word][le_lane]), .e_xtrace(xtr[le_ax]),
      .a_plus(r_aplus), .a_minus(r_aminus), .d_plus(r_dplus), .d_minus(r_dminus), .w_min(r_wmin),
      .w_max(r_wmax), .shift(r_shift),
      .syn_we(le_syn_we), .syn_waddr(le_waddr), .syn_wlane(le_wlane), .syn_wdata(le_wdata),
      .tw_addr(le_tw), .y_rdata(ytr[tw_n]), .spk_rdata(spk[tw_n]), .y_we(le_y_we), .y_wdata(le_y_wdata),
      .x_rdata(xtr[tw_a]), .arr_rdata(arr[tw_a]), .x_we(le_x_we), .x_wdata(le_x_wdata),
      .done(le_done), .post(le_post), .rd(le_rd), .wr(le_wr), .trace_n(le_trace_n)
    );

    always_ff @(posedge clk) begin
      // plastic bits, reverse table, pointers: the host
      if (we_syn_target) syn_plastic[b_w][b_l] <= bus_wdata[30];
      if (we_nm_rev_base) nm_rev_base[b_n] <= bus_wdata[REV_ADDR_BITS-1:0];
      if (we_nm_rev_len)  nm_rev_len[b_n]  <= bus_wdata[REV_LEN_BITS-1:0];
      if (we_rev_axon) rev_axon[b_r] <= bus_wdata[AXON_BITS-1:0];
      if (we_rev_word) rev_word[b_r] <= bus_wdata[WORD_ADDR_BITS-1:0];
      if (we_rev_lane) rev_lane[b_r] <= bus_wdata[LB-1:0];
      // traces and flags: the LE's trace walk, the NU's spikes and the SI's pops set the flags,
      // the host initialises them (while paused, when no engine writes)
      if (le_y_we) begin
        ytr[tw_n] <= le_y_wdata;
        spk[tw_n] <= 1'b0;
      end else begin
        if (we_nm_trace) ytr[b_n] <= bus_wdata[TB-1:0];
        if (we_nm_spk) spk[b_n] <= bus_wdata[0];
      end
      if (nu_spike && r_en) spk[nu_n] <= 1'b1;
      if (le_x_we) begin
        xtr[tw_a] <= le_x_wdata;
        arr[tw_a] <= 1'b0;
      end else begin
        if (we_ax_trace) xtr[b_a] <= bus_wdata[TB-1:0];
        if (we_ax_arr) arr[b_a] <= bus_wdata[0];
      end
      if (si_pop && r_en) arr[si_ax_addr] <= 1'b1;
    end

    // the rule registers and ax_used (host)
    always_ff @(posedge clk) begin
      if (rst) begin
        r_en      <= 1'b0;
        r_ax_used <= '0;
      end else begin
        if (we_stdp[0]) r_en <= bus_wdata[0];
        if (we_ax_used) r_ax_used <= bus_wdata[AXON_BITS:0];
      end
      if (we_stdp[1]) r_aplus  <= bus_wdata[TB-1:0];
      if (we_stdp[2]) r_aminus <= bus_wdata[TB-1:0];
      if (we_stdp[3]) r_dplus  <= bus_wdata[11:0];
      if (we_stdp[4]) r_dminus <= bus_wdata[11:0];
      if (we_stdp[5]) r_wmin   <= bus_wdata[WEIGHT_BITS-1:0];
      if (we_stdp[6]) r_wmax   <= bus_wdata[WEIGHT_BITS-1:0];
      if (we_stdp[7]) r_shift  <= bus_wdata[3:0];
    end

    always_comb begin
      for (int l = 0; l < LANES; l++) si_y_rdata[l] = ytr[si_acc_neuron[l]];
    end
    assign syn_plastic_w  = syn_plastic[si_word_addr];
    assign learn_en       = r_en;
    assign learns         = r_en;
    assign le_syn_we_o    = le_syn_we;
    assign le_waddr_o     = le_waddr;
    assign le_wlane_o     = le_wlane;
    assign le_wdata_o     = le_wdata;
    assign le_cnt         = {le_post, le_rd, le_wr, le_trace_n};
    assign rd_syn_plastic = syn_plastic[b_w][b_l];
    assign rd_nm_rev_base = nm_rev_base[b_n];
    assign rd_nm_rev_len  = nm_rev_len[b_n];
    assign rd_nm_trace    = ytr[b_n];
    assign rd_nm_spk      = spk[b_n];
    assign rd_ax_trace    = xtr[b_a];
    assign rd_ax_arr      = arr[b_a];
    assign rd_rev_axon    = rev_axon[b_r];
    assign rd_rev_word    = rev_word[b_r];
    assign rd_rev_lane    = 4'(rev_lane[b_r]);
    assign ax_used        = r_ax_used;
    assign stdp_regs      = {32'(r_shift), 32'(r_wmax), 32'(r_wmin), 32'(r_dminus), 32'(r_dplus),
                             32'(r_aminus), 32'(r_aplus), 32'(r_en)};
  end else begin : g_static
    assign syn_plastic_w  = '0;
    assign si_y_rdata     = '0;
    assign learn_en       = 1'b0;
    assign learns         = 1'b0;
    assign le_done        = 1'b1;
    assign r_shift        = '0;
    assign r_wmin         = '0;
    assign r_wmax         = '0;
    assign le_syn_we_o    = 1'b0;
    assign le_waddr_o     = '0;
    assign le_wlane_o     = '0;
    assign le_wdata_o     = '0;
    assign le_cnt         = '0;
    assign rd_syn_plastic = 1'b0;
    assign rd_nm_rev_base = '0;
    assign rd_nm_rev_len  = '0;
    assign rd_nm_trace    = '0;
    assign rd_nm_spk      = 1'b0;
    assign rd_ax_trace    = '0;
    assign rd_ax_arr      = 1'b0;
    assign rd_rev_axon    = '0;
    assign rd_rev_word    = '0;
    assign rd_rev_lane    = '0;
    assign ax_used        = '0;
    assign stdp_regs      = '0;
    logic unused_learn;
    assign unused_learn = ^{le_go, si_wupd, si_word_we, si_w_wdata, b_r, we_nm_rev_base, we_nm_rev_len, we_nm_trace,
                            we_nm_spk, we_rev_axon, we_rev_word, we_rev_lane, we_ax_trace, we_ax_arr, we_ax_used,
                            we_stdp, tr_count};
  end

  assign quiet = nu_done && !si_busy && cf_empty;

  // ---- control registers and the spike trace -----------------------------------------------
  always_ff @(posedge clk) begin
    if (rst) begin
      n_used <= '0;
      cur    <= '0;
    end else begin
      if (we_n_used) n_used <= bus_wdata[NB:0];
      if (swap) cur <= nxt;                 // the ring advances (R = 2: the banks swap)
    end
  end

  always_ff @(posedge clk) begin
    if (nu_spike) begin
      tr_neuron[tr_addr] <= tr_wneuron;
      tr_cycle[tr_addr]  <= tr_wcycle;
    end
  end

  // ---- memory writes: engines and host ----------------------------------------------------------
  always_ff @(posedge clk) begin
    if (we_pf_du)     pf_du[b_p]     <= bus_wdata[11:0];
    if (we_pf_dv)     pf_dv[b_p]     <= bus_wdata[11:0];
    if (we_pf_bias)   pf_bias[b_p]   <= bus_wdata[S-1:0];
    if (we_pf_vth)    pf_vth[b_p]    <= bus_wdata[S-1:0];
    if (we_pf_vreset) pf_vreset[b_p] <= bus_wdata[S-1:0];
    if (we_pf_ref)    pf_ref[b_p]    <= bus_wdata[REF_BITS-1:0];
    if (we_pf_wexp)   pf_wexp[b_p]   <= bus_wdata[2:0];
  end

  always_ff @(posedge clk) begin
    if (we_nm_prof)    nm_prof[b_n]    <= bus_wdata[PROFILE_BITS-1:0];
    if (we_nm_fo_base) nm_fo_base[b_n] <= bus_wdata[FANOUT_ADDR_BITS-1:0];
    if (we_nm_fo_len)  nm_fo_len[b_n]  <= bus_wdata[FANOUT_LEN_BITS-1:0];
  end

  // neuron state: NU write-back, or host initialisation (only while the NU is DONE)
  always_ff @(posedge clk) begin
    if (nu_upd) begin
      nm_u[nu_n]   <= u_next;
      nm_v[nu_n]   <= v_next;
      nm_ref[nu_n] <= ref_next;
    end else begin
      if (we_nm_u)   nm_u[b_n]   <= bus_wdata[S-1:0];
      if (we_nm_v)   nm_v[b_n]   <= bus_wdata[S-1:0];
      if (we_nm_ref) nm_ref[b_n] <= bus_wdata[REF_BITS-1:0];
    end
  end

  // accumulators: NU clears acc[cur][i]; SI writes acc[bank of the lane's delay][target] (never
  // cur); the host only while neither engine writes
  always_ff @(posedge clk) begin
    if (nu_upd) acc[acc_addr(nu_n, cur)] <= '0;
    for (int l = 0; l < LANES; l++) begin
      if (si_acc_we[l]) acc[acc_addr(si_acc_neuron[l], si_bank[l])] <= si_acc_wdata[l];
    end
    if (!nu_upd && !si_busy) begin
      if (we_acc0) acc[acc_addr(b_n, KB'(0))] <= bus_wdata[A-1:0];
      if (we_acc1) acc[acc_addr(b_n, KB'(1))] <= bus_wdata[A-1:0];
      if (we_bank_acc) acc[acc_addr(b_n, b_k)] <= bus_wdata[A-1:0];
    end
  end

  always_ff @(posedge clk) begin
    if (we_ax_base) ax_base[b_a] <= bus_wdata[WORD_ADDR_BITS-1:0];
    if (we_ax_len)  ax_len[b_a]  <= bus_wdata[LEN_BITS-1:0];
  end

  // weights: the SI's write-back of a whole word, the LE's write of one slot (STDP), the host
  always_ff @(posedge clk) begin
    if (si_word_we) syn_weight[si_word_addr] <= si_w_wdata;
    else if (le_syn_we_o) syn_weight[le_waddr_o][le_wlane_o] <= le_wdata_o;
    else if (we_syn_weight) syn_weight[b_w][b_l] <= bus_wdata[WEIGHT_BITS-1:0];
    if (we_syn_target) begin
      syn_target[b_w][b_l] <= bus_wdata[NB-1:0];
      syn_valid[b_w][b_l]  <= bus_wdata[31];
    end
  end

  always_ff @(posedge clk) begin
    if (we_fo_flit) fo_flit[b_f] <= bus_wdata[RB-1:0];
  end

  // ---- event counters (order = NC_CC_*), from the engines' status ------------------------------
  always_ff @(posedge clk) begin
    if (rst) begin
      cnt <= '0;
    end else begin
      cnt[`NC_CC_NEURON_UPDATES_ACTIVE]   <= cnt[`NC_CC_NEURON_UPDATES_ACTIVE]   + CNT_BITS'(nu_upd_active);
      cnt[`NC_CC_NEURON_UPDATES_INACTIVE] <= cnt[`NC_CC_NEURON_UPDATES_INACTIVE] + CNT_BITS'(nu_upd && !nu_upd_active);
      cnt[`NC_CC_SPIKES]                  <= cnt[`NC_CC_SPIKES]                  + CNT_BITS'(nu_spike);
      cnt[`NC_CC_FANOUT_FLITS]            <= cnt[`NC_CC_FANOUT_FLITS]            + CNT_BITS'(out_push);
      cnt[`NC_CC_AXON_LOOKUPS]            <= cnt[`NC_CC_AXON_LOOKUPS]            + CNT_BITS'(si_pop);
      cnt[`NC_CC_SYNAPTIC_OPS]            <= cnt[`NC_CC_SYNAPTIC_OPS]            + CNT_BITS'(si_syn_ops);
      cnt[`NC_CC_SYNAPSE_WORD_READS]      <= cnt[`NC_CC_SYNAPSE_WORD_READS]      + CNT_BITS'(si_word_read);
      cnt[`NC_CC_NU_BUSY_CYCLES]          <= cnt[`NC_CC_NU_BUSY_CYCLES]          + CNT_BITS'(nu_upd || out_push || nu_scan);
      cnt[`NC_CC_NU_STALL_CYCLES]         <= cnt[`NC_CC_NU_STALL_CYCLES]         + CNT_BITS'(nu_stall);
      cnt[`NC_CC_SI_BUSY_CYCLES]          <= cnt[`NC_CC_SI_BUSY_CYCLES]          + CNT_BITS'(si_pop || si_busy);
      cnt[`NC_CC_NU_SCAN_CYCLES]          <= cnt[`NC_CC_NU_SCAN_CYCLES]          + CNT_BITS'(nu_scan);
      // one pending bit per valid slot the SI integrates, one per update that is not quiet
      cnt[`NC_CC_PENDING_SETS]            <= cnt[`NC_CC_PENDING_SETS]
                                             + ((EVENT != 0) ? CNT_BITS'(si_syn_ops) + CNT_BITS'(nu_pend_set) : '0);
      // STDP (§11): le_cnt = {POST, RD, WR, traces updated (2 bits)} of the LE this cycle
      cnt[`NC_CC_SYNAPSE_WORD_WRITES]     <= cnt[`NC_CC_SYNAPSE_WORD_WRITES]
                                             + CNT_BITS'(si_word_we) + CNT_BITS'(le_cnt[2]);
      cnt[`NC_CC_WEIGHT_UPDATES]          <= cnt[`NC_CC_WEIGHT_UPDATES] + CNT_BITS'(si_wupd) + CNT_BITS'(le_cnt[3]);
      cnt[`NC_CC_REVERSE_READS]           <= cnt[`NC_CC_REVERSE_READS] + CNT_BITS'(le_cnt[3]);
      cnt[`NC_CC_POST_LOOKUPS]            <= cnt[`NC_CC_POST_LOOKUPS] + CNT_BITS'(le_cnt[4]);
      cnt[`NC_CC_TRACE_UPDATES]           <= cnt[`NC_CC_TRACE_UPDATES] + CNT_BITS'(le_cnt[1:0]);
      cnt[`NC_CC_LEARNING_CYCLES]         <= cnt[`NC_CC_LEARNING_CYCLES]
                                             + CNT_BITS'(le_cnt[4] || le_cnt[3] || le_cnt[2] || le_cnt[1:0] != '0);
    end
  end

  // the host bus carries wider data than one core uses
  logic unused_bus;
  assign unused_bus = ^bus_wdata;
endmodule
