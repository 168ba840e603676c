// nc_host_link: the host side of the host link (docs/microarchitecture.md §6).
//
// While the chip is paused, the host writes the timestep's input flits (the fan-out lists of
// the channels that fire, in channel order) into this queue and their number into `count`.
// From T_t on (RUN), one flit per cycle is pushed into the West input FIFO of tile
// (0, host.row), in every cycle at whose start that FIFO is not full. `done` once all are
// pushed. The queue lives outside the chip proper: QUEUE_DEPTH is a host/testbench size,
// not a chip parameter.
//
// Parameters: QUEUE_DEPTH (flits per timestep), FLIT_BITS, CNT_BITS.
module nc_host_link #(
  parameter int QUEUE_DEPTH = 1024,
  parameter int FLIT_BITS   = 7,
  parameter int CNT_BITS    = 48
) (
  input  logic                 clk,
  input  logic                 rst,
  input  logic                 q_we,        // write queue slot q_index
  input  logic [31:0]          q_index,
  input  logic                 count_we,    // write the number of flits of the next timestep
  input  logic [31:0]          wdata,
  output logic [31:0]          count_rd,
  input  logic                 start,       // from nc_ctrl: this edge begins a timestep
  input  logic                 run,
  output logic                 push,
  output logic [FLIT_BITS-1:0] flit,
  input  logic                 full,        // host-link FIFO full at cycle start
  output logic                 done,
  output logic [CNT_BITS-1:0]  cnt_host_flits
);
  localparam int QB = $clog2(QUEUE_DEPTH + 1);                  // count / pointer width
  localparam int QI = (QUEUE_DEPTH > 1) ? $clog2(QUEUE_DEPTH) : 1;   // slot index width
  if (QUEUE_DEPTH < 1 || QB > 31 || FLIT_BITS > 32) begin : g_bad
    $fatal(1, "nc_host_link: QUEUE_DEPTH=%0d / FLIT_BITS=%0d out of range", QUEUE_DEPTH, FLIT_BITS);
  end

  logic [FLIT_BITS-1:0] queue [QUEUE_DEPTH];
  logic [QB-1:0]        count, ptr;

  assign done     = ptr == count;
  assign push     = run && !done && !full;
  assign flit     = queue[ptr[QI-1:0]];   // ptr < count <= QUEUE_DEPTH when pushing
  assign count_rd = 32'(count);

  always_ff @(posedge clk) begin
    if (q_we && q_index < 32'(QUEUE_DEPTH)) queue[q_index[QI-1:0]] <= wdata[FLIT_BITS-1:0];
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      count          <= '0;
      ptr            <= '0;
      cnt_host_flits <= '0;
    end else begin
      if (count_we && wdata <= 32'(QUEUE_DEPTH)) count <= wdata[QB-1:0];
      if (start) ptr <= '0;
      else if (push) ptr <= ptr + 1'b1;
      cnt_host_flits <= cnt_host_flits + CNT_BITS'(push);
    end
  end

  logic unused_hl;
  assign unused_hl = ^{q_index, wdata, ptr};
endmodule
