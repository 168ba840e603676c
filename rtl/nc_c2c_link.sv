// nc_c2c_link: one direction of a chip-to-chip link (docs/microarchitecture.md §12.2).
//
// The sending edge router sees this link as the downstream of one of its mesh outputs: it may
// grant that output in a cycle only if `in_full` is low at the start of the cycle, which here
// means "a credit is left and the serialiser is free" (the receiving FIFO's occupancy is not
// visible across chips). A copy granted in cycle c (`in_push`) takes a credit, keeps the
// serialiser busy until cycle c + CYCLES_PER_FLIT, passes LATENCY pipeline registers and is
// pushed into the receiving FIFO in cycle c + LATENCY (`out_push`; LATENCY = 0 is a wire).
// When that FIFO pops a flit (`out_pop`, the receiving router's pop of the link's input), a
// credit returns over CREDIT_LATENCY registers and is usable from the cycle after it arrives:
// a pop in c' gives the credit back for decisions from c' + CREDIT_LATENCY + 1. `idle` (every
// credit home) says that no flit is in the pipeline, in the receiving FIFO or owed a credit.
//
// Chip cycles only: the serialiser counts down while `tick` is high (the chip runs or is in
// its barrier); while the chip is paused between timesteps the link is idle anyway.
//
// Parameters
//   FLIT_BITS        flit width
//   LATENCY          pipeline registers (link_latency_cycles, 0..65536)
//   CREDIT_LATENCY   credit return registers (link_credit_latency_cycles, 0..65536)
//   CYCLES_PER_FLIT  serialiser cycles per flit (link_cycles_per_flit, 1..1024)
//   CREDITS          receive buffer depth = credits at reset (link_buffer_flits, 1..64)
module nc_c2c_link #(
  parameter int FLIT_BITS       = 7,
  parameter int LATENCY         = 3,
  parameter int CREDIT_LATENCY  = 3,
  parameter int CYCLES_PER_FLIT = 1,
  parameter int CREDITS         = 4
) (
  input  logic                 clk,
  input  logic                 rst,
  input  logic                 tick,       // a chip cycle (not paused)
  // sender side: the edge router's output
  input  logic                 in_push,
  input  logic [FLIT_BITS-1:0] in_flit,
  output logic                 in_full,    // no credit or serialiser busy (start of cycle)
  // receiver side: the edge router's input FIFO (depth CREDITS)
  output logic                 out_push,
  output logic [FLIT_BITS-1:0] out_flit,
  input  logic                 out_pop,    // the receiving FIFO popped a flit this cycle
  output logic                 idle        // every credit home
);
  localparam int CB = $clog2(CREDITS + 1);
  localparam int SB = (CYCLES_PER_FLIT > 1) ? $clog2(CYCLES_PER_FLIT) : 1;

  if (LATENCY < 0 || LATENCY > 65536 || CREDIT_LATENCY < 0 || CREDIT_LATENCY > 65536) begin : g_bad_lat
    $fatal(1, "nc_c2c_link: LATENCY=%0d / CREDIT_LATENCY=%0d must be 0..65536", LATENCY, CREDIT_LATENCY);
  end
  if (CYCLES_PER_FLIT < 1 || CYCLES_PER_FLIT > 1024) begin : g_bad_k
    $fatal(1, "nc_c2c_link: CYCLES_PER_FLIT=%0d must be 1..1024", CYCLES_PER_FLIT);
  end
  if (CREDITS < 1 || CREDITS > 64) begin : g_bad_credits
    $fatal(1, "nc_c2c_link: CREDITS=%0d must be 1..64 (the receive buffer depth)", CREDITS);
  end

  // ---- flit pipeline -------------------------------------------------------------------------
  if (LATENCY == 0) begin : g_wire
    assign out_push = in_push;
    assign out_flit = in_flit;
  end else begin : g_pipe
    logic [LATENCY-1:0]                v;
    logic [LATENCY-1:0][FLIT_BITS-1:0] d;
    always_ff @(posedge clk) begin
      if (rst) v <= '0;
      else begin
        v[0] <= in_push;
        for (int i = 1; i < LATENCY; i++) v[i] <= v[i - 1];
      end
    end
    always_ff @(posedge clk) begin
      d[0] <= in_flit;
      for (int i = 1; i < LATENCY; i++) d[i] <= d[i - 1];
    end
    assign out_push = v[LATENCY - 1];
    assign out_flit = d[LATENCY - 1];
  end

  // ---- credit return pipeline ----------------------------------------------------------------
  logic credit_back;             // a credit arrives back in this cycle
  if (CREDIT_LATENCY == 0) begin : g_cwire
    assign credit_back = out_pop;
  end else begin : g_cpipe
    logic [CREDIT_LATENCY-1:0] cv;
    always_ff @(posedge clk) begin
      if (rst) cv <= '0;
      else begin
        cv[0] <= out_pop;
        for (int i = 1; i < CREDIT_LATENCY; i++) cv[i] <= cv[i - 1];
      end
    end
    assign credit_back = cv[CREDIT_LATENCY - 1];
  end

  // ---- credits and serialiser ----------------------------------------------------------------
  logic [CB-1:0] cr;
  logic [SB-1:0] busy;           // serialiser cycles left before it takes another flit
  assign in_full = (cr == '0) || (busy != '0);
  assign idle    = cr == CB'(CREDITS);

  always_ff @(posedge clk) begin
    if (rst) begin
      cr   <= CB'(CREDITS);
      busy <= '0;
    end else begin
      cr <= cr - CB'(in_push) + CB'(credit_back);
      if (in_push) busy <= SB'(CYCLES_PER_FLIT - 1);
      else if (tick && busy != '0) busy <= busy - 1'b1;
    end
  end

`ifndef SYNTHESIS
  always_ff @(posedge clk) begin
    if (!rst && in_push && in_full) $error("nc_c2c_link: a flit was granted onto a link without a credit");
  end
`endif
endmodule
