// nc_ctrl: timestep controller — quiescence, barrier, bank swap, cycle counter
// (docs/microarchitecture.md §6).
//
// States: PAUSE (between timesteps, waiting for the host; these clocks are not chip cycles),
// RUN (timestep in progress), LEARN (learning phase, docs/microarchitecture.md §11.2), BARRIER.
// A host START while paused makes the next cycle T_t: every core's NU enters UPDATE(0) and the
// host link starts injecting. In a RUN cycle whose start-of-cycle state is quiescent
// (`all_quiet`: every NU done, host done, every FIFO empty, every SI idle) that cycle is Q_t.
// Without a learning core (`any_learn` low) Q_t is the first of BARRIER_CYCLES barrier cycles.
// With one, every learning core's LE acts from Q_t on (`le_go` is high in Q_t) and the
// controller waits in LEARN: the first cycle at whose start every LE is done (`all_le_done`) is
// L_t, the first barrier cycle. The edge ending the last barrier cycle advances the accumulator
// ring (`swap`) and returns to PAUSE, so the cycle counter then reads
// T_{t+1} = L_t + BARRIER_CYCLES (L_t = Q_t without learning).
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
  input  logic                any_learn,   // some core learns (its LE runs after quiescence)
  input  logic                all_le_done, // every LE is done (start-of-cycle state)
  output logic                le_go,       // Q_t: the LEs act from this cycle on
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

  localparam logic [1:0] S_PAUSE = 2'd0, S_RUN = 2'd1, S_BARRIER = 2'd2, S_LEARN = 2'd3;
  localparam int BW = 21;

  logic [BW-1:0] brem;         // barrier cycles left, current one included
  logic          bstart;       // this cycle is the first barrier cycle (L_t)

  assign paused = state == S_PAUSE;
  assign run    = state == S_RUN;
  assign start  = paused && start_cmd;
  assign le_go  = state == S_RUN && all_quiet;
  assign bstart = (state == S_RUN && all_quiet && !any_learn) || (state == S_LEARN && all_le_done);
  assign swap   = (bstart && BARRIER_CYCLES == 1) || (state == S_BARRIER && brem == BW'(1));

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
        S_RUN, S_LEARN: if (bstart) begin
          if (swap) state <= S_PAUSE;
          else begin
            state <= S_BARRIER;
            brem  <= BW'(BARRIER_CYCLES - 1);
          end
        end else if (state == S_RUN && all_quiet) begin
          state <= S_LEARN;
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
