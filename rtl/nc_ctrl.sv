// nc_ctrl: timestep controller — quiescence, barrier, bank swap, cycle counter
// (docs/microarchitecture.md §6).
//
// States: PAUSE (between timesteps, waiting for the host; these clocks are not chip cycles),
// RUN (timestep in progress), BARRIER. A host START while paused makes the next cycle T_t:
// every core's NU enters UPDATE(0) and the host link starts injecting. In a RUN cycle whose
// start-of-cycle state is quiescent (`all_quiet`: every NU done, host done, every FIFO
// empty, every SI idle) that cycle is Q_t, the first of BARRIER_CYCLES barrier cycles; the
// edge ending the last barrier cycle swaps the accumulator banks and returns to PAUSE, so
// the cycle counter then reads T_{t+1} = Q_t + BARRIER_CYCLES.
//
// Parameters: BARRIER_CYCLES (1..2^20), CNT_BITS (cycle and barrier counters).
module nc_ctrl #(
  parameter int BARRIER_CYCLES = 8,
  parameter int CNT_BITS       = 48
) (
  input  logic                clk,
  input  logic                rst,
  input  logic                start_cmd,   // host START (ignored unless paused)
  input  logic                all_quiet,
  output logic                start,       // this edge begins a timestep
  output logic                swap,        // this edge ends the barrier
  output logic                run,         // RUN state: the host link may inject
  output logic                paused,
  output logic [1:0]          state,
  output logic [CNT_BITS-1:0] cycle,       // index of the current chip cycle
  output logic [CNT_BITS-1:0] barriers
);
  if (BARRIER_CYCLES < 1 || BARRIER_CYCLES > (1 << 20)) begin : g_bad_barrier
    $fatal(1, "nc_ctrl: BARRIER_CYCLES=%0d must be in 1..2^20", BARRIER_CYCLES);
  end

  localparam logic [1:0] S_PAUSE = 2'd0, S_RUN = 2'd1, S_BARRIER = 2'd2;
  localparam int BW = 21;

  logic [BW-1:0] brem;         // barrier cycles left, current one included

  assign paused = state == S_PAUSE;
  assign run    = state == S_RUN;
  assign start  = paused && start_cmd;
  assign swap   = (state == S_RUN && all_quiet && BARRIER_CYCLES == 1)
               || (state == S_BARRIER && brem == BW'(1));

  always_ff @(posedge clk) begin
    if (rst) begin
      state    <= S_PAUSE;
      brem     <= '0;
      cycle    <= '0;
      barriers <= '0;
    end else begin
      if (!paused) cycle <= cycle + 1'b1;
      if (swap) barriers <= barriers + 1'b1;
      case (state)
        S_PAUSE: if (start_cmd) state <= S_RUN;
        S_RUN: if (all_quiet) begin
          if (swap) state <= S_PAUSE;
          else begin
            state <= S_BARRIER;
            brem  <= BW'(BARRIER_CYCLES - 1);
          end
        end
        S_BARRIER: begin
          if (swap) state <= S_PAUSE;
          else brem <= brem - 1'b1;
        end
        default: state <= S_PAUSE;
      endcase
    end
  end
endmodule
